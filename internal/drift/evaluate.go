package drift

import (
	"fmt"
	"slices"
)

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
	case *User:
		v = e.user(c, r)
	case *PermissionSet:
		v = e.permissionSet(c, r)
	case *AwsAuth:
		v = e.awsAuth(c, r)
	default:
		v = drifted(SeverityMedium, "unknown kind of change", fmt.Sprintf("eksdrift cannot judge a change of type %T", c.Resource), nil)
		v.noRevert = "eksdrift does not know how to undo it"
	}
	if c.Note != "" {
		v.reason += " (" + c.Note + ")"
	}
	if why := ssoNoRevert(c); why != "" && v.drift {
		v.noRevert = why
	}
	return e.finding(c, v)
}

func (e *Evaluator) finding(c Change, v verdict) Finding {
	op := c.Op
	if v.op != "" {
		op = v.op
	}
	sub := subjectOf(c)
	sub.Op = op
	f := newFinding(sub, judgement{
		Drift: v.drift, Severity: v.severity, SeverityReason: v.severityReason, Reason: v.reason, Decision: DecisionNone,
		Expected: rawJSON(v.expected), BaselineSource: e.ix.Baseline.Source, BaselineVersion: e.ix.Baseline.VersionID, DetectedBy: DetectedByEvent,
	})
	if name := roleNameOf(c.Resource); name != "" {
		if rb, ok := e.ix.Role(c.Event.Account, name); ok {
			f.Principal = rb.ARN // the event knows the role's name, not its path
		}
	}
	if u, ok := c.Resource.(*User); ok {
		if ub, ok := e.ix.User(c.Event.Account, u.UserName); ok {
			f.Principal = ub.ARN
		}
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
	// A break-glass entry excuses changes in its principal's own account
	// only: EKS and IAM calls are made by principals of the account they
	// change, so another account's break-glass actor in an event is a
	// claim (a member can put events on the hub's bus), not a fact. The
	// Kubernetes API is another matter: a role of another account with
	// access to the cluster may write aws-auth itself.
	if g, ok := e.ix.BreakGlassFor(actor.ARN, c.Event.Time); ok && c.Kind() != KindAwsAuth && !sameAccount(g.Principal, c.Event.Account) {
		f.Reason += fmt.Sprintf("; the break-glass entry for %s is in account %s and does not excuse changes in account %s", g.Principal, AccountOf(g.Principal), c.Event.Account)
	} else if ok {
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// sameAccount reports whether principal is in account; an event that names
// no account (a bare record without recipientAccountId) cannot differ.
func sameAccount(principal, account string) bool {
	return account == "" || AccountOf(principal) == account
}
