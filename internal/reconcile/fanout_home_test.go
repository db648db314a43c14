package reconcile

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// The fan-out sweeps the home (security) account's own targets too: the
// baseline declares clusters, roles and users there, and the detector
// judges the home account's events, so the sweep must read them. They are
// read once each, whether or not the home account is also listed as a
// member or given by Organizations (which it should not be, but a forged
// setting or listing may), through ScannerFor(Account), which the wiring
// answers with the function's own credentials (members_test.go checks on
// MiniStack that no role is assumed for it).
func TestFanOutSweepsTheHomeAccountToo(t *testing.T) {
	const home = "999999999999"
	members := []string{"111111111111", "222222222222"}
	tests := []struct {
		name    string
		members []string
		listed  []string
	}{
		{name: "home not listed", members: members},
		{name: "home listed as a member too", members: append([]string{home}, members...)},
		{name: "home given by Organizations, twice", members: members[:1], listed: []string{home, members[1], home}},
		{name: "an OU-only deployment", listed: members},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := setupOrg(t, append([]string{home}, members...), nil)
			o.r.Account, o.r.Members, o.r.AccountParallel = home, tt.members, 3
			if tt.listed != nil {
				o.r.ListMembers = func(context.Context) ([]string, error) { return tt.listed, nil }
			}
			var mu sync.Mutex
			asked := map[string]int{}
			scannerFor := o.r.ScannerFor
			o.r.ScannerFor = func(ctx context.Context, account string) (*scan.Scanner, error) {
				mu.Lock()
				asked[account]++
				mu.Unlock()
				return scannerFor(ctx, account)
			}
			rep, err := o.r.Sweep(context.Background(), t0)
			if err != nil {
				t.Fatal(err)
			}
			// 3 accounts x (2 regions + IAM); nothing elsewhere.
			if rep.Accounts != 3 || rep.Targets != 9 || rep.Clusters != 6 || rep.Roles != 3 || rep.Remaining != 0 {
				t.Errorf("got %d accounts, %d targets, %d clusters, %d roles, %d remaining; want 3, 9, 6, 3, 0",
					rep.Accounts, rep.Targets, rep.Clusters, rep.Roles, rep.Remaining)
			}
			if rep.ElsewhereClusters != 0 || rep.ElsewhereRoles != 0 {
				t.Errorf("got %d clusters and %d roles elsewhere, want none: the home account's are swept", rep.ElsewhereClusters, rep.ElsewhereRoles)
			}
			if asked[home] != 1 {
				t.Errorf("got the home account's scanner asked for %d times, want once", asked[home])
			}
			want := []string{"arn:aws:iam::" + home + ":role/admin", "eu-west-1/prod", "us-west-2/prod"}
			m := o.members[home]
			if got := slices.Sorted(mapKeys(m.reads)); !slices.Equal(got, want) {
				t.Errorf("home account: got reads of %v, want %v", got, want)
			}
			for k, n := range m.reads {
				if n != 1 {
					t.Errorf("home account: got %s read %d times, want once", k, n)
				}
			}
			all, err := o.store.Query(context.Background(), drift.HistoryQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var intruders []string
			for _, f := range all {
				if f.Drift && f.Account == home && strings.HasSuffix(f.Resource, ":role/intruder") {
					intruders = append(intruders, f.Region)
				}
			}
			slices.Sort(intruders)
			if !slices.Equal(intruders, fanRegions) {
				t.Errorf("got the home account's intruder recorded in %v, want once in each of %v", intruders, fanRegions)
			}
			var rec SweepRecord
			if err := json.Unmarshal(o.records.doc[SweepRecordName], &rec); err != nil {
				t.Fatal(err)
			}
			for _, target := range []string{home + "/iam", home + "/eu-west-1/prod", home + "/us-west-2/prod"} {
				if n := countOf(rec.Done, target); n != 1 {
					t.Errorf("sweep record: got %s done %d times, want once", target, n)
				}
			}
			if rec.Targets != 9 || !rec.Complete {
				t.Errorf("sweep record: got %d targets, complete %v; want 9, complete", rec.Targets, rec.Complete)
			}
		})
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}
