package drift

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Well-known policies whose grants set a finding's severity.
const (
	PolicyClusterAdmin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	PolicyAdmin        = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
	PolicyEdit         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	PolicyView         = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"

	systemMasters = "system:masters"
)

// iamAdminPolicies are managed policies that make a role an account admin,
// or able to make itself one.
var iamAdminPolicies = map[string]string{
	"arn:aws:iam::aws:policy/AdministratorAccess": "grants every action on every resource",
	"arn:aws:iam::aws:policy/IAMFullAccess":       "lets the role grant itself any permission",
}

// Evaluator judges changes against one baseline. It holds no other state,
// so one evaluator serves concurrent callers.
type Evaluator struct {
	ix *Index
	// remediators are the actors whose changes are eksdrift's own reverts.
	remediators map[string]bool
	// dep is eksdrift's own deployment, for tamper (tamper.go).
	dep *Deployment
}

// NewEvaluator returns an evaluator for an indexed baseline.
func NewEvaluator(ix *Index) *Evaluator { return &Evaluator{ix: ix} }

// WithRemediators returns an evaluator that recognises changes made by
// these actors (the reverter's role) as remediation: their CloudTrail
// events come back like any other, and must never be judged as new drift
// or reverted again.
func (e *Evaluator) WithRemediators(arns ...string) *Evaluator {
	c := *e
	c.remediators = map[string]bool{}
	for _, a := range arns {
		if a != "" {
			c.remediators[a] = true
		}
	}
	return &c
}

// Index returns the baseline the evaluator judges against.
func (e *Evaluator) Index() *Index { return e.ix }

// verdict is what a kind-specific rule concludes; Evaluate turns it into a
// finding and a decision.
type verdict struct {
	drift          bool
	op             Op // overrides the change's op when set
	severity       Severity
	severityReason string
	reason         string
	expected       any
	mode           Mode
	// noRevert says why this drift must not be reverted, when it must not.
	noRevert string
}

func compliant(reason string, expected any) verdict {
	return verdict{severity: SeverityInfo, severityReason: "compliant", reason: reason, expected: expected}
}

func drifted(sev Severity, sevReason, reason string, expected any) verdict {
	return verdict{drift: true, severity: sev, severityReason: sevReason, reason: reason, expected: expected}
}

// Evaluate judges one change.
func (e *Evaluator) Evaluate(c Change) Finding {
	if f, ok := e.tamper(c); ok {
		return f
	}
	if _, ok := c.Resource.(*BaselineObject); ok {
		// Judged by what it grants, from its versions; never reverted.
		return e.baselineWrite(c)
	}
	var v verdict
	switch r := c.Resource.(type) {
	case *Cluster:
		v = e.cluster(c, r)
	case *AccessEntry:
		v = e.accessEntry(c, r)
	case *AccessPolicy:
		v = e.accessPolicy(c, r)
	case *AuthenticationMode:
		v = e.authMode(c, r)
	case *PodIdentityAssociation:
		v = e.podIdentity(c, r)
	case *IdentityProviderConfig:
		v = e.identityProvider(c, r)
	case *Role:
		v = e.role(c, r)
	case *TrustPolicy:
		v = e.trustPolicy(c, r)
	case *ManagedPolicy:
		v = e.managedPolicy(c, r)
	case *InlinePolicy:
		v = e.inlinePolicy(c, r)
	case *PermissionsBoundary:
		v = e.boundary(c, r)
	case *OIDCProvider:
		v = e.oidcProvider(c, r)
	default:
		v = drifted(SeverityMedium, "unknown kind of change", fmt.Sprintf("eksdrift cannot judge a change of type %T", c.Resource), nil)
		v.noRevert = "eksdrift does not know how to undo it"
	}
	if c.Note != "" {
		v.reason += " (" + c.Note + ")"
	}
	return e.finding(c, v)
}

