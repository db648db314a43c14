// Package reconcile is the scheduled second look at the account, for when
// events fail: EventBridge can drop or delay them, a deploy can miss some,
// and a new user has no baseline yet when the changes happen. One run does
// two things, in this order:
//
//  1. Catch-up: it asks CloudTrail (LookupEvents) for the watched calls
//     since the last run's checkpoint and feeds each event the history does
//     not know through the detector, exactly as if EventBridge had
//     delivered it, so the finding is the one the event path would have
//     made (same ID: never twice).
//  2. Sweep: it reads the full live state of the baseline's clusters,
//     roles and users, records a finding (detectedBy "sweep") for every drift that has
//     no open finding, and closes open findings whose resource is now as the
//     baseline wants (fixed outside eksdrift).
//
// The catch-up runs first so that a missed event is recorded with its actor
// before the sweep would record the same drift without one.
//
// It depends only on the small interfaces it declares; functions/reconcile
// wires the AWS adapters into them.
package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// History is what a run needs of the history store.
type History interface {
	Query(ctx context.Context, q drift.HistoryQuery) ([]drift.Finding, error)
	Get(ctx context.Context, id string) (drift.Finding, bool, error)
}

// Detector is the event path: Handle judges, records and publishes an
// event's changes; Deliver records and publishes one finding, once.
type Detector interface {
	Handle(ctx context.Context, event json.RawMessage) error
	Deliver(ctx context.Context, f drift.Finding) error
}

// Lookup returns the CloudTrail records of the events named eventName in a
// region between from and to.
type Lookup func(ctx context.Context, region, eventName string, from, to time.Time) ([]json.RawMessage, error)

// Checkpoints keep how far the catch-up got, across processes.
type Checkpoints interface {
	Checkpoint(ctx context.Context, name string) (time.Time, bool, error)
	SetCheckpoint(ctx context.Context, name string, t time.Time) error
}

// CheckpointName is the catch-up's checkpoint.
const CheckpointName = "catchup"

// Defaults for the catch-up window.
const (
	// DefaultOverlap is how far before the checkpoint a run looks again:
	// CloudTrail makes an event visible to LookupEvents up to about 15
	// minutes after it happened, so the last run may not have seen it.
	DefaultOverlap = 20 * time.Minute
	// DefaultFirstLookback is how far back the first run looks.
	DefaultFirstLookback = 24 * time.Hour
	// IAMRegion is where CloudTrail records IAM's (global) events.
	IAMRegion = "us-east-1"
)

// Reconciler runs the catch-up and the sweep. It is safe for one run at a
// time; runs that overlap are harmless (every finding has one ID) but
// wasteful.
type Reconciler struct {
	// Baseline gives the current baseline; without one the sweep cannot
	// judge and fails, while the catch-up still feeds events to the
	// detector, which records them unjudged.
	Baseline func(ctx context.Context) (*drift.Index, error)
	// BaselineFor, when set, gives a member account's baseline (the shared
	// one merged with the account's own file) for the fan-out's judging
	// (accountbaselines.go); nil judges every member against Baseline.
	BaselineFor func(ctx context.Context, account string) (*drift.Index, error)
	// Account is the account the credentials reach (the home account):
	// without Members, only its clusters, roles and users are swept; with
	// them, its targets are swept with the members', once, through
	// ScannerFor(Account), which the wiring answers with the function's
	// own credentials (no role assumed) and a call budget of its own.
	Account  string
	Scanner  *scan.Scanner
	History  History
	Detector Detector

	Lookup Lookup
	// MemberLookup, when set, gives each of Members' LookupEvents, through
	// its read role (members.go): the catch-up looks there too.
	MemberLookup MemberLookup
	Checkpoints  Checkpoints
	// Regions are where EKS events are looked up, besides the regions of
	// the baseline's clusters (the function's own region, typically).
	Regions []string
	// TamperRegions are where the tamper calls (on eksdrift's own
	// deployment and its trail, cloudtrail.TamperLookupNames) are looked
	// up: the deployment's region. None: they are not looked up. The
	// detector judges them as it judges live events, with its Deployment.
	TamperRegions []string
	Overlap       time.Duration // 0: DefaultOverlap
	FirstLookback time.Duration // 0: DefaultFirstLookback
	// Remediators are the reverter's roles, as for the detector.
	Remediators []string
	// Grace is how long drift the sweep is the first to see is left to the
	// event path before it may be reverted (0: drift.DefaultSweepGrace;
	// negative: none). RetryFailedAfter is how long after a failed revert
	// the drift is offered to the reverter again (0: the default).
	Grace            time.Duration
	RetryFailedAfter time.Duration

	// Members are the member accounts the sweep fans out over, each read
	// through ScannerFor, as Account is then; empty, the sweep reads
	// Account with Scanner.
	// SweepRegions, when set, are the only regions swept. AccountParallel
	// targets are read at once (0: DefaultAccountParallel). Progress keeps
	// the round between invocations (nil: every invocation sweeps every
	// target); Margin is how long before ctx's deadline no target is
	// started (0: a minute). Now is the clock (nil: time.Now).
	Members []string
	// ListMembers, when set, gives at each sweep more member accounts to
	// fan out over (an organization's accounts under its OUs), merged
	// with Members. Its error is reported in the sweep's Unread (what:
	// UnreadOrganization) and does not stop the accounts it did give, or
	// Members, from being swept.
	ListMembers     func(ctx context.Context) ([]string, error)
	SweepRegions    []string
	ScannerFor      ScannerFor
	AccountParallel int
	Progress        SweepProgress
	Margin          time.Duration
	Now             func() time.Time

	// Metrics and Log may be nil: nothing is counted or logged.
	Metrics *metrics.Set
	Log     *slog.Logger
}

