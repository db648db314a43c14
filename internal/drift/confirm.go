package drift

import (
	"fmt"
	"time"
)

// Confirm settles a finding on the live state of its resource. The event
// triggered the finding and is its evidence, but an event can arrive late,
// out of order, or after someone undid the change: only a live state that
// still departs from the baseline may be reverted.
func (e *Evaluator) Confirm(f Finding, c Change, obs Observation) Finding {
	live := Change{Event: c.Event, Cluster: c.Cluster, Op: OpAdded, Resource: obs.Resource}
	if !obs.Present || obs.Resource == nil {
		live.Op, live.Resource = OpRemoved, c.Resource
	}
	judged := e.Evaluate(live)
	f.Live = &LiveState{Present: obs.Present, ReadAt: obs.ReadAt.UTC(), Drift: judged.Drift, State: rawJSON(obs.Resource)}
	if obs.Present && obs.Resource == nil {
		f.Live.State = rawJSON(nil)
	}
	if f.Drift && (f.Decision == DecisionRevert || f.Decision == DecisionDryRun) {
		if ci, ok := e.ix.clusters[clusterKey(c.Event.Account, c.Event.Region, c.Cluster)]; ok {
			if why := nodeEntryHeld(ci, obs); why != "" {
				f.Reason += "; not reverted: " + why
				f.Decision = DecisionAlert
				return f
			}
		}
	}
	if !f.Drift || judged.Drift {
		return f
	}
	// The change drifted, but the account is back where the baseline wants it.
	read := obs.ReadAt.UTC().Format(time.RFC3339)
	switch f.Decision {
	case DecisionRevert, DecisionDryRun:
		f.Reason += fmt.Sprintf("; the live state read at %s already matches the baseline: nothing to revert", read)
		f.Decision = DecisionAlert
	default:
		f.Reason += fmt.Sprintf("; the live state read at %s already matches the baseline", read)
	}
	return f
}

// Unjudged is the finding for a change that could not be judged because the
// baseline could not be read or is invalid. It is still recorded and
// published, as drift to look at, and it is never reverted.
func Unjudged(c Change, why string) Finding {
	return newFinding(subjectOf(c), judgement{
		Drift: true, Severity: SeverityHigh, Decision: DecisionAlert, DetectedBy: DetectedByEvent,
		SeverityReason: "the baseline could not be read, so nobody knows whether this access is allowed",
		Reason:         "not judged: " + why,
	})
}
