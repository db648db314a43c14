package drift

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A write to the baseline object is the most dangerous change eksdrift
// sees: the baseline says what the reverter restores, so whoever writes it
// decides who keeps access. Every new version is therefore a finding of
// KindBaseline, judged by what it grants that the version before it did
// not.

// BaselineObject is the S3 object that holds the baseline, as one write
// left it. The detector reads the versions around the write and fills
// Diff; a replay, which has no S3 access, cannot.
type BaselineObject struct {
	// URI is s3://bucket/key.
	URI       string `json:"uri"`
	Bucket    string `json:"bucket"`
	ObjectKey string `json:"key"`
	// Account is the account whose own baseline file the object is
	// (baselines/<account>.yaml); "" for the shared baseline.
	Account string `json:"account,omitempty"`
	// VersionID is the version the write made (a delete marker's for a
	// deletion); "" when the event does not say.
	VersionID string `json:"versionId,omitempty"`
	// PreviousVersionID is the version in force before the write; "" when
	// there was none or it is not known.
	PreviousVersionID string `json:"previousVersionId,omitempty"`
	// Diff is what the new version changes, most severe first; nil until
	// both versions were read.
	Diff []BaselineDelta `json:"diff,omitempty"`
	// Unread says why the versions were not compared; "" when they were.
	Unread string `json:"unread,omitempty"`
}

func (o *BaselineObject) Kind() Kind        { return KindBaseline }
func (o *BaselineObject) Key() string       { return o.URI }
func (o *BaselineObject) Principal() string { return "" }

// NewBaselineObject names the object s3://bucket/key.
func NewBaselineObject(bucket, key string) *BaselineObject {
	return &BaselineObject{URI: "s3://" + bucket + "/" + key, Bucket: bucket, ObjectKey: key}
}

// BaselineDelta is one thing a new baseline version changes.
type BaselineDelta struct {
	Severity Severity `json:"severity"`
	Change   Op       `json:"change"`
	// Where names the part of the baseline: "mode", "breakGlass",
	// "cluster prod (111122223333/us-west-2)", a role's ARN, "oidcProviders".
	Where string `json:"where"`
	What  string `json:"what"`
}

func (d BaselineDelta) String() string { return d.Where + ": " + d.What }

// Admin-level grants a baseline can declare.
var (
	// adminAccessPolicies are EKS access policies that give admin.
	adminAccessPolicies = map[string]string{
		PolicyClusterAdmin: "cluster-admin (AmazonEKSClusterAdminPolicy)",
		PolicyAdmin:        "admin (AmazonEKSAdminPolicy)",
	}
	// adminManagedPolicies are IAM managed policies that make a role an
	// account admin, or able to make itself one.
	adminManagedPolicies = map[string]bool{
		"arn:aws:iam::aws:policy/AdministratorAccess": true,
		"arn:aws:iam::aws:policy/IAMFullAccess":       true,
		"arn:aws:iam::aws:policy/PowerUserAccess":     true,
	}
)

// DiffBaselines says what next changes from prev: above all what it grants
// that prev did not. prev is nil for the first version, which is then
// compared with a baseline that grants nothing. The deltas come most severe
// first; none means the two grant exactly the same.
//
// Severities: privilege an attacker would add is critical (cluster-admin
// or admin access policies, system:masters, admin managed or inline
// policies, trust in another account or in anyone, new pod identity
// associations or roles behind them, new break-glass principals,
// break-glass with no expiry or an override, mode switched to revert);
// eksdrift no longer judging something (a cluster, a role or a kind
// dropped) is high, and so is a new approver, who may revert and accept
// from Slack; other new access is medium; removals and narrowing are
// low; what grants nothing is info.
func DiffBaselines(prev, next *Baseline) []BaselineDelta {
	if prev == nil {
		prev = &Baseline{}
	}
	d := &differ{}
	d.mode("mode", "the baseline", prev.Mode, next.Mode)
	d.breakGlass(prev.BreakGlass, next.BreakGlass)
	d.clusters(prev.Clusters, next.Clusters)
	d.roles(prev.IAMRoles, next.IAMRoles)
	d.users(prev.IAMUsers, next.IAMUsers)
	d.oidc(prev.OIDCProviders, next.OIDCProviders)
	slices.SortStableFunc(d.out, func(a, b BaselineDelta) int { return cmp.Compare(b.Severity.Rank(), a.Severity.Rank()) })
	return d.out
}