func (e *Evaluator) finding(c Change, v verdict) Finding {
	op := c.Op
	if v.op != "" {
		op = v.op
	}
	f := Finding{
		EventID:         c.Event.ID,
		EventTime:       c.Event.Time,
		EventName:       c.Event.Name,
		EventSource:     c.Event.Source,
		Account:         c.Event.Account,
		Region:          c.Event.Region,
		Cluster:         c.Cluster,
		Kind:            c.Kind(),
		Resource:        c.Resource.Key(),
		Principal:       c.Resource.Principal(),
		Change:          op,
		Drift:           v.drift,
		Severity:        v.severity,
		SeverityReason:  v.severityReason,
		Reason:          v.reason,
		Actor:           c.Event.Actor.ARN,
		ActorType:       c.Event.Actor.Type,
		ActorSession:    c.Event.Actor.SessionName,
		SourceIP:        c.Event.Actor.SourceIP,
		UserAgent:       c.Event.Actor.UserAgent,
		Expected:        rawJSON(v.expected),
		BaselineSource:  e.ix.Baseline.Source,
		BaselineVersion: e.ix.Baseline.VersionID,
		DetectedBy:      DetectedByEvent,
		Decision:        DecisionNone,
	}
	if name := roleNameOf(c.Resource); name != "" {
		if rb, ok := e.ix.Role(c.Event.Account, name); ok {
			f.Principal = rb.ARN // the event knows the role's name, not its path
		}
	}
	if c.Op == OpRemoved {
		f.Before, f.After = rawJSON(c.Resource), json.RawMessage("null")
	} else {
		f.Before, f.After = json.RawMessage("null"), rawJSON(c.Resource)
	}
	if e.remediators[c.Event.Actor.ARN] {
		f.Decision = DecisionRemediation
		f.Reason += "; made by eksdrift's reverter: recorded as remediation, never reverted"
		return f
	}
	if !v.drift {
		return f
	}
	actor := c.Event.Actor
	if g, ok := e.ix.BreakGlassFor(actor.ARN, c.Event.Time); ok {
		f.Decision = DecisionBreakGlass
		f.Reason += "; made by break-glass actor " + actor.ARN + breakGlassNote(g)
		return f
	}
	if g, ok := e.ix.ExpiredBreakGlassFor(actor.ARN, c.Event.Time); ok {
		f.Reason += fmt.Sprintf("; the break-glass entry for %s expired at %s and no longer protects", actor.ARN, g.Expires.UTC().Format("2006-01-02T15:04:05Z"))
	}
	mode := v.mode
	if mode == "" {
		mode = e.ix.Baseline.Mode
	}
	if mode == "" {
		mode = ModeAlert
	}
	if mode == ModeRevert && c.Cluster != "" {
		if ci, ok := e.ix.clusters[clusterKey(c.Event.Account, c.Event.Region, c.Cluster)]; ok && ci.c.AccessEntries != nil && !ci.admin {
			f.Reason += "; not reverted: mode revert on cluster " + c.Cluster + " needs a declared cluster-admin (an access entry with " +
				PolicyClusterAdmin + " at cluster scope), so that no revert can leave the cluster without one"
			mode = ModeAlert
		}
	}
	if mode != ModeAlert {
		why := v.noRevert
		if why == "" && actor.IsAWSService() {
			why = "made by the AWS service " + firstNonEmpty(actor.InvokedBy, actor.ARN) + ", which eksdrift never reverts"
		}
		if why != "" {
			f.Reason += "; not reverted: " + why
			mode = ModeAlert
		}
	}
	f.Decision = Decision(mode)
	return f
}

func breakGlassNote(g BreakGlass) string {
	s := ""
	if g.Reason != "" {
		s += " (" + g.Reason
		if !g.Expires.IsZero() {
			s += ", until " + g.Expires.UTC().Format("2006-01-02T15:04:05Z")
		}
		s += ")"
	} else if !g.Expires.IsZero() {
		s += " (until " + g.Expires.UTC().Format("2006-01-02T15:04:05Z") + ")"
	}
	return s + "; reported, never reverted"
}

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

