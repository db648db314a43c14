package routing

import (
	"github.com/eksdrift/eksdrift/internal/drift"
)

// Names of the spoke's tamper rules, for construct IDs and docs.
const (
	// RuleSpokeTamper starts the names of the member accounts' rules that
	// forward the calls on the spoke's own resources to the security
	// account's bus, where the detector judges them (named, with
	// drift.SpokePrefix, eksdrift-spoke-tamper-*).
	RuleSpokeTamper = "tamper"
	// RuleSpokeTamperAlarm starts the names of the security account's
	// rules that send the same calls, from any member, straight to the
	// alarm topic.
	RuleSpokeTamperAlarm = "spoke-tamper-alarm"
)

// SpokeScope is what the spoke's tamper rules pin: the spoke's own
// resources, by name. The values may be CloudFormation tokens.
type SpokeScope struct {
	// Account is the member account whose queues are pinned ("*": any
	// member's, for the security account's rules).
	Account string
	// StackName is the spoke's stack (its own name, a token, in the
	// member's template); with StackPrefix, what every stack of the
	// StackSet starts with (drift.SpokeStackPrefix).
	StackName   string
	StackPrefix bool
	// Roles are the spoke's roles of fixed names (the read and revert
	// roles); the forwarding roles start with drift.SpokePrefix.
	Roles []string
}

// SpokeTamperRules are the rules on the spoke's own resources: its
// forwarding rules and their targets, its dead-letter queues and its
// stack, in each region of the StackSet, and its roles, in IAMRegion (the
// rule's Region). They are built from the same calls as the hub's alarm
// rules (TamperAlarmRules), pinned to the spoke's names. With mail, they
// are the security account's rules to the alarm topic, named
// RuleSpokeTamperAlarm-*, and CloudFormation's own calls (a StackSet
// update) do not match; without, the member's forwarding rules, named
// RuleSpokeTamper-*, which forward those too, for the detector to record
// as compliant.
func SpokeTamperRules(s SpokeScope, mail bool) []Rule {
	stack := []any{s.StackName}
	arn := "arn:*:cloudformation:*:" + s.Account + ":stack/" + s.StackName
	if s.StackPrefix {
		stack = pre(s.StackName)
		arn += "*"
	} else {
		arn += "/*"
	}
	stack = append(stack, map[string]string{"wildcard": arn})
	roles := pre(drift.SpokePrefix)
	for _, r := range s.Roles {
		roles = append(roles, r)
	}
	calls := append(ruleCalls(pre(drift.SpokePrefix)), queueCall(s.Account, drift.SpokePrefix), stackCall(stack))
	name := RuleSpokeTamper
	if mail {
		name = RuleSpokeTamperAlarm
	}
	var out []Rule
	for _, c := range calls {
		out = append(out, c.rule(name, mail, s.Account))
	}
	role := roleCall(roles).rule(name, mail, s.Account)
	role.Region = IAMRegion
	return append(out, role)
}
