package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

// open opens a new history in a temporary directory, closed with the test.
func open(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), filepath.Join(tb.TempDir(), "state", "eksdrift", "history.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestHistoryStore(t *testing.T) {
	drifttest.RunHistoryStore(t, func(t *testing.T) drift.HistoryStore { return open(t) })
}

func TestFindingStore(t *testing.T) {
	drifttest.RunFindingStore(t, func(t *testing.T) drift.FindingStore { return open(t) })
}

func TestOpenSetsUpTheFile(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	for _, tt := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", fmt.Sprint(busyTimeout.Milliseconds())},
		{"user_version", fmt.Sprint(len(migrations))},
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s: got %v, want %v", tt.pragma, got, tt.want)
		}
	}
	info, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("file mode: got %v, want %v", got, want)
	}
}

func TestQueriesUseTheIndexes(t *testing.T) {
	s := open(t)
	for _, tt := range []struct {
		q     drift.HistoryQuery
		index string
	}{
		{drift.HistoryQuery{Cluster: "prod"}, "findings_cluster_time"},
		{drift.HistoryQuery{Principal: "arn:aws:iam::111122223333:user/alice"}, "findings_principal_time"},
		{drift.HistoryQuery{Actor: "arn:aws:iam::111122223333:user/alice", Limit: 10}, "findings_actor_time"},
		{drift.HistoryQuery{Since: drifttest.SampleTime(0)}, "findings_time"},
		{drift.HistoryQuery{Cluster: "prod", Severity: drift.SeverityHigh, After: drift.CursorOf(drifttest.SampleFinding(3)), Limit: 100}, "findings_cluster_time"},
		{drift.HistoryQuery{Since: drifttest.SampleTime(0), Outcome: drift.ResultReverted, Decision: drift.DecisionRevert}, "findings_time"},
	} {
		query, args := selectFindings(tt.q)
		rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if got := strings.Join(plan, "; "); !strings.Contains(got, "INDEX "+tt.index) {
			t.Errorf("plan for %+v: got %v, want a search of %v", tt.q, got, tt.index)
		}
	}
}

func TestReopenKeepsRecords(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "history.db")
	want := drifttest.SampleFindings(25)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Record(ctx, want); err != nil || n != len(want) {
		t.Fatalf("Record: got %v, %v, want %v, nil", n, err, len(want))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.Query(ctx, drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("findings after reopening: got %v, want %v", len(got), len(want))
	}
	for i := range got {
		if got[i].ID() != want[i].ID() {
			t.Errorf("finding %d: got %v, want %v", i, got[i].ID(), want[i].ID())
		}
	}
	if n, err := s.Record(ctx, want); err != nil || n != 0 {
		t.Errorf("Record again after reopening: got %v, %v, want %v, nil", n, err, 0)
	}
}

