package drifttest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// RunFindingStore checks what the deployed functions need beyond queries:
// Get by ID, MarkNotified, and the publication claim. open must return a new, empty store.
func RunFindingStore(t *testing.T, open func(t *testing.T) drift.FindingStore) {
	t.Run("GetMissing", func(t *testing.T) {
		s := open(t)
		_, found, err := s.Get(context.Background(), "nope#access-entry#prod#x")
		if err != nil || found {
			t.Errorf("got found=%v err=%v, want not found and no error", found, err)
		}
	})
	t.Run("GetRoundTrip", func(t *testing.T) {
		s := open(t)
		want := SampleFinding(3)
		want.Live = &drift.LiveState{Present: true, State: []byte(`{"principalArn":"arn:aws:iam::111122223333:role/x"}`), ReadAt: SampleTime(4), Drift: true}
		if _, err := s.Record(context.Background(), []drift.Finding{want}); err != nil {
			t.Fatal(err)
		}
		got, found, err := s.Get(context.Background(), want.ID())
		if err != nil || !found {
			t.Fatalf("got found=%v err=%v", found, err)
		}
		if got.ID() != want.ID() || got.Live == nil || !got.Live.ReadAt.Equal(want.Live.ReadAt) || string(got.Live.State) != string(want.Live.State) || got.NotifiedAt != nil {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})
	t.Run("MarkNotified", func(t *testing.T) {
		s := open(t)
		f := SampleFinding(7)
		if _, err := s.Record(context.Background(), []drift.Finding{f}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 10, 14, 9, 0, 1, 123456789, time.FixedZone("x", 3600))
		if err := s.MarkNotified(context.Background(), f.ID(), at); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.Get(context.Background(), f.ID())
		if err != nil {
			t.Fatal(err)
		}
		if got.NotifiedAt == nil || !got.NotifiedAt.Equal(at) {
			t.Errorf("got notifiedAt %v, want %v", got.NotifiedAt, at)
		}
		// Queries see the mark too, and the rest of the finding is intact.
		all, err := s.Query(context.Background(), drift.HistoryQuery{})
		if err != nil || len(all) != 1 || all[0].NotifiedAt == nil || all[0].Reason != f.Reason {
			t.Errorf("query after mark: got %+v, %v", all, err)
		}
	})
	t.Run("SetOutcome", func(t *testing.T) {
		s := open(t)
		f := SampleFinding(9)
		if _, err := s.Record(context.Background(), []drift.Finding{f}); err != nil {
			t.Fatal(err)
		}
		for _, result := range []string{drift.ResultRevertFailed, drift.ResultReverted} {
			o := drift.RevertOutcome{Operations: []string{"eks:DeleteAccessEntry prod arn:aws:iam::111122223333:role/x"}, Result: result,
				Duration: 1500 * time.Millisecond, By: "arn:aws:iam::111122223333:role/eksdrift-revert", At: SampleTime(10), Attempts: 2, Error: "throttled"}
			if err := s.SetOutcome(context.Background(), f.ID(), o); err != nil {
				t.Fatal(err)
			}
			got, _, err := s.Get(context.Background(), f.ID())
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome == nil || got.Outcome.Result != result || !got.Outcome.At.Equal(o.At) || got.Outcome.Duration != o.Duration ||
				len(got.Outcome.Operations) != 1 || got.Outcome.By != o.By || got.Outcome.Attempts != 2 {
				t.Errorf("got outcome %+v, want %+v", got.Outcome, o)
			}
			if got.Reason != f.Reason || got.Decision != f.Decision {
				t.Errorf("setting the outcome changed the finding: got %+v", got)
			}
		}
		// Queries filter on the outcome set after recording, as on one
		// recorded with the finding.
		for _, tt := range []struct {
			outcome string
			want    int
		}{{drift.ResultReverted, 1}, {drift.ResultRevertFailed, 0}, {drift.OutcomeNone, 0}} {
			got, err := s.Query(context.Background(), drift.HistoryQuery{Outcome: tt.outcome})
			if err != nil || len(got) != tt.want {
				t.Errorf("Query(outcome %s): got %d findings, %v, want %d", tt.outcome, len(got), err, tt.want)
			}
		}
		if err := s.SetOutcome(context.Background(), "nope", drift.RevertOutcome{Result: drift.ResultSkipped}); err == nil {
			t.Error("got no error setting the outcome of a finding that does not exist")
		}
	})
	t.Run("ClaimPublication", func(t *testing.T) {
		ctx := context.Background()
		s := open(t)
		f := SampleFinding(11)
		if _, err := s.Record(ctx, []drift.Finding{f}); err != nil {
			t.Fatal(err)
		}
		at := SampleTime(12)
		lease := time.Minute
		claim := func(holder string, at time.Time) bool {
			t.Helper()
			ok, err := s.ClaimPublication(ctx, f.ID(), holder, at, at.Add(-lease))
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		// Deliveries racing each other: exactly one claim holds.
		const racers = 8
		var (
			wg     sync.WaitGroup
			start  = make(chan struct{})
			won    atomic.Int32
			winner atomic.Value
		)
		for i := range racers {
			wg.Go(func() {
				<-start
				holder := fmt.Sprintf("racer-%d", i)
				ok, err := s.ClaimPublication(ctx, f.ID(), holder, at, at.Add(-lease))
				if err != nil {
					t.Error(err)
				}
				if ok {
					won.Add(1)
					winner.Store(holder)
				}
			})
		}
		close(start)
		wg.Wait()
		if got := won.Load(); got != 1 {
			t.Fatalf("racing claims: got %d winners, want 1", got)
		}
		for _, tt := range []struct {
			name string
			do   func() bool
			want bool
		}{
			{"held claim", func() bool { return claim("late", at.Add(lease/2)) }, false},
			{"held claim, the same call retried by its holder", func() bool { return claim(winner.Load().(string), at) }, true},
			{"release by another holder", func() bool {
				if err := s.ReleasePublication(ctx, f.ID(), "late"); err != nil {
					t.Fatal(err)
				}
				return claim("late", at.Add(lease/2))
			}, false},
			{"stale claim taken over", func() bool { return claim("takeover", at.Add(lease+time.Second)) }, true},
			{"released claim", func() bool {
				if err := s.ReleasePublication(ctx, f.ID(), "takeover"); err != nil {
					t.Fatal(err)
				}
				return claim("after-release", at.Add(lease+2*time.Second))
			}, true},
			{"notified finding", func() bool {
				if err := s.MarkNotified(ctx, f.ID(), at.Add(lease+3*time.Second)); err != nil {
					t.Fatal(err)
				}
				return claim("after-notified", at.Add(10*lease))
			}, false},
			{"missing finding", func() bool {
				ok, err := s.ClaimPublication(ctx, "nope#access-entry#prod#x", "h", at, at.Add(-lease))
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}, false},
		} {
			if got := tt.do(); got != tt.want {
				t.Errorf("%s: got claimed %v, want %v", tt.name, got, tt.want)
			}
		}
		// The claim is no part of the finding.
		got, _, err := s.Get(ctx, f.ID())
		if err != nil || got.Reason != f.Reason || got.NotifiedAt == nil {
			t.Errorf("after claims: got %+v, %v", got, err)
		}
	})
	t.Run("MarkNotifiedMissing", func(t *testing.T) {
		s := open(t)
		if err := s.MarkNotified(context.Background(), "nope", time.Now()); err == nil {
			t.Error("got no error marking a finding that does not exist")
		}
	})
}
