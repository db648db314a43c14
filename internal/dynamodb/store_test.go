package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func client(t testing.TB) *ddb.Client {
	return ddb.NewFromConfig(awstest.Config(t))
}

// table creates a history table for the test, deleted after it.
func table(t testing.TB, c *ddb.Client) string {
	t.Helper()
	name := awstest.Name(t, "history")
	if err := CreateTable(t.Context(), c, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context is canceled by now.
		// A delete whose answer MiniStack lost is retried by the SDK and
		// meets "not found": the table is gone either way.
		var gone *types.ResourceNotFoundException
		if _, err := c.DeleteTable(context.Background(), &ddb.DeleteTableInput{TableName: aws.String(name)}); err != nil && !errors.As(err, &gone) {
			t.Errorf("DeleteTable %s: %v", name, err)
		}
	})
	return name
}

// open returns a store on a new table, reached through calls, which counts.
func open(t testing.TB) (*Store, *calls) {
	t.Helper()
	c := client(t)
	calls := &calls{api: c}
	return New(calls, table(t, c)), calls
}

func TestHistoryStore(t *testing.T) {
	drifttest.RunHistoryStore(t, func(t *testing.T) drift.HistoryStore {
		s, _ := open(t)
		return s
	})
}

func TestFindingStore(t *testing.T) {
	drifttest.RunFindingStore(t, func(t *testing.T) drift.FindingStore {
		s, _ := open(t)
		return s
	})
}

func TestMarkNotified(t *testing.T) {
	s, _ := open(t)
	f := drifttest.SampleFinding(9)
	if _, err := s.Record(t.Context(), []drift.Finding{f}); err != nil {
		t.Fatal(err)
	}
	t.Run("BoundsItemIsNoFinding", func(t *testing.T) {
		if err := s.MarkNotified(t.Context(), BoundsID, time.Now()); !errors.Is(err, ErrNoFinding) {
			t.Errorf("MarkNotified(%s): got %v, want ErrNoFinding", BoundsID, err)
		}
		if _, found, err := s.Get(t.Context(), BoundsID); found || err != nil {
			t.Errorf("Get(%s): got found %v, %v, want not found", BoundsID, found, err)
		}
	})
	t.Run("MissingIsErrNoFinding", func(t *testing.T) {
		err := s.MarkNotified(t.Context(), "nope#access-entry#prod#x", time.Now())
		if !errors.Is(err, ErrNoFinding) || !strings.Contains(err.Error(), "nope#access-entry#prod#x") {
			t.Errorf("MarkNotified: got %v, want ErrNoFinding naming the ID", err)
		}
	})
	t.Run("RecordAgainKeepsTheMark", func(t *testing.T) {
		at := time.Date(2026, 10, 14, 9, 0, 0, 5, time.UTC)
		if err := s.MarkNotified(t.Context(), f.ID(), at); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Record(t.Context(), []drift.Finding{f}); err != nil || n != 0 {
			t.Fatalf("Record again: got %v, %v, want 0, nil", n, err)
		}
		got, found, err := s.Get(t.Context(), f.ID())
		if err != nil || !found || got.NotifiedAt == nil || !got.NotifiedAt.Equal(at) {
			t.Errorf("Get: got %v, %v, %v, want notified at %v", got.NotifiedAt, found, err, at)
		}
	})
}

// calls passes every call to a real client and records which operations,
// on which indexes, a store made.
type calls struct {
	api
	mu  sync.Mutex
	ops []string // "Query byCluster", "Scan", "PutItem" ...
}

func (c *calls) note(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = append(c.ops, op)
}

func (c *calls) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = nil
	return ops
}

func (c *calls) GetItem(ctx context.Context, in *ddb.GetItemInput, optFns ...func(*ddb.Options)) (*ddb.GetItemOutput, error) {
	c.note("GetItem")
	return c.api.GetItem(ctx, in, optFns...)
}

func (c *calls) PutItem(ctx context.Context, in *ddb.PutItemInput, optFns ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
	c.note("PutItem")
	return c.api.PutItem(ctx, in, optFns...)
}

func (c *calls) UpdateItem(ctx context.Context, in *ddb.UpdateItemInput, optFns ...func(*ddb.Options)) (*ddb.UpdateItemOutput, error) {
	c.note("UpdateItem")
	return c.api.UpdateItem(ctx, in, optFns...)
}

