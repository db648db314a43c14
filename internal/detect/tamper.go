package detect

import (
	"context"
	"errors"

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
	if d.Deployment.OnSpoke(c) {
		// A call on the spoke names a member account: only an admitted
		// one's is tamper. Admitted assumes nothing; a refused
		// account's event is recorded, never alarmed or acted on.
		if f, err = d.admitSpoke(ctx, c, f); err != nil {
			return true, err
		}
	}
	if f.Drift {
		d.Metrics.Add(driftMetric[f.Severity], 1)
		d.Metrics.Add(metrics.Tamper, 1)
	} else {
		d.Metrics.Add(metrics.Compliant, 1)
	}
	return true, d.deliver(ctx, f)
}

// admitSpoke is f, a tamper finding on the spoke, when c's account is one of
// eksdrift's members, and drift.NotAdmitted(f) when it is refused. An
// admission that cannot be checked (Organizations failing) is an error,
// for the event to be delivered again.
func (d *Detector) admitSpoke(ctx context.Context, c drift.Change, f drift.Finding) (drift.Finding, error) {
	var err error
	if d.Admitted == nil {
		err = &drift.AccountError{Account: c.Event.Account, Refused: true}
	} else {
		err = d.Admitted(ctx, c.Event.Account)
	}
	var refused *drift.AccountError
	switch {
	case err == nil:
		return f, nil
	case errors.As(err, &refused) && refused.Refused:
		d.Log.WarnContext(ctx, "tamper on the spoke of an account that is not a member: recorded, not acted on",
			"eventId", c.Event.ID, "account", c.Event.Account)
		return drift.NotAdmitted(f, err), nil
	}
	return f, err
}
