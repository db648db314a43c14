// Package revert is the reverter's use case: a finding whose decision is
// revert (or dry-run) comes in; the reverter re-reads the baseline and the
// live state, plans the calls that move the resource back to the baseline,
// checks its guardrails, makes the calls with retries, and records and
// publishes what it did. Security teams turn it on only if they can trust
// it, so every guardrail says, in the outcome, why it held.
package revert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// History is what the reverter needs of the history store. It never
// records a finding: it acts only on one the detector or the sweep
// recorded, so that a message it cannot trace to its own records changes
// nothing.
type History interface {
	Get(ctx context.Context, id string) (drift.Finding, bool, error)
	SetOutcome(ctx context.Context, id string, o drift.RevertOutcome) error
	Query(ctx context.Context, q drift.HistoryQuery) ([]drift.Finding, error)
}

// Leases serialise the reverter's work on one scope (a cluster, or one
// account's IAM roles), and keep the circuit breaker's counts per scope.
// The history table's store implements them with conditional writes.
type Leases interface {
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, owner string) error
	RecentReverts(ctx context.Context, scope string, since time.Time) (int, error)
	NoteRevert(ctx context.Context, scope string, at, keepSince time.Time) error
}

// Versions tells when the baseline in force came into force, and gives the
// version before it (nil when there was none), for the hold-down.
type Versions func(ctx context.Context, current *drift.Index) (since time.Time, previous *drift.Index, err error)

// ErrBusy is returned when another reverter holds the lease on the
// finding's cluster or account: the message comes back later.
var ErrBusy = errors.New("another revert holds the lease on this scope")

// ErrRetry wraps a revert that failed for a reason that may pass
// (throttling, a service error, a timeout): the outcome is recorded, and the
// message comes back to be tried again.
var ErrRetry = errors.New("the revert failed for a reason that may pass")

// Applier makes one operation's call.
type Applier interface {
	Apply(ctx context.Context, op drift.Operation) error
}

// Admins lists who holds cluster-admin on a whole cluster.
type Admins interface {
	ClusterAdmins(ctx context.Context, region, cluster string) ([]string, error)
}

// Publisher sends what the reverter did to the findings topic.
type Publisher interface {
	PublishOutcome(ctx context.Context, o drift.Outcome) error
}

