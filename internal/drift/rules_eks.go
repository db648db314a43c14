package drift

import (
	"fmt"
	"slices"
	"strings"
)

// The rules of the EKS kinds: a cluster, its access entries and access
// policies, its authentication mode, pod identity associations and identity
// provider configs. Each judges one change against the cluster the baseline
// declares.

// Well-known policies whose grants set a finding's severity.
const (
	PolicyClusterAdmin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	PolicyAdmin        = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
	PolicyEdit         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	PolicyView         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"

	systemMasters = "system:masters"
)

// clusterFor finds the declared cluster of an EKS change, or says why the
// change is out of scope.
func (e *Evaluator) clusterFor(c Change) (*clusterIndex, *verdict) {
	ci, ok := e.ix.clusters[clusterKey(c.Event.Account, c.Event.Region, c.Cluster)]
	if !ok {
		v := compliant(fmt.Sprintf("cluster %s in %s/%s is not declared in the baseline; out of scope", c.Cluster, c.Event.Account, c.Event.Region), nil)
		return nil, &v
	}
	return ci, nil
}

func notManaged(what, cluster string) verdict {
	return compliant(fmt.Sprintf("the baseline does not manage %s on cluster %s", what, cluster), nil)
}

func (e *Evaluator) cluster(c Change, r *Cluster) verdict {
	if _, ok := e.ix.clusters[clusterKey(c.Event.Account, c.Event.Region, c.Cluster)]; ok {
		return compliant(fmt.Sprintf("cluster %s is declared in the baseline", r.Name), nil)
	}
	if c.Op == OpRemoved {
		return compliant(fmt.Sprintf("cluster %s is not declared in the baseline", r.Name), nil)
	}
	v := drifted(SeverityMedium, "a cluster nobody declared: its access is not reviewed",
		fmt.Sprintf("cluster %s in %s/%s is not declared in the baseline", r.Name, c.Event.Account, c.Event.Region), nil)
	v.noRevert = "eksdrift never deletes clusters"
	return v
}

func (e *Evaluator) accessEntry(c Change, r *AccessEntry) verdict {
	ci, out := e.clusterFor(c)
	if out != nil {
		return *out
	}
	if ci.c.AccessEntries == nil {
		return notManaged("access entries", c.Cluster)
	}
	declared := ci.entries[r.PrincipalARN]
	v := e.judgeEntry(c, r, declared, ci)
	v.mode = ci.c.Mode
	if v.drift && v.noRevert == "" && IsNodeEntryType(entryType(r, declared)) && !ci.c.RevertNodeEntries {
		v.noRevert = "entries of type " + entryType(r, declared) + " are managed by EKS; set revertNodeEntries on the cluster to opt in"
	}
	return v
}

func entryType(r *AccessEntry, d *AccessEntryBaseline) string {
	if r.Type != "" {
		return r.Type
	}
	if d != nil && d.Type != "" {
		return d.Type
	}
	return EntryStandard
}