func (c *calls) Query(ctx context.Context, in *ddb.QueryInput, optFns ...func(*ddb.Options)) (*ddb.QueryOutput, error) {
	c.note("Query " + aws.ToString(in.IndexName))
	return c.api.Query(ctx, in, optFns...)
}

func (c *calls) Scan(ctx context.Context, in *ddb.ScanInput, optFns ...func(*ddb.Options)) (*ddb.ScanOutput, error) {
	c.note("Scan")
	return c.api.Scan(ctx, in, optFns...)
}

// count tells how many of ops are op.
func count(ops []string, op string) int {
	n := 0
	for _, o := range ops {
		if o == op {
			n++
		}
	}
	return n
}

func TestQueriesUseTheIndexes(t *testing.T) {
	s, calls := open(t)
	// 3,000 findings a minute apart: a little over two days. Some in another
	// account, some with the reverter's outcome.
	all := drifttest.AuditedFindings(3000)
	if _, err := s.Record(t.Context(), all); err != nil {
		t.Fatal(err)
	}
	alice := "arn:aws:iam::111122223333:user/alice"
	tests := []struct {
		name  string
		q     drift.HistoryQuery
		index string
		// queries is how many Query calls it may take: the 3,000 findings
		// are about 6 MB, read in pages of 1 MB.
		queries int
	}{
		{"Cluster", drift.HistoryQuery{Cluster: "prod-us"}, IndexByCluster, 8},
		{"ClusterAndPrincipal", drift.HistoryQuery{Cluster: "prod-us", Principal: alice}, IndexByCluster, 8},
		{"ClusterWindow", drift.HistoryQuery{Cluster: "prod-us", Since: drifttest.SampleTime(100), Until: drifttest.SampleTime(200)}, IndexByCluster, 8},
		{"Principal", drift.HistoryQuery{Principal: alice}, IndexByPrincipal, 8},
		{"PrincipalLimit", drift.HistoryQuery{Principal: alice, Limit: 5}, IndexByPrincipal, 1},
		{"ActorKind", drift.HistoryQuery{Actor: alice, Kind: drift.KindAccessPolicy}, IndexByActor, 8},
		{"Since", drift.HistoryQuery{Since: drifttest.SampleTime(2900)}, IndexByDay, 1},
		{"Until", drift.HistoryQuery{Until: drifttest.SampleTime(10)}, IndexByDay, 1},
		{"Window", drift.HistoryQuery{Since: drifttest.SampleTime(100), Until: drifttest.SampleTime(2000)}, IndexByDay, 8},
		{"Kind", drift.HistoryQuery{Kind: drift.KindPodIdentity}, IndexByDay, 12},
		{"DriftOnly", drift.HistoryQuery{DriftOnly: true}, IndexByDay, 12},
		{"NoFilterLimit", drift.HistoryQuery{Limit: 10}, IndexByDay, 1},
		{"NoFilter", drift.HistoryQuery{}, IndexByDay, 12},
		// Filters with no index of their own read byDay over the time range
		// (open ends bounded by the bounds item) and never scan.
		{"Account", drift.HistoryQuery{Accounts: []string{drifttest.OtherAccount}}, IndexByDay, 12},
		{"Accounts", drift.HistoryQuery{Accounts: []string{drifttest.OtherAccount, drifttest.ThirdAccount}}, IndexByDay, 12},
		{"Severity", drift.HistoryQuery{Severity: drift.SeverityCritical}, IndexByDay, 12},
		{"DecisionOutcome", drift.HistoryQuery{Decision: drift.DecisionRevert, Outcome: drift.ResultReverted}, IndexByDay, 12},
		{"OutcomeNoneWindow", drift.HistoryQuery{Outcome: drift.OutcomeNone, Since: drifttest.SampleTime(100), Until: drifttest.SampleTime(2000)}, IndexByDay, 8},
		{"SeverityLimit", drift.HistoryQuery{Severity: drift.SeverityHigh, Limit: 20}, IndexByDay, 1},
		{"ClusterSeverity", drift.HistoryQuery{Cluster: "prod-us", Severity: drift.SeverityHigh}, IndexByCluster, 8},
		{"ActorOutcome", drift.HistoryQuery{Actor: drifttest.AuditedFinding(8).Actor, Outcome: drift.ResultReverted}, IndexByActor, 8},
		// A page after a cursor starts at the cursor's key.
		{"AfterLimit", drift.HistoryQuery{After: drift.CursorOf(all[1500]), Limit: 10}, IndexByDay, 2},
		{"PrincipalAfter", drift.HistoryQuery{Principal: alice, After: drift.CursorOf(all[2000])}, IndexByPrincipal, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.reset()
			got, err := s.Query(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			ops := calls.reset()
			if n := count(ops, "Scan"); n != 0 {
				t.Errorf("scans: got %v, want %v (%v)", n, 0, ops)
			}
			queries := count(ops, "Query "+tt.index)
			if queries == 0 || queries > tt.queries {
				t.Errorf("queries of %s: got %v, want 1 to %v (%v)", tt.index, queries, tt.queries, ops)
			}
			if other := len(ops) - queries - count(ops, "GetItem"); other != 0 {
				t.Errorf("other calls: got %v, want none", ops)
			}
			var want []drift.Finding
			for _, f := range all {
				if tt.q.Matches(f) && (tt.q.Limit == 0 || len(want) < tt.q.Limit) {
					want = append(want, f)
				}
			}
			if len(want) == 0 || len(got) != len(want) {
				t.Fatalf("found: got %v, want %v (and more than none)", len(got), len(want))
			}
			for i := range got {
				if got[i].ID() != want[i].ID() {
					t.Fatalf("finding %d: got %v, want %v", i, got[i].ID(), want[i].ID())
				}
			}
		})
	}
}

