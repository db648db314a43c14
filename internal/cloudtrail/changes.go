package cloudtrail

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Event sources of the watched calls.
const (
	SourceEKS = "eks.amazonaws.com"
	SourceIAM = "iam.amazonaws.com"
)

// watched maps each access-changing call to its event source.
var watched = map[string]string{
	"CreateAccessEntry":                  SourceEKS,
	"UpdateAccessEntry":                  SourceEKS,
	"DeleteAccessEntry":                  SourceEKS,
	"AssociateAccessPolicy":              SourceEKS,
	"DisassociateAccessPolicy":           SourceEKS,
	"UpdateClusterConfig":                SourceEKS,
	"CreateCluster":                      SourceEKS,
	"CreatePodIdentityAssociation":       SourceEKS,
	"UpdatePodIdentityAssociation":       SourceEKS,
	"DeletePodIdentityAssociation":       SourceEKS,
	"AssociateIdentityProviderConfig":    SourceEKS,
	"DisassociateIdentityProviderConfig": SourceEKS,
	"CreateRole":                         SourceIAM,
	"DeleteRole":                         SourceIAM,
	"UpdateAssumeRolePolicy":             SourceIAM,
	"AttachRolePolicy":                   SourceIAM,
	"DetachRolePolicy":                   SourceIAM,
	"PutRolePolicy":                      SourceIAM,
	"DeleteRolePolicy":                   SourceIAM,
	"PutRolePermissionsBoundary":         SourceIAM,
	"DeleteRolePermissionsBoundary":      SourceIAM,
	"CreateOpenIDConnectProvider":        SourceIAM,
	"DeleteOpenIDConnectProvider":        SourceIAM,
	// Role calls the baseline declares nothing of (a session's maximum
	// duration, a description, tags): on eksdrift's own roles they are
	// tamper like every role change; on any other role they are recorded
	// as compliant tamper calls (roleTamperCall).
	"UpdateRole":            SourceIAM,
	"UpdateRoleDescription": SourceIAM,
	"TagRole":               SourceIAM,
	"UntagRole":             SourceIAM,
	// IAM users' credentials and permissions (users.go).
	"CreateAccessKey":                 SourceIAM,
	"UpdateAccessKey":                 SourceIAM,
	"CreateLoginProfile":              SourceIAM,
	"UpdateLoginProfile":              SourceIAM,
	"CreateServiceSpecificCredential": SourceIAM,
	"AttachUserPolicy":                SourceIAM,
	"PutUserPolicy":                   SourceIAM,
	"AddUserToGroup":                  SourceIAM,
	"PutUserPermissionsBoundary":      SourceIAM,
	"DeleteUserPermissionsBoundary":   SourceIAM,
	// IAM Identity Center's permission sets and assignments (sso.go).
	"PutInlinePolicyToPermissionSet":        SourceSSO,
	"AttachManagedPolicyToPermissionSet":    SourceSSO,
	"DetachManagedPolicyFromPermissionSet":  SourceSSO,
	"PutPermissionsBoundaryToPermissionSet": SourceSSO,
	"ProvisionPermissionSet":                SourceSSO,
	"CreateAccountAssignment":               SourceSSO,
	"DeleteAccountAssignment":               SourceSSO,
	// Writes to the baseline object (see s3.go).
	"PutObject":               SourceS3,
	"CopyObject":              SourceS3,
	"CompleteMultipartUpload": SourceS3,
	"DeleteObject":            SourceS3,
}

