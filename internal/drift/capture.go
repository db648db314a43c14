package drift

import (
	"cmp"
	"slices"
	"strings"
)

// Capture turns live state into a baseline that declares exactly it, in
// mode alert: every kind the scan read becomes a list that is present, so
// the baseline manages it, and judging the same state against the result
// finds no drift. Clusters and roles not found are left out. Lists are
// sorted, so the same state always gives the same baseline.
//
// Entries of the node and Fargate types are declared with their type only:
// EKS sets their groups and username. A username is declared only when it
// is not the one EKS chooses by default.
//
// Users (nil when the scan did not read them) are declared under iamUsers
// with every part managed. Only their active credentials are declared: an
// inactive key grants nothing today, and declaring it would let whoever
// turns it on again do so unseen.
func Capture(clusters []ClusterState, roles []RoleState, users []UserState) *Baseline {
	b := &Baseline{Version: 1, Mode: ModeAlert}
	for _, cs := range clusters {
		if !cs.Found {
			continue
		}
		c := ClusterBaseline{Name: cs.Name, Account: cs.Account, Region: cs.Region, AuthenticationMode: cs.AuthenticationMode}
		if cs.AccessEntries != nil {
			c.AccessEntries = []AccessEntryBaseline{}
			for _, e := range cs.AccessEntries {
				c.AccessEntries = append(c.AccessEntries, captureEntry(e))
			}
			slices.SortFunc(c.AccessEntries, func(a, b AccessEntryBaseline) int { return cmp.Compare(a.PrincipalARN, b.PrincipalARN) })
		}
		if cs.PodIdentityAssociations != nil {
			c.PodIdentityAssociations = []PodIdentityAssociation{}
			for _, p := range cs.PodIdentityAssociations {
				c.PodIdentityAssociations = append(c.PodIdentityAssociations, declaredPod(p))
			}
			slices.SortFunc(c.PodIdentityAssociations, func(a, b PodIdentityAssociation) int { return cmp.Compare(a.Key(), b.Key()) })
		}
		if cs.IdentityProviderConfigs != nil {
			c.IdentityProviderConfigs = []IdentityProviderConfig{}
			for _, p := range cs.IdentityProviderConfigs {
				c.IdentityProviderConfigs = append(c.IdentityProviderConfigs, IdentityProviderConfig{Name: p.Name, IssuerURL: p.IssuerURL, ClientID: p.ClientID})
			}
			slices.SortFunc(c.IdentityProviderConfigs, func(a, b IdentityProviderConfig) int { return cmp.Compare(a.Name, b.Name) })
		}
		b.Clusters = append(b.Clusters, c)
	}
	slices.SortFunc(b.Clusters, func(a, b ClusterBaseline) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Name, b.Name))
	})
	for _, rs := range roles {
		if !rs.Found {
			continue
		}
		r := RoleBaseline{ARN: rs.ARN, TrustPolicy: rs.TrustPolicy}
		if rs.ManagedPolicies != nil {
			r.ManagedPolicies = append([]string{}, rs.ManagedPolicies...)
			slices.Sort(r.ManagedPolicies)
		}
		if rs.InlinePolicies != nil {
			r.InlinePolicies = make(map[string]*PolicyDocument, len(rs.InlinePolicies))
			for k, v := range rs.InlinePolicies {
				r.InlinePolicies[k] = v
			}
		}
		boundary := rs.PermissionsBoundary
		r.PermissionsBoundary = &boundary
		b.IAMRoles = append(b.IAMRoles, r)
	}
	slices.SortFunc(b.IAMRoles, func(a, b RoleBaseline) int { return cmp.Compare(a.ARN, b.ARN) })
	if users != nil {
		b.IAMUsers = []UserBaseline{}
		for _, us := range users {
			if us.Found {
				b.IAMUsers = append(b.IAMUsers, captureUser(us))
			}
		}
		slices.SortFunc(b.IAMUsers, func(a, b UserBaseline) int { return cmp.Compare(a.ARN, b.ARN) })
	}
	return b
}

// captureUser declares a user as it is: every part managed, its active
// credentials allowed.
func captureUser(us UserState) UserBaseline {
	u := UserBaseline{ARN: us.ARN, ConsoleAccess: us.ConsoleAccess,
		ManagedPolicies:    slices.Compact(slices.Sorted(slices.Values(append([]string{}, us.ManagedPolicies...)))),
		Groups:             slices.Compact(slices.Sorted(slices.Values(append([]string{}, us.Groups...)))),
		InlinePolicies:     make(map[string]*PolicyDocument, len(us.InlinePolicies)),
		AccessKeys:         activeIDs(us.AccessKeys),
		ServiceCredentials: activeIDs(us.ServiceCredentials),
	}
	for k, v := range us.InlinePolicies {
		u.InlinePolicies[k] = v
	}
	boundary := us.PermissionsBoundary
	u.PermissionsBoundary = &boundary
	return u
}

// activeIDs are the IDs of the active credentials, sorted; nil when none.
func activeIDs(creds []Credential) []string {
	var ids []string
	for _, c := range creds {
		if c.Active() {
			ids = append(ids, c.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func captureEntry(e EntryState) AccessEntryBaseline {
	d := AccessEntryBaseline{PrincipalARN: e.PrincipalARN, Type: e.Type}
	if d.Type == "" {
		d.Type = EntryStandard
	}
	if !IsNodeEntryType(d.Type) {
		if len(e.KubernetesGroups) > 0 {
			d.KubernetesGroups = slices.Compact(slices.Sorted(slices.Values(e.KubernetesGroups)))
		}
		if e.Username != "" && e.Username != DefaultUsername(e.PrincipalARN) {
			d.Username = e.Username
		}
	}
	for _, p := range e.Policies {
		scope := AccessScope{Type: strings.ToLower(p.Scope.Type)}
		if strings.EqualFold(scope.Type, ScopeNamespace) {
			scope.Namespaces = slices.Compact(slices.Sorted(slices.Values(p.Scope.Namespaces)))
		}
		d.AccessPolicies = append(d.AccessPolicies, AccessPolicyBaseline{PolicyARN: p.PolicyARN, Scope: scope})
	}
	slices.SortFunc(d.AccessPolicies, func(a, b AccessPolicyBaseline) int { return cmp.Compare(a.PolicyARN, b.PolicyARN) })
	return d
}

// DefaultUsername is the Kubernetes username EKS gives a STANDARD access
// entry created without one: the user's ARN for an IAM user, the session
// of the assumed role for an IAM role. "" when principal is neither.
func DefaultUsername(principal string) string {
	a, ok := ParseARN(principal)
	if !ok || a.Service != "iam" {
		return ""
	}
	switch {
	case strings.HasPrefix(a.Resource, "user/"):
		return principal
	case strings.HasPrefix(a.Resource, "role/"):
		name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		return "arn:" + a.Partition + ":sts::" + a.Account + ":assumed-role/" + name + "/{{SessionName}}"
	}
	return ""
}

// declaredPod is an association as a baseline declares it: its service
// account, roles, session policy and session tags, without its ID.
func declaredPod(p PodIdentityAssociation) PodIdentityAssociation {
	d := PodIdentityAssociation{Namespace: p.Namespace, ServiceAccount: p.ServiceAccount, RoleARN: p.RoleARN, TargetRoleARN: p.TargetRoleARN, Policy: p.Policy}
	if p.SessionTagsDisabled() {
		t := true
		d.DisableSessionTags = &t
	}
	return d
}
