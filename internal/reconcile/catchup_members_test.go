package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// TestCatchUpInMembers: with member accounts the catch-up also looks up,
// through each member's own LookupEvents (its read role; here a stand-in
// per account, since MiniStack's CloudTrail records are not CloudTrail's
// shapes), the watched EKS calls and the spoke's calls in the member's
// regions, and IAM's and the spoke's in us-east-1. A spoke rule disabled
// in a member while it forwarded nothing is recorded as critical tamper
// there. A member whose role cannot be assumed, or whose lookups fail in a
// region, is reported unread and stops no other; its checkpoint stays, the
// others' move.
func TestCatchUpInMembers(t *testing.T) {
	const a, b, c = "444455556666", "555566667777", "666677778888"
	f := setup(t)
	f.det.Deployment = &drift.Deployment{StackName: "eksdrift", Resources: map[string]string{},
		Spoke: &drift.Spoke{StackSet: "eksdrift-spoke", Roles: []string{"eksdrift-read"}, ExecutionRole: "AWSCloudFormationStackSetExecutionRole"}}
	f.det.Admitted = func(context.Context, string) error { return nil }
	rec, _ := detail(t, "events-disable-rule-detector.json")
	rec = bytes.Replace(rec, []byte("eksdrift-RoutingeksaccesschangesD1C2B3A4-1A2B3C4D5E6F"), []byte(drift.SpokePrefix+"eks-access-changes"), 1)
	rec = bytes.ReplaceAll(rec, []byte(acct), []byte(a))
	ta, tc := &trail{records: []json.RawMessage{rec}}, &trail{}
	f.r.Members, f.r.SweepRegions = []string{a, b, c}, []string{"us-west-2"}
	f.r.MemberLookup = func(_ context.Context, account string) (Lookup, error) {
		switch account {
		case a:
			return ta.lookup, nil
		case c:
			return func(ctx context.Context, region, name string, from, to time.Time) ([]json.RawMessage, error) {
				if region == IAMRegion {
					return nil, errors.New("cloudtrail us-east-1: AccessDeniedException")
				}
				return tc.lookup(ctx, region, name, from, to)
			}, nil
		}
		return nil, &drift.AccountError{Account: account, Role: "eksdrift-read", Err: errors.New("AccessDenied")}
	}
	at := time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	f.r.FirstLookback = 48 * time.Hour
	rep, err := f.r.CatchUp(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}

	var got *drift.Finding
	for _, h := range f.history(t) {
		if h.Account == a && h.Kind == drift.KindTamper {
			got = &h
		}
	}
	if got == nil || !got.Drift || got.Severity != drift.SeverityCritical || !strings.Contains(got.Reason, "member account "+a) {
		t.Errorf("got %+v, want critical tamper on the spoke in %s", got, a)
	}

	if len(rep.Unread) != 2 || rep.Unread[0].Account != b || rep.Unread[0].What != "credentials" ||
		rep.Unread[1].Account != c || rep.Unread[1].Region != IAMRegion {
		t.Errorf("got unread %+v, want %s's credentials and %s's %s lookups", rep.Unread, b, c, IAMRegion)
	}

	counts := map[string]int{}
	for _, call := range ta.calls {
		counts[call]++
	}
	want := map[string][]string{
		"us-west-2": append(cloudtrail.WatchedEventNames(cloudtrail.SourceEKS), spokeLookupNames()...),
		IAMRegion:   append(cloudtrail.WatchedEventNames(cloudtrail.SourceIAM), spokeLookupNames()...),
	}
	n := 0
	for region, names := range want {
		for _, name := range names {
			n++
			if counts[region+"/"+name] != 1 {
				t.Errorf("%s: got %d lookups of %s in %s, want 1", a, counts[region+"/"+name], name, region)
			}
		}
	}
	if len(ta.calls) != n {
		t.Errorf("%s: got %d lookups, want %d (no region but us-west-2 and %s)", a, len(ta.calls), n, IAMRegion)
	}
	if len(tc.calls) == 0 {
		t.Errorf("%s: got no lookups in us-west-2, want them: one region failing stops no other", c)
	}

	for account, moved := range map[string]bool{a: true, b: false, c: false} {
		if _, ok := f.cp.at[memberCheckpoint(account)]; ok != moved {
			t.Errorf("%s: got checkpoint moved %v, want %v", account, ok, moved)
		}
	}
	if _, ok := f.cp.at[CheckpointName]; !ok {
		t.Errorf("the home checkpoint did not move")
	}
}

// TestCatchUpLooksUpAMemberInItsOwnFilesRegions: without SweepRegions, a
// member's EKS calls are looked up in the regions of the clusters its own
// baseline declares (BaselineFor: the shared file merged with its account
// file), as the sweep reads them; a cluster declared only in the account's
// file was never looked up, and the events made on it were never caught up.
func TestCatchUpLooksUpAMemberInItsOwnFilesRegions(t *testing.T) {
	const a = "444455556666"
	f := setup(t)
	own, err := baseline.Index("baselines/"+a+".yaml", []byte("version: 1\nclusters:\n  - name: payments\n    account: \""+a+"\"\n    region: eu-west-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	f.r.Members = []string{a}
	f.r.BaselineFor = func(_ context.Context, account string) (*drift.Index, error) {
		if account != a {
			t.Errorf("got BaselineFor(%s), want only %s", account, a)
		}
		return own, nil
	}
	ta := &trail{}
	f.r.MemberLookup = func(context.Context, string) (Lookup, error) { return ta.lookup, nil }
	f.r.FirstLookback = time.Hour
	if _, err := f.r.CatchUp(context.Background(), time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for _, name := range cloudtrail.WatchedEventNames(cloudtrail.SourceEKS) {
		if !slices.Contains(ta.calls, "eu-west-1/"+name) {
			t.Errorf("got lookups %q, want %s looked up in eu-west-1 (the region of the cluster %s's own file declares)", ta.calls, name, a)
		}
	}
}