func TestSparseIndexes(t *testing.T) {
	c := client(t)
	name := table(t, c)
	s := New(c, name)
	fs := drifttest.SampleFindings(48)
	fs[5].Actor = "" // the samples all have one
	if _, err := s.Record(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		index string
		has   func(drift.Finding) bool
	}{
		{IndexByCluster, func(f drift.Finding) bool { return f.Cluster != "" }},
		{IndexByPrincipal, func(f drift.Finding) bool { return f.Principal != "" }},
		{IndexByActor, func(f drift.Finding) bool { return f.Actor != "" }},
		{IndexByDay, func(drift.Finding) bool { return true }},
	} {
		t.Run(tt.index, func(t *testing.T) {
			want := 0
			for _, f := range fs {
				if tt.has(f) {
					want++
				}
			}
			if want == len(fs) && tt.index != IndexByDay {
				t.Fatalf("every sample has the key: the test would prove nothing")
			}
			out, err := c.Scan(t.Context(), &ddb.ScanInput{TableName: aws.String(name), IndexName: aws.String(tt.index), Select: types.SelectCount})
			if err != nil {
				t.Fatal(err)
			}
			if out.Count != int32(want) {
				t.Errorf("items in %s: got %v, want %v", tt.index, out.Count, want)
			}
		})
	}
}

func TestItemAttributes(t *testing.T) {
	c := client(t)
	name := table(t, c)
	s := New(c, name)
	f := drifttest.SampleFinding(28) // an access policy on a cluster, drift
	f.EventTime = time.Date(2026, 10, 14, 7, 8, 9, 120_000_000, time.FixedZone("CEST", 2*3600))
	if _, err := s.Record(t.Context(), []drift.Finding{f}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetItem(t.Context(), &ddb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{PartitionKey: str(f.ID())}})
	if err != nil {
		t.Fatal(err)
	}
	for attr, want := range map[string]string{
		SortKey:        "2026-10-14T05:08:09.120000000Z#" + f.ID(),
		AttrDay:        "2026-10-14",
		AttrEventTime:  "2026-10-14T05:08:09.120000000Z",
		AttrCluster:    f.Cluster,
		AttrPrincipal:  f.Principal,
		AttrActor:      f.Actor,
		AttrKind:       string(drift.KindAccessPolicy),
		AttrSeverity:   string(f.Severity),
		AttrDecision:   string(f.Decision),
		AttrAccount:    f.Account,
		AttrDetectedBy: f.DetectedBy,
	} {
		if got := stringAttr(out.Item, attr); got != want {
			t.Errorf("%s: got %v, want %v", attr, got, want)
		}
	}
	if got, ok := out.Item[AttrDrift].(*types.AttributeValueMemberBOOL); !ok || got.Value != f.Drift {
		t.Errorf("%s: got %#v, want %v", AttrDrift, out.Item[AttrDrift], f.Drift)
	}
	if _, ok := out.Item[AttrExpiresAt]; ok {
		t.Errorf("%s: got one, want none without a retention", AttrExpiresAt)
	}
}