func (e *Evaluator) judgeEntry(c Change, r *AccessEntry, declared *AccessEntryBaseline, ci *clusterIndex) verdict {
	var expected any
	if declared != nil {
		expected = declared
	}
	if c.Op == OpRemoved {
		if declared == nil {
			return compliant(fmt.Sprintf("removes an access entry the baseline does not declare on cluster %s (towards the baseline)", c.Cluster), nil)
		}
		return drifted(SeverityHigh, "removes access the baseline grants: the principal is locked out",
			fmt.Sprintf("access entry for %s is declared on cluster %s but was deleted", r.PrincipalARN, c.Cluster), expected)
	}
	if declared == nil {
		sev, why := SeverityMedium, "the principal can authenticate to the cluster"
		switch {
		case slices.Contains(r.KubernetesGroups, systemMasters):
			sev, why = SeverityCritical, "kubernetesGroups include system:masters: unrestricted cluster-admin"
		case AccountOf(r.PrincipalARN) != "" && AccountOf(r.PrincipalARN) != c.Event.Account:
			sev, why = SeverityHigh, fmt.Sprintf("a principal from another account (%s) can authenticate to the cluster", AccountOf(r.PrincipalARN))
		case IsNodeEntryType(r.Type):
			why = "a " + r.Type + " entry makes the principal a node (system:nodes)"
		case len(r.KubernetesGroups) > 0:
			why = "the principal can authenticate, with the RBAC bound to groups " + strings.Join(r.KubernetesGroups, ", ")
		}
		return drifted(sev, why, fmt.Sprintf("access entry for %s is not declared on cluster %s", r.PrincipalARN, c.Cluster), nil)
	}
	// Declared: compare what the event tells.
	var diffs []string
	sev, why := SeverityInfo, ""
	raise := func(s Severity, w string) {
		if s.Rank() > sev.Rank() {
			sev, why = s, w
		}
	}
	wantType := declared.Type
	if wantType == "" {
		wantType = EntryStandard
	}
	if r.Type != "" && r.Type != wantType {
		diffs = append(diffs, fmt.Sprintf("type %s, want %s", r.Type, wantType))
		raise(SeverityHigh, "the entry's type decides what it grants")
	}
	// EKS sets the groups and username of node entries itself.
	if !IsNodeEntryType(wantType) {
		if r.KubernetesGroups != nil {
			added, removed := setDiff(r.KubernetesGroups, declared.KubernetesGroups)
			if len(added) > 0 {
				diffs = append(diffs, "adds groups "+strings.Join(added, ", "))
				if slices.Contains(added, systemMasters) {
					raise(SeverityCritical, "adds system:masters: unrestricted cluster-admin")
				} else {
					raise(SeverityHigh, "adds Kubernetes groups the baseline does not grant")
				}
			}
			if len(removed) > 0 {
				diffs = append(diffs, "removes groups "+strings.Join(removed, ", "))
				raise(SeverityHigh, "removes groups the baseline grants: access breaks")
			}
		}
		if declared.Username != "" && r.Username != "" && r.Username != declared.Username {
			diffs = append(diffs, fmt.Sprintf("username %q, want %q", r.Username, declared.Username))
			raise(SeverityMedium, "the username decides which RBAC bindings apply")
		}
	}
	if len(diffs) == 0 {
		return compliant(fmt.Sprintf("access entry for %s matches the baseline", r.PrincipalARN), expected)
	}
	v := drifted(sev, why, fmt.Sprintf("access entry for %s differs from the baseline: %s", r.PrincipalARN, strings.Join(diffs, "; ")), expected)
	v.op = OpModified
	return v
}

func (e *Evaluator) accessPolicy(c Change, r *AccessPolicy) verdict {
	ci, out := e.clusterFor(c)
	if out != nil {
		return *out
	}
	if ci.c.AccessEntries == nil {
		return notManaged("access entries", c.Cluster)
	}
	v := judgeAccessPolicy(c, r, ci)
	v.mode = ci.c.Mode
	return v
}

func judgeAccessPolicy(c Change, r *AccessPolicy, ci *clusterIndex) verdict {
	declared := ci.policies[r.PrincipalARN+"|"+r.PolicyARN]
	var expected any
	if declared != nil {
		expected = declared
	}
	if c.Op == OpRemoved {
		if declared == nil {
			return compliant(fmt.Sprintf("disassociates a policy the baseline does not declare for %s (towards the baseline)", r.PrincipalARN), nil)
		}
		return drifted(SeverityHigh, "removes access the baseline grants: the principal loses it",
			fmt.Sprintf("%s is declared for %s on cluster %s but was disassociated", r.PolicyARN, r.PrincipalARN, c.Cluster), expected)
	}
	sev, why := policySeverity(r.PolicyARN, r.Scope)
	if declared == nil {
		reason := fmt.Sprintf("%s is not declared for %s on cluster %s", r.PolicyARN, r.PrincipalARN, c.Cluster)
		if ci.entries[r.PrincipalARN] == nil {
			reason = fmt.Sprintf("%s has no declared access entry on cluster %s, yet was given %s", r.PrincipalARN, c.Cluster, r.PolicyARN)
		}
		return drifted(sev, why, reason, nil)
	}
	if declared.Scope.Equal(r.Scope) {
		return compliant(fmt.Sprintf("%s for %s matches the baseline", r.PolicyARN, r.PrincipalARN), expected)
	}
	v := drifted(sev, why, fmt.Sprintf("%s for %s has scope %s, want %s", r.PolicyARN, r.PrincipalARN, scopeString(r.Scope), scopeString(declared.Scope)), expected)
	if !widens(r.Scope, declared.Scope) {
		v.severity, v.severityReason = SeverityHigh, "narrows a scope the baseline grants: access breaks"
	}
	v.op = OpModified
	return v
}

// widens reports whether scope got grants that want does not give.
func widens(got, want AccessScope) bool {
	if strings.EqualFold(want.Type, ScopeCluster) {
		return false
	}
	if strings.EqualFold(got.Type, ScopeCluster) {
		return true
	}
	added, _ := setDiff(got.Namespaces, want.Namespaces)
	return len(added) > 0
}

func scopeString(s AccessScope) string {
	if strings.EqualFold(s.Type, ScopeNamespace) {
		return "namespace[" + strings.Join(s.Namespaces, ",") + "]"
	}
	return s.Type
}

