package drift

import (
	"fmt"
	"time"
)

// Defaults for the sweep's second look at open drift.
const (
	// DefaultSweepGrace is how long drift the sweep finds first is left to
	// the event path before the sweep lets it be reverted: CloudTrail and
	// EventBridge take minutes to deliver an event, and that event may be
	// a break-glass change that must never be undone.
	DefaultSweepGrace = 15 * time.Minute
	// DefaultRetryFailedAfter is how long after a failed revert the sweep
	// offers the drift to the reverter again.
	DefaultRetryFailedAfter = time.Hour
)

// HoldForGrace keeps the sweep from reverting drift it is the first to see:
// a change younger than grace may still be on its way through the event
// path, with its actor (a break-glass actor, perhaps). Such findings are
// recorded with decision alert and say so; Rejudge offers them to the
// reverter once grace has passed and the drift is still there. A grace of
// zero or less holds nothing.
func HoldForGrace(findings []Finding, grace time.Duration) []Finding {
	if grace <= 0 {
		return findings
	}
	out := make([]Finding, len(findings))
	for i, f := range findings {
		if f.Drift && f.DetectedBy == DetectedBySweep && (f.Decision == DecisionRevert || f.Decision == DecisionDryRun) {
			f.Reason += fmt.Sprintf("; first seen by this sweep: held for %s, since a change that recent may still come through the event path (with its actor); a later sweep lets it be reverted if it is still there", grace)
			f.Decision = DecisionAlert
		}
		out[i] = f
	}
	return out
}

// Rejudge looks again at open drift that the sweep at time at still found
// drifting (drifting, by DriftKey) and gives, for each whose decision would
// now differ, a new finding that carries the new decision: a break-glass
// grant whose entry has expired (reverted, or alerted as critical in alert
// mode), a cluster or role switched from alert to revert or dry-run, drift
// the sweep held for its grace period once that has passed, drift that was
// never judged because the baseline was unreadable, and a failed revert
// older than retryAfter. The new finding is the latest about its resource,
// so a later sweep that judges the same offers nothing again: each change
// of decision is published once.
func (e *Evaluator) Rejudge(at time.Time, open map[string]Finding, drifting map[string]bool, grace, retryAfter time.Duration) []Finding {
	var out []Finding
	for _, k := range sortedKeys(open) {
		o := open[k]
		if !drifting[k] {
			continue
		}
		c, err := ChangeOf(o)
		if err != nil {
			continue
		}
		c.Event.Time = at.UTC() // judged as of now: break-glass expiry, modes
		now := e.Evaluate(c)
		if !now.Drift {
			continue
		}
		why := ""
		switch {
		case o.Outcome != nil && o.Outcome.Result == ResultRevertFailed:
			if at.Sub(o.Outcome.At) < retryAfter || (now.Decision != DecisionRevert && now.Decision != DecisionDryRun) {
				continue
			}
			why = fmt.Sprintf("the revert failed at %s (%s); offered to the reverter again", o.Outcome.At.UTC().Format(time.RFC3339), o.Outcome.Error)
		case now.Decision == o.Decision:
			continue
		case o.Decision == DecisionBreakGlass:
			why = "the break-glass entry that covered this change has expired"
			if now.Decision == DecisionAlert {
				now.Severity, now.SeverityReason = SeverityCritical, "a break-glass grant outlived its entry's expiry"
			}
		case o.DetectedBy == DetectedBySweep && o.Decision == DecisionAlert && (now.Decision == DecisionRevert || now.Decision == DecisionDryRun):
			if at.Sub(o.EventTime) < grace {
				continue
			}
			why = fmt.Sprintf("first seen by the sweep at %s and still there after the grace period", o.EventTime.UTC().Format(time.RFC3339))
		case (now.Decision == DecisionRevert || now.Decision == DecisionDryRun) && o.BaselineVersion != now.BaselineVersion:
			// A new baseline version (a cluster switched to revert), or
			// drift never judged because the baseline was unreadable. The
			// same version deciding otherwise means the detector settled
			// it on the live state; that stands.
			why = fmt.Sprintf("the baseline now decides %s", now.Decision)
		default:
			continue // towards alert: the open finding already alerted
		}
		scope := o.Account
		if !isAccountKind(o.Kind) {
			scope += "/" + o.Region + "/" + o.Cluster
		}
		sub := subjectOfFinding(o)
		sub.Event.ID = SweepEventID(at, "rejudge "+string(o.Kind)+" "+o.ID(), scope, o.Resource)
		sub.Event.Time = at.UTC()
		f := newFinding(sub, judgement{
			Drift: o.Drift, Severity: now.Severity, SeverityReason: now.SeverityReason, Decision: now.Decision, Expected: o.Expected,
			Reason:         fmt.Sprintf("re-judged by the sweep at %s: %s; was %s in finding %s. %s", at.UTC().Format(time.RFC3339), why, o.Decision, o.ID(), now.Reason),
			BaselineSource: now.BaselineSource, BaselineVersion: now.BaselineVersion, DetectedBy: DetectedBySweep,
		})
		f.Live = o.Live // the state the open finding was settled on
		out = append(out, f)
	}
	return out
}