// WatchedEventNames lists the watched calls of one event source, sorted.
// The EventBridge rules and the CloudTrail catch-up are built from it.
func WatchedEventNames(source string) []string {
	var out []string
	for n, s := range watched {
		if s == source {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// IsWatched reports whether an event source and name is an access-changing call.
func IsWatched(source, name string) bool { return watched[name] == source && source != "" }

// Reasons a record yields no change. They are counted in summaries and
// metrics, so they are short and stable.
const (
	IgnoredFailed       = "failed call"
	IgnoredReadOnly     = "read-only call"
	IgnoredUnwatched    = "not an access change"
	IgnoredNoAccessPart = "no access setting changed"
)

// Changes turns a record into the access changes it made. When it made none,
// ignored says why. An error means the record claims to be a watched call but
// cannot be read; the caller must report it, not drop it.
func Changes(r *Record) (changes []drift.Change, ignored string, err error) {
	switch {
	case r.ErrorCode != "":
		return nil, IgnoredFailed, nil
	case !IsWatched(r.EventSource, r.EventName) && !IsTamperCall(r.EventSource, r.EventName):
		if r.ReadOnly != nil && *r.ReadOnly {
			return nil, IgnoredReadOnly, nil
		}
		return nil, IgnoredUnwatched, nil
	}
	ev, err := r.event()
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", r.EventName, r.EventID, err)
	}
	changes, ignored, err = translate(r, ev)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", r.EventName, r.EventID, err)
	}
	return changes, ignored, nil
}

// Request and response shapes, as CloudTrail records them.
type (
	scope struct {
		Type       string   `json:"type"`
		Namespaces []string `json:"namespaces"`
	}
	entry struct {
		ClusterName      string    `json:"clusterName"`
		PrincipalARN     string    `json:"principalArn"`
		KubernetesGroups *[]string `json:"kubernetesGroups"`
		Username         string    `json:"username"`
		Type             string    `json:"type"`
	}
	eksRequest struct {
		Name             string    `json:"name"`
		ClusterName      string    `json:"clusterName"`
		PrincipalARN     string    `json:"principalArn"`
		PolicyARN        string    `json:"policyArn"`
		KubernetesGroups *[]string `json:"kubernetesGroups"`
		Username         string    `json:"username"`
		Type             string    `json:"type"`
		AccessScope      *scope    `json:"accessScope"`
		AccessConfig     *struct {
			AuthenticationMode                      string `json:"authenticationMode"`
			BootstrapClusterCreatorAdminPermissions *bool  `json:"bootstrapClusterCreatorAdminPermissions"`
		} `json:"accessConfig"`
		Namespace      string `json:"namespace"`
		ServiceAccount string `json:"serviceAccount"`
		RoleARN        string `json:"roleArn"`
		AssociationID  string `json:"associationId"`
		podSession
		OIDC *struct {
			IdentityProviderConfigName string `json:"identityProviderConfigName"`
			IssuerURL                  string `json:"issuerUrl"`
			ClientID                   string `json:"clientId"`
		} `json:"oidc"`
		IdentityProviderConfig *struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"identityProviderConfig"`
	}
	// podSession is what a pod identity association's request or response
	// says of its session: nil when it says nothing.
	podSession struct {
		TargetRoleARN      *string `json:"targetRoleArn"`
		Policy             *string `json:"policy"`
		DisableSessionTags *bool   `json:"disableSessionTags"`
	}
	association struct {
		ClusterName    string `json:"clusterName"`
		Namespace      string `json:"namespace"`
		ServiceAccount string `json:"serviceAccount"`
		RoleARN        string `json:"roleArn"`
		AssociationID  string `json:"associationId"`
		podSession
	}
	eksResponse struct {
		AccessEntry            *entry `json:"accessEntry"`
		ClusterName            string `json:"clusterName"`
		PrincipalARN           string `json:"principalArn"`
		AssociatedAccessPolicy *struct {
			PolicyARN   string `json:"policyArn"`
			AccessScope *scope `json:"accessScope"`
		} `json:"associatedAccessPolicy"`
		Cluster *struct {
			Name         string `json:"name"`
			AccessConfig *struct {
				AuthenticationMode                      string `json:"authenticationMode"`
				BootstrapClusterCreatorAdminPermissions *bool  `json:"bootstrapClusterCreatorAdminPermissions"`
			} `json:"accessConfig"`
		} `json:"cluster"`
		Association *association `json:"association"`
	}
	iamRequest struct {
		RoleName                 string   `json:"roleName"`
		Path                     string   `json:"path"`
		AssumeRolePolicyDocument string   `json:"assumeRolePolicyDocument"`
		PolicyDocument           string   `json:"policyDocument"`
		PolicyName               string   `json:"policyName"`
		PolicyARN                string   `json:"policyArn"`
		PermissionsBoundary      string   `json:"permissionsBoundary"`
		URL                      string   `json:"url"`
		ClientIDList             []string `json:"clientIDList"`
		OpenIDConnectProviderARN string   `json:"openIDConnectProviderArn"`
		MaxSessionDuration       *int     `json:"maxSessionDuration"`
		Description              *string  `json:"description"`
		Tags                     []struct {
			Key string `json:"key"`
		} `json:"tags"`
		TagKeys []string `json:"tagKeys"`
	}
	iamResponse struct {
		Role *struct {
			ARN                      string `json:"arn"`
			RoleName                 string `json:"roleName"`
			Path                     string `json:"path"`
			AssumeRolePolicyDocument string `json:"assumeRolePolicyDocument"`
		} `json:"role"`
		OpenIDConnectProviderARN string `json:"openIDConnectProviderArn"`
	}
)

func decodeInto(raw json.RawMessage, what string, v any) error {
	if isNull(raw) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func translate(r *Record, ev drift.Event) ([]drift.Change, string, error) {
	if IsTamperCall(r.EventSource, r.EventName) {
		return translateTamper(r, ev) // tamper.go
	}
	switch r.EventSource {
	case SourceIAM:
		if isUserCall(r.EventName) {
			return translateUser(r, ev)
		}
		return translateIAM(r, ev)
	case SourceSSO:
		return translateSSO(r, ev)
	case SourceS3:
		return translateS3(r, ev)
	}
	var req eksRequest
	var resp eksResponse
	if err := decodeInto(r.RequestParameters, "requestParameters", &req); err != nil {
		return nil, "", err
	}
	if err := decodeInto(r.ResponseElements, "responseElements", &resp); err != nil {
		return nil, "", err
	}
	// Requests name the cluster by the path parameter `name`; responses say
	// clusterName.
	cluster := firstNonEmpty(req.Name, req.ClusterName, resp.ClusterName)
	if resp.AccessEntry != nil {
		cluster = firstNonEmpty(cluster, resp.AccessEntry.ClusterName)
	}
	if resp.Association != nil {
		cluster = firstNonEmpty(cluster, resp.Association.ClusterName)
	}
	if cluster == "" {
		return nil, "", fmt.Errorf("requestParameters has no cluster name")
	}
	one := func(op drift.Op, res drift.Resource) []drift.Change {
		return []drift.Change{{Event: ev, Op: op, Cluster: cluster, Resource: res}}
	}
	principal := drift.UnescapeARN(req.PrincipalARN)

	switch r.EventName {
	case "CreateAccessEntry", "UpdateAccessEntry":
		e := &drift.AccessEntry{PrincipalARN: principal, Type: req.Type, Username: req.Username}
		if req.KubernetesGroups != nil {
			e.KubernetesGroups = *req.KubernetesGroups
		}
		if a := resp.AccessEntry; a != nil {
			// The response is the whole entry after the call.
			e.PrincipalARN = firstNonEmpty(a.PrincipalARN, e.PrincipalARN)
			e.Type = firstNonEmpty(a.Type, e.Type)
			e.Username = firstNonEmpty(a.Username, e.Username)
			e.KubernetesGroups = []string{}
			if a.KubernetesGroups != nil {
				e.KubernetesGroups = *a.KubernetesGroups
			}
		}
		if e.PrincipalARN == "" {
			return nil, "", fmt.Errorf("no principalArn")
		}
		op := drift.OpModified
		if r.EventName == "CreateAccessEntry" {
			op = drift.OpAdded
			if e.KubernetesGroups == nil {
				e.KubernetesGroups = []string{}
			}
			if e.Type == "" {
				e.Type = drift.EntryStandard
			}
		}
		return one(op, e), "", nil
	case "DeleteAccessEntry":
		if principal == "" {
			return nil, "", fmt.Errorf("no principalArn")
		}
		return one(drift.OpRemoved, &drift.AccessEntry{PrincipalARN: principal}), "", nil
	case "AssociateAccessPolicy":
		p := &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: drift.UnescapeARN(req.PolicyARN)}
		if req.AccessScope != nil {
			p.Scope = drift.AccessScope{Type: req.AccessScope.Type, Namespaces: req.AccessScope.Namespaces}
		}
		if a := resp.AssociatedAccessPolicy; a != nil {
			p.PolicyARN = firstNonEmpty(a.PolicyARN, p.PolicyARN)
			if a.AccessScope != nil {
				p.Scope = drift.AccessScope{Type: a.AccessScope.Type, Namespaces: a.AccessScope.Namespaces}
			}
		}
		p.PrincipalARN = firstNonEmpty(p.PrincipalARN, resp.PrincipalARN)
		if p.PrincipalARN == "" || p.PolicyARN == "" {
			return nil, "", fmt.Errorf("no principalArn or policyArn")
		}
		return one(drift.OpAdded, p), "", nil
	case "DisassociateAccessPolicy":
		p := &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: drift.UnescapeARN(req.PolicyARN)}
		if p.PrincipalARN == "" || p.PolicyARN == "" {
			return nil, "", fmt.Errorf("no principalArn or policyArn")
		}
		return one(drift.OpRemoved, p), "", nil
	case "UpdateClusterConfig":
		if req.AccessConfig == nil || req.AccessConfig.AuthenticationMode == "" {
			return nil, IgnoredNoAccessPart, nil
		}
		return one(drift.OpModified, &drift.AuthenticationMode{Mode: req.AccessConfig.AuthenticationMode}), "", nil
	case "CreateCluster":
		return createCluster(ev, cluster, req, resp), "", nil
	case "CreatePodIdentityAssociation", "UpdatePodIdentityAssociation", "DeletePodIdentityAssociation":
		p, err := podIdentity(r.EventName, req, resp)
		if err != nil {
			return nil, "", err
		}
		op := map[string]drift.Op{"CreatePodIdentityAssociation": drift.OpAdded, "UpdatePodIdentityAssociation": drift.OpModified, "DeletePodIdentityAssociation": drift.OpRemoved}[r.EventName]
		return one(op, p), "", nil
	case "AssociateIdentityProviderConfig":
		if req.OIDC == nil || req.OIDC.IdentityProviderConfigName == "" {
			return nil, "", fmt.Errorf("no oidc.identityProviderConfigName")
		}
		return one(drift.OpAdded, &drift.IdentityProviderConfig{Name: req.OIDC.IdentityProviderConfigName, Type: "oidc", IssuerURL: req.OIDC.IssuerURL, ClientID: req.OIDC.ClientID}), "", nil
	case "DisassociateIdentityProviderConfig":
		if req.IdentityProviderConfig == nil || req.IdentityProviderConfig.Name == "" {
			return nil, "", fmt.Errorf("no identityProviderConfig.name")
		}
		return one(drift.OpRemoved, &drift.IdentityProviderConfig{Name: req.IdentityProviderConfig.Name, Type: req.IdentityProviderConfig.Type}), "", nil
	}
	return nil, IgnoredUnwatched, nil
}

// podIdentity reads a pod identity association from a call. The response is
// the whole association after the call, and so is a create's request; an
// update's request names only what it changes, so the session fields it
// leaves out are unknown.
func podIdentity(event string, req eksRequest, resp eksResponse) (*drift.PodIdentityAssociation, error) {
	p := &drift.PodIdentityAssociation{Namespace: req.Namespace, ServiceAccount: req.ServiceAccount, RoleARN: req.RoleARN, AssociationID: req.AssociationID}
	session, whole := req.podSession, event == "CreatePodIdentityAssociation"
	if a := resp.Association; a != nil {
		// Delete and Update requests carry only the association id; the
		// response says which service account it was.
		p.Namespace = firstNonEmpty(a.Namespace, p.Namespace)
		p.ServiceAccount = firstNonEmpty(a.ServiceAccount, p.ServiceAccount)
		p.RoleARN = firstNonEmpty(a.RoleARN, p.RoleARN)
		p.AssociationID = firstNonEmpty(a.AssociationID, p.AssociationID)
		session, whole = a.podSession, true
	}
	if p.Namespace == "" || p.ServiceAccount == "" {
		return nil, fmt.Errorf("cannot tell the association's namespace and service account (association %q)", p.AssociationID)
	}
	if event == "DeletePodIdentityAssociation" {
		return p, nil
	}
	known := func(present bool, field string) bool {
		if !present && !whole {
			p.Unknown = append(p.Unknown, field)
		}
		return present
	}
	if known(session.TargetRoleARN != nil, drift.PodTargetRole) {
		p.TargetRoleARN = drift.UnescapeARN(*session.TargetRoleARN)
	}
	if known(session.Policy != nil, drift.PodPolicy) && *session.Policy != "" {
		d, err := drift.ParsePolicyDocument(*session.Policy)
		if err != nil {
			return nil, fmt.Errorf("association %q: policy: %w", p.AssociationID, err)
		}
		p.Policy = d
	}
	// nil is false: only disabled tags are written.
	if known(session.DisableSessionTags != nil, drift.PodSessionTags) && *session.DisableSessionTags {
		p.DisableSessionTags = session.DisableSessionTags
	}
	return p, nil
}

// createCluster reports the cluster, its authentication mode, and the
// cluster-admin access EKS silently grants the creator unless
// bootstrapClusterCreatorAdminPermissions is false.
func createCluster(ev drift.Event, cluster string, req eksRequest, resp eksResponse) []drift.Change {
	mode := drift.AuthModeConfigMap // EKS's default for API callers
	bootstrap := true
	if ac := req.AccessConfig; ac != nil {
		mode = firstNonEmpty(ac.AuthenticationMode, mode)
		if ac.BootstrapClusterCreatorAdminPermissions != nil {
			bootstrap = *ac.BootstrapClusterCreatorAdminPermissions
		}
	}
	if c := resp.Cluster; c != nil && c.AccessConfig != nil {
		mode = firstNonEmpty(c.AccessConfig.AuthenticationMode, mode)
		if c.AccessConfig.BootstrapClusterCreatorAdminPermissions != nil {
			bootstrap = *c.AccessConfig.BootstrapClusterCreatorAdminPermissions
		}
	}
	out := []drift.Change{
		{Event: ev, Op: drift.OpAdded, Cluster: cluster, Resource: &drift.Cluster{Name: cluster}},
		{Event: ev, Op: drift.OpAdded, Cluster: cluster, Resource: &drift.AuthenticationMode{Mode: mode}},
	}
	if bootstrap && mode != drift.AuthModeConfigMap {
		creator := ev.Actor.ARN
		note := "granted to the cluster's creator by bootstrapClusterCreatorAdminPermissions"
		out = append(out,
			drift.Change{Event: ev, Op: drift.OpAdded, Cluster: cluster, Note: note,
				Resource: &drift.AccessEntry{PrincipalARN: creator, Type: drift.EntryStandard, KubernetesGroups: []string{}}},
			drift.Change{Event: ev, Op: drift.OpAdded, Cluster: cluster, Note: note,
				Resource: &drift.AccessPolicy{PrincipalARN: creator, PolicyARN: drift.PolicyClusterAdmin, Scope: drift.AccessScope{Type: drift.ScopeCluster}}},
		)
	}
	return out
}

// roleTamperCall is a role call that changes nothing the baseline
// declares, named as a tamper call on a role: drift.JudgeTamper makes it
// tamper on one of eksdrift's own roles, and the evaluator records it as
// compliant on any other. Its detail says what was set, and whether the
// call changed only the description (drift.RoleDescriptionOnly, which
// changes no permission).
func roleTamperCall(event string, req iamRequest, arn string) *drift.TamperTarget {
	t := &drift.TamperTarget{Type: drift.TamperRole, Name: req.RoleName, ARN: arn}
	var parts []string
	switch event {
	case "UpdateRole", "UpdateRoleDescription":
		if req.MaxSessionDuration != nil {
			parts = append(parts, fmt.Sprintf("maxSessionDuration %d", *req.MaxSessionDuration))
		}
		if len(parts) == 0 {
			parts = append(parts, drift.RoleDescriptionOnly)
		}
	case "TagRole":
		var keys []string
		for _, tag := range req.Tags {
			keys = append(keys, tag.Key)
		}
		parts = append(parts, "tags set: "+strings.Join(keys, ", "))
	case "UntagRole":
		parts = append(parts, "tags removed: "+strings.Join(req.TagKeys, ", "))
	}
	t.Detail = strings.Join(parts, "; ")
	return t
}

func translateIAM(r *Record, ev drift.Event) ([]drift.Change, string, error) {
	var req iamRequest
	var resp iamResponse
	if err := decodeInto(r.RequestParameters, "requestParameters", &req); err != nil {
		return nil, "", err
	}
	if err := decodeInto(r.ResponseElements, "responseElements", &resp); err != nil {
		return nil, "", err
	}
	account := ev.Account
	roleARN := func(name, path string) string {
		if path == "" {
			path = "/"
		}
		return "arn:aws:iam::" + account + ":role" + path + name
	}
	one := func(op drift.Op, res drift.Resource) []drift.Change {
		return []drift.Change{{Event: ev, Op: op, Resource: res}}
	}
	name := req.RoleName
	needRole := func() error {
		if name == "" {
			return fmt.Errorf("requestParameters has no roleName")
		}
		return nil
	}
	doc := func(field, text string) (*drift.PolicyDocument, error) {
		if text == "" {
			return nil, fmt.Errorf("requestParameters has no %s", field)
		}
		d, err := drift.ParsePolicyDocument(text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return d, nil
	}
	switch r.EventName {
	case "UpdateRole", "UpdateRoleDescription", "TagRole", "UntagRole":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		return one(drift.OpModified, roleTamperCall(r.EventName, req, roleARN(name, ""))), "", nil
	case "CreateRole":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		role := &drift.Role{Name: name, ARN: roleARN(name, req.Path)}
		text := req.AssumeRolePolicyDocument
		if resp.Role != nil {
			role.ARN = firstNonEmpty(resp.Role.ARN, role.ARN)
			if text == "" {
				text = resp.Role.AssumeRolePolicyDocument // percent-encoded
			}
		}
		if text != "" {
			d, err := doc("assumeRolePolicyDocument", text)
			if err != nil {
				return nil, "", err
			}
			role.TrustPolicy = d
		}
		out := one(drift.OpAdded, role)
		if req.PermissionsBoundary != "" {
			out = append(out, drift.Change{Event: ev, Op: drift.OpAdded, Resource: &drift.PermissionsBoundary{RoleARN: role.ARN, RoleName: name, PolicyARN: req.PermissionsBoundary}})
		}
		return out, "", nil
	case "DeleteRole":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		return one(drift.OpRemoved, &drift.Role{Name: name, ARN: roleARN(name, "")}), "", nil
	case "UpdateAssumeRolePolicy":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		d, err := doc("policyDocument", req.PolicyDocument)
		if err != nil {
			return nil, "", err
		}
		return one(drift.OpModified, &drift.TrustPolicy{RoleARN: roleARN(name, ""), RoleName: name, Document: d}), "", nil
	case "AttachRolePolicy", "DetachRolePolicy":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		if req.PolicyARN == "" {
			return nil, "", fmt.Errorf("requestParameters has no policyArn")
		}
		op := drift.OpAdded
		if r.EventName == "DetachRolePolicy" {
			op = drift.OpRemoved
		}
		return one(op, &drift.ManagedPolicy{RoleARN: roleARN(name, ""), RoleName: name, PolicyARN: req.PolicyARN}), "", nil
	case "PutRolePolicy":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		d, err := doc("policyDocument", req.PolicyDocument)
		if err != nil {
			return nil, "", err
		}
		return one(drift.OpAdded, &drift.InlinePolicy{RoleARN: roleARN(name, ""), RoleName: name, PolicyName: req.PolicyName, Document: d}), "", nil
	case "DeleteRolePolicy":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		return one(drift.OpRemoved, &drift.InlinePolicy{RoleARN: roleARN(name, ""), RoleName: name, PolicyName: req.PolicyName}), "", nil
	case "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary":
		if err := needRole(); err != nil {
			return nil, "", err
		}
		op := drift.OpAdded
		if r.EventName == "DeleteRolePermissionsBoundary" {
			op = drift.OpRemoved
		}
		return one(op, &drift.PermissionsBoundary{RoleARN: roleARN(name, ""), RoleName: name, PolicyARN: req.PermissionsBoundary}), "", nil
	case "CreateOpenIDConnectProvider":
		arn := resp.OpenIDConnectProviderARN
		if arn == "" {
			if req.URL == "" {
				return nil, "", fmt.Errorf("requestParameters has no url")
			}
			arn = "arn:aws:iam::" + account + ":oidc-provider/" + strings.TrimPrefix(req.URL, "https://")
		}
		return one(drift.OpAdded, &drift.OIDCProvider{ARN: arn, URL: req.URL}), "", nil
	case "DeleteOpenIDConnectProvider":
		if req.OpenIDConnectProviderARN == "" {
			return nil, "", fmt.Errorf("requestParameters has no openIDConnectProviderArn")
		}
		return one(drift.OpRemoved, &drift.OIDCProvider{ARN: req.OpenIDConnectProviderARN}), "", nil
	}
	return nil, IgnoredUnwatched, nil
}