// Reverter undoes drift findings. Its zero values for the guardrail
// settings are safe defaults (see Defaults).
type Reverter struct {
	Baseline func(ctx context.Context) (*drift.Index, error)
	// Readers observe the live state: EKS kinds by EKS, IAM kinds by IAM.
	EKS, IAM drift.StateReader
	// Writers apply operations: eks: actions by EKS, iam: actions by IAM.
	EKSWriter, IAMWriter Applier
	Admins               Admins
	// Accounts, when set, gives the readers, writers and admin lister of
	// the account a finding is in (accounts.go): an organization
	// deployment, acting through each member's revert role. nil acts with
	// the fields above, the single-account path.
	Accounts func(ctx context.Context, account string) (Clients, error)
	// BaselineFor, when set, gives the baseline of a finding's account;
	// nil re-judges every finding against Baseline.
	BaselineFor func(ctx context.Context, account string) (*drift.Index, error)
	// Regions are the deployment's regions: a finding from outside them is
	// never reverted (a critical skip), and no client is made for it. The
	// zero value checks nothing.
	Regions drift.RegionSet
	History History
	// Leases is required: without it nothing is reverted.
	Leases Leases
	// Approvals, when set, lets HandleApproved act on reverts asked for
	// with Slack's Revert now button.
	Approvals Approvals
	Publisher Publisher
	Log       *slog.Logger
	// Metrics, when set, counts outcomes by result.
	Metrics *metrics.Set

	// By names who performs the reverts in outcomes (the function and role).
	By string
	// BreakerLimit reverts on one cluster (or, for IAM, one account) within
	// BreakerWindow open the circuit breaker: no more reverts there until
	// the window has passed, and a critical alert says so.
	BreakerLimit  int
	BreakerWindow time.Duration
	// Attempts is how many times an operation is tried; Backoff the first
	// wait between tries, doubled each time.
	Attempts int
	Backoff  time.Duration
	// ReadBackAttempts is how many times the live state is read back after
	// the calls before the revert is declared failed: IAM is eventually
	// consistent, and a read just after a write may not show it.
	ReadBackAttempts int
	// LeaseTTL bounds how long a lease is held if the reverter dies
	// holding it; it must exceed the function's timeout.
	LeaseTTL time.Duration

	// HoldDown is how long a baseline version must have been in force
	// before the reverter grants, to restore it, anything the version
	// before it did not grant (zero: Defaults.HoldDown; negative: off). A
	// write to the baseline alone must never give someone access.
	HoldDown time.Duration
	// Versions gives the previous baseline version; without it, every grant
	// counts as new and waits out the hold-down.
	Versions Versions
	// AllowGrantingAdmin lets the reverter restore admin grants (the
	// policies in drift.ReverterDeniedManagedPolicies and
	// drift.ReverterDeniedAccessPolicies); the stack denies them otherwise,
	// and the reverter holds them back rather than fail.
	AllowGrantingAdmin bool
	// Owner names this reverter in leases; a random one when empty.
	Owner string

	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults are the guardrail settings used where a field is zero.
var Defaults = struct {
	BreakerLimit     int
	BreakerWindow    time.Duration
	Attempts         int
	Backoff          time.Duration
	ReadBackAttempts int
	LeaseTTL         time.Duration
	HoldDown         time.Duration
}{BreakerLimit: 5, BreakerWindow: 10 * time.Minute, Attempts: 4, Backoff: 500 * time.Millisecond,
	ReadBackAttempts: 5, LeaseTTL: 5 * time.Minute, HoldDown: time.Hour}

// Handle reverts one finding. It acts on the finding as the history holds
// it, never on the message alone: a finding the history does not hold is
// logged and changes nothing. Work on one cluster (or one account's IAM
// roles) is serialised by a lease, so that guards checked before acting
// still hold when the calls are made. It returns an error when the
// message should come back: the lease is busy (ErrBusy), the revert failed
// for a reason that may pass (ErrRetry), or the outcome could not be
// recorded or published. Every other outcome, revert-failed included, is
// recorded and published, never dropped.
func (r *Reverter) Handle(ctx context.Context, msg drift.Finding) error {
	return r.handle(ctx, msg.ID(), msg, "")
}

// Approvals are what the reverter needs for a revert asked for with a
// Slack button: the approval the interaction endpoint wrote, consumed once.
// The history table's store implements it.
type Approvals interface {
	ConsumeApproval(ctx context.Context, id string, at time.Time) (drift.Approval, bool, error)
}

// HandleApproved reverts the finding a person asked for with Slack's
// Revert now button. The request is only names: the reverter acts only
// when the history holds both the finding and an approval that names the
// same finding, has not expired and was never consumed; it consumes it
// under the scope's lease, so a forged or replayed request changes nothing.
// Every guardrail of Handle holds (break-glass, the last cluster-admin,
// newer changes, the hold-down, the breaker, the baseline in force), and a
// finding whose decision was alert is reverted as if its mode were revert;
// one in dry-run stays a dry run.
func (r *Reverter) HandleApproved(ctx context.Context, req drift.RevertRequest) error {
	if r.Approvals == nil {
		r.Log.WarnContext(ctx, "an approved revert request, but no approval store is configured: nothing done", "findingId", req.FindingID)
		return nil
	}
	if req.ApprovalID == "" || req.FindingID == "" {
		r.Log.WarnContext(ctx, "a revert request without an approval or a finding: nothing done", "approvalId", req.ApprovalID, "findingId", req.FindingID)
		return nil
	}
	return r.handle(ctx, req.FindingID, drift.Finding{}, req.ApprovalID)
}

// refuse logs why a message changes nothing and counts it as skipped.
func (r *Reverter) refuse(ctx context.Context, why, id string, args ...any) {
	r.Log.WarnContext(ctx, why, append([]any{"findingId", id}, args...)...)
	if r.Metrics != nil {
		r.Metrics.Add(metrics.RevertSkipped, 1)
	}
}

// handle acts on the recorded finding id; approvalID, when set, names the
// approval that must be consumed before acting.
func (r *Reverter) handle(ctx context.Context, id string, msg drift.Finding, approvalID string) error {
	start := r.now()
	f, found, err := r.History.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("revert: reading history for %s: %w", id, err)
	}
	if !found {
		r.refuse(ctx, "finding not in the history: a forged or stray message, nothing done", id,
			"eventName", msg.EventName, "actor", msg.Actor, "approvalId", approvalID)
		return nil
	}
	done := handled
	if approvalID != "" {
		done = settled
	}
	if done(f) {
		r.Log.InfoContext(ctx, "already handled", "findingId", id, "result", f.Outcome.Result)
		return nil // a redelivered message
	}
	if r.Leases == nil {
		return fmt.Errorf("revert: %s: no lease store configured, so nothing is reverted", id)
	}
	scope := scopeOf(f)
	owner := r.owner()
	ttl := cmpOr(r.LeaseTTL, Defaults.LeaseTTL)
	ok, err := r.Leases.AcquireLease(ctx, scope, owner, ttl)
	if err != nil {
		return fmt.Errorf("revert: %s: %w", id, err)
	}
	if !ok {
		r.Log.InfoContext(ctx, "scope busy: the message comes back later", "findingId", id, "scope", scope)
		return fmt.Errorf("revert: %s: %w (%s)", id, ErrBusy, scope)
	}
	defer func() {
		if err := r.Leases.ReleaseLease(context.WithoutCancel(ctx), scope, owner); err != nil {
			r.Log.WarnContext(ctx, "lease not released; it expires by itself", "scope", scope, "error", err)
		}
	}()
	// Read again under the lease: another delivery of the same message may
	// have been handled while this one waited.
	if f, found, err = r.History.Get(ctx, id); err != nil {
		return fmt.Errorf("revert: reading history for %s: %w", id, err)
	} else if !found || done(f) {
		return nil
	}
	var approval *drift.Approval
	if approvalID != "" {
		a, ok, err := r.Approvals.ConsumeApproval(ctx, approvalID, r.now())
		switch {
		case err != nil:
			return fmt.Errorf("revert: %s: reading approval %s: %w", id, approvalID, err)
		case !ok:
			r.refuse(ctx, "no such approval, or it was used already: a forged or replayed request, nothing done", id, "approvalId", approvalID)
			return nil
		case a.FindingID != id:
			r.refuse(ctx, "the approval is for another finding: a forged request, nothing done", id, "approvalId", approvalID, "approvedFinding", a.FindingID)
			return nil
		case !r.now().Before(a.Expires):
			r.refuse(ctx, "the approval has expired: nothing done", id, "approvalId", approvalID, "expired", a.Expires)
			return nil
		}
		approval = &a
	}
	o, retry := r.decide(ctx, f, scope, approval)
	o.Duration = r.now().Sub(start)
	o.At = r.now().UTC()
	o.By = r.By
	if approval != nil {
		o.By += ", approved in Slack by " + approval.Approver
	}
	if err := r.History.SetOutcome(ctx, id, o); err != nil {
		return fmt.Errorf("revert: recording the outcome of %s: %w", id, err)
	}
	if err := r.Publisher.PublishOutcome(ctx, drift.Outcome{FindingID: id, Finding: f, Result: o, At: o.At}); err != nil {
		return fmt.Errorf("revert: publishing the outcome of %s: %w", id, err)
	}
	if r.Metrics != nil {
		r.Metrics.Add(resultMetric[o.Result], 1)
	}
	level := slog.LevelInfo
	if o.Result == drift.ResultRevertFailed {
		level = slog.LevelError
	}
	r.Log.Log(ctx, level, "revert outcome", "findingId", id, "result", o.Result, "operations", o.Operations,
		"reason", o.Reason, "error", o.Error, "attempts", o.Attempts, "duration", o.Duration)
	if retry {
		return fmt.Errorf("revert: %s: %w: %s", id, ErrRetry, o.Error)
	}
	return nil
}