func (e *Evaluator) authMode(c Change, r *AuthenticationMode) verdict {
	ci, out := e.clusterFor(c)
	if out != nil {
		return *out
	}
	want := ci.c.AuthenticationMode
	if want == "" {
		return notManaged("the authentication mode", c.Cluster)
	}
	expected := &AuthenticationMode{Mode: want}
	if r.Mode == want {
		return compliant("authentication mode "+r.Mode+" matches the baseline", expected)
	}
	sev, why := SeverityMedium, "the cluster authenticates differently from what the baseline declares"
	if strings.Contains(r.Mode, "CONFIG_MAP") && !strings.Contains(want, "CONFIG_MAP") {
		sev, why = SeverityHigh, "enables the aws-auth ConfigMap: a second way in that access entries do not show"
	}
	v := drifted(sev, why, fmt.Sprintf("authentication mode is %s, want %s", r.Mode, want), expected)
	v.op = OpModified
	v.mode = ci.c.Mode
	v.noRevert = "the authentication mode cannot be moved back (EKS only moves it towards API)"
	return v
}

func (e *Evaluator) podIdentity(c Change, r *PodIdentityAssociation) verdict {
	ci, out := e.clusterFor(c)
	if out != nil {
		return *out
	}
	if ci.c.PodIdentityAssociations == nil {
		return notManaged("pod identity associations", c.Cluster)
	}
	declared := ci.pods[r.Key()]
	var expected any
	if declared != nil {
		expected = declared
	}
	var v verdict
	switch {
	case c.Op == OpRemoved && declared == nil:
		v = compliant(fmt.Sprintf("removes an association the baseline does not declare for %s (towards the baseline)", r.Key()), nil)
	case c.Op == OpRemoved:
		v = drifted(SeverityHigh, "the workload loses the role the baseline gives it",
			fmt.Sprintf("association for service account %s is declared on cluster %s but was deleted", r.Key(), c.Cluster), expected)
	case declared == nil:
		sev, why := SeverityMedium, "pods of the service account get the role's AWS permissions"
		if r.Namespace == "kube-system" {
			sev, why = SeverityHigh, "a kube-system service account gets the role's AWS permissions"
		}
		v = drifted(sev, why, fmt.Sprintf("service account %s is given %s; the baseline declares no association for it on cluster %s", r.Key(), r.RoleARN, c.Cluster), nil)
	case r.RoleARN != "" && r.RoleARN != declared.RoleARN:
		v = drifted(SeverityHigh, "the service account's pods get another role's AWS permissions",
			fmt.Sprintf("service account %s is given %s, want %s", r.Key(), r.RoleARN, declared.RoleARN), expected)
		v.op = OpModified
	default:
		v = compliant(fmt.Sprintf("association for %s matches the baseline", r.Key()), expected)
	}
	v.mode = ci.c.Mode
	return v
}

func (e *Evaluator) identityProvider(c Change, r *IdentityProviderConfig) verdict {
	ci, out := e.clusterFor(c)
	if out != nil {
		return *out
	}
	if ci.c.IdentityProviderConfigs == nil {
		return notManaged("identity provider configs", c.Cluster)
	}
	declared := ci.idps[r.Name]
	var expected any
	if declared != nil {
		expected = declared
	}
	var v verdict
	switch {
	case c.Op == OpRemoved && declared == nil:
		v = compliant("removes an identity provider the baseline does not declare (towards the baseline)", nil)
	case c.Op == OpRemoved:
		v = drifted(SeverityHigh, "users of the declared identity provider lose access",
			fmt.Sprintf("identity provider config %s is declared on cluster %s but was disassociated", r.Name, c.Cluster), expected)
	case declared == nil:
		v = drifted(SeverityHigh, "every user the issuer vouches for can authenticate to the cluster",
			fmt.Sprintf("identity provider config %s (%s) is not declared on cluster %s", r.Name, r.IssuerURL, c.Cluster), nil)
	case (declared.IssuerURL != "" && r.IssuerURL != "" && declared.IssuerURL != r.IssuerURL) ||
		(declared.ClientID != "" && r.ClientID != "" && declared.ClientID != r.ClientID):
		v = drifted(SeverityHigh, "another issuer's users can authenticate to the cluster",
			fmt.Sprintf("identity provider config %s has issuer %s client %s, want %s client %s", r.Name, r.IssuerURL, r.ClientID, declared.IssuerURL, declared.ClientID), expected)
		v.op = OpModified
	default:
		v = compliant(fmt.Sprintf("identity provider config %s matches the baseline", r.Name), expected)
	}
	v.mode = ci.c.Mode
	return v
}
