// Package detect is the detector's use case: a CloudTrail event delivered by
// EventBridge comes in; each access change it made is judged against the
// baseline and, when it drifts, confirmed on the live state; the finding is
// recorded once in the history and published once to the findings topic.
// A write to the baseline object itself is judged by what its new version
// grants that the one before did not.
//
// It depends only on the small interfaces it declares; functions/detect
// wires the AWS adapters into them.
package detect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// History is what the detector needs of the history store.
type History interface {
	Record(ctx context.Context, findings []drift.Finding) (int, error)
	Get(ctx context.Context, id string) (drift.Finding, bool, error)
	MarkNotified(ctx context.Context, id string, at time.Time) error
	ClaimPublication(ctx context.Context, id, holder string, at, staleBefore time.Time) (bool, error)
	ReleasePublication(ctx context.Context, id, holder string) error
}

// Publisher sends a finding to the people and functions that act on it.
type Publisher interface {
	Publish(ctx context.Context, f drift.Finding) error
}

// Detector handles one event at a time; it is safe for concurrent use when
// its dependencies are.
type Detector struct {
	// Baseline gives the current baseline, or an error when it cannot be
	// read or is invalid; changes are then recorded unjudged, never reverted.
	Baseline func(ctx context.Context) (*drift.Index, error)
	EKS, IAM drift.StateReader
	// AwsAuth reads a cluster's aws-auth ConfigMap through the Kubernetes
	// API; nil when the detector has none, and a patch whose result the
	// audit event lacks is then reported unconfirmed (awsauth.go).
	AwsAuth drift.StateReader
	// Region is the function's region: a subscription delivery of audit
	// events names its account and log group, not its region.
	Region    string
	History   History
	Publisher Publisher
	Metrics   *metrics.Set
	Log       *slog.Logger
	Now       func() time.Time
	// Remediators are the reverter's roles: their changes are recorded as
	// remediation, never judged as new drift (loop prevention).
	Remediators []string
	// PublishLease is how long a delivery's claim to publish a finding
	// holds before another delivery may take it over (DefaultPublishLease
	// when zero). It must exceed the function's timeout, so that a live
	// holder is never overtaken.
	PublishLease time.Duration
	// ClaimWait is how long a delivery that finds the finding claimed by
	// another waits for it to be published before failing, for a retry
	// (DefaultClaimWait when zero).
	ClaimWait time.Duration

	// BaselineBucket and BaselineKey name the baseline object: writes to
	// it are judged by BaselineVersions (see baselinewrite.go); writes to
	// any other object are ignored.
	BaselineBucket, BaselineKey string
	// Home is the account eksdrift runs in, where the baseline object is,
	// when the detector also hears members' events (an organization
	// deployment): an S3 event about the baseline object from any other
	// account is forged. "" takes every account's word.
	Home string
	// BaselineVersions reads the version a write made (versionID, "" for
	// the latest) and the one before it.
	BaselineVersions func(ctx context.Context, versionID string) (BaselineAround, error)

	// Accounts, when set, gives the live-state readers of the account a
	// change was made in (accounts.go): an organization deployment. nil
	// reads every change with EKS and IAM, the single-account path.
	Accounts func(ctx context.Context, account string) (Readers, error)
	// Admitted, when set, says whether an account is admitted without
	// assuming anything (accounts.go): a tamper call on the spoke counts
	// only in an admitted account. nil admits none: outside an
	// organization deployment there is no spoke.
	Admitted Admitter
	// BaselineFor, when set, gives the baseline of the account a change
	// was made in (the shared baseline merged with the account's file);
	// nil judges every change against Baseline.
	BaselineFor func(ctx context.Context, account string) (*drift.Index, error)
	// Regions are the deployment's regions: a drift change from outside
	// them is recorded as such, an alert, its live state never read
	// (no role assumed for it). The zero value checks nothing.
	Regions drift.RegionSet

	// Deployment is eksdrift's own deployment: calls against it are judged
	// as tamper (tamper.go); nil judges none.
	Deployment *drift.Deployment
	// HeartbeatRule names the scheduled rule whose events are heartbeats
	// (heartbeat.go); "" takes none.
	HeartbeatRule string

	// The evaluator of the last baseline index, built once per baseline
	// load rather than per change.
	mu   sync.Mutex
	ev   *drift.Evaluator
	evIx *drift.Index
}

func (d *Detector) evaluator(ix *drift.Index) *drift.Evaluator {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ev == nil || d.evIx != ix {
		d.ev, d.evIx = drift.NewEvaluator(ix).WithRemediators(d.Remediators...), ix
	}
	return d.ev
}

// MalformedEventError is an event that cannot be read. Retrying it will not
// help; returning it sends the event, after Lambda's retries, to the
// dead-letter queue, where nothing is lost.
type MalformedEventError struct{ Err error }

func (e *MalformedEventError) Error() string { return "malformed event: " + e.Err.Error() }
func (e *MalformedEventError) Unwrap() error { return e.Err }

