package drift

import (
	"fmt"
	"slices"
	"strings"
)

// In an organization deployment, each member account holds eksdrift's
// spoke (a StackSet instance): the rules that forward its events to the
// security account's bus, their dead-letter queues, the role they forward
// with, and the roles eksdrift's functions assume. A principal of the
// member account who disables a rule or edits a role blinds eksdrift
// there, so calls on these are tamper too. Only the StackSet, through its
// execution role and CloudFormation, may change them.

// SpokePrefix starts the name of each of the spoke's rules, queues and
// forwarding roles, which the spoke names so that the patterns (routing)
// and the judging (Spoke.Owns) can find them in any account.
const SpokePrefix = "eksdrift-spoke-"

// ServiceManagedExecutionRolePrefix starts the name of the execution role
// of a service-managed StackSet (stacksets-exec-<id>) in each member.
const ServiceManagedExecutionRolePrefix = "stacksets-exec-"

// Spoke is what the hub knows of the spoke it deploys in the member
// accounts.
type Spoke struct {
	// StackSet is the StackSet's name: CloudFormation names its stack in
	// each account StackSet-<name>-<id>.
	StackSet string
	// Roles are the spoke's roles of fixed names (the read role, the
	// revert role).
	Roles []string
	// ExecutionRole is the StackSet's execution role's name in the
	// members (AWSCloudFormationStackSetExecutionRole for a self-managed
	// StackSet), or ServiceManagedExecutionRolePrefix followed by "*" for
	// a service-managed one.
	ExecutionRole string
}

// SpokeStackPrefix starts the name of each stack of the StackSet named set.
func SpokeStackPrefix(set string) string { return "StackSet-" + set + "-" }

// Owns says which of the spoke's resources t names ("Spoke..."), and
// false when it is none of them.
func (s *Spoke) Owns(t *TamperTarget) (string, bool) {
	if s == nil {
		return "", false
	}
	names := identities(t.Type, t.Name, t.ARN)
	has := func(p string) bool {
		for _, n := range names {
			if strings.HasPrefix(strings.ToLower(n), strings.ToLower(p)) {
				return true
			}
		}
		return false
	}
	switch t.Type {
	case TamperRule:
		return "SpokeRule", has(SpokePrefix)
	case TamperQueue:
		return "SpokeQueue", has(SpokePrefix)
	case TamperRole:
		for _, n := range names {
			if slices.ContainsFunc(s.Roles, func(r string) bool { return strings.EqualFold(r, n) }) {
				return "SpokeRole", true
			}
		}
		return "SpokeRole (the forwarder)", has(SpokePrefix)
	case TamperStack:
		return "SpokeStack", s.StackSet != "" && has(SpokeStackPrefix(s.StackSet))
	}
	return "", false
}

// IsExecutionRole reports whether actor is the StackSet's execution role
// of account, acting through CloudFormation: a StackSet update. Anyone
// else, the role assumed directly included, is not.
func (s *Spoke) IsExecutionRole(actor Actor, account string) bool {
	if s == nil || s.ExecutionRole == "" || actor.InvokedBy != InvokedByCFN {
		return false
	}
	a, ok := ParseARN(actor.ARN)
	if !ok || a.Account != account {
		return false
	}
	name, ok := RoleName(actor.ARN)
	if !ok {
		return false
	}
	if p, wild := strings.CutSuffix(s.ExecutionRole, "*"); wild {
		return strings.HasPrefix(strings.ToLower(name), strings.ToLower(p))
	}
	return strings.EqualFold(name, s.ExecutionRole)
}

// judgeSpokeTamper concludes about a tamper call on the spoke's resource t
// in a member account.
func judgeSpokeTamper(c Change, t *TamperTarget, s *Spoke) judgement {
	sev, why := tamperSeverity(c.Event.Name, t)
	what := fmt.Sprintf("%s on eksdrift's spoke %s %s (%s) in member account %s", c.Event.Name, t.Type, t.Name, t.Own, firstNonEmpty(c.Event.Account, "unknown"))
	if t.Detail != "" {
		what += ": " + t.Detail
	}
	actor := c.Event.Actor
	j := judgement{Severity: SeverityInfo, SeverityReason: "compliant", Decision: DecisionNone, DetectedBy: DetectedByEvent}
	switch {
	case sev == SeverityInfo:
		j.Reason = what + "; " + why
	case s.IsExecutionRole(actor, c.Event.Account):
		j.Reason = what + "; a StackSet update: made by CloudFormation through the StackSet's execution role " + actor.ARN
	default:
		j.Drift, j.Decision = true, DecisionAlert
		j.Severity, j.SeverityReason = SeverityCritical, "eksdrift's spoke in a member account: changing it can stop that account's events from reaching eksdrift, or its roles from reading it"
		if sev == SeverityLow {
			j.Severity, j.SeverityReason = sev, why
		}
		j.Reason = what + "; made by " + firstNonEmpty(actor.ARN, "an unknown caller") + ", not by the StackSet's execution role through CloudFormation; tamper is alerted, never reverted"
	}
	return j
}

// OnSpoke reports whether c is a call on the spoke's resources, which
// JudgeTamper judges in the member account c names.
func (d *Deployment) OnSpoke(c Change) bool {
	if d == nil {
		return false
	}
	t, ok := tamperTargetOf(c)
	if !ok {
		return false
	}
	_, owned := d.Spoke.Owns(t)
	return owned
}

// NotAdmitted is f, a tamper finding on the spoke in an account that is not
// one of eksdrift's members (why says so): recorded, and never acted on.
// The event may be forged, or come from an account eksdrift does not
// watch; either way it is nobody's alarm, and nothing is assumed there.
func NotAdmitted(f Finding, why error) Finding {
	f.Drift = false
	f.Severity, f.SeverityReason = SeverityInfo, "not one of eksdrift's member accounts"
	f.Decision = DecisionNone
	f.Reason += "; not acted on: " + why.Error()
	return f
}