func TestTwoStoresShareAFile(t *testing.T) {
	// Two processes, say a replay and a history, on one file.
	path := filepath.Join(t.TempDir(), "history.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	fs := drifttest.SampleFindings(400)
	var wg sync.WaitGroup
	inserted := make([]int, 4)
	errs := make([]error, 4)
	for w := range 4 {
		wg.Go(func() {
			// Each writer records half the findings, overlapping its
			// neighbour's, in batches of 50.
			mine := fs[w*100 : min(w*100+200, len(fs))]
			for b := 0; b < len(mine); b += 50 {
				n, err := stores[w%2].Record(t.Context(), mine[b:b+50])
				inserted[w] += n
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for w := range 4 {
		if errs[w] != nil {
			t.Errorf("writer %d: %v", w, errs[w])
		}
		total += inserted[w]
	}
	if total != len(fs) {
		t.Errorf("inserted: got %v, want %v", total, len(fs))
	}
	got, err := stores[1].Query(t.Context(), drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(fs) {
		t.Errorf("findings: got %v, want %v", len(got), len(fs))
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		setup func(path string) error
		want  string
	}{
		{
			name: "TextFile",
			setup: func(path string) error {
				return os.WriteFile(path, []byte(strings.Repeat("this is no database\n", 100)), 0o600)
			},
			want: "not an SQLite database",
		},
		{
			name: "DamagedHeader",
			setup: func(path string) error {
				s, err := Open(t.Context(), path)
				if err != nil {
					return err
				}
				if err := s.Close(); err != nil {
					return err
				}
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					return err
				}
				defer f.Close()
				_, err = f.WriteAt([]byte("SQLite format 2\x00"), 0)
				return err
			},
			want: "not an SQLite database",
		},
		{
			name: "NewerSchema",
			setup: func(path string) error {
				s, err := Open(t.Context(), path)
				if err != nil {
					return err
				}
				defer s.Close()
				_, err = s.db.ExecContext(t.Context(), "PRAGMA user_version = 99")
				return err
			},
			want: "schema version 99 is newer",
		},
		{
			name:  "Directory",
			setup: func(path string) error { return os.Mkdir(path, 0o700) },
			want:  "is a directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".db")
			if err := tt.setup(path); err != nil {
				t.Fatal(err)
			}
			s, err := Open(t.Context(), path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s): got no error, want one saying %q", path, tt.want)
			}
			for _, want := range []string{"sqlite history " + path + ":", tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error: got %v, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestPathsThatLookLikeParameters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd?mode=ro#and %20 more", "history.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Record(t.Context(), drifttest.SampleFindings(1)); err != nil || n != 1 {
		t.Fatalf("Record: got %v, %v, want %v, nil", n, err, 1)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path it was given: %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{
			name: "XDGStateHome",
			env:  map[string]string{"XDG_STATE_HOME": "/var/state", "HOME": "/home/alice"},
			want: "/var/state/eksdrift/history.db",
		},
		{
			name: "Home",
			env:  map[string]string{"HOME": "/home/alice"},
			want: "/home/alice/.local/state/eksdrift/history.db",
		},
		{
			name: "RelativeXDGStateHomeIsIgnored",
			env:  map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/alice"},
			want: "/home/alice/.local/state/eksdrift/history.db",
		},
		{
			name: "EmptyXDGStateHome",
			env:  map[string]string{"XDG_STATE_HOME": "", "HOME": "/home/alice"},
			want: "/home/alice/.local/state/eksdrift/history.db",
		},
		{
			name:    "Neither",
			env:     map[string]string{},
			wantErr: "neither XDG_STATE_HOME nor HOME is set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultPath(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error: got %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.FromSlash(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// batch returns n findings that no earlier batch of the benchmark holds.
func batch(n, round int) []drift.Finding {
	fs := drifttest.SampleFindings(n)
	for i := range fs {
		fs[i].EventID = fmt.Sprintf("%s-%d", fs[i].EventID, round)
	}
	return fs
}

func BenchmarkRecord(b *testing.B) {
	s := open(b)
	const size = 500
	round := 0
	for b.Loop() {
		b.StopTimer()
		fs := batch(size, round)
		round++
		b.StartTimer()
		if n, err := s.Record(b.Context(), fs); err != nil || n != size {
			b.Fatalf("Record: got %v, %v, want %v, nil", n, err, size)
		}
	}
	b.ReportMetric(float64(size*round)/b.Elapsed().Seconds(), "findings/s")
}

func BenchmarkQueryByCluster(b *testing.B) {
	s := open(b)
	const stored, per = 100_000, 5_000
	fs := make([]drift.Finding, 0, per)
	for i := range stored {
		fs = append(fs, drifttest.SampleFinding(i))
		if len(fs) == per {
			if _, err := s.Record(b.Context(), fs); err != nil {
				b.Fatal(err)
			}
			fs = fs[:0]
		}
	}
	// SampleFinding(i) is i minutes after the first: a day holds 1,440.
	day := drift.HistoryQuery{Cluster: "prod-us", Since: drifttest.SampleTime(50_000), Until: drifttest.SampleTime(50_000 + 1440)}
	for _, bb := range []struct {
		name string
		q    drift.HistoryQuery
	}{
		{"Limit100", drift.HistoryQuery{Cluster: "prod-us", Limit: 100}},
		{"OneDay", day},
		{"OneDayDriftOnly", func() drift.HistoryQuery { q := day; q.DriftOnly = true; return q }()},
		{"All", drift.HistoryQuery{Cluster: "prod-us"}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var found int
			for b.Loop() {
				fs, err := s.Query(b.Context(), bb.q)
				if err != nil {
					b.Fatal(err)
				}
				found = len(fs)
			}
			b.ReportMetric(float64(found), "findings/op")
		})
	}
}