// Handle processes one EventBridge event (or bare CloudTrail record). A
// returned error means the event must be delivered again: a malformed event,
// or a store, topic or live-state read that failed.
func (d *Detector) Handle(ctx context.Context, event json.RawMessage) error {
	if isAuditLog(event) {
		return d.handleAuditLog(ctx, event)
	}
	if ok, err := d.handleHeartbeat(ctx, event); ok { // heartbeat.go
		return err
	}
	batch, err := cloudtrail.Decode(event)
	if err != nil {
		d.Metrics.Add(metrics.Errors, 1)
		return &MalformedEventError{Err: err}
	}
	for k, n := range batch.Ignored {
		d.Metrics.Add(metrics.EventsIgnored, float64(n))
		d.Log.InfoContext(ctx, "event ignored", "reason", k)
	}
	for i := range batch.Records {
		rec := &batch.Records[i]
		d.Metrics.Add(metrics.EventsProcessed, 1)
		changes, ignored, err := cloudtrail.Changes(rec)
		if err != nil {
			d.Metrics.Add(metrics.Errors, 1)
			return &MalformedEventError{Err: err}
		}
		if ignored != "" {
			d.Metrics.Add(metrics.EventsIgnored, 1)
			d.Log.InfoContext(ctx, "event ignored", "eventId", rec.EventID, "eventName", rec.EventName, "reason", ignored)
			continue
		}
		if conflict := rec.AccountConflict(); conflict != "" {
			if err := d.handleConflict(ctx, changes, conflict); err != nil {
				d.Metrics.Add(metrics.Errors, 1)
				return err
			}
			continue
		}
		for _, c := range changes {
			if err := d.handleChange(ctx, c); err != nil {
				d.Metrics.Add(metrics.Errors, 1)
				return err
			}
		}
	}
	if len(batch.Errors) > 0 {
		// A log-file-shaped input with a record that cannot be read: the
		// others are handled, this one must not be dropped.
		d.Metrics.Add(metrics.Errors, float64(len(batch.Errors)))
		return &MalformedEventError{Err: batch.Errors[0]}
	}
	return nil
}

func (d *Detector) handleChange(ctx context.Context, c drift.Change) error {
	if handled, err := d.handleTamper(ctx, c); handled { // tamper.go
		return err
	}
	if c.Kind() == drift.KindBaseline {
		// Judged from the object's own versions, whatever the baseline
		// in force says (it may be the very version being judged).
		return d.handleBaselineWrite(ctx, c)
	}
	ix, err := d.baselineOf(ctx, c.Event.Account)
	var f drift.Finding
	if err != nil {
		d.Metrics.Add(metrics.BaselineErrors, 1)
		d.Log.ErrorContext(ctx, "baseline unusable: recording the change unjudged", "eventId", c.Event.ID, "error", err)
		f = drift.Unjudged(c, err.Error())
	} else {
		ev := d.evaluator(ix)
		f = ev.Evaluate(c)
		// Only drift needs the live state: it decides whether a revert is
		// still due. Compliant changes cost no API call, and neither do
		// Identity Center's, which are reported and never reverted: the
		// detector holds no Identity Center client.
		if c.Kind() == drift.KindAwsAuth {
			if f, err = d.judgeAwsAuth(ctx, ev, c); err != nil {
				return err
			}
		} else if why := d.Regions.Outside(c); why != "" && f.Drift && f.Decision != drift.DecisionRemediation {
			f = outsideRegions(f, why)
			d.Log.WarnContext(ctx, "change from outside the deployment's regions: recorded, not confirmed, not reverted", "eventId", c.Event.ID,
				"account", c.Event.Account, "region", c.Event.Region)
		} else if f.Drift && f.Decision != drift.DecisionRemediation && c.Kind().Service() != drift.ServiceSSO {
			rd, err := d.readerIn(ctx, c)
			var refused *drift.AccountError
			switch {
			case errors.As(err, &refused):
				f = unconfirmed(f, refused)
				d.Log.WarnContext(ctx, "live state not read: recorded unconfirmed, not reverted", "eventId", c.Event.ID,
					"account", c.Event.Account, "error", err)
			case err != nil:
				return fmt.Errorf("detect: live state of %s %s in account %s: %w", c.Kind(), c.Resource.Key(), c.Event.Account, err)
			default:
				obs, err := rd.Observe(ctx, c)
				if err != nil {
					return fmt.Errorf("detect: live state of %s %s: %w", c.Kind(), c.Resource.Key(), err)
				}
				f = ev.Confirm(f, c, obs)
			}
		}
	}
	switch {
	case f.Decision == drift.DecisionRemediation:
		d.Metrics.Add(metrics.Remediations, 1)
	case f.Drift:
		d.Metrics.Add(driftMetric[f.Severity], 1)
	default:
		d.Metrics.Add(metrics.Compliant, 1)
	}
	return d.deliver(ctx, f)
}

var driftMetric = map[drift.Severity]string{
	drift.SeverityCritical: metrics.DriftCritical,
	drift.SeverityHigh:     metrics.DriftHigh,
	drift.SeverityMedium:   metrics.DriftMedium,
	drift.SeverityLow:      metrics.DriftLow,
	drift.SeverityInfo:     metrics.DriftLow,
}

