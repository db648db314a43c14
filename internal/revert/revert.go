// Package revert is the reverter's use case: a finding whose decision is
// revert (or dry-run) comes in; the reverter re-reads the baseline and the
// live state, plans the calls that move the resource back to the baseline,
// checks its guardrails, makes the calls with retries, and records and
// publishes what it did. Security teams turn it on only if they can trust
// it, so every guardrail says, in the outcome, why it held.
package revert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// History is what the reverter needs of the history store.
type History interface {
	Get(ctx context.Context, id string) (drift.Finding, bool, error)
	Record(ctx context.Context, findings []drift.Finding) (int, error)
	SetOutcome(ctx context.Context, id string, o drift.RevertOutcome) error
	Query(ctx context.Context, q drift.HistoryQuery) ([]drift.Finding, error)
}

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
	History              History
	Publisher            Publisher
	Log                  *slog.Logger
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

	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults are the guardrail settings used where a field is zero.
var Defaults = struct {
	BreakerLimit  int
	BreakerWindow time.Duration
	Attempts      int
	Backoff       time.Duration
}{BreakerLimit: 5, BreakerWindow: 10 * time.Minute, Attempts: 4, Backoff: 500 * time.Millisecond}

// Handle reverts one finding. It returns an error only when the outcome
// could not be recorded or published, so that the message comes back; a
// revert that failed is an outcome (revert-failed), recorded and published
// as critical, never dropped.
func (r *Reverter) Handle(ctx context.Context, f drift.Finding) error {
	start := r.now()
	id := f.ID()
	stored, found, err := r.History.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("revert: reading history for %s: %w", id, err)
	}
	if found {
		if stored.Outcome != nil && stored.Outcome.Result != drift.ResultRevertFailed {
			r.Log.InfoContext(ctx, "already handled", "findingId", id, "result", stored.Outcome.Result)
			return nil // a redelivered message
		}
		f = stored
	} else if _, err := r.History.Record(ctx, []drift.Finding{f}); err != nil {
		return fmt.Errorf("revert: recording %s: %w", id, err)
	}
	o := r.decide(ctx, f)
	o.Duration = r.now().Sub(start)
	o.At = r.now().UTC()
	o.By = r.By
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
	return nil
}

var resultMetric = map[string]string{
	drift.ResultReverted:         metrics.Reverted,
	drift.ResultAlreadyCompliant: metrics.RevertSkipped,
	drift.ResultSkipped:          metrics.RevertSkipped,
	drift.ResultDryRun:           metrics.DryRuns,
	drift.ResultRevertFailed:     metrics.RevertFailed,
}

func skipped(why string) drift.RevertOutcome {
	return drift.RevertOutcome{Result: drift.ResultSkipped, Reason: why, Operations: []string{}}
}

// decide runs the guardrails and, when they all hold, the revert.
func (r *Reverter) decide(ctx context.Context, f drift.Finding) drift.RevertOutcome {
	if f.Decision != drift.DecisionRevert && f.Decision != drift.DecisionDryRun {
		return skipped(fmt.Sprintf("the finding's decision is %s, not revert or dry-run", f.Decision))
	}
	ix, err := r.Baseline(ctx)
	if err != nil {
		// An unreadable baseline never triggers a revert.
		return skipped("the baseline cannot be used, so nothing is reverted: " + err.Error())
	}
	change, err := drift.ChangeOf(f)
	if err != nil {
		return skipped("the finding cannot be read back into a change: " + err.Error())
	}
	ev := drift.NewEvaluator(ix)
	// Judge again against the baseline in force now: the mode may have
	// changed, a break-glass entry may apply.
	now := ev.Evaluate(change)
	if now.Decision != drift.DecisionRevert && now.Decision != drift.DecisionDryRun {
		return skipped(fmt.Sprintf("the baseline now decides %s: %s", now.Decision, now.Reason))
	}
	if change.Event.Actor.IsAWSService() {
		return skipped("changes made by AWS services are never reverted")
	}
	reader := r.EKS
	if !isEKS(change.Kind()) {
		reader = r.IAM
	}
	live, err := reader.Observe(ctx, change)
	if err != nil {
		return drift.RevertOutcome{Result: drift.ResultRevertFailed, Error: "cannot read the live state: " + err.Error(), Operations: []string{}, Critical: true}
	}
	ops, cannot := ev.Plan(change, live)
	if cannot != "" {
		return skipped(cannot)
	}
	if len(ops) == 0 {
		return drift.RevertOutcome{Result: drift.ResultAlreadyCompliant, Reason: "the live state already matches the baseline", Operations: []string{}}
	}
	names := opNames(ops)
	if now.Decision == drift.DecisionDryRun {
		return drift.RevertOutcome{Result: drift.ResultDryRun, Operations: names, Reason: "would revert: " + strings.Join(names, "; ")}
	}
	if why, critical := r.guard(ctx, change, ops); why != "" {
		return drift.RevertOutcome{Result: drift.ResultSkipped, Operations: names, Reason: why, Critical: critical}
	}
	attempts, err := r.apply(ctx, ops)
	o := drift.RevertOutcome{Operations: names, Attempts: attempts}
	if err != nil {
		o.Result, o.Error, o.Critical = drift.ResultRevertFailed, err.Error(), true
		return o
	}
	// Check the work: the live state must match the baseline now.
	after, err := reader.Observe(ctx, change)
	if err != nil {
		o.Result, o.Error, o.Critical = drift.ResultRevertFailed, "reverted, but cannot read the live state back: "+err.Error(), true
		return o
	}
	if left, _ := ev.Plan(change, after); len(left) > 0 {
		o.Result, o.Error, o.Critical = drift.ResultRevertFailed, "the live state still departs from the baseline after the revert: "+strings.Join(opNames(left), "; "), true
		return o
	}
	o.Result = drift.ResultReverted
	return o
}