// handled reports whether the reverter is done with a finding: it has an
// outcome, and the outcome is not a failure worth trying again.
func handled(f drift.Finding) bool {
	return f.Outcome != nil && f.Outcome.Result != drift.ResultRevertFailed
}

// settled reports whether a person's request to revert has nothing left to
// do: the finding was reverted, or the live state already matched. An
// outcome that held the revert back may be asked again.
func settled(f drift.Finding) bool {
	return f.Outcome != nil && (f.Outcome.Result == drift.ResultReverted || f.Outcome.Result == drift.ResultAlreadyCompliant)
}

// asIfRevert gives the index of the baseline with every mode alert made
// revert (dry-run stays): what a person's approval lifts. Break-glass, the
// kinds never reverted and a cluster without a declared cluster-admin
// still decide alert.
func asIfRevert(ix *drift.Index) (*drift.Index, error) {
	b := *ix.Baseline
	lift := func(m drift.Mode) drift.Mode {
		if m == drift.ModeAlert {
			return ""
		}
		return m
	}
	if b.Mode != drift.ModeDryRun {
		b.Mode = drift.ModeRevert
	}
	b.Clusters = slices.Clone(b.Clusters)
	for i := range b.Clusters {
		b.Clusters[i].Mode = lift(b.Clusters[i].Mode)
	}
	b.IAMRoles = slices.Clone(b.IAMRoles)
	for i := range b.IAMRoles {
		b.IAMRoles[i].Mode = lift(b.IAMRoles[i].Mode)
	}
	if b.IAMUsers != nil {
		b.IAMUsers = slices.Clone(b.IAMUsers)
		for i := range b.IAMUsers {
			b.IAMUsers[i].Mode = lift(b.IAMUsers[i].Mode)
		}
	}
	return drift.NewIndex(&b)
}

