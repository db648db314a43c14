package detect

import (
	"context"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// handleTamper judges a change against eksdrift's own deployment: a tamper
// call on one of its resources, or an IAM change to one of its roles,
// becomes a finding of kind tamper, judged without the baseline (an
// attacker who broke the baseline is still seen) and never confirmed on
// any live state. handled is false when the change is not about the
// deployment; a tamper call on anything else is ignored.
func (d *Detector) handleTamper(ctx context.Context, c drift.Change) (handled bool, err error) {
	f, ok := drift.JudgeTamper(c, d.Deployment)
	if !ok {
		if c.Kind() != drift.KindTamper {
			return false, nil
		}
		d.Metrics.Add(metrics.EventsIgnored, 1)
		d.Log.InfoContext(ctx, "event ignored", "eventId", c.Event.ID, "eventName", c.Event.Name,
			"reason", "not one of eksdrift's own resources", "resource", c.Resource.Key())
		return true, nil
	}
	if f.Drift {
		d.Metrics.Add(driftMetric[f.Severity], 1)
		d.Metrics.Add(metrics.Tamper, 1)
	} else {
		d.Metrics.Add(metrics.Compliant, 1)
	}
	return true, d.deliver(ctx, f)
}
