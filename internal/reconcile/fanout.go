package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// The sweep over an organization. Its unit of work is a target: one
// cluster the baseline declares in an account and region, or (Region "")
// the account's IAM roles and users. A cluster, not a whole region, so that what a
// deadline cuts off is at most one cluster per target in flight: a region
// whose clusters take longer to read than an invocation has would
// otherwise be cut off, and read again from its first cluster, in every
// invocation, and the round would never end. Targets are read several at a time, each with
// the scanner of its account (credentials of the member's read role, or
// the function's own for the home account, and the account's own call
// budget, which the wiring sets); a target that
// cannot be read is reported (account, region, what, why) and the others
// go on.
//
// A sweep that cannot finish inside one invocation stops starting targets
// a margin before the invocation's deadline and saves which targets it
// did; the next invocation resumes the same round with the rest. A round
// reads every target once: a target is marked done only after its
// findings are delivered, so one cut off is read again, and one marked
// done is not.

// ScannerFor gives the scanner whose credentials reach a member account.
type ScannerFor func(ctx context.Context, account string) (*scan.Scanner, error)

// SweepProgress keeps the sweep record of the current round, across
// invocations, as an opaque document.
type SweepProgress interface {
	SweepRecord(ctx context.Context, name string) ([]byte, bool, error)
	SaveSweepRecord(ctx context.Context, name string, doc []byte) error
}

// SweepRecordName names the sweep record in its store.
const SweepRecordName = "sweep"

// DefaultAccountParallel is how many targets a fan-out reads at once.
const DefaultAccountParallel = 16

// Target is one unit of the fan-out.
type Target struct {
	Account string `json:"account"`
	Region  string `json:"region,omitempty"` // "": the account's IAM roles and users
	Cluster string `json:"cluster,omitempty"`
}

func (t Target) String() string {
	if t.Region == "" {
		return t.Account + "/iam"
	}
	return t.Account + "/" + t.Region + "/" + t.Cluster
}

// Unread is what a sweep could not read in a member account.
type Unread struct {
	Account string `json:"account"`
	Region  string `json:"region,omitempty"`
	// What is "credentials" (the member's role could not be used), a
	// cluster ("cluster us-west-2/prod"), a role ("role arn:...") or a
	// user ("user arn:...").
	What string `json:"what"`
	Why  string `json:"why"`
}