// scopeOf names what a finding's revert is serialised on: its cluster, or
// its account's IAM roles. The same names key the circuit breaker.
func scopeOf(f drift.Finding) string {
	if f.Cluster != "" && isEKS(f.Kind) {
		return "eks/" + f.Account + "/" + f.Region + "/" + f.Cluster
	}
	return "iam/" + f.Account
}

func (r *Reverter) owner() string {
	if r.Owner != "" {
		return r.Owner
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return r.By + "/" + hex.EncodeToString(b)
}

var resultMetric = map[string]string{
	drift.ResultReverted:         metrics.Reverted,
	drift.ResultAlreadyCompliant: metrics.RevertSkipped,
	drift.ResultSkipped:          metrics.RevertSkipped,
	drift.ResultDryRun:           metrics.DryRuns,
	drift.ResultRevertFailed:     metrics.RevertFailed,
	drift.ResultHeldBack:         metrics.RevertSkipped,
}

func skipped(why string) drift.RevertOutcome {
	return drift.RevertOutcome{Result: drift.ResultSkipped, Reason: why, Operations: []string{}}
}

// decide runs the guardrails and, when they all hold, the revert. retry
// says the message should come back: the revert failed for a reason that
// may pass.
func (r *Reverter) decide(ctx context.Context, f drift.Finding, scope string, approval *drift.Approval) (o drift.RevertOutcome, retry bool) {
	if f.Decision != drift.DecisionRevert && f.Decision != drift.DecisionDryRun && (approval == nil || f.Decision != drift.DecisionAlert) {
		return skipped(fmt.Sprintf("the finding's decision is %s, not revert or dry-run", f.Decision)), false
	}
	if f.DetectedBy != drift.DetectedByEvent && f.DetectedBy != drift.DetectedBySweep {
		return skipped(fmt.Sprintf("the finding was recorded by %q, not by the detector or the sweep", f.DetectedBy)), false
	}
	ix, err := r.baselineOf(ctx, f.Account)
	if err != nil {
		// An unreadable baseline never triggers a revert.
		return skipped("the baseline cannot be used, so nothing is reverted: " + err.Error()), false
	}
	change, err := drift.ChangeOf(f)
	if err != nil {
		return skipped("the finding cannot be read back into a change: " + err.Error()), false
	}
	ev := drift.NewEvaluator(ix)
	// Judge again against the baseline in force now: the mode may have
	// changed, a break-glass entry may apply.
	now := ev.Evaluate(change)
	if approval != nil && now.Decision == drift.DecisionAlert {
		lifted, err := asIfRevert(ix)
		if err != nil {
			return skipped("the baseline cannot be read as if its mode were revert: " + err.Error()), false
		}
		ev = drift.NewEvaluator(lifted)
		now = ev.Evaluate(change)
	}
	if now.Decision != drift.DecisionRevert && now.Decision != drift.DecisionDryRun {
		return skipped(fmt.Sprintf("the baseline now decides %s: %s", now.Decision, now.Reason)), false
	}
	if change.Event.Actor.IsAWSService() {
		return skipped("changes made by AWS services are never reverted"), false
	}
	if why := r.Regions.Outside(change); why != "" {
		o := skipped(why + ": never reverted, nothing read or assumed there")
		o.Critical = true
		return o, false
	}
	// Newer changes win: a later change to the same resource (a fix, a
	// break-glass change, another drift with its own finding) is never
	// undone by an older finding delivered late.
	newer, err := r.newerChange(ctx, f)
	if err != nil {
		return failed("cannot check for newer changes to the resource, so nothing is reverted: "+err.Error(), nil, 0), true
	}
	if newer != nil {
		return skipped(fmt.Sprintf("a newer change to %s was recorded (%s by %s at %s, finding %s, decision %s): it wins over this older finding",
			f.Resource, newer.EventName, firstOr(newer.Actor, "the sweep"), newer.EventTime.UTC().Format(time.RFC3339), newer.ID(), newer.Decision)), false
	}
	cl, err := r.clientsIn(ctx, f.Account)
	if err != nil {
		// A refused account, or a revert role that cannot be assumed,
		// fails the same way every time: recorded, not retried.
		return failed("cannot act in account "+f.Account+": "+err.Error(), nil, 0), transient(err)
	}
	reader := cl.reader(change.Kind())
	live, err := reader.Observe(ctx, change)
	if err != nil {
		return failed("cannot read the live state: "+err.Error(), nil, 0), transient(err)
	}
	ops, cannot := ev.Plan(change, live)
	if cannot != "" {
		return skipped(cannot), false
	}
	if len(ops) == 0 {
		return drift.RevertOutcome{Result: drift.ResultAlreadyCompliant, Reason: "the live state already matches the baseline", Operations: []string{}}, false
	}
	names := opNames(ops)
	if why := r.holdBack(ctx, ix, change, live, ops); why != "" {
		return drift.RevertOutcome{Result: drift.ResultHeldBack, Operations: names, Reason: why}, false
	}
	if now.Decision == drift.DecisionDryRun {
		return drift.RevertOutcome{Result: drift.ResultDryRun, Operations: names, Reason: "would revert: " + strings.Join(names, "; ")}, false
	}
	if why, critical := r.guard(ctx, cl, change, scope, ops); why != "" {
		return drift.RevertOutcome{Result: drift.ResultSkipped, Operations: names, Reason: why, Critical: critical}, false
	}
	attempts, err := r.apply(ctx, cl, ops)
	if err != nil {
		return failed(err.Error(), names, attempts), transient(err)
	}
	r.noteRevert(ctx, scope)
	// Check the work: the live state must match the baseline now. IAM is
	// eventually consistent, so a read just after the write is tried again
	// before the revert is called failed.
	left, err := r.readBack(ctx, ev, reader, change)
	switch {
	case err != nil:
		return failed("reverted, but cannot read the live state back: "+err.Error(), names, attempts), transient(err)
	case len(left) > 0:
		return failed("the live state still departs from the baseline after the revert: "+strings.Join(opNames(left), "; "), names, attempts), true
	}
	return drift.RevertOutcome{Result: drift.ResultReverted, Operations: names, Attempts: attempts}, false
}

func failed(why string, ops []string, attempts int) drift.RevertOutcome {
	if ops == nil {
		ops = []string{}
	}
	return drift.RevertOutcome{Result: drift.ResultRevertFailed, Error: why, Operations: ops, Attempts: attempts, Critical: true}
}

func firstOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// newerChange finds the latest change recorded to f's resource after f,
// other than eksdrift's own remediations: the history by drift key, read
// from the cluster's (or the principal's) index from f's time on.
func (r *Reverter) newerChange(ctx context.Context, f drift.Finding) (*drift.Finding, error) {
	q := drift.HistoryQuery{Kind: f.Kind, Since: f.EventTime}
	switch {
	case f.Cluster != "":
		q.Cluster = f.Cluster
	case f.Principal != "":
		q.Principal = f.Principal
	default:
		q.Accounts = []string{f.Account}
	}
	found, err := r.History.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	key := drift.DriftKey(f)
	var latest *drift.Finding
	for i := range found {
		g := found[i]
		// A sweep's finding is an observation of the live state, not a
		// change: the plan is made from the live state anyway.
		if g.ID() == f.ID() || g.EventID == f.EventID || drift.DriftKey(g) != key || g.Decision == drift.DecisionRemediation || g.DetectedBy == drift.DetectedBySweep {
			continue
		}
		// Strictly later: two calls in the same second are in no known
		// order, and the plan is made from the live state either way.
		if !g.EventTime.After(f.EventTime) {
			continue
		}
		if latest == nil || !g.EventTime.Before(latest.EventTime) {
			latest = &g
		}
	}
	return latest, nil
}

// holdBack says why a plan waits: it would grant an admin-level policy the
// stack forbids the reverter to grant, or it would grant what the previous
// baseline version did not while the new version is younger than the
// hold-down. Removing access never waits.
func (r *Reverter) holdBack(ctx context.Context, ix *drift.Index, c drift.Change, live drift.Observation, ops []drift.Operation) string {
	var grants []drift.Operation
	for _, op := range ops {
		if op.GrantsOver(live) {
			grants = append(grants, op)
		}
	}
	if len(grants) == 0 {
		return ""
	}
	if !r.AllowGrantingAdmin {
		for _, op := range grants {
			if p := drift.AdminGrant(op); p != "" {
				return fmt.Sprintf("held back: %s would grant %s, which the reverter may not grant (allowGrantingAdmin is off); restore it by hand if it is wanted", op, p)
			}
		}
	}
	hold := r.HoldDown
	if hold == 0 {
		hold = Defaults.HoldDown
	}
	if hold < 0 {
		return ""
	}
	if r.Versions == nil {
		return fmt.Sprintf("held back: %s grants access, and the baseline's versions cannot be read to check that an earlier version granted it", grants[0])
	}
	since, prev, err := r.Versions(ctx, ix)
	if err != nil {
		return fmt.Sprintf("held back: %s grants access, and the previous baseline version cannot be read: %v", grants[0], err)
	}
	age := r.now().Sub(since)
	if age >= hold {
		return ""
	}
	var before []drift.Operation
	if prev != nil {
		before, _ = drift.NewEvaluator(prev).Plan(c, live)
	}
	for _, op := range grants {
		if !drift.ContainsOperation(before, op) {
			return fmt.Sprintf("held back: %s grants what the previous baseline version did not, and the version in force (%s) is %s old, under the hold-down of %s; it is restored once the version has been in force that long",
				op, ix.Baseline.VersionID, age.Truncate(time.Second), hold)
		}
	}
	return ""
}

// guard holds the revert back when it would lock people out or when the
// scope is reverting in a loop, and says whether that needs a person now.
// It runs under the scope's lease, so what it reads cannot change under it
// through another revert.
func (r *Reverter) guard(ctx context.Context, cl Clients, c drift.Change, scope string, ops []drift.Operation) (why string, critical bool) {
	if c.Cluster != "" && cl.Admins != nil {
		loses, admins, err := drift.LosesLastAdmin(ops, func() ([]string, error) {
			return cl.Admins.ClusterAdmins(ctx, c.Event.Region, c.Cluster)
		})
		if err != nil {
			return "cannot check that the cluster keeps a cluster-admin, so nothing is reverted: " + err.Error(), true
		}
		if loses {
			if len(admins) == 0 {
				return fmt.Sprintf("cluster %s has no principal holding cluster-admin, so nothing that touches access is removed", c.Cluster), true
			}
			return fmt.Sprintf("the revert would remove the last principal holding cluster-admin on cluster %s (%s)", c.Cluster, strings.Join(admins, ", ")), true
		}
	}
	limit := r.BreakerLimit
	if limit <= 0 {
		limit = Defaults.BreakerLimit
	}
	window := cmpOr(r.BreakerWindow, Defaults.BreakerWindow)
	n, err := r.Leases.RecentReverts(ctx, scope, r.now().Add(-window))
	if err != nil {
		return "cannot check the circuit breaker, so nothing is reverted: " + err.Error(), true
	}
	if n >= limit {
		where := "cluster " + c.Cluster + " (" + c.Event.Account + "/" + c.Event.Region + ")"
		if !isEKS(c.Kind()) {
			where = "the IAM roles of account " + c.Event.Account
		}
		return fmt.Sprintf("circuit breaker open: %d reverts on %s in the last %s (limit %d); reverting stops there until it calms down", n, where, window, limit), true
	}
	return "", false
}

// noteRevert counts a revert for the circuit breaker. A count that cannot
// be written is logged: the revert is done, and failing it now would only
// make it run again.
func (r *Reverter) noteRevert(ctx context.Context, scope string) {
	window := cmpOr(r.BreakerWindow, Defaults.BreakerWindow)
	at := r.now()
	if err := r.Leases.NoteRevert(ctx, scope, at, at.Add(-window)); err != nil {
		r.Log.WarnContext(ctx, "circuit breaker count not written", "scope", scope, "error", err)
	}
}

// readBack reads the live state after the calls until it matches the
// baseline, with backoff, and gives the operations still left.
func (r *Reverter) readBack(ctx context.Context, ev *drift.Evaluator, reader drift.StateReader, c drift.Change) ([]drift.Operation, error) {
	tries := r.ReadBackAttempts
	if tries <= 0 {
		tries = Defaults.ReadBackAttempts
	}
	wait := cmpOr(r.Backoff, Defaults.Backoff)
	var left []drift.Operation
	for i := 0; i < tries; i++ {
		after, err := reader.Observe(ctx, c)
		if err == nil {
			if left, _ = ev.Plan(c, after); len(left) == 0 {
				return nil, nil
			}
		} else if i == tries-1 {
			return nil, err
		}
		if i < tries-1 {
			if err := r.sleep(ctx, wait<<i); err != nil {
				return left, err
			}
		}
	}
	return left, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// apply runs the operations in order, each with retries and exponential
// backoff; it stops at the first that still fails.
func (r *Reverter) apply(ctx context.Context, cl Clients, ops []drift.Operation) (attempts int, err error) {
	tries, wait := r.Attempts, r.Backoff
	if tries <= 0 {
		tries = Defaults.Attempts
	}
	if wait <= 0 {
		wait = Defaults.Backoff
	}
	for _, op := range ops {
		w := cl.IAMWriter
		if op.IsEKS() {
			w = cl.EKSWriter
		}
		var last error
		for i := 0; i < tries; i++ {
			attempts++
			if last = w.Apply(ctx, op); last == nil {
				break
			}
			if !transient(last) {
				break // access denied, a bad request: trying again changes nothing
			}
			if i < tries-1 {
				if err := r.sleep(ctx, wait<<i); err != nil {
					return attempts, errors.Join(last, err)
				}
			}
		}
		if last != nil {
			return attempts, fmt.Errorf("%s failed after %d tries: %w", op, attempts, last)
		}
	}
	return attempts, nil
}

func opNames(ops []drift.Operation) []string {
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.String()
	}
	return out
}

// isEKS reports whether a kind's live state is EKS's, read and written by
// the EKS adapter; every other kind goes to IAM's.
func isEKS(k drift.Kind) bool { return k.Service() == drift.ServiceEKS }

func (r *Reverter) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reverter) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// transient reports whether an error may pass if the call is made again:
// the adapters mark such errors with drift.ErrTransient (throttling, a
// service error, a timeout); a context deadline counts too. Anything else
// (access denied, a bad request) fails the same way every time.
func transient(err error) bool {
	return errors.Is(err, drift.ErrTransient) || errors.Is(err, context.DeadlineExceeded)
}
