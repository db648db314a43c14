package cloudtrail

import (
	"fmt"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// SourceSSO is IAM Identity Center's event source (the sso-admin API).
const SourceSSO = "sso.amazonaws.com"

// ssoRequest is the request of the permission-set calls, as CloudTrail
// records them (the API's own field names).
type ssoRequest struct {
	InstanceARN         string `json:"instanceArn"`
	PermissionSetARN    string `json:"permissionSetArn"`
	TargetID            string `json:"targetId"`
	PrincipalType       string `json:"principalType"`
	PrincipalID         string `json:"principalId"`
	ManagedPolicyARN    string `json:"managedPolicyArn"`
	PermissionsBoundary *struct {
		ManagedPolicyARN               string `json:"managedPolicyArn"`
		CustomerManagedPolicyReference *struct {
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"customerManagedPolicyReference"`
	} `json:"permissionsBoundary"`
}

// translateSSO reads a permission-set call into a change that names the
// permission set and, where the call has one, the account.
func translateSSO(r *Record, ev drift.Event) ([]drift.Change, string, error) {
	var req ssoRequest
	if err := decodeInto(r.RequestParameters, "requestParameters", &req); err != nil {
		return nil, "", err
	}
	if req.PermissionSetARN == "" {
		return nil, "", fmt.Errorf("requestParameters has no permissionSetArn")
	}
	ps := &drift.PermissionSet{InstanceARN: req.InstanceARN, PermissionSetARN: req.PermissionSetARN}
	op := drift.OpModified
	switch r.EventName {
	case "CreateAccountAssignment", "DeleteAccountAssignment":
		if req.TargetID == "" {
			return nil, "", fmt.Errorf("requestParameters has no targetId")
		}
		ps.Account, ps.What, op = req.TargetID, req.PrincipalType+":"+req.PrincipalID, drift.OpAdded
		if r.EventName == "DeleteAccountAssignment" {
			op = drift.OpRemoved
		}
	case "ProvisionPermissionSet":
		ps.Account, ps.What = req.TargetID, "provision"
	case "AttachManagedPolicyToPermissionSet", "DetachManagedPolicyFromPermissionSet":
		ps.What, op = req.ManagedPolicyARN, drift.OpAdded
		if r.EventName == "DetachManagedPolicyFromPermissionSet" {
			op = drift.OpRemoved
		}
	case "PutInlinePolicyToPermissionSet":
		ps.What = "inline-policy"
	case "PutPermissionsBoundaryToPermissionSet":
		ps.What = "permissions-boundary"
		if b := req.PermissionsBoundary; b != nil {
			if b.ManagedPolicyARN != "" {
				ps.What = "permissions-boundary " + b.ManagedPolicyARN
			}
			if c := b.CustomerManagedPolicyReference; c != nil {
				ps.What = "permissions-boundary " + c.Path + c.Name
			}
		}
	}
	return []drift.Change{{Event: ev, Op: op, Resource: ps}}, "", nil
}
