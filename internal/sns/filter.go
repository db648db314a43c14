package sns

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// What reaches people by default: drift of medium severity or worse,
// whatever eksdrift decided about it. Compliant changes (severity info,
// decision none) and low-severity drift stay in the history.
var (
	DefaultAlertSeverities = []drift.Severity{drift.SeverityCritical, drift.SeverityHigh, drift.SeverityMedium}
	DefaultAlertDecisions  = []drift.Decision{drift.DecisionAlert, drift.DecisionDryRun, drift.DecisionRevert, drift.DecisionBreakGlass}
)

var decisions = []drift.Decision{drift.DecisionNone, drift.DecisionAlert, drift.DecisionDryRun, drift.DecisionRevert, drift.DecisionBreakGlass}

// FilterPolicy gives the subscription filter policy that lets through the
// findings (and their outcomes, which carry the same attributes) with one
// of severities and one of decisions; an empty list does not filter on
// that attribute. The stack sets it on the notifier's subscription to the
// findings topic, such as
//
//	{"decision":["alert","break-glass","dry-run","revert"],"severity":["critical","high","medium"]}
func FilterPolicy(severities []drift.Severity, decs []drift.Decision) (string, error) {
	policy := map[string][]string{}
	for _, s := range severities {
		if s.Rank() < 0 {
			return "", fmt.Errorf("filter policy: unknown severity %q, want one of %v", s, drift.Severities)
		}
		policy[AttrSeverity] = append(policy[AttrSeverity], string(s))
	}
	for _, d := range decs {
		if !slices.Contains(decisions, d) {
			return "", fmt.Errorf("filter policy: unknown decision %q, want one of %v", d, decisions)
		}
		policy[AttrDecision] = append(policy[AttrDecision], string(d))
	}
	if len(policy) == 0 {
		return "", errors.New("filter policy: no severity and no decision: leave the filter policy out to receive everything")
	}
	for k, v := range policy {
		slices.Sort(v)
		policy[k] = slices.Compact(v)
	}
	b, err := json.Marshal(policy)
	return string(b), err
}