// Report is what one run did.
type Report struct {
	At time.Time `json:"at"`
	// CatchUp is nil when the catch-up is off.
	CatchUp *CatchUpReport `json:"catchUp,omitempty"`
	Sweep   SweepReport    `json:"sweep"`
}

// CatchUpReport is what the catch-up did.
type CatchUpReport struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Calls   int       `json:"lookups"`
	Events  int       `json:"events"`
	Known   int       `json:"known"`
	Ignored int       `json:"ignored"`
	New     int       `json:"new"`
	// Malformed events cannot be read; they are logged and passed over,
	// since asking again will not make them readable.
	Malformed int `json:"malformed"`
	// Unread are the member accounts (and regions) whose events could not
	// be looked up: their role could not be assumed, or LookupEvents
	// failed. The others are caught up; an unread member's window is
	// looked at again next time (its checkpoint stays).
	Unread []Unread `json:"unread,omitempty"`
}

// SweepReport is what the sweep did.
type SweepReport struct {
	Clusters int `json:"clusters"`
	Roles    int `json:"roles"`
	// Users are the declared IAM users read (those gone included).
	Users int `json:"users"`
	// NotFound are declared clusters that do not exist.
	NotFound []string `json:"notFound,omitempty"`
	// Elsewhere are declared in other accounts and not read.
	ElsewhereClusters int `json:"elsewhereClusters"`
	ElsewhereRoles    int `json:"elsewhereRoles"`
	ElsewhereUsers    int `json:"elsewhereUsers"`
	Drift             int `json:"drift"`
	AlreadyOpen       int `json:"alreadyOpen"`
	Recorded          int `json:"recorded"`
	Resolved          int `json:"resolved"`
	// Rejudged are open findings given a new decision (break-glass
	// expired, a mode switched, grace passed, a failed revert retried).
	Rejudged int `json:"rejudged"`
	Errors   int `json:"errors"`

	// The fan-out over member accounts (Members set) adds these; a sweep of
	// one account leaves them out. Accounts and Targets are what this
	// invocation read, Remaining what it left to the next (out of time),
	// Round when the round it continues started, and Unread what it could
	// not read (account, region, what, why).
	Accounts  int        `json:"accounts,omitempty"`
	Targets   int        `json:"targets,omitempty"`
	Remaining int        `json:"remaining,omitempty"`
	Round     *time.Time `json:"round,omitempty"`
	Resumed   bool       `json:"resumed,omitempty"`
	Unread    []Unread   `json:"unread,omitempty"`
}