// policySeverity rates what an access policy grants.
func policySeverity(policyARN string, scope AccessScope) (Severity, string) {
	name := policyARN[strings.LastIndexByte(policyARN, '/')+1:]
	clusterWide := strings.EqualFold(scope.Type, ScopeCluster)
	where := "namespaces " + strings.Join(scope.Namespaces, ", ")
	if clusterWide {
		where = "the whole cluster"
	}
	switch policyARN {
	case PolicyClusterAdmin:
		if clusterWide {
			return SeverityCritical, "grants cluster-admin (AmazonEKSClusterAdminPolicy) on the whole cluster"
		}
		return SeverityHigh, "grants cluster-admin (AmazonEKSClusterAdminPolicy) in " + where
	case PolicyAdmin:
		if clusterWide {
			return SeverityHigh, "grants admin (AmazonEKSAdminPolicy) on the whole cluster"
		}
		return SeverityMedium, "grants admin (AmazonEKSAdminPolicy) in " + where
	case PolicyEdit:
		return SeverityMedium, "grants edit (AmazonEKSEditPolicy) on " + where
	case PolicyView:
		return SeverityLow, "grants read-only view (AmazonEKSViewPolicy) on " + where
	}
	return SeverityMedium, "grants " + name + " on " + where
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

// roleFor finds the declared role an IAM change touches, or says why the
// change is out of scope.
func (e *Evaluator) roleFor(c Change, name string) (*RoleBaseline, *verdict) {
	rb, ok := e.ix.Role(c.Event.Account, name)
	if !ok {
		v := compliant(fmt.Sprintf("role %s is not declared under iamRoles; out of scope", name), nil)
		return nil, &v
	}
	return rb, nil
}

func (e *Evaluator) role(c Change, r *Role) verdict {
	rb, out := e.roleFor(c, r.Name)
	if out != nil {
		return *out
	}
	var v verdict
	switch {
	case c.Op == OpRemoved:
		v = drifted(SeverityHigh, "access that goes through the role breaks",
			fmt.Sprintf("role %s is declared in the baseline but was deleted", rb.ARN), nil)
		v.noRevert = "a deleted role cannot be brought back with its identity (role ID); recreate it from the baseline"
	case rb.TrustPolicy != nil && r.TrustPolicy != nil && !rb.TrustPolicy.Equal(r.TrustPolicy):
		v = judgeTrust(rb, r.TrustPolicy)
	default:
		v = compliant(fmt.Sprintf("role %s is declared in the baseline", rb.ARN), nil)
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) trustPolicy(c Change, r *TrustPolicy) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.TrustPolicy == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the trust policy of %s", rb.ARN), nil)
	}
	var v verdict
	if rb.TrustPolicy.Equal(r.Document) {
		v = compliant(fmt.Sprintf("trust policy of %s matches the baseline", rb.ARN), rb.TrustPolicy)
	} else {
		v = judgeTrust(rb, r.Document)
	}
	v.mode = rb.Mode
	return v
}

// judgeTrust rates a trust policy that differs from the baseline's by who it
// lets in that the baseline does not.
func judgeTrust(rb *RoleBaseline, got *PolicyDocument) verdict {
	added, removed := setDiff(got.TrustedPrincipals(), rb.TrustPolicy.TrustedPrincipals())
	sev, why := SeverityMedium, "the trust policy's conditions or actions differ from the baseline"
	rank := func(s Severity, w string) {
		if s.Rank() > sev.Rank() {
			sev, why = s, w
		}
	}
	if len(removed) > 0 {
		rank(SeverityHigh, "no longer trusts principals the baseline trusts: their access breaks")
	}
	account := rb.Account()
	for _, p := range added {
		typ, val, _ := strings.Cut(p, ":")
		switch {
		case typ == "AWS" && val == "*":
			rank(SeverityCritical, "trusts any AWS principal (*)")
		case typ == "AWS" && AccountOf(val) != account:
			rank(SeverityCritical, "trusts another account ("+AccountOf(val)+")")
		case typ == "Federated":
			rank(SeverityHigh, "trusts a new identity provider ("+val+")")
		default:
			rank(SeverityHigh, "trusts a new principal ("+val+")")
		}
	}
	reason := fmt.Sprintf("trust policy of %s differs from the baseline", rb.ARN)
	if len(added) > 0 {
		reason += "; trusts " + strings.Join(added, ", ")
	}
	if len(removed) > 0 {
		reason += "; no longer trusts " + strings.Join(removed, ", ")
	}
	v := drifted(sev, why, reason, rb.TrustPolicy)
	v.op = OpModified
	return v
}