// SweepRecord is the state of a round: when it started, which targets it
// read, and what it could not read. It is what the store keeps between
// invocations.
type SweepRecord struct {
	Round     time.Time `json:"round"`
	Targets   int       `json:"targets"`
	Done      []string  `json:"done"`
	Unread    []Unread  `json:"unread,omitempty"`
	Complete  bool      `json:"complete"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// memberTargets lists the targets of the members (the home account
// among them): for each account, once however often it is given, a
// target per declared cluster (only in SweepRegions when set), then its
// roles and users; the accounts taken in turn.
//
// Each account's targets are those of its own baseline (judges, the
// shared one merged with its file): a cluster only its file declares is
// swept too. An account with no judge (its baseline unusable) has none.
func (r *Reconciler) memberTargets(ix *drift.Index, members []string, judges map[string]accountJudge) (targets []Target, elsewhere scan.Targets, elsewhereUsers int) {
	slices.Sort(members)
	members = slices.Compact(members)
	for _, c := range ix.Baseline.Clusters {
		if !slices.Contains(members, c.Account) || (len(r.SweepRegions) > 0 && !slices.Contains(r.SweepRegions, c.Region)) {
			elsewhere.ElsewhereClusters++
		}
	}
	for _, role := range ix.Baseline.IAMRoles {
		if !slices.Contains(members, role.Account()) {
			elsewhere.ElsewhereRoles++
		}
	}
	for _, u := range ix.Baseline.IAMUsers {
		if !slices.Contains(members, u.Account()) {
			elsewhereUsers++
		}
	}
	per := make([][]Target, len(members))
	for i, a := range members {
		j, ok := judges[a]
		if !ok {
			continue
		}
		for _, c := range scan.BaselineTargets(j.ix.Baseline, a).Clusters {
			if len(r.SweepRegions) == 0 || slices.Contains(r.SweepRegions, c.Region) {
				per[i] = append(per[i], Target{Account: a, Region: c.Region, Cluster: c.Name})
			}
		}
		per[i] = append(per[i], Target{Account: a})
	}
	// Round-robin over the accounts: the targets read at once are of
	// different accounts, each with its own call budget, rather than all
	// waiting on one account's.
	for k := 0; ; k++ {
		n := len(targets)
		for _, ts := range per {
			if k < len(ts) {
				targets = append(targets, ts[k])
			}
		}
		if len(targets) == n {
			return targets, elsewhere, elsewhereUsers
		}
	}
}

// UnreadOrganization is the What of an Unread whose accounts could not be
// listed from Organizations (its Account is empty): the sweep went on with
// the accounts it had.
const UnreadOrganization = "organization's accounts"

// members are the accounts this sweep fans out over: the home Account
// (the baseline declares clusters, roles and users there too, and the
// detector judges its events), Members, and what ListMembers gives
// (whatever it gave before an error). An account given more than once,
// the home account listed as a member included, is swept once
// (memberTargets).
func (r *Reconciler) members(ctx context.Context) ([]string, error) {
	members := slices.Clone(r.Members)
	if r.Account != "" {
		members = append(members, r.Account)
	}
	if r.ListMembers == nil {
		return members, nil
	}
	listed, err := r.ListMembers(ctx)
	return append(members, listed...), err
}

// of is what a target reads of the baseline.
func (t Target) of(b *drift.Baseline) scan.Targets {
	if t.Region != "" {
		return scan.Targets{Clusters: []scan.Cluster{{Region: t.Region, Name: t.Cluster, Account: t.Account}}}
	}
	return scan.Targets{Roles: scan.BaselineTargets(b, t.Account).Roles}
}

// users is which declared users (ARNs) a target reads: those of its
// account, with its roles.
func (t Target) users(b *drift.Baseline) []string {
	if t.Region != "" {
		return nil
	}
	arns, _ := scan.BaselineUsers(b, t.Account)
	return arns
}

// sweepMembers sweeps the members' targets this round has not read yet,
// until they are done or the invocation's time is nearly up.
func (r *Reconciler) sweepMembers(ctx context.Context, at time.Time, ix *drift.Index, ev *drift.Evaluator) (SweepReport, error) {
	members, listErr := r.members(ctx)
	judges, unreadBaselines := r.memberJudges(ctx, ix, ev, members)
	all, elsewhere, elsewhereUsers := r.memberTargets(ix, members, judges)
	rep := SweepReport{ElsewhereClusters: elsewhere.ElsewhereClusters, ElsewhereRoles: elsewhere.ElsewhereRoles, ElsewhereUsers: elsewhereUsers,
		Unread: unreadBaselines}
	if listErr != nil {
		rep.Unread = append(rep.Unread, Unread{What: UnreadOrganization, Why: clip(listErr.Error())})
	}
	rec, resumed, err := r.loadRecord(ctx, at)
	if err != nil {
		return rep, err
	}
	rec.Targets = len(all)
	for _, u := range unreadBaselines { // once per round, however many invocations it takes
		if !slices.Contains(rec.Unread, u) {
			rec.Unread = append(rec.Unread, u)
		}
	}
	done := make(map[string]bool, len(rec.Done))
	for _, d := range rec.Done {
		done[d] = true
	}
	var todo []Target
	for _, t := range all {
		if !done[t.String()] {
			todo = append(todo, t)
		}
	}
	rep.Round, rep.Resumed = &rec.Round, resumed
	if resumed {
		r.Log.InfoContext(ctx, "sweep: resuming a round", "round", rec.Round, "done", len(rec.Done), "remaining", len(todo))
	}

	var (
		mu       sync.Mutex
		fatal    []error
		stopped  int
		scanners = map[string]func() (*scan.Scanner, error){}
	)
	scannerOf := func(account string) (*scan.Scanner, error) {
		mu.Lock()
		f, ok := scanners[account]
		if !ok {
			f = sync.OnceValues(func() (*scan.Scanner, error) { return r.ScannerFor(ctx, account) })
			scanners[account] = f
		}
		mu.Unlock()
		return f()
	}
	deadline, hasDeadline := ctx.Deadline()
	margin := cmpOr(r.Margin, time.Minute)
	g := errgroup.Group{}
	g.SetLimit(cmpOrInt(r.AccountParallel, DefaultAccountParallel))
	for _, t := range todo {
		g.Go(func() error {
			if hasDeadline && !r.now().Before(deadline.Add(-margin)) || ctx.Err() != nil {
				mu.Lock()
				stopped++
				mu.Unlock()
				return nil
			}
			var trep SweepReport
			j := judges[t.Account]
			unread, done, err := r.sweepTarget(ctx, at, j.ix, j.ev, t, scannerOf, &trep)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fatal = append(fatal, fmt.Errorf("target %s: %w", t, err))
			}
			rep.add(trep)
			rep.Unread = append(rep.Unread, unread...)
			if !done {
				stopped++
				return nil
			}
			rep.Targets++
			rec.Done = append(rec.Done, t.String())
			rec.Unread = append(rec.Unread, unread...)
			if err := r.saveRecord(ctx, &rec); err != nil {
				fatal = append(fatal, err)
			}
			return nil
		})
	}
	_ = g.Wait() // the jobs return no error: they keep theirs
	// What is left is counted on this round's targets, not on the record:
	// a record can name targets the baseline no longer declares.
	rep.Remaining = len(todo) - rep.Targets
	if rep.Remaining <= 0 {
		rep.Remaining = 0
		rec.Complete = true
		if err := r.saveRecord(ctx, &rec); err != nil {
			fatal = append(fatal, err)
		}
	}
	slices.SortFunc(rep.Unread, func(a, b Unread) int { return cmpUnread(a, b) })
	rep.Accounts = len(slices.Compact(slices.Sorted(func(yield func(string) bool) {
		for _, t := range all {
			if !yield(t.Account) {
				return
			}
		}
	})))
	for _, u := range rep.Unread {
		r.Log.ErrorContext(ctx, "sweep: cannot read", "account", u.Account, "region", u.Region, "what", u.What, "error", u.Why)
	}
	r.Metrics.Add(metrics.SweepUnread, float64(len(rep.Unread)))
	r.Metrics.Add(metrics.SweepRemaining, float64(rep.Remaining))
	r.Log.InfoContext(ctx, "sweep done", "at", at, "round", rec.Round, "accounts", rep.Accounts, "targets", rep.Targets,
		"remaining", rep.Remaining, "clusters", rep.Clusters, "roles", rep.Roles, "users", rep.Users, "drift", rep.Drift, "alreadyOpen", rep.AlreadyOpen,
		"recorded", rep.Recorded, "resolved", rep.Resolved, "rejudged", rep.Rejudged, "unread", len(rep.Unread))
	if rep.Remaining > 0 {
		r.Log.WarnContext(ctx, "sweep: out of time; the next invocation resumes", "remaining", rep.Remaining, "stopped", stopped)
	}
	if len(rep.Unread) > 0 {
		fatal = append(fatal, fmt.Errorf("%d clusters, roles, users or accounts could not be read (the others were swept)", len(rep.Unread)))
	}
	if len(fatal) > 0 {
		return rep, fmt.Errorf("sweep: %w", errors.Join(fatal...))
	}
	return rep, nil
}

// sweepTarget sweeps one target. done is false when the target must be
// read again: time ran out in it, or the history or detector failed.
func (r *Reconciler) sweepTarget(ctx context.Context, at time.Time, ix *drift.Index, ev *drift.Evaluator, t Target,
	scannerOf func(string) (*scan.Scanner, error), rep *SweepReport) (unread []Unread, done bool, err error) {
	sc, err := scannerOf(t.Account)
	if err != nil {
		return []Unread{{Account: t.Account, Region: t.Region, What: "credentials", Why: clip(err.Error())}}, true, nil
	}
	errs, err := r.sweepTargets(ctx, at, ix, ev, sc, t.of(ix.Baseline), t.users(ix.Baseline), rep)
	if err != nil && ctx.Err() != nil {
		return nil, false, nil // the deadline cut the history or the detector off: read it again
	}
	if err != nil {
		return nil, false, err
	}
	for _, e := range errs {
		if ctx.Err() != nil && errors.Is(e, ctx.Err()) {
			return nil, false, nil // cut off: read it again
		}
		what := "read"
		if re := (*scan.ReadError)(nil); errors.As(e, &re) {
			what = re.What
		}
		unread = append(unread, Unread{Account: t.Account, Region: t.Region, What: what, Why: clip(e.Error())})
	}
	if ctx.Err() != nil {
		return unread, false, nil
	}
	return unread, true, nil
}

// loadRecord gives the round to continue, or a new one at at.
func (r *Reconciler) loadRecord(ctx context.Context, at time.Time) (SweepRecord, bool, error) {
	fresh := SweepRecord{Round: at, Done: []string{}}
	if r.Progress == nil {
		return fresh, false, nil
	}
	doc, found, err := r.Progress.SweepRecord(ctx, SweepRecordName)
	if err != nil {
		return fresh, false, fmt.Errorf("sweep: %w", err)
	}
	if !found {
		return fresh, false, nil
	}
	var rec SweepRecord
	if err := json.Unmarshal(doc, &rec); err != nil {
		// A damaged record costs one round's progress, never the sweep.
		r.Log.WarnContext(ctx, "sweep: record unreadable; starting a new round", "error", err)
		return fresh, false, nil
	}
	if rec.Complete || rec.Round.After(at) {
		return fresh, false, nil
	}
	return rec, true, nil
}

func (r *Reconciler) saveRecord(ctx context.Context, rec *SweepRecord) error {
	if r.Progress == nil {
		return nil
	}
	rec.UpdatedAt = r.now().UTC()
	doc, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("sweep record: %w", err)
	}
	if err := r.Progress.SaveSweepRecord(ctx, SweepRecordName, doc); err != nil {
		return fmt.Errorf("sweep record: %w", err)
	}
	return nil
}

// add sums what another target's sweep did.
func (rep *SweepReport) add(o SweepReport) {
	rep.Clusters += o.Clusters
	rep.Roles += o.Roles
	rep.Users += o.Users
	rep.NotFound = append(rep.NotFound, o.NotFound...)
	rep.Drift += o.Drift
	rep.AlreadyOpen += o.AlreadyOpen
	rep.Recorded += o.Recorded
	rep.Resolved += o.Resolved
	rep.Rejudged += o.Rejudged
	rep.Errors += o.Errors
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// clip keeps a reason short enough for the sweep record's one item, how
// many members fail: an error can quote a whole response.
func clip(s string) string {
	const most = 512
	if len(s) <= most {
		return s
	}
	return strings.ToValidUTF8(s[:most], "") + "…"
}

func cmpOrInt(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

func cmpUnread(a, b Unread) int {
	for _, c := range [][2]string{{a.Account, b.Account}, {a.Region, b.Region}, {a.What, b.What}} {
		if c[0] != c[1] {
			if c[0] < c[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}