// defaults fills in what a caller may leave out.
func (r *Reconciler) defaults() {
	if r.Metrics == nil {
		r.Metrics = &metrics.Set{}
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
}

// Run catches up, then sweeps, at time at: the scheduled event's time, so a
// retried invocation of the same schedule makes the same sweep findings.
// Both halves run even when the other fails; the error joins theirs.
func (r *Reconciler) Run(ctx context.Context, at time.Time) (Report, error) {
	at = at.UTC().Truncate(time.Second)
	rep := Report{At: at}
	var errs []error
	var err error
	if r.Lookup != nil {
		cu, err := r.CatchUp(ctx, at)
		rep.CatchUp = &cu
		if err != nil {
			errs = append(errs, err)
		}
	}
	if rep.Sweep, err = r.Sweep(ctx, at); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// CatchUp looks up the watched events from the checkpoint (less the
// overlap) to now, feeds those the history does not know through the
// detector, oldest first, and moves the checkpoint to now. On an error the
// checkpoint stays, and the next run looks at the same window again.
func (r *Reconciler) CatchUp(ctx context.Context, now time.Time) (CatchUpReport, error) {
	r.defaults()
	var rep CatchUpReport
	cp, found, err := r.Checkpoints.Checkpoint(ctx, CheckpointName)
	if err != nil {
		return rep, fmt.Errorf("catch-up: %w", err)
	}
	rep.To = now.UTC()
	if found {
		rep.From = cp.Add(-cmpOr(r.Overlap, DefaultOverlap))
	} else {
		rep.From = rep.To.Add(-cmpOr(r.FirstLookback, DefaultFirstLookback))
	}
	r.Metrics.AddUnit(metrics.CatchUpWindow, rep.To.Sub(rep.From).Seconds(), metrics.Seconds)

	var events []event
	seen := map[string]bool{}
	lookup := func(region, name string) error {
		rep.Calls++
		recs, err := r.Lookup(ctx, region, name, rep.From, rep.To)
		if err != nil {
			return err
		}
		events = appendNew(events, seen, recs)
		return nil
	}
	for _, region := range r.eksRegions(ctx) {
		for _, name := range cloudtrail.WatchedEventNames(cloudtrail.SourceEKS) {
			if err := lookup(region, name); err != nil {
				return rep, fmt.Errorf("catch-up: %w", err)
			}
		}
	}
	for _, name := range cloudtrail.WatchedEventNames(cloudtrail.SourceIAM) {
		if err := lookup(IAMRegion, name); err != nil {
			return rep, fmt.Errorf("catch-up: %w", err)
		}
	}
	// Tamper calls are looked up one name at a time too; Lookup paces the
	// calls of one region (two a second, what CloudTrail allows).
	tamperRegions := slices.Clone(r.TamperRegions)
	slices.Sort(tamperRegions)
	for _, region := range slices.Compact(tamperRegions) {
		for _, name := range cloudtrail.TamperLookupNames() {
			if err := lookup(region, name); err != nil {
				return rep, fmt.Errorf("catch-up: %w", err)
			}
		}
	}
	// The members', through their read roles (members.go).
	members := r.memberCatchUp(ctx, rep.To, &rep)
	for _, m := range members {
		events = appendNew(events, seen, m.records)
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	rep.Events = len(events)
	r.Metrics.Add(metrics.CatchUpEvents, float64(len(events)))

	for _, ev := range events {
		state, err := r.known(ctx, ev.raw)
		if err != nil {
			return rep, fmt.Errorf("catch-up: %w", err)
		}
		switch state {
		case known:
			rep.Known++
			continue
		case nothing:
			rep.Ignored++
			continue
		}
		if err := r.Detector.Handle(ctx, ev.raw); err != nil {
			if detect.IsMalformed(err) {
				rep.Malformed++
				r.Log.ErrorContext(ctx, "catch-up: event cannot be read; passed over", "eventId", ev.id, "error", err)
				continue
			}
			return rep, fmt.Errorf("catch-up: event %s: %w", ev.id, err)
		}
		rep.New++
		r.Log.InfoContext(ctx, "catch-up: event the history did not know", "eventId", ev.id, "eventTime", ev.at)
	}
	r.Metrics.Add(metrics.CatchUpKnown, float64(rep.Known))
	r.Metrics.Add(metrics.CatchUpNew, float64(rep.New))
	if err := r.Checkpoints.SetCheckpoint(ctx, CheckpointName, rep.To); err != nil {
		// Another run got further: it covers this window too.
		r.Log.WarnContext(ctx, "catch-up: checkpoint not moved", "error", err)
	}
	r.memberCheckpoints(ctx, members, rep.To)
	r.Log.InfoContext(ctx, "catch-up done", "from", rep.From, "to", rep.To, "lookups", rep.Calls, "events", rep.Events,
		"known", rep.Known, "new", rep.New, "ignored", rep.Ignored, "malformed", rep.Malformed, "unread", len(rep.Unread))
	return rep, nil
}

// eksRegions are where EKS events are looked up: the configured regions and
// those of the baseline's clusters in the account.
func (r *Reconciler) eksRegions(ctx context.Context) []string {
	regions := slices.Clone(r.Regions)
	if ix, err := r.Baseline(ctx); err == nil {
		regions = append(regions, scan.BaselineTargets(ix.Baseline, r.Account).Regions()...)
	}
	slices.Sort(regions)
	return slices.Compact(regions)
}

type eventState int

const (
	unknown eventState = iota
	known              // every finding it makes is recorded and published
	nothing            // it changes no access (failed, read-only, ...)
)

// known tells whether the history has every finding an event makes,
// published. Its finding IDs are computed from the record, as the detector
// computes them, without judging it: a known event costs no live-state
// read.
func (r *Reconciler) known(ctx context.Context, raw json.RawMessage) (eventState, error) {
	batch, err := cloudtrail.Decode(raw)
	if err != nil || len(batch.Errors) > 0 {
		return unknown, nil // the detector reports it
	}
	changes := 0
	for i := range batch.Records {
		cs, ignored, err := cloudtrail.Changes(&batch.Records[i])
		if err != nil {
			return unknown, nil
		}
		if ignored != "" {
			continue
		}
		for _, c := range cs {
			changes++
			id := drift.Finding{EventID: c.Event.ID, Kind: c.Kind(), Cluster: c.Cluster, Resource: c.Resource.Key()}.ID()
			f, found, err := r.History.Get(ctx, id)
			if err != nil {
				return unknown, err
			}
			if !found || f.NotifiedAt == nil {
				return unknown, nil
			}
		}
	}
	if changes == 0 {
		return nothing, nil
	}
	return known, nil
}

// Sweep reads the baseline's clusters, roles and users in the account,
// judges them, and records what the history lacks: new drift and
// resolutions. Clusters, roles and users that cannot be read are left out of this sweep (none of their
// findings is resolved) and make the sweep fail after the others are done.
//
// With Members set (or ListMembers), the sweep fans out over the member
// accounts and Account (see sweepMembers); without, it reads the one
// Account with Scanner, as it always has.
func (r *Reconciler) Sweep(ctx context.Context, at time.Time) (SweepReport, error) {
	r.defaults()
	var rep SweepReport
	ix, err := r.Baseline(ctx)
	if err != nil {
		r.Metrics.Add(metrics.BaselineErrors, 1)
		return rep, fmt.Errorf("sweep: no baseline to judge against: %w", err)
	}
	ev := drift.NewEvaluator(ix).WithRemediators(r.Remediators...)
	if len(r.Members) > 0 || r.ListMembers != nil {
		return r.sweepMembers(ctx, at, ix, ev)
	}
	targets := scan.BaselineTargets(ix.Baseline, r.Account)
	users, elsewhereUsers := scan.BaselineUsers(ix.Baseline, r.Account)
	rep.ElsewhereClusters, rep.ElsewhereRoles, rep.ElsewhereUsers = targets.ElsewhereClusters, targets.ElsewhereRoles, elsewhereUsers
	errs, err := r.sweepTargets(ctx, at, ix, ev, r.Scanner, targets, users, &rep)
	if err != nil {
		return rep, err
	}
	r.Log.InfoContext(ctx, "sweep done", "at", at, "clusters", rep.Clusters, "roles", rep.Roles, "users", rep.Users, "drift", rep.Drift,
		"alreadyOpen", rep.AlreadyOpen, "recorded", rep.Recorded, "resolved", rep.Resolved, "rejudged", rep.Rejudged, "errors", rep.Errors)
	if len(errs) > 0 {
		return rep, fmt.Errorf("sweep: %d clusters, roles or users could not be read: %w", len(errs), errors.Join(errs...))
	}
	return rep, nil
}

// sweepTargets reads targets and the declared users (ARNs) with scanner,
// judges them and delivers what
// the history lacks, adding to rep. It returns the reads that failed, and
// an error when the history or the detector did (the sweep of these
// targets is then incomplete).
func (r *Reconciler) sweepTargets(ctx context.Context, at time.Time, ix *drift.Index, ev *drift.Evaluator, scanner *scan.Scanner,
	targets scan.Targets, userARNs []string, rep *SweepReport) ([]error, error) {
	scanner.Expect(len(targets.Clusters), len(targets.Roles))
	scanner.ExpectUsers(len(userARNs))
	clusters, errs := scanner.Clusters(ctx, targets.Clusters)
	roles, roleErrs := scanner.Roles(ctx, targets.Roles)
	users, userErrs := scanner.Users(ctx, userARNs)
	errs = append(append(errs, roleErrs...), userErrs...)
	rep.Errors += len(errs)
	r.Metrics.Add(metrics.ScanErrors, float64(len(errs)))
	for _, err := range errs {
		r.Log.ErrorContext(ctx, "sweep: cannot read", "error", err)
	}

	var (
		scope   drift.SweepScope
		judged  []drift.Finding
		history []drift.Finding
	)
	for _, cs := range clusters {
		if !cs.Found {
			rep.NotFound = append(rep.NotFound, cs.Region+"/"+cs.Name)
			r.Log.WarnContext(ctx, "sweep: declared cluster not found", "cluster", cs.Name, "region", cs.Region)
			continue
		}
		rep.Clusters++
		scope.AddCluster(cs)
		js := ev.SweepCluster(at, cs)
		judged = slices.Grow(judged, len(js))
		for _, j := range js {
			judged = append(judged, j.Finding)
		}
		fs, err := r.History.Query(ctx, drift.HistoryQuery{Cluster: cs.Name})
		if err != nil {
			return errs, fmt.Errorf("sweep: history of cluster %s: %w", cs.Name, err)
		}
		history = append(history, fs...)
	}
	for _, rs := range roles {
		rep.Roles++
		scope.AddRole(rs)
		for _, j := range ev.SweepRole(at, rs) {
			judged = append(judged, j.Finding)
		}
		rb, ok := ix.Role(rs.Account, rs.Name)
		if !ok {
			continue
		}
		fs, err := r.History.Query(ctx, drift.HistoryQuery{Principal: rb.ARN})
		if err != nil {
			return errs, fmt.Errorf("sweep: history of role %s: %w", rb.ARN, err)
		}
		for _, f := range fs {
			if f.Cluster == "" { // the role's own findings, not its access to clusters
				history = append(history, f)
			}
		}
	}
	for _, us := range users {
		rep.Users++
		scope.AddUser(us)
		for _, j := range ev.SweepUser(at, us) {
			judged = append(judged, j.Finding)
		}
		fs, err := r.userHistory(ctx, ix, us)
		if err != nil {
			return errs, err
		}
		history = append(history, fs...)
	}
	r.Metrics.Add(metrics.ClustersScanned, float64(rep.Clusters))
	r.Metrics.Add(metrics.RolesScanned, float64(rep.Roles))
	r.Metrics.Add(metrics.UsersScanned, float64(rep.Users))

	open := drift.OpenDrift(history)
	drifting := map[string]bool{}
	for _, f := range judged {
		if f.Drift {
			rep.Drift++
			drifting[drift.DriftKey(f)] = true
			if _, ok := open[drift.DriftKey(f)]; ok {
				rep.AlreadyOpen++
			}
		}
	}
	grace := cmpOr(r.Grace, drift.DefaultSweepGrace)
	if r.Grace < 0 {
		grace = 0
	}
	found := drift.HoldForGrace(ev.Reconcile(at, judged, open, scope), grace)
	rejudged := ev.Rejudge(at, open, drifting, grace, cmpOr(r.RetryFailedAfter, drift.DefaultRetryFailedAfter))
	rep.Rejudged = len(rejudged)
	for _, f := range rejudged {
		r.Log.InfoContext(ctx, "sweep: open drift re-judged", "findingId", f.ID(), "decision", f.Decision, "reason", f.Reason)
	}
	for _, f := range append(found, rejudged...) {
		if err := r.Detector.Deliver(ctx, f); err != nil {
			return errs, fmt.Errorf("sweep: %w", err)
		}
		if f.Drift {
			rep.Recorded++ // re-judged findings too: each is a new record
		} else {
			rep.Resolved++
		}
	}
	r.Metrics.Add(metrics.SweepDrift, float64(rep.Recorded))
	r.Metrics.Add(metrics.SweepOpen, float64(rep.AlreadyOpen))
	r.Metrics.Add(metrics.SweepResolved, float64(rep.Resolved))
	return errs, nil
}

// userHistory is the history of a declared user's own credentials and
// permissions (not its access to clusters, which is the clusters'). An
// event names a user without its path, the baseline and the live read
// with it: the findings are looked up under each ARN, once each.
func (r *Reconciler) userHistory(ctx context.Context, ix *drift.Index, us drift.UserState) ([]drift.Finding, error) {
	principals := []string{us.ARN, "arn:aws:iam::" + us.Account + ":user/" + us.Name}
	if ub, ok := ix.User(us.Account, us.Name); ok {
		principals = append(principals, ub.ARN)
	}
	slices.Sort(principals)
	var out []drift.Finding
	seen := map[string]bool{}
	for _, p := range slices.Compact(principals) {
		fs, err := r.History.Query(ctx, drift.HistoryQuery{Principal: p})
		if err != nil {
			return nil, fmt.Errorf("sweep: history of user %s: %w", p, err)
		}
		for _, f := range fs {
			if f.Cluster == "" && f.Kind == drift.KindUser && !seen[f.ID()] {
				seen[f.ID()] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
