package cloudtrail

import (
	"fmt"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The IAM user calls: new credentials and permissions for a user, who may
// be the principal of an access entry.

type (
	userRequest struct {
		UserName            string `json:"userName"`
		AccessKeyID         string `json:"accessKeyId"`
		Status              string `json:"status"`
		PolicyARN           string `json:"policyArn"`
		PolicyName          string `json:"policyName"`
		PolicyDocument      string `json:"policyDocument"`
		GroupName           string `json:"groupName"`
		PermissionsBoundary string `json:"permissionsBoundary"`
	}
	credential struct {
		UserName                    string `json:"userName"`
		AccessKeyID                 string `json:"accessKeyId"`
		ServiceSpecificCredentialID string `json:"serviceSpecificCredentialId"`
		Status                      string `json:"status"`
	}
	userResponse struct {
		AccessKey                 *credential `json:"accessKey"`
		ServiceSpecificCredential *credential `json:"serviceSpecificCredential"`
		LoginProfile              *credential `json:"loginProfile"`
	}
)

func isUserCall(name string) bool {
	switch name {
	case "CreateAccessKey", "UpdateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "CreateServiceSpecificCredential",
		"AttachUserPolicy", "PutUserPolicy", "AddUserToGroup", "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary":
		return true
	}
	return false
}

func translateUser(r *Record, ev drift.Event) ([]drift.Change, string, error) {
	var req userRequest
	var resp userResponse
	if err := decodeInto(r.RequestParameters, "requestParameters", &req); err != nil {
		return nil, "", err
	}
	if err := decodeInto(r.ResponseElements, "responseElements", &resp); err != nil {
		return nil, "", err
	}
	name := req.UserName
	for _, c := range []*credential{resp.AccessKey, resp.ServiceSpecificCredential, resp.LoginProfile} {
		if c != nil {
			name = firstNonEmpty(name, c.UserName)
		}
	}
	if name == "" {
		// Without userName, a credential call is about the caller itself.
		name = callerUser(ev.Actor.ARN)
	}
	if name == "" {
		return nil, "", fmt.Errorf("requestParameters has no userName")
	}
	u := &drift.User{UserARN: "arn:aws:iam::" + ev.Account + ":user/" + name, UserName: name}
	op := drift.OpAdded
	switch r.EventName {
	case "CreateAccessKey":
		u.Aspect = drift.UserAccessKey
		if resp.AccessKey != nil {
			u.Name, u.Status = resp.AccessKey.AccessKeyID, resp.AccessKey.Status
		}
	case "UpdateAccessKey":
		u.Aspect, u.Name, u.Status, op = drift.UserAccessKey, req.AccessKeyID, req.Status, drift.OpModified
		if req.AccessKeyID == "" {
			return nil, "", fmt.Errorf("requestParameters has no accessKeyId")
		}
	case "CreateServiceSpecificCredential":
		u.Aspect = drift.UserServiceCredential
		if c := resp.ServiceSpecificCredential; c != nil {
			u.Name, u.Status = c.ServiceSpecificCredentialID, c.Status
		}
	case "CreateLoginProfile":
		u.Aspect = drift.UserLoginProfile
	case "UpdateLoginProfile":
		u.Aspect, op = drift.UserLoginProfile, drift.OpModified
	case "AttachUserPolicy":
		if req.PolicyARN == "" {
			return nil, "", fmt.Errorf("requestParameters has no policyArn")
		}
		u.Aspect, u.Name = drift.UserManagedPolicy, req.PolicyARN
	case "PutUserPolicy":
		d, err := drift.ParsePolicyDocument(req.PolicyDocument)
		if err != nil {
			return nil, "", fmt.Errorf("policyDocument: %w", err)
		}
		u.Aspect, u.Name, u.Document = drift.UserInlinePolicy, req.PolicyName, d
	case "AddUserToGroup":
		if req.GroupName == "" {
			return nil, "", fmt.Errorf("requestParameters has no groupName")
		}
		u.Aspect, u.Name = drift.UserGroup, req.GroupName
	case "PutUserPermissionsBoundary":
		u.Aspect, u.Name = drift.UserBoundary, req.PermissionsBoundary
	case "DeleteUserPermissionsBoundary":
		u.Aspect, op = drift.UserBoundary, drift.OpRemoved
	}
	return []drift.Change{{Event: ev, Op: op, Resource: u}}, "", nil
}

// callerUser gives the user name of an IAM user ARN, "" for any other.
func callerUser(arn string) string {
	a, ok := drift.ParseARN(arn)
	if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") {
		return ""
	}
	return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
}