type differ struct{ out []BaselineDelta }

func (d *differ) add(sev Severity, op Op, where, format string, a ...any) {
	d.out = append(d.out, BaselineDelta{Severity: sev, Change: op, Where: where, What: fmt.Sprintf(format, a...)})
}

func (d *differ) mode(where, whose string, prev, next Mode) {
	switch {
	case prev == next:
	case next == ModeRevert:
		d.add(SeverityCritical, OpModified, where, "%s's mode is switched to revert (was %s): the reverter will restore what this version declares", whose, orInherited(prev))
	case prev == ModeRevert:
		d.add(SeverityMedium, OpModified, where, "%s's mode is switched from revert to %s: drift is no longer undone", whose, orInherited(next))
	default:
		d.add(SeverityInfo, OpModified, where, "%s's mode is %s (was %s)", whose, orInherited(next), orInherited(prev))
	}
}

func orInherited(m Mode) string {
	if m == "" {
		return "inherited"
	}
	return string(m)
}

func (d *differ) breakGlass(prev, next []BreakGlass) {
	const where = "breakGlass"
	byPrincipal := map[string][]BreakGlass{}
	for _, g := range prev {
		byPrincipal[g.Principal] = append(byPrincipal[g.Principal], g)
	}
	seen := map[string]bool{}
	for _, g := range next {
		seen[g.Principal] = true
		old := byPrincipal[g.Principal]
		if slices.ContainsFunc(old, func(o BreakGlass) bool { return sameBreakGlass(o, g) }) {
			continue
		}
		switch {
		case len(old) == 0:
			override := ""
			if g.LongExpiry != "" {
				override = fmt.Sprintf(", overriding the expiry limit (allowLongExpiry: %q)", g.LongExpiry)
			}
			d.add(SeverityCritical, OpAdded, where, "new break-glass principal %s%s%s: its changes are never reverted", g.Principal, expiryNote(g), override)
		case g.LongExpiry != "":
			d.add(SeverityCritical, OpModified, where, "break-glass entry for %s overrides the expiry limit (allowLongExpiry: %q)%s", g.Principal, g.LongExpiry, expiryNote(g))
		case g.Expires.IsZero():
			d.add(SeverityCritical, OpModified, where, "break-glass entry for %s has no expiry", g.Principal)
		case slices.ContainsFunc(old, func(o BreakGlass) bool { return o.Expires.IsZero() || !g.Expires.After(o.Expires) }):
			d.add(SeverityInfo, OpModified, where, "break-glass entry for %s changed, and runs no longer than before%s", g.Principal, expiryNote(g))
		default:
			d.add(SeverityHigh, OpModified, where, "break-glass entry for %s is extended%s", g.Principal, expiryNote(g))
		}
	}
	for _, g := range prev {
		if !seen[g.Principal] {
			seen[g.Principal] = true
			d.add(SeverityLow, OpRemoved, where, "break-glass principal %s is removed", g.Principal)
		}
	}
}

func sameBreakGlass(a, b BreakGlass) bool {
	return a.Principal == b.Principal && a.Expires.Equal(b.Expires) && a.LongExpiry == b.LongExpiry
}

func expiryNote(g BreakGlass) string {
	if g.Expires.IsZero() {
		return ", no expiry"
	}
	return ", until " + g.Expires.UTC().Format(time.RFC3339)
}

