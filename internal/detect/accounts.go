package detect

import (
	"context"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Readers are the live-state readers of one account: in an organization
// deployment, built from the credentials of the member's read role.
type Readers struct {
	EKS, IAM drift.StateReader
}

// Admitter says whether an account is one of eksdrift's (its own, or a
// member): nil, or a *drift.AccountError with Refused. It assumes no role.
type Admitter func(ctx context.Context, account string) error

// readerIn is the reader of c's service in c's account: the detector's own
// readers when it has no Accounts (one account), else those Accounts gives
// for the account, or a *drift.AccountError when the account is refused or
// its role cannot be assumed.
func (d *Detector) readerIn(ctx context.Context, c drift.Change) (drift.StateReader, error) {
	if d.Accounts == nil {
		return d.reader(c), nil
	}
	rs, err := d.Accounts(ctx, c.Event.Account)
	if err != nil {
		return nil, err
	}
	if c.Kind().Service() == drift.ServiceIAM {
		return rs.IAM, nil
	}
	return rs.EKS, nil
}

// baselineOf is the baseline account's changes are judged against.
func (d *Detector) baselineOf(ctx context.Context, account string) (*drift.Index, error) {
	if d.BaselineFor != nil {
		return d.BaselineFor(ctx, account)
	}
	return d.Baseline(ctx)
}

// unconfirmed is a drift finding whose live state could not be read in its
// account: it stays drift, to look at, and is never reverted on the
// event's word alone.
func unconfirmed(f drift.Finding, err *drift.AccountError) drift.Finding {
	f.Reason += "; unconfirmed: " + err.Error()
	if f.Decision == drift.DecisionRevert || f.Decision == drift.DecisionDryRun {
		f.Reason += "; not reverted"
		f.Decision = drift.DecisionAlert
	}
	return f
}

// outsideRegions is a drift finding from a region outside the deployment's
// (drift.RegionSet): forged, or from a spoke deployed outside the set. It
// is an alert, to look at; nothing is read or reverted on its word.
func outsideRegions(f drift.Finding, why string) drift.Finding {
	f.Reason += "; " + why + ": not confirmed, not reverted"
	f.Decision = drift.DecisionAlert
	return f
}

// handleConflict records the changes of an event whose detail names another
// account than its envelope (cloudtrail.Record.AccountConflict): a member
// can put events on the hub's bus, and such an event is a claim about an
// account that did not send it. Each change is recorded under the sender's
// account (the envelope's, which no sender can forge), unjudged: no
// baseline is chosen for either account, no role is assumed in either, and
// an unjudged finding is an alert, never reverted on its own decision.
func (d *Detector) handleConflict(ctx context.Context, changes []drift.Change, conflict string) error {
	for _, c := range changes {
		f := drift.Unjudged(c, drift.ReasonAccountsDisagree+": "+conflict+"; recorded under the sender's account, not judged, not reverted")
		f.SeverityReason = "the event's accounts disagree, so it may be forged by the account that sent it"
		d.Log.WarnContext(ctx, "event's accounts disagree: recorded unjudged under the sender's account", "eventId", c.Event.ID,
			"account", c.Event.Account, "conflict", conflict)
		d.Metrics.Add(driftMetric[f.Severity], 1)
		if err := d.deliver(ctx, f); err != nil {
			return err
		}
	}
	return nil
}