func TestRecordConcurrently(t *testing.T) {
	s, _ := open(t)
	fs := drifttest.SampleFindings(200)
	var wg sync.WaitGroup
	inserted := make([]int, 4)
	errs := make([]error, len(inserted))
	for w := range inserted {
		// Each writer its own store, as separate Lambda instances would be.
		writer := New(s.client, s.table)
		wg.Go(func() { inserted[w], errs[w] = writer.Record(t.Context(), fs) })
	}
	wg.Wait()
	total := 0
	for w := range inserted {
		if errs[w] != nil {
			t.Errorf("writer %d: %v", w, errs[w])
		}
		total += inserted[w]
	}
	if total != len(fs) {
		t.Errorf("inserted by all writers: got %v, want %v (%v)", total, len(fs), inserted)
	}
	got, err := s.Query(t.Context(), drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fs) {
		t.Errorf("findings: got %v, want %v", len(got), len(fs))
	}
}

func TestRecordWidensTheBoundsOnce(t *testing.T) {
	s, calls := open(t)
	fs := drifttest.SampleFindings(10)
	if _, err := s.Record(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	if got := count(calls.reset(), "UpdateItem"); got != 2 {
		t.Errorf("bounds updates on the first record: got %v, want %v", got, 2)
	}
	more := drifttest.SampleFindings(20)[10:]
	if _, err := s.Record(t.Context(), more); err != nil {
		t.Fatal(err)
	}
	if got := count(calls.reset(), "UpdateItem"); got != 0 {
		t.Errorf("bounds updates for days already covered: got %v, want %v", got, 0)
	}
	// A late event, from a day before the others.
	late := drifttest.SampleFinding(20)
	late.EventTime = drifttest.SampleTime(0).AddDate(0, 0, -3)
	if _, err := s.Record(t.Context(), []drift.Finding{late}); err != nil {
		t.Fatal(err)
	}
	if got := count(calls.reset(), "UpdateItem"); got != 1 {
		t.Errorf("bounds updates for an earlier day: got %v, want %v", got, 1)
	}
	got, err := s.Query(t.Context(), drift.HistoryQuery{Until: drifttest.SampleTime(0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID() != late.ID() {
		t.Errorf("findings before the first sample: got %v, want the late one", len(got))
	}
}

func TestLongRanges(t *testing.T) {
	s, calls := open(t)
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	var fs []drift.Finding
	for i := range 3 {
		f := drifttest.SampleFinding(i)
		f.EventTime = start.AddDate(0, 0, i*300) // 600 days from first to last
		fs = append(fs, f)
	}
	if _, err := s.Record(t.Context(), fs); err != nil {
		t.Fatal(err)
	}

	t.Run("NoFilterScans", func(t *testing.T) {
		calls.reset()
		got, err := s.Query(t.Context(), drift.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].ID() != fs[0].ID() || got[2].ID() != fs[2].ID() {
			t.Errorf("found: got %v, want all three", len(got))
		}
		if ops := calls.reset(); count(ops, "Scan") == 0 || count(ops, "Query "+IndexByDay) != 0 {
			t.Errorf("calls: got %v, want a scan and no day queries", ops)
		}
	})
	t.Run("NoFilterLimitReadsDays", func(t *testing.T) {
		// A page of an unfiltered query reads days until it is full: paging
		// through a long history costs each day once, not a scan a page.
		calls.reset()
		got, err := s.Query(t.Context(), drift.HistoryQuery{Limit: 1, After: drift.CursorOf(fs[0])})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID() != fs[1].ID() {
			t.Errorf("found: got %v findings, want the second", len(got))
		}
		ops := calls.reset()
		if n := count(ops, "Scan"); n != 0 {
			t.Errorf("scans: got %v, want none", n)
		}
		// Days 0 to 300, and day 0 twice: its first page of one held only
		// the cursor's own finding.
		if n := count(ops, "Query "+IndexByDay); n != 302 {
			t.Errorf("day queries: got %v, want %v", n, 302)
		}
	})
	t.Run("FilterRefused", func(t *testing.T) {
		_, err := s.Query(t.Context(), drift.HistoryQuery{Kind: fs[0].Kind})
		want := "the query spans 601 days, from 2025-01-01 to 2026-08-24, more than the 400"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error: got %v, want one containing %q", err, want)
		}
	})
	t.Run("NarrowedBySince", func(t *testing.T) {
		got, err := s.Query(t.Context(), drift.HistoryQuery{Since: start.AddDate(0, 0, 250), DriftOnly: fs[1].Drift})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].ID() != fs[1].ID() {
			t.Errorf("found: got %v findings, want the second first", len(got))
		}
	})
	t.Run("ByClusterAnyLength", func(t *testing.T) {
		got, err := s.Query(t.Context(), drift.HistoryQuery{Cluster: fs[0].Cluster, Since: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Errorf("found: got %v, want %v", len(got), 3)
		}
	})
}

func TestRetention(t *testing.T) {
	s, _ := open(t)
	now := time.Date(2026, 10, 14, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	s.Retention = 30 * 24 * time.Hour
	old, recent := drifttest.SampleFinding(0), drifttest.SampleFinding(1)
	old.EventTime = now.AddDate(0, 0, -31)
	recent.EventTime = now.AddDate(0, 0, -29)
	if _, err := s.Record(t.Context(), []drift.Finding{old, recent}); err != nil {
		t.Fatal(err)
	}
	out, err := s.client.GetItem(t.Context(), &ddb.GetItemInput{TableName: aws.String(s.table), Key: map[string]types.AttributeValue{PartitionKey: str(recent.ID())}})
	if err != nil {
		t.Fatal(err)
	}
	wantExp := fmt.Sprint(recent.EventTime.Add(s.Retention).Unix())
	if got, ok := out.Item[AttrExpiresAt].(*types.AttributeValueMemberN); !ok || got.Value != wantExp {
		t.Errorf("%s: got %#v, want %v", AttrExpiresAt, out.Item[AttrExpiresAt], wantExp)
	}
	for _, q := range []drift.HistoryQuery{{}, {Cluster: recent.Cluster}, {Actor: old.Actor}, {Since: old.EventTime}} {
		got, err := s.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range got {
			if f.ID() == old.ID() {
				t.Errorf("Query(%+v): got the expired finding, want it hidden", q)
			}
		}
	}
	got, err := s.Query(t.Context(), drift.HistoryQuery{})
	if err != nil || len(got) != 1 {
		t.Errorf("Query: got %v findings, %v, want 1", len(got), err)
	}
}

func TestRecordRejectsTimesOutOfRange(t *testing.T) {
	s, calls := open(t)
	for _, when := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		f := drifttest.SampleFinding(0)
		f.EventTime = when
		_, err := s.Record(t.Context(), []drift.Finding{drifttest.SampleFinding(1), f})
		if err == nil || !strings.Contains(err.Error(), "outside the years 0000 to 9999") {
			t.Errorf("Record at %v: got %v, want an error naming the range", when, err)
		}
	}
	if ops := calls.reset(); len(ops) != 0 {
		t.Errorf("calls: got %v, want none: a batch with a bad time writes nothing", ops)
	}
}

func TestQueryTimeEdges(t *testing.T) {
	s, _ := open(t)
	fs := drifttest.SampleFindings(5)
	if _, err := s.Record(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	far := []time.Time{time.Date(-500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name string
		q    drift.HistoryQuery
		want int
	}{
		{"SinceLongAgo", drift.HistoryQuery{Since: far[0]}, 5},
		{"UntilFarAhead", drift.HistoryQuery{Until: far[1]}, 5},
		{"SinceFarAhead", drift.HistoryQuery{Since: far[1]}, 0},
		{"UntilLongAgo", drift.HistoryQuery{Until: far[0]}, 0},
		{"SinceAfterUntil", drift.HistoryQuery{Since: fs[3].EventTime, Until: fs[1].EventTime}, 0},
		{"UntilMidnight", drift.HistoryQuery{Until: dayOf(fs[0].EventTime)}, 0},
		{"SinceMidnight", drift.HistoryQuery{Since: dayOf(fs[0].EventTime)}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Query(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || len(got) != tt.want {
				t.Errorf("found: got %v (nil: %v), want %v", len(got), got == nil, tt.want)
			}
		})
	}
}

func TestEndpointDown(t *testing.T) {
	down := ddb.NewFromConfig(awstest.Config(t), func(o *ddb.Options) {
		o.BaseEndpoint = aws.String("http://127.0.0.1:1")
		o.RetryMaxAttempts = 1
	})
	s := New(down, "eksdrift-history")
	want := "dynamodb history eksdrift-history: "
	if n, err := s.Record(t.Context(), drifttest.SampleFindings(3)); err == nil || n != 0 || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Record: got %v, %v, want 0 and an error starting %q", n, err, want)
	}
	for _, q := range []drift.HistoryQuery{{}, {Cluster: "prod"}} {
		if got, err := s.Query(t.Context(), q); err == nil || got != nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Query(%+v): got %v, %v, want an error starting %q", q, got, err, want)
		}
	}
	if err := CreateTable(t.Context(), down, "eksdrift-history"); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("CreateTable: got %v, want an error starting %q", err, want)
	}
}

// failingPuts fails every PutItem after the first n with a throttling error,
// as DynamoDB would under load; the rest goes to a real client.
type failingPuts struct {
	api
	mu sync.Mutex
	n  int
}

func (f *failingPuts) PutItem(ctx context.Context, in *ddb.PutItemInput, optFns ...func(*ddb.Options)) (*ddb.PutItemOutput, error) {
	f.mu.Lock()
	f.n--
	fail := f.n < 0
	f.mu.Unlock()
	if fail {
		return nil, &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
	}
	return f.api.PutItem(ctx, in, optFns...)
}

func TestRecordFailsPartwayThenCompletes(t *testing.T) {
	c := client(t)
	name := table(t, c)
	fs := drifttest.SampleFindings(40)
	n, err := New(&failingPuts{api: c, n: 10}, name).Record(t.Context(), fs)
	var throttled *types.ProvisionedThroughputExceededException
	if !errors.As(err, &throttled) || !strings.HasPrefix(err.Error(), "dynamodb history "+name+": finding ") {
		t.Fatalf("Record: got %v, want the throttling error with the table and finding", err)
	}
	if n != 10 {
		t.Errorf("inserted before the error: got %v, want %v", n, 10)
	}
	s := New(c, name)
	if n, err := s.Record(t.Context(), fs); err != nil || n != len(fs)-10 {
		t.Errorf("Record again: got %v, %v, want %v, nil", n, err, len(fs)-10)
	}
	got, err := s.Query(t.Context(), drift.HistoryQuery{})
	if err != nil || len(got) != len(fs) {
		t.Errorf("Query: got %v findings, %v, want %v", len(got), err, len(fs))
	}
}

func TestCreateTableMatchesTheSchema(t *testing.T) {
	c := client(t)
	name := table(t, c)
	out, err := c.DescribeTable(t.Context(), &ddb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	schema := TableSchema()
	tbl := out.Table
	if got := keySchema(tbl.KeySchema); got != schema.PartitionKey.Name {
		t.Errorf("table key: got %v, want %v", got, schema.PartitionKey.Name)
	}
	if tbl.BillingModeSummary == nil || string(tbl.BillingModeSummary.BillingMode) != schema.BillingMode {
		t.Errorf("billing: got %+v, want %v", tbl.BillingModeSummary, schema.BillingMode)
	}
	var got, want []string
	for _, ix := range tbl.GlobalSecondaryIndexes {
		got = append(got, fmt.Sprintf("%s(%s) %s", aws.ToString(ix.IndexName), keySchema(ix.KeySchema), ix.Projection.ProjectionType))
	}
	for _, ix := range schema.Indexes {
		want = append(want, fmt.Sprintf("%s(%s,%s) %s", ix.Name, ix.PartitionKey.Name, ix.SortKey.Name, ix.Projection))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("indexes: got %v, want %v", got, want)
	}
	ttl, err := c.DescribeTimeToLive(t.Context(), &ddb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != schema.TTLAttribute || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL: got %+v, want enabled on %v", d, schema.TTLAttribute)
	}

	if err := CreateTable(t.Context(), c, name); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("CreateTable again: got %v, want an error saying it exists", err)
	}
}

// keySchema writes a key schema as "hash,range".
func keySchema(ks []types.KeySchemaElement) string {
	var hash, rng string
	for _, k := range ks {
		if k.KeyType == types.KeyTypeHash {
			hash = aws.ToString(k.AttributeName)
		} else {
			rng = aws.ToString(k.AttributeName)
		}
	}
	if rng == "" {
		return hash
	}
	return hash + "," + rng
}

func BenchmarkRecord(b *testing.B) {
	s, _ := open(b)
	const size = 100
	round := 0
	for b.Loop() {
		fs := drifttest.SampleFindings(size)
		for i := range fs {
			fs[i].EventID = fmt.Sprintf("%s-%d", fs[i].EventID, round)
		}
		round++
		if n, err := s.Record(b.Context(), fs); err != nil || n != size {
			b.Fatalf("Record: got %v, %v, want %v, nil", n, err, size)
		}
	}
	b.ReportMetric(float64(size*round)/b.Elapsed().Seconds(), "findings/s")
}