func (d *differ) clusters(prev, next []ClusterBaseline) {
	old := map[string]*ClusterBaseline{}
	for i := range prev {
		c := &prev[i]
		old[clusterKey(c.Account, c.Region, c.Name)] = c
	}
	seen := map[string]bool{}
	for i := range next {
		c := &next[i]
		k := clusterKey(c.Account, c.Region, c.Name)
		seen[k] = true
		where := fmt.Sprintf("cluster %s (%s/%s)", c.Name, c.Account, c.Region)
		p := old[k]
		if p == nil {
			d.add(SeverityInfo, OpAdded, where, "cluster is newly declared")
			p = &ClusterBaseline{}
		}
		d.cluster(where, p, c)
	}
	for i := range prev {
		c := &prev[i]
		if k := clusterKey(c.Account, c.Region, c.Name); !seen[k] {
			seen[k] = true
			d.add(SeverityHigh, OpRemoved, fmt.Sprintf("cluster %s (%s/%s)", c.Name, c.Account, c.Region),
				"cluster is no longer declared: changes to its access are out of scope, never judged")
		}
	}
}

// unmanaged reports a kind the previous version managed and this one does
// not: from now on anything of that kind is allowed.
func (d *differ) unmanaged(where, what string, prevManaged, nextManaged bool) {
	if prevManaged && !nextManaged {
		d.add(SeverityHigh, OpRemoved, where, "%s are no longer managed: any change to them is allowed", what)
	}
}

func (d *differ) cluster(where string, p, c *ClusterBaseline) {
	d.mode(where, "the cluster", p.Mode, c.Mode)
	switch {
	case p.AuthenticationMode == c.AuthenticationMode:
	case p.AuthenticationMode != "" && c.AuthenticationMode == "":
		d.add(SeverityHigh, OpRemoved, where, "the authentication mode is no longer managed: any mode is allowed")
	case strings.Contains(c.AuthenticationMode, "CONFIG_MAP") && !strings.Contains(p.AuthenticationMode, "CONFIG_MAP"):
		d.add(SeverityHigh, OpModified, where, "authentication mode %s enables the aws-auth ConfigMap: a second way in that access entries do not show", c.AuthenticationMode)
	default:
		d.add(SeverityLow, OpModified, where, "authentication mode %s (was %s)", c.AuthenticationMode, orNone(p.AuthenticationMode))
	}
	if c.RevertNodeEntries && !p.RevertNodeEntries {
		d.add(SeverityMedium, OpModified, where, "revertNodeEntries is turned on: node and Fargate entries EKS manages will be reverted")
	}
	d.unmanaged(where, "access entries", p.AccessEntries != nil, c.AccessEntries != nil)
	d.entries(where, c.Account, p.AccessEntries, c.AccessEntries)
	d.unmanaged(where, "pod identity associations", p.PodIdentityAssociations != nil, c.PodIdentityAssociations != nil)
	d.pods(where, p.PodIdentityAssociations, c.PodIdentityAssociations)
	d.unmanaged(where, "identity provider configs", p.IdentityProviderConfigs != nil, c.IdentityProviderConfigs != nil)
	d.idps(where, p.IdentityProviderConfigs, c.IdentityProviderConfigs)
	d.awsAuth(where, p.AwsAuth, c.AwsAuth)
	d.approvers(where, p.Approvers, c.Approvers)
}

