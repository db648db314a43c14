package detect

import (
	"context"
	"fmt"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// BaselineAround is what BaselineVersions reads around a write to the
// baseline object: both versions parsed (or why not), and their ids.
type BaselineAround struct {
	drift.BaselineVersions
	VersionID, PreviousID string
}

// handleBaselineWrite judges a write to an S3 object: a write to the
// baseline object becomes a finding of kind baseline, with the diff of
// what its new version grants; a write to any other object is ignored.
func (d *Detector) handleBaselineWrite(ctx context.Context, c drift.Change) error {
	obj, ok := c.Resource.(*drift.BaselineObject)
	if !ok {
		return fmt.Errorf("detect: a baseline change of type %T", c.Resource)
	}
	if d.BaselineBucket == "" || obj.Bucket != d.BaselineBucket || obj.ObjectKey != d.BaselineKey {
		d.Metrics.Add(metrics.EventsIgnored, 1)
		d.Log.InfoContext(ctx, "event ignored", "eventId", c.Event.ID, "eventName", c.Event.Name,
			"reason", "not the baseline object", "object", obj.URI)
		return nil
	}
	if d.Home != "" && c.Event.Account != d.Home {
		// The bucket is the home account's: S3's notifications of it and
		// CloudTrail's data events on it come from there. Another account's
		// event about it reads no version and judges nothing.
		return d.handleConflict(ctx, []drift.Change{c}, fmt.Sprintf("an S3 event about the baseline object %s, which is in account %s, came from account %s", obj.URI, d.Home, c.Event.Account))
	}
	var vs drift.BaselineVersions
	if c.Op != drift.OpRemoved {
		if d.BaselineVersions == nil {
			vs.NextErr = fmt.Errorf("the detector cannot read the baseline's versions")
		} else {
			around, err := d.BaselineVersions(ctx, obj.VersionID)
			if err != nil {
				return fmt.Errorf("detect: versions of the baseline %s around %s: %w", obj.URI, obj.VersionID, err)
			}
			vs = around.BaselineVersions
			cp := *obj
			cp.VersionID, cp.PreviousVersionID = around.VersionID, around.PreviousID
			c.Resource = &cp
		}
	}
	f := drift.JudgeBaselineWrite(c, vs)
	if f.Drift {
		d.Metrics.Add(driftMetric[f.Severity], 1)
	} else {
		d.Metrics.Add(metrics.Compliant, 1)
	}
	return d.deliver(ctx, f)
}
