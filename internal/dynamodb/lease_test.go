package dynamodb

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestLeases(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	now := time.Date(2026, 10, 14, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	steps := []struct {
		name  string
		do    func() (bool, error)
		want  bool
		after time.Duration // the clock moves after the step
	}{
		{"a free lease is taken", func() (bool, error) { return s.AcquireLease(ctx, "eks/1/r/c", "a", time.Minute) }, true, 0},
		{"a held lease is refused", func() (bool, error) { return s.AcquireLease(ctx, "eks/1/r/c", "b", time.Minute) }, false, 0},
		{"its holder takes it again", func() (bool, error) { return s.AcquireLease(ctx, "eks/1/r/c", "a", time.Minute) }, true, 0},
		{"another scope is free", func() (bool, error) { return s.AcquireLease(ctx, "eks/1/r/d", "b", time.Minute) }, true, 2 * time.Minute},
		{"an expired lease is taken over", func() (bool, error) { return s.AcquireLease(ctx, "eks/1/r/c", "b", time.Minute) }, true, 0},
		{"its old holder cannot release it", func() (bool, error) { return true, s.ReleaseLease(ctx, "eks/1/r/c", "a") }, true, 0},
		{"so it is still held", func() (bool, error) { return s.AcquireLease(ctx, "eks/1/r/c", "c", time.Minute) }, false, 0},
		{"its holder releases it", func() (bool, error) { return true, s.ReleaseLease(ctx, "eks/1/r/c", "b") }, true, 0},
		{"a released lease is free", func() (bool, error) { return s.AcquireLease(ctx, "eks/1/r/c", "c", time.Minute) }, true, 0},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Fatalf("%s: got %v, want %v", st.name, got, st.want)
		}
		now = now.Add(st.after)
	}
	// Leases are not findings: no query or scan returns them.
	if fs, err := s.Query(ctx, drift.HistoryQuery{}); err != nil || len(fs) != 0 {
		t.Errorf("got %d findings (%v), want none", len(fs), err)
	}
}

func TestLeaseIsExclusiveUnderConcurrency(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	var held atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 8 {
		wg.Go(func() {
			<-start
			ok, err := s.AcquireLease(ctx, "iam/111122223333", string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				held.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := held.Load(); got != 1 {
		t.Errorf("got %d holders of one lease, want 1", got)
	}
}

func TestBreakerCounts(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	t0 := time.Date(2026, 10, 14, 12, 0, 0, 0, time.UTC)
	for i := range 4 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := s.NoteRevert(ctx, "eks/1/r/c", at, at.Add(-10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		scope string
		since time.Time
		want  int
	}{
		{"eks/1/r/c", t0, 4},
		{"eks/1/r/c", t0.Add(2 * time.Minute), 2},
		{"eks/1/r/other", t0, 0},
		{"eks/2/r/c", t0, 0},
	}
	for _, tt := range tests {
		got, err := s.RecentReverts(ctx, tt.scope, tt.since)
		if err != nil || got != tt.want {
			t.Errorf("%s since %s: got %d (%v), want %d", tt.scope, tt.since.Format(time.TimeOnly), got, err, tt.want)
		}
	}
	// Old times are forgotten as new ones come.
	late := t0.Add(time.Hour)
	if err := s.NoteRevert(ctx, "eks/1/r/c", late, late.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RecentReverts(ctx, "eks/1/r/c", time.Time{}); got != 1 {
		t.Errorf("after the window: got %d kept, want 1", got)
	}
}