// guard holds the revert back when it would lock people out or when the
// cluster is reverting in a loop, and says whether that needs a person now.
func (r *Reverter) guard(ctx context.Context, c drift.Change, ops []drift.Operation) (why string, critical bool) {
	if c.Cluster != "" && r.Admins != nil && removesAdmin(ops) {
		admins, err := r.Admins.ClusterAdmins(ctx, c.Event.Region, c.Cluster)
		if err != nil {
			return "cannot check that the cluster keeps a cluster-admin, so nothing is reverted: " + err.Error(), true
		}
		if len(admins) > 0 && len(drift.AdminsAfter(admins, ops)) == 0 {
			return fmt.Sprintf("the revert would remove the last principal holding cluster-admin on cluster %s (%s)", c.Cluster, strings.Join(admins, ", ")), true
		}
	}
	limit, window := r.BreakerLimit, r.BreakerWindow
	if limit <= 0 {
		limit = Defaults.BreakerLimit
	}
	if window <= 0 {
		window = Defaults.BreakerWindow
	}
	since := r.now().Add(-window)
	q := drift.HistoryQuery{Cluster: c.Cluster, Since: since.Add(-24 * time.Hour)}
	recent, err := r.History.Query(ctx, q)
	if err != nil {
		return "cannot check the circuit breaker, so nothing is reverted: " + err.Error(), true
	}
	n := 0
	for _, f := range recent {
		if f.Outcome != nil && f.Outcome.Result == drift.ResultReverted && !f.Outcome.At.Before(since) &&
			f.Account == c.Event.Account && f.Cluster == c.Cluster {
			n++
		}
	}
	if n >= limit {
		where := "cluster " + c.Cluster
		if c.Cluster == "" {
			where = "the IAM roles of account " + c.Event.Account
		}
		return fmt.Sprintf("circuit breaker open: %d reverts on %s in the last %s (limit %d); reverting stops there until it calms down", n, where, window, limit), true
	}
	return "", false
}

func removesAdmin(ops []drift.Operation) bool {
	for _, o := range ops {
		switch r := o.Resource.(type) {
		case *drift.AccessEntry:
			if o.Action == drift.ActDeleteAccessEntry {
				return true
			}
		case *drift.AccessPolicy:
			if r.PolicyARN == drift.PolicyClusterAdmin {
				return true
			}
		}
	}
	return false
}

// apply runs the operations in order, each with retries and exponential
// backoff; it stops at the first that still fails.
func (r *Reverter) apply(ctx context.Context, ops []drift.Operation) (attempts int, err error) {
	tries, wait := r.Attempts, r.Backoff
	if tries <= 0 {
		tries = Defaults.Attempts
	}
	if wait <= 0 {
		wait = Defaults.Backoff
	}
	for _, op := range ops {
		w := r.IAMWriter
		if op.IsEKS() {
			w = r.EKSWriter
		}
		var last error
		for i := 0; i < tries; i++ {
			attempts++
			if last = w.Apply(ctx, op); last == nil {
				break
			}
			if i < tries-1 {
				if err := r.sleep(ctx, wait<<i); err != nil {
					return attempts, errors.Join(last, err)
				}
			}
		}
		if last != nil {
			return attempts, fmt.Errorf("%s failed after %d tries: %w", op, tries, last)
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

func isEKS(k drift.Kind) bool {
	switch k {
	case drift.KindCluster, drift.KindAccessEntry, drift.KindAccessPolicy, drift.KindAuthenticationMode, drift.KindPodIdentity, drift.KindIdentityProvider:
		return true
	}
	return false
}

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
