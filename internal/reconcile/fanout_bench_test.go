package reconcile

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/scan"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

// BenchmarkFanOut sweeps 100 accounts x 2 regions x 5 clusters x 100
// access entries with in-memory scanners: the sweep's own cost (judging,
// history queries on SQLite, the record), without the calls, which
// bench/orgsweep measures on MiniStack. Run with -benchmem.
func BenchmarkFanOut(b *testing.B) {
	const accounts, clusters, entries = 100, 5, 100
	merged := &drift.Baseline{Version: 1, Mode: drift.ModeAlert}
	worlds := map[string]*world{}
	var members []string
	for i := range accounts {
		a := fmt.Sprintf("%012d", 300000000000+i)
		members = append(members, a)
		var y strings.Builder
		y.WriteString("version: 1\nmode: alert\nclusters:\n")
		for _, reg := range fanRegions {
			for c := range clusters {
				fmt.Fprintf(&y, "  - name: c%02d\n    account: %q\n    region: %s\n    authenticationMode: API\n    accessEntries:\n", c, a, reg)
				for e := range entries {
					fmt.Fprintf(&y, "      - principalArn: arn:aws:iam::%s:role/team-%03d\n        kubernetesGroups: [team-%d]\n"+
						"        accessPolicies: [{policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy, accessScope: {type: namespace, namespaces: [team-%d]}}]\n", a, e, e%10, e%10)
				}
			}
		}
		ix, err := baseline.Index("bench.yaml", []byte(y.String()))
		if err != nil {
			b.Fatal(err)
		}
		merged.Clusters = append(merged.Clusters, ix.Baseline.Clusters...)
		worlds[a] = asDeclared(ix.Baseline)
	}
	ix, err := drift.NewIndex(merged)
	if err != nil {
		b.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "h.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	baselineOf := func(context.Context) (*drift.Index, error) { return ix, nil }
	set := &metrics.Set{}
	r := &Reconciler{
		Baseline: baselineOf, History: store, Grace: -1, Metrics: set,
		Detector: &detect.Detector{Baseline: baselineOf, History: store, Publisher: &outbox{}, Metrics: set, Log: slogDiscard()},
		Members:  members,
		ScannerFor: func(_ context.Context, account string) (*scan.Scanner, error) {
			return &scan.Scanner{EKS: worlds[account], IAM: worlds[account], Parallel: 4}, nil
		},
	}
	b.ResetTimer()
	for i := range b.N {
		rep, err := r.Sweep(context.Background(), t0.Add(time.Duration(i)*time.Hour))
		if err != nil || rep.Clusters != accounts*2*clusters || rep.Drift != 0 {
			b.Fatalf("got %d clusters, %d drift, %v; want %d clusters, no drift", rep.Clusters, rep.Drift, err, accounts*2*clusters)
		}
	}
}