// approvers judges who may act on the cluster's findings from Slack: an
// approver may press Revert now and Accept into baseline, and an accepted
// finding is what the reverter restores from then on. So a new approver is
// high, as much as a new way in (two approvers are still needed for a
// critical grant, which is why it is not critical); a user group admits
// whoever its owners add, outside the baseline's review.
func (d *differ) approvers(where string, prev, next []string) {
	added, removed := setDiff(next, prev)
	for _, a := range added {
		if strings.HasPrefix(a, "S") {
			d.add(SeverityHigh, OpAdded, where, "Slack user group %s becomes an approver: whoever is in it may revert and accept drift into the baseline from Slack", a)
		} else {
			d.add(SeverityHigh, OpAdded, where, "Slack user %s becomes an approver: they may revert and accept drift into the baseline from Slack", a)
		}
	}
	for _, a := range removed {
		d.add(SeverityLow, OpRemoved, where, "%s is no longer an approver", a)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (d *differ) entries(where, account string, prev, next []AccessEntryBaseline) {
	old := map[string]*AccessEntryBaseline{}
	for i := range prev {
		old[prev[i].PrincipalARN] = &prev[i]
	}
	for i := range next {
		e := &next[i]
		p := old[e.PrincipalARN]
		if p == nil {
			sev, why := SeverityMedium, ""
			if a := AccountOf(e.PrincipalARN); a != "" && account != "" && a != account {
				sev, why = SeverityHigh, fmt.Sprintf(", a principal from another account (%s)", a)
			}
			d.add(sev, OpAdded, where, "new access entry for %s%s", e.PrincipalARN, why)
			p = &AccessEntryBaseline{PrincipalARN: e.PrincipalARN, Type: e.Type}
		}
		if p.Type != e.Type && !(p.Type == "" && e.Type == EntryStandard) && !(p.Type == EntryStandard && e.Type == "") {
			d.add(SeverityMedium, OpModified, where, "access entry for %s has type %s (was %s)", e.PrincipalARN, orNone(e.Type), orNone(p.Type))
		}
		added, removed := setDiff(e.KubernetesGroups, p.KubernetesGroups)
		for _, g := range added {
			if g == systemMasters {
				d.add(SeverityCritical, OpAdded, where, "%s is put in system:masters: unrestricted cluster-admin", e.PrincipalARN)
			} else {
				d.add(SeverityMedium, OpAdded, where, "%s is put in Kubernetes group %s", e.PrincipalARN, g)
			}
		}
		for _, g := range removed {
			d.add(SeverityLow, OpRemoved, where, "%s is taken out of Kubernetes group %s", e.PrincipalARN, g)
		}
		if p.Username != e.Username {
			d.add(SeverityMedium, OpModified, where, "access entry for %s has username %q (was %q): the username decides which RBAC bindings apply", e.PrincipalARN, e.Username, p.Username)
		}
		d.policies(where, e.PrincipalARN, p.AccessPolicies, e.AccessPolicies)
	}
	for i := range prev {
		if !slices.ContainsFunc(next, func(e AccessEntryBaseline) bool { return e.PrincipalARN == prev[i].PrincipalARN }) {
			d.add(SeverityLow, OpRemoved, where, "access entry for %s is removed", prev[i].PrincipalARN)
		}
	}
}

func (d *differ) policies(where, principal string, prev, next []AccessPolicyBaseline) {
	for _, n := range next {
		i := slices.IndexFunc(prev, func(p AccessPolicyBaseline) bool { return p.PolicyARN == n.PolicyARN })
		if i >= 0 && !widens(n.Scope, prev[i].Scope) {
			if !prev[i].Scope.Equal(n.Scope) {
				d.add(SeverityLow, OpModified, where, "%s for %s is narrowed to %s (was %s)", shortPolicy(n.PolicyARN), principal, scopeString(n.Scope), scopeString(prev[i].Scope))
			}
			continue
		}
		op, was := OpAdded, ""
		if i >= 0 {
			op, was = OpModified, " (was "+scopeString(prev[i].Scope)+")"
		}
		// What the policy grants at that scope, from the one table of
		// access policies (access_policies.go): a baseline that grants it
		// is rated as an event that grants it would be.
		sev, _ := policySeverity(n.PolicyARN, n.Scope)
		what := shortPolicy(n.PolicyARN)
		switch {
		case adminAccessPolicies[n.PolicyARN] != "":
			sev, what = SeverityCritical, adminAccessPolicies[n.PolicyARN]
			if n.PolicyARN == PolicyClusterAdmin && strings.EqualFold(n.Scope.Type, ScopeCluster) {
				what = "cluster-admin on the whole cluster (AmazonEKSClusterAdminPolicy)"
			}
		}
		d.add(sev, op, where, "%s is granted %s, scope %s%s", principal, what, scopeString(n.Scope), was)
	}
	for _, p := range prev {
		if !slices.ContainsFunc(next, func(n AccessPolicyBaseline) bool { return n.PolicyARN == p.PolicyARN }) {
			d.add(SeverityLow, OpRemoved, where, "%s no longer has %s", principal, shortPolicy(p.PolicyARN))
		}
	}
}

func shortPolicy(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func (d *differ) pods(where string, prev, next []PodIdentityAssociation) {
	for _, n := range next {
		i := slices.IndexFunc(prev, func(p PodIdentityAssociation) bool { return p.Key() == n.Key() })
		switch {
		case i < 0:
			d.add(SeverityCritical, OpAdded, where, "new pod identity association: service account %s gets the AWS permissions of %s", n.Key(), orNone(n.RoleARN))
		case prev[i].RoleARN != n.RoleARN:
			d.add(SeverityCritical, OpModified, where, "service account %s gets the AWS permissions of %s (was %s)", n.Key(), orNone(n.RoleARN), orNone(prev[i].RoleARN))
		case prev[i].TargetRoleARN != n.TargetRoleARN:
			d.add(SeverityCritical, OpModified, where, "service account %s gets the AWS permissions of target role %s (was %s)", n.Key(), orNone(n.TargetRoleARN), orNone(prev[i].TargetRoleARN))
		case !n.Policy.Equal(prev[i].Policy) && (n.Policy == nil || !n.Policy.Narrows(prev[i].Policy)):
			d.add(SeverityHigh, OpModified, where, "service account %s loses or widens its session policy", n.Key())
		}
	}
	for _, p := range prev {
		if !slices.ContainsFunc(next, func(n PodIdentityAssociation) bool { return n.Key() == p.Key() }) {
			d.add(SeverityLow, OpRemoved, where, "pod identity association for %s is removed", p.Key())
		}
	}
}

func (d *differ) idps(where string, prev, next []IdentityProviderConfig) {
	for _, n := range next {
		i := slices.IndexFunc(prev, func(p IdentityProviderConfig) bool { return p.Name == n.Name })
		switch {
		case i < 0:
			d.add(SeverityHigh, OpAdded, where, "new identity provider config %s (%s): every user the issuer vouches for can authenticate", n.Name, n.IssuerURL)
		case prev[i].IssuerURL != n.IssuerURL || prev[i].ClientID != n.ClientID:
			d.add(SeverityHigh, OpModified, where, "identity provider config %s trusts issuer %s client %s (was %s client %s)", n.Name, n.IssuerURL, n.ClientID, prev[i].IssuerURL, prev[i].ClientID)
		}
	}
	for _, p := range prev {
		if !slices.ContainsFunc(next, func(n IdentityProviderConfig) bool { return n.Name == p.Name }) {
			d.add(SeverityLow, OpRemoved, where, "identity provider config %s is removed", p.Name)
		}
	}
}

func (d *differ) roles(prev, next []RoleBaseline) {
	old := map[string]*RoleBaseline{}
	for i := range prev {
		old[roleIndexKey(prev[i].Account(), prev[i].Name())] = &prev[i]
	}
	seen := map[string]bool{}
	for i := range next {
		r := &next[i]
		k := roleIndexKey(r.Account(), r.Name())
		seen[k] = true
		p := old[k]
		if p == nil {
			d.add(SeverityMedium, OpAdded, r.ARN, "role is newly declared: what it may be is what this version says")
			p = &RoleBaseline{ARN: r.ARN}
		}
		d.role(p, r)
	}
	for i := range prev {
		if k := roleIndexKey(prev[i].Account(), prev[i].Name()); !seen[k] {
			seen[k] = true
			d.add(SeverityHigh, OpRemoved, prev[i].ARN, "role is no longer declared: changes to it are out of scope, never judged")
		}
	}
}

func (d *differ) role(p, r *RoleBaseline) {
	where := r.ARN
	d.mode(where, "the role", p.Mode, r.Mode)
	// Trust.
	d.unmanaged(where, "the trust policy's principals", p.TrustPolicy != nil, r.TrustPolicy != nil)
	if r.TrustPolicy != nil && (p.TrustPolicy == nil || !p.TrustPolicy.Equal(r.TrustPolicy)) {
		var was []string
		if p.TrustPolicy != nil {
			was = p.TrustPolicy.TrustedPrincipals()
		}
		added, removed := setDiff(r.TrustPolicy.TrustedPrincipals(), was)
		for _, tp := range added {
			typ, val, _ := strings.Cut(tp, ":")
			switch {
			case typ == "AWS" && val == "*":
				d.add(SeverityCritical, OpAdded, where, "the trust policy trusts any AWS principal (*)")
			case typ == "AWS" && AccountOf(val) != r.Account():
				d.add(SeverityCritical, OpAdded, where, "the trust policy trusts another account (%s): %s", AccountOf(val), val)
			case typ == "Federated":
				d.add(SeverityHigh, OpAdded, where, "the trust policy trusts identity provider %s", val)
			default:
				d.add(SeverityMedium, OpAdded, where, "the trust policy trusts %s", val)
			}
		}
		for _, tp := range removed {
			d.add(SeverityLow, OpRemoved, where, "the trust policy no longer trusts %s", tp)
		}
		if len(added) == 0 && len(removed) == 0 && p.TrustPolicy != nil {
			d.add(SeverityMedium, OpModified, where, "the trust policy's conditions or actions change")
		}
	}
	// Managed policies.
	d.unmanaged(where, "managed policies", p.ManagedPolicies != nil, r.ManagedPolicies != nil)
	added, removed := setDiff(r.ManagedPolicies, p.ManagedPolicies)
	for _, m := range added {
		if adminManagedPolicies[m] {
			d.add(SeverityCritical, OpAdded, where, "managed policy %s is attached: admin in the account, or the power to become it", shortPolicy(m))
		} else {
			d.add(SeverityMedium, OpAdded, where, "managed policy %s is attached", shortPolicy(m))
		}
	}
	for _, m := range removed {
		d.add(SeverityLow, OpRemoved, where, "managed policy %s is detached", shortPolicy(m))
	}
	// Inline policies.
	d.unmanaged(where, "inline policies", p.InlinePolicies != nil, r.InlinePolicies != nil)
	for _, name := range sortedKeys(r.InlinePolicies) {
		doc, was := r.InlinePolicies[name], p.InlinePolicies[name]
		if was != nil && was.Equal(doc) {
			continue
		}
		op := OpAdded
		if was != nil {
			op = OpModified
		}
		if doc != nil && doc.GrantsAdmin() {
			d.add(SeverityCritical, op, where, "inline policy %s grants every action on every resource", name)
		} else {
			d.add(SeverityMedium, op, where, "inline policy %s grants what the previous version did not", name)
		}
	}
	for _, name := range sortedKeys(p.InlinePolicies) {
		if _, ok := r.InlinePolicies[name]; !ok {
			d.add(SeverityLow, OpRemoved, where, "inline policy %s is removed", name)
		}
	}
	// Permissions boundary.
	switch {
	case p.PermissionsBoundary != nil && r.PermissionsBoundary == nil:
		d.add(SeverityHigh, OpRemoved, where, "the permissions boundary is no longer managed: any boundary, or none, is allowed")
	case r.PermissionsBoundary == nil, p.PermissionsBoundary != nil && *p.PermissionsBoundary == *r.PermissionsBoundary:
	case *r.PermissionsBoundary == "" && p.PermissionsBoundary != nil:
		d.add(SeverityHigh, OpRemoved, where, "the permissions boundary %s is lifted", *p.PermissionsBoundary)
	case p.PermissionsBoundary != nil && *p.PermissionsBoundary != "":
		d.add(SeverityMedium, OpModified, where, "the permissions boundary is %s (was %s)", shortPolicy(*r.PermissionsBoundary), shortPolicy(*p.PermissionsBoundary))
	case *r.PermissionsBoundary != "":
		d.add(SeverityLow, OpAdded, where, "the permissions boundary %s limits the role", shortPolicy(*r.PermissionsBoundary))
	}
}

func (d *differ) oidc(prev, next []string) {
	const where = "oidcProviders"
	d.unmanaged(where, "IAM OIDC providers", prev != nil, next != nil)
	added, removed := setDiff(next, prev)
	for _, a := range added {
		d.add(SeverityHigh, OpAdded, where, "OIDC provider %s is allowed: identities it vouches for can assume roles that trust it", a)
	}
	for _, r := range removed {
		d.add(SeverityLow, OpRemoved, where, "OIDC provider %s is no longer allowed", r)
	}
}
