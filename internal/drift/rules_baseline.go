package drift

import (
	"fmt"
	"slices"
	"strings"
)

// The rule of the baseline kind: a write to the baseline object, judged by
// what the new version grants that the one before did not (DiffBaselines).

// BaselineUnreadable is the severity reason of a baseline write that leaves
// no readable baseline.
const BaselineUnreadable = "the baseline cannot be read: nothing will be reverted"

// BaselineVersions is what the detector read around a write to the
// baseline object.
type BaselineVersions struct {
	// Previous is the version in force before the write, parsed; nil when
	// there was none (or it was deleted) or PreviousErr says why it could
	// not be read.
	Previous    *Baseline
	PreviousErr error
	// Next is the version the write made, parsed; nil when the write
	// deleted the object or NextErr says why it cannot be read.
	Next    *Baseline
	NextErr error
}

// JudgeBaselineWrite judges a write to the baseline object (a change of
// KindBaseline) from the versions around it. A write that leaves no
// readable, valid baseline is critical; otherwise the finding's severity is
// that of the most severe delta, and a version that grants exactly what the
// one before granted is compliant. The decision is always alert: a
// baseline write is never reverted, and no break-glass entry makes it
// less worth reporting.
func JudgeBaselineWrite(c Change, v BaselineVersions) Finding {
	return judgeBaselineWrite(c, v, "the baseline")
}

// judgeBaselineWrite is JudgeBaselineWrite of the object whose name (the
// baseline, or an account's file) the reasons give.
func judgeBaselineWrite(c Change, v BaselineVersions, name string) Finding {
	obj := baselineObjectOf(c)
	var (
		sev    Severity
		why    string
		reason string
		isDrft = true
	)
	switch {
	case c.Op == OpRemoved:
		sev, why = SeverityCritical, BaselineUnreadable
		reason = fmt.Sprintf("%s %s was deleted", name, obj.URI)
		obj.Unread = "deleted"
	case v.Next == nil:
		sev, why = SeverityCritical, BaselineUnreadable
		msg := "no such version"
		if v.NextErr != nil {
			msg = v.NextErr.Error()
		}
		reason = fmt.Sprintf("the new version of %s cannot be read or is invalid: %s", obj.URI, msg)
		obj.Unread = msg
	default:
		obj.Diff = DiffBaselines(v.Previous, v.Next)
		if obj.Diff == nil {
			obj.Diff = []BaselineDelta{}
		}
		reason = fmt.Sprintf("new version of %s %s", name, obj.URI)
		if v.Previous == nil {
			if v.PreviousErr != nil {
				reason += fmt.Sprintf("; the previous version cannot be read (%v), so everything it grants counts as new", v.PreviousErr)
			} else {
				reason += "; no previous version, so everything it grants counts as new"
			}
		}
		if len(obj.Diff) == 0 {
			sev, why, isDrft = SeverityInfo, "compliant", false
			reason += ": grants exactly what the previous version granted"
			break
		}
		sev, why = obj.Diff[0].Severity, obj.Diff[0].What
		reason += ": " + summarizeDeltas(obj.Diff)
	}
	f := baselineFinding(c, obj, sev, why, reason)
	f.Drift = isDrft
	if !isDrft {
		f.Decision = DecisionNone
	}
	if v.Next != nil {
		f.BaselineSource, f.BaselineVersion = v.Next.Source, v.Next.VersionID
	}
	if v.Previous != nil {
		f.Expected = rawJSON(&BaselineObject{URI: obj.URI, Bucket: obj.Bucket, ObjectKey: obj.ObjectKey, VersionID: v.Previous.VersionID})
	}
	return f
}

// maxDeltasInReason bounds the reason; the finding's after field holds them all.
const maxDeltasInReason = 5

func summarizeDeltas(ds []BaselineDelta) string {
	var parts []string
	for i, d := range ds {
		if i == maxDeltasInReason {
			parts = append(parts, fmt.Sprintf("and %d more", len(ds)-i))
			break
		}
		parts = append(parts, string(d.Severity)+": "+d.String())
	}
	return strings.Join(parts, "; ")
}

func baselineObjectOf(c Change) *BaselineObject {
	o, ok := c.Resource.(*BaselineObject)
	if !ok {
		return &BaselineObject{URI: c.Resource.Key()}
	}
	cp := *o
	cp.Diff = slices.Clone(o.Diff)
	return &cp
}

func baselineFinding(c Change, obj *BaselineObject, sev Severity, why, reason string) Finding {
	sub := subject{Event: c.Event, Kind: KindBaseline, Resource: obj.URI, Op: c.Op}
	sub.Before, sub.After = statesOf(c.Op, rawJSON(obj))
	return newFinding(sub, judgement{
		Drift: true, Severity: sev, SeverityReason: why, Decision: DecisionAlert, DetectedBy: DetectedByEvent,
		Reason: reason + "; written by " + writer(c.Event.Actor) + "; a baseline write is reported, never reverted",
	})
}

// baselineWrite is what the evaluator says of a baseline write when it has
// no S3 access (a replay): it records the write; the diff takes the
// versions, which only the deployed detector reads.
func (e *Evaluator) baselineWrite(c Change) Finding {
	if c.Op == OpRemoved {
		return JudgeBaselineWrite(c, BaselineVersions{})
	}
	obj := baselineObjectOf(c)
	if obj.Unread == "" {
		obj.Unread = "the versions were not read: the diff of what the new version grants needs the deployed detector, which reads them from S3"
	}
	f := baselineFinding(c, obj, SeverityHigh,
		"the baseline was rewritten: what the new version grants is not known here",
		fmt.Sprintf("new version %s of the baseline %s; %s", orNone(obj.VersionID), obj.URI, obj.Unread))
	f.BaselineSource, f.BaselineVersion = e.ix.Baseline.Source, e.ix.Baseline.VersionID
	return f
}

// writer names who wrote the baseline. S3's EventBridge notifications name
// only the account (an actor of type AWSAccount); CloudTrail data events
// name the principal.
func writer(a Actor) string {
	if a.Type == "AWSAccount" {
		return "account " + a.ARN + " (S3's notification names only the account; CloudTrail data events on the bucket name the principal)"
	}
	return a.ARN
}
