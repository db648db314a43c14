package reconcile

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// MemberLookup gives a member account's LookupEvents, through its read
// role: one client per account, which paces the calls of each of its
// regions (CloudTrail's quota is per account and region). An error (the
// role cannot be assumed) leaves the account unread.
type MemberLookup func(ctx context.Context, account string) (Lookup, error)

// event is one record the catch-up found.
type event struct {
	id  string
	at  time.Time
	raw json.RawMessage
}

// appendNew appends the records not seen yet to events.
func appendNew(events []event, seen map[string]bool, recs []json.RawMessage) []event {
	for _, raw := range recs {
		var head struct {
			EventID   string `json:"eventID"`
			EventTime string `json:"eventTime"`
		}
		_ = json.Unmarshal(raw, &head) // an unreadable record is the detector's to report
		if head.EventID != "" && seen[head.EventID] {
			continue
		}
		seen[head.EventID] = true
		t, _ := time.Parse(time.RFC3339, head.EventTime)
		events = append(events, event{id: head.EventID, at: t, raw: raw})
	}
	return events
}

// spokeLookupNames are the calls on the spoke's own resources a member's
// catch-up looks up (its rules, queues and stack; its roles' calls are
// IAM's watched calls): a rule disabled while it forwarded nothing is seen
// this way.
func spokeLookupNames() []string {
	var out []string
	for _, s := range []string{cloudtrail.SourceEvents, cloudtrail.SourceSQS, cloudtrail.SourceCloudFormation} {
		out = append(out, cloudtrail.TamperEventNames(s)...)
	}
	return out
}

// memberRead is what the catch-up read in one member.
type memberRead struct {
	account  string
	records  []json.RawMessage
	complete bool // every lookup answered: its checkpoint may move
}

// memberCheckpoint is a member's catch-up checkpoint.
func memberCheckpoint(account string) string { return CheckpointName + "/" + account }

// memberCatchUp looks up, in each member through MemberLookup, the watched
// EKS calls and the spoke's calls in its regions and IAM's in IAMRegion,
// from the member's own checkpoint (less the overlap) to to. Members are
// read AccountParallel at once; a member whose role cannot be assumed, or
// a region whose lookups fail, is in rep.Unread and stops nobody else.
func (r *Reconciler) memberCatchUp(ctx context.Context, to time.Time, rep *CatchUpReport) []memberRead {
	if r.MemberLookup == nil || len(r.Members) == 0 {
		return nil
	}
	var b *drift.Baseline
	if ix, err := r.Baseline(ctx); err == nil {
		b = ix.Baseline
	}
	out := make([]memberRead, len(r.Members))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, cmpOrInt(r.AccountParallel, DefaultAccountParallel))
	for i, account := range r.Members {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			read, unread, calls := r.memberLookups(ctx, account, r.memberRegions(r.memberBaseline(ctx, b, account), account), to)
			out[i] = read
			mu.Lock()
			rep.Calls += calls
			rep.Unread = append(rep.Unread, unread...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.SortFunc(rep.Unread, cmpUnread)
	for _, u := range rep.Unread {
		r.Log.WarnContext(ctx, "catch-up: member not read", "account", u.Account, "region", u.Region, "what", u.What, "error", u.Why)
	}
	return out
}

// memberLookups reads one member.
func (r *Reconciler) memberLookups(ctx context.Context, account string, regions []string, to time.Time) (memberRead, []Unread, int) {
	read := memberRead{account: account}
	lk, err := r.MemberLookup(ctx, account)
	if err != nil {
		return read, []Unread{{Account: account, What: "credentials", Why: clip(err.Error())}}, 0
	}
	from := to.Add(-cmpOr(r.FirstLookback, DefaultFirstLookback))
	if cp, found, err := r.Checkpoints.Checkpoint(ctx, memberCheckpoint(account)); err != nil {
		return read, []Unread{{Account: account, What: "checkpoint", Why: clip(err.Error())}}, 0
	} else if found {
		from = cp.Add(-cmpOr(r.Overlap, DefaultOverlap))
	}
	names := map[string][]string{}
	for _, region := range regions {
		names[region] = append(slices.Clone(cloudtrail.WatchedEventNames(cloudtrail.SourceEKS)), spokeLookupNames()...)
	}
	// The spoke's stack and its roles' forwarding rule are in IAM's region
	// too, whether or not its clusters are.
	if _, ok := names[IAMRegion]; !ok {
		names[IAMRegion] = spokeLookupNames()
	}
	names[IAMRegion] = append(names[IAMRegion], cloudtrail.WatchedEventNames(cloudtrail.SourceIAM)...)
	var unread []Unread
	calls := 0
	for _, region := range slices.Sorted(maps.Keys(names)) {
		for _, name := range names[region] {
			calls++
			recs, err := lk(ctx, region, name, from, to)
			if err != nil {
				// This region is unread; the member's others are still looked up.
				unread = append(unread, Unread{Account: account, Region: region, What: "lookup " + name, Why: clip(err.Error())})
				break
			}
			read.records = append(read.records, recs...)
		}
	}
	read.complete = len(unread) == 0
	return read, unread, calls
}

// memberCheckpoints moves the checkpoint of each member read completely.
func (r *Reconciler) memberCheckpoints(ctx context.Context, members []memberRead, to time.Time) {
	for _, m := range members {
		if !m.complete {
			continue
		}
		if err := r.Checkpoints.SetCheckpoint(ctx, memberCheckpoint(m.account), to); err != nil {
			r.Log.WarnContext(ctx, "catch-up: member checkpoint not moved", "account", m.account, "error", err)
		}
	}
}

// memberBaseline is the baseline whose clusters say where a member's
// calls are looked up: its own (BaselineFor: the shared file merged with
// baselines/<account>.yaml), as the sweep reads it and the detector judges
// its events, so that a cluster declared only in the account's file is
// looked up in its region; the shared one b when there is none or it
// cannot be read (the sweep reports that file unread).
func (r *Reconciler) memberBaseline(ctx context.Context, b *drift.Baseline, account string) *drift.Baseline {
	if r.BaselineFor == nil {
		return b
	}
	if ix, err := r.BaselineFor(ctx, account); err == nil && ix != nil {
		return ix.Baseline
	}
	return b
}

// memberRegions are where a member's EKS and spoke calls are looked up:
// SweepRegions when set, else Regions and its baseline clusters' regions.
func (r *Reconciler) memberRegions(b *drift.Baseline, account string) []string {
	if len(r.SweepRegions) > 0 {
		return slices.Clone(r.SweepRegions)
	}
	regions := slices.Clone(r.Regions)
	if b != nil {
		regions = append(regions, scan.BaselineTargets(b, account).Regions()...)
	}
	slices.Sort(regions)
	return slices.Compact(regions)
}