func (e *Evaluator) managedPolicy(c Change, r *ManagedPolicy) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.ManagedPolicies == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the managed policies of %s", rb.ARN), nil)
	}
	declared := slices.Contains(rb.ManagedPolicies, r.PolicyARN)
	var v verdict
	switch {
	case c.Op == OpRemoved && declared:
		v = drifted(SeverityHigh, "removes permissions the baseline grants: what needs them breaks",
			fmt.Sprintf("%s is declared for %s but was detached", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	case c.Op == OpRemoved:
		v = compliant(fmt.Sprintf("detaches %s, which the baseline does not declare for %s (towards the baseline)", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	case declared:
		v = compliant(fmt.Sprintf("%s is declared for %s", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	default:
		sev, why := SeverityMedium, "adds permissions to a role that can reach a cluster"
		if w, ok := iamAdminPolicies[r.PolicyARN]; ok {
			sev, why = SeverityCritical, r.PolicyARN[strings.LastIndexByte(r.PolicyARN, '/')+1:]+" "+w
		}
		v = drifted(sev, why, fmt.Sprintf("%s is not declared for %s", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) inlinePolicy(c Change, r *InlinePolicy) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.InlinePolicies == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the inline policies of %s", rb.ARN), nil)
	}
	declared, ok := rb.InlinePolicies[r.PolicyName]
	var expected any
	if ok {
		expected = declared
	}
	var v verdict
	switch {
	case c.Op == OpRemoved && ok:
		v = drifted(SeverityHigh, "removes permissions the baseline grants: what needs them breaks",
			fmt.Sprintf("inline policy %s is declared for %s but was deleted", r.PolicyName, rb.ARN), expected)
	case c.Op == OpRemoved:
		v = compliant(fmt.Sprintf("deletes inline policy %s, which the baseline does not declare (towards the baseline)", r.PolicyName), nil)
	case ok && declared.Equal(r.Document):
		v = compliant(fmt.Sprintf("inline policy %s of %s matches the baseline", r.PolicyName, rb.ARN), expected)
	default:
		sev, why := SeverityMedium, "changes what a role that can reach a cluster may do in AWS"
		if r.Document.GrantsAdmin() {
			sev, why = SeverityCritical, "grants every action on every resource"
		}
		reason := fmt.Sprintf("inline policy %s is not declared for %s", r.PolicyName, rb.ARN)
		if ok {
			reason = fmt.Sprintf("inline policy %s of %s differs from the baseline", r.PolicyName, rb.ARN)
		}
		v = drifted(sev, why, reason, expected)
		if ok {
			v.op = OpModified
		}
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) boundary(c Change, r *PermissionsBoundary) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.PermissionsBoundary == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the permissions boundary of %s", rb.ARN), nil)
	}
	want := *rb.PermissionsBoundary
	expected := &PermissionsBoundary{RoleARN: rb.ARN, RoleName: rb.Name(), PolicyARN: want}
	got := r.PolicyARN
	if c.Op == OpRemoved {
		got = ""
	}
	var v verdict
	switch {
	case got == want:
		v = compliant(fmt.Sprintf("permissions boundary of %s matches the baseline", rb.ARN), expected)
	case got == "":
		v = drifted(SeverityHigh, "lifts the limit on what the role may do",
			fmt.Sprintf("permissions boundary %s of %s was removed", want, rb.ARN), expected)
	case want == "":
		v = drifted(SeverityMedium, "limits the role where the baseline does not: access may break",
			fmt.Sprintf("%s has boundary %s; the baseline declares none", rb.ARN, got), expected)
	default:
		v = drifted(SeverityHigh, "replaces the limit on what the role may do",
			fmt.Sprintf("%s has boundary %s, want %s", rb.ARN, got, want), expected)
		v.op = OpModified
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) oidcProvider(c Change, r *OIDCProvider) verdict {
	if e.ix.oidc == nil {
		return compliant("the baseline does not manage IAM OIDC providers", nil)
	}
	declared := e.ix.oidc[r.ARN]
	expected := e.ix.Baseline.OIDCProviders
	switch {
	case c.Op == OpRemoved && declared:
		return drifted(SeverityHigh, "roles that trust the provider can no longer be assumed through it",
			fmt.Sprintf("OIDC provider %s is declared but was deleted", r.ARN), expected)
	case c.Op == OpRemoved:
		return compliant(fmt.Sprintf("deletes OIDC provider %s, which the baseline does not declare (towards the baseline)", r.ARN), expected)
	case declared:
		return compliant(fmt.Sprintf("OIDC provider %s is declared", r.ARN), expected)
	}
	return drifted(SeverityHigh, "identities the issuer vouches for can assume roles that trust it",
		fmt.Sprintf("OIDC provider %s is not declared in the baseline", firstNonEmpty(r.URL, r.ARN)), expected)
}

// setDiff gives what got has that want lacks, and what want has that got lacks.
func setDiff(got, want []string) (added, removed []string) {
	for _, g := range normSet(got) {
		if !slices.Contains(want, g) {
			added = append(added, g)
		}
	}
	for _, w := range normSet(want) {
		if !slices.Contains(got, w) {
			removed = append(removed, w)
		}
	}
	return added, removed
}

func rawJSON(v any) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// roleNameOf gives the role an IAM resource belongs to.
func roleNameOf(r Resource) string {
	switch t := r.(type) {
	case *Role:
		return t.Name
	case *TrustPolicy:
		return t.RoleName
	case *ManagedPolicy:
		return t.RoleName
	case *InlinePolicy:
		return t.RoleName
	case *PermissionsBoundary:
		return t.RoleName
	}
	return ""
}
