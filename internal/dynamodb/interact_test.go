package dynamodb

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestNoteRequestRefusesReplays(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	exp := time.Now().Add(10 * time.Minute)
	for _, st := range []struct {
		name, sig string
		want      bool
	}{
		{"a new signature", "v0=aaaa", true},
		{"the same again: a replay", "v0=aaaa", false},
		{"another signature", "v0=bbbb", true},
	} {
		got, err := s.NoteRequest(ctx, st.sig, exp)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
}

func TestApprovalIsConsumedOnce(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	a := drift.Approval{ID: "ap1", FindingID: "evt#1#access-entry#x", Approver: "U012ABCDEF", At: now, Expires: now.Add(15 * time.Minute)}
	if err := s.PutApproval(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.PutApproval(ctx, a); err == nil {
		t.Error("an approval written twice: got no error")
	}
	if _, ok, err := s.ConsumeApproval(ctx, "never-written", now); err != nil || ok {
		t.Errorf("an unknown approval: got %v, %v, want false", ok, err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			got, ok, err := s.ConsumeApproval(ctx, "ap1", now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
				if !got.At.Equal(a.At) || got.FindingID != a.FindingID || got.Approver != a.Approver {
					t.Errorf("got %+v, want %+v", got, a)
				}
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("got %d consumers of one approval, want 1", n)
	}
}

func TestSnoozeAndInteractions(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	key := "111122223333/us-west-2/prod/access-entry/arn:aws:iam::111122223333:role/x#y"
	if got, err := s.SnoozedUntil(ctx, key); err != nil || !got.IsZero() {
		t.Errorf("no snooze: got %v, %v, want the zero time", got, err)
	}
	until := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if err := s.Snooze(ctx, key, until, "U012ABCDEF"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SnoozedUntil(ctx, key); err != nil || !got.Equal(until) {
		t.Errorf("got %v, %v, want %v", got, err, until)
	}
	at := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	for i, o := range []string{drift.InteractionRefused, drift.InteractionAllowed} {
		in := drift.Interaction{At: at.Add(time.Duration(i) * time.Second), User: "U012ABCDEF", Action: "revert", FindingID: "f", Outcome: o, Reason: "r"}
		if err := s.RecordInteraction(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Interactions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Outcome != drift.InteractionRefused || list[1].Outcome != drift.InteractionAllowed {
		t.Errorf("got %+v, want the refused then the allowed interaction", list)
	}
	// None of these items is a finding.
	if fs, err := s.Query(ctx, drift.HistoryQuery{}); err != nil || len(fs) != 0 {
		t.Errorf("got %d findings (%v), want none", len(fs), err)
	}
}