// reader is the reader of the service that holds the change's kind: the
// kind decides, not the event source the record claims.
func (d *Detector) reader(c drift.Change) drift.StateReader {
	if c.Kind().Service() == drift.ServiceIAM {
		return d.IAM
	}
	return d.EKS
}

// Defaults of the publication claim. The stack gives the detector a 30 s
// timeout, and Lambda retries a failed asynchronous invocation a minute or
// more later.
const (
	DefaultPublishLease = time.Minute
	DefaultClaimWait    = 5 * time.Second
	claimPoll           = 50 * time.Millisecond
)

// deliver records the finding once and publishes it once. A redelivered
// event finds its finding already recorded and notified and does nothing; a
// finding recorded but not yet notified (the function died in between) is
// published again from the record.
//
// Deliveries of one event can also run at the same instant (EventBridge and
// Lambda deliver at least once): each reads "not recorded", and a check
// followed by a publish would publish once per delivery. So only the
// delivery that wins the finding's publication claim, a conditional write
// in the history, publishes; the others wait for it to mark the finding
// notified and count as duplicates. A holder whose publish fails releases
// the claim; one that dies keeps it until PublishLease has passed.
func (d *Detector) deliver(ctx context.Context, f drift.Finding) error {
	id := f.ID()
	stored, found, err := d.History.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("detect: reading history for %s: %w", id, err)
	}
	switch {
	case found && stored.NotifiedAt != nil:
		return d.duplicate(ctx, id)
	case found:
		f = stored
	default:
		n, err := d.History.Record(ctx, []drift.Finding{f})
		if err != nil {
			return fmt.Errorf("detect: recording %s: %w", id, err)
		}
		if n == 0 {
			// Another delivery recorded it first: publish what the history
			// holds, not this delivery's reading of the live state.
			if stored, found, err = d.History.Get(ctx, id); err != nil {
				return fmt.Errorf("detect: reading history for %s: %w", id, err)
			}
			if found {
				f = stored
			}
		}
	}
	holder, won, err := d.claim(ctx, id)
	if err != nil || !won {
		return err
	}
	if err := d.Publisher.Publish(ctx, f); err != nil {
		if rerr := d.History.ReleasePublication(ctx, id, holder); rerr != nil {
			d.Log.WarnContext(ctx, "publication claim not released: a retry waits for it to go stale", "findingId", id, "error", rerr)
		}
		return fmt.Errorf("detect: publishing %s: %w", id, err)
	}
	if err := d.History.MarkNotified(ctx, id, d.now()); err != nil {
		return fmt.Errorf("detect: marking %s published: %w", id, err)
	}
	d.Log.InfoContext(ctx, "finding",
		"findingId", id, "eventName", f.EventName, "cluster", f.Cluster, "kind", f.Kind,
		"resource", f.Resource, "drift", f.Drift, "severity", f.Severity, "decision", f.Decision, "actor", f.Actor)
	return nil
}

// claim takes the finding's publication claim and reports whether this
// delivery won it. When another holds it, claim waits for the finding to
// be marked notified (a duplicate: no error) or the claim to be released
// (and tries again); past ClaimWait it gives up with an error, so that
// Lambda delivers the event again.
func (d *Detector) claim(ctx context.Context, id string) (holder string, won bool, err error) {
	holder = newHolder()
	lease, wait := d.PublishLease, d.ClaimWait
	if lease <= 0 {
		lease = DefaultPublishLease
	}
	if wait <= 0 {
		wait = DefaultClaimWait
	}
	deadline := time.Now().Add(wait)
	for {
		now := d.now()
		won, err := d.History.ClaimPublication(ctx, id, holder, now, now.Add(-lease))
		if err != nil {
			return "", false, fmt.Errorf("detect: claiming the publication of %s: %w", id, err)
		}
		if won {
			return holder, true, nil
		}
		stored, found, err := d.History.Get(ctx, id)
		switch {
		case err != nil:
			return "", false, fmt.Errorf("detect: reading history for %s: %w", id, err)
		case !found:
			return "", false, fmt.Errorf("detect: %s is not in the history it was just recorded in", id)
		case stored.NotifiedAt != nil:
			return "", false, d.duplicate(ctx, id)
		case time.Now().After(deadline):
			return "", false, fmt.Errorf("detect: %s is being published by another delivery, still unmarked after %v: retry", id, wait)
		}
		select {
		case <-ctx.Done():
			return "", false, fmt.Errorf("detect: waiting to publish %s: %w", id, ctx.Err())
		case <-time.After(claimPoll):
		}
	}
}

func (d *Detector) duplicate(ctx context.Context, id string) error {
	d.Metrics.Add(metrics.Duplicates, 1)
	d.Log.InfoContext(ctx, "duplicate event: already recorded and published", "findingId", id)
	return nil
}

// newHolder names one delivery's claim.
func newHolder() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (d *Detector) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// IsMalformed reports whether err means the event itself is unreadable.
func IsMalformed(err error) bool {
	var m *MalformedEventError
	return errors.As(err, &m)
}
