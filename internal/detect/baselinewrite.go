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
// baseline object, or to an account's file beside it, becomes a finding of
// kind baseline, with the diff of what its new version grants; a write to
// another object under the account files' folder is reported as
// unexpected; a write to any other object is ignored.
func (d *Detector) handleBaselineWrite(ctx context.Context, c drift.Change) error {
	obj, ok := c.Resource.(*drift.BaselineObject)
	if !ok {
		return fmt.Errorf("detect: a baseline change of type %T", c.Resource)
	}
	if d.BaselineBucket != "" && obj.Bucket == d.BaselineBucket && obj.ObjectKey != d.BaselineKey {
		if account, problem, in := drift.AccountOfBaselineKey(d.BaselineKey, obj.ObjectKey); in {
			return d.handleAccountBaselineWrite(ctx, c, obj, account, problem)
		}
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
	return d.deliverBaselineWrite(ctx, drift.JudgeBaselineWrite(c, vs))
}

// handleAccountBaselineWrite judges a write to an object under the account
// files' folder: account's file (problem "") by the merged baselines
// around the write, anything else as an unexpected object. Deletions are
// read too: a deleted version may leave an older one in force.
func (d *Detector) handleAccountBaselineWrite(ctx context.Context, c drift.Change, obj *drift.BaselineObject, account, problem string) error {
	if problem == "" && d.AccountBaselineVersions == nil {
		problem = "this deployment reads no account files (it has no member accounts), so the file is in force nowhere yet"
	}
	if problem != "" {
		return d.deliverBaselineWrite(ctx, drift.JudgeStrayBaselineObject(c, problem))
	}
	versionID, deleted := obj.VersionID, c.Op == drift.OpRemoved
	if deleted {
		versionID = "" // what is in force now: nothing, or the version a version delete left
	}
	around, err := d.AccountBaselineVersions(ctx, account, versionID, deleted)
	if err != nil {
		return fmt.Errorf("detect: versions of account %s's baseline file %s around %s: %w", account, obj.URI, orLatest(versionID), err)
	}
	cp := *obj
	cp.VersionID, cp.PreviousVersionID = around.VersionID, around.PreviousID
	if c.Op == drift.OpRemoved {
		cp.VersionID = obj.VersionID
	}
	c.Resource = &cp
	return d.deliverBaselineWrite(ctx, drift.JudgeAccountBaselineWrite(c, account, around.BaselineVersions))
}

func orLatest(versionID string) string {
	if versionID == "" {
		return "the latest version"
	}
	return "version " + versionID
}

func (d *Detector) deliverBaselineWrite(ctx context.Context, f drift.Finding) error {
	if f.Drift {
		d.Metrics.Add(driftMetric[f.Severity], 1)
	} else {
		d.Metrics.Add(metrics.Compliant, 1)
	}
	return d.deliver(ctx, f)
}
