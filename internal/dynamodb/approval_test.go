package dynamodb

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestApprovals(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	const id = "ev-1#access-policy#prod#arn:aws:iam::111122223333:role/x|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	steps := []struct {
		name     string
		approver string
		after    time.Duration // from at
		want     Approval
	}{
		{"the first approval is pending", "U1", 0, Approval{First: "U1", Until: at.Add(time.Hour)}},
		{"the same approver twice is not two", "U1", time.Minute, Approval{First: "U1", Until: at.Add(time.Hour), Repeated: true}},
		{"a different approver completes it", "U2", 2 * time.Minute, Approval{First: "U1", Second: "U2", Until: at.Add(time.Hour), Complete: true}},
		{"its completer may retry", "U2", 3 * time.Minute, Approval{First: "U1", Second: "U2", Until: at.Add(time.Hour), Complete: true}},
		{"a third approver completes nothing", "U3", 4 * time.Minute, Approval{First: "U1", Second: "U2", Until: at.Add(time.Hour)}},
		{"the first approver cannot complete it either", "U1", 5 * time.Minute, Approval{First: "U1", Second: "U2", Until: at.Add(time.Hour)}},
	}
	for _, st := range steps {
		got, err := s.Approve(ctx, id, st.approver, at.Add(st.after), time.Hour)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Fatalf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
	t.Run("a lapsed first approval is replaced", func(t *testing.T) {
		const other = "ev-2#access-entry#prod#arn:aws:iam::111122223333:role/y"
		if _, err := s.Approve(ctx, other, "U1", at, time.Hour); err != nil {
			t.Fatal(err)
		}
		got, err := s.Approve(ctx, other, "U2", at.Add(2*time.Hour), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if want := (Approval{First: "U2", Until: at.Add(3 * time.Hour)}); got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
	if fs, err := s.Query(ctx, drift.HistoryQuery{}); err != nil || len(fs) != 0 {
		t.Errorf("got %d findings (%v), want none", len(fs), err)
	}
}

// TestApprovalsUnderConcurrency: eight different approvers pressing at
// once: one first approval, one completion, and the rest told who approved.
func TestApprovalsUnderConcurrency(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var firsts, completes atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 8 {
		wg.Go(func() {
			<-start
			a, err := s.Approve(ctx, "ev-9#aws-auth#prod#kube-system/aws-auth", string(rune('A'+i)), at, time.Hour)
			if err != nil {
				t.Error(err)
			}
			switch {
			case a.Complete:
				completes.Add(1)
			case a.Second == "" && a.First == string(rune('A'+i)):
				firsts.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if f, c := firsts.Load(), completes.Load(); f != 1 || c != 1 {
		t.Errorf("got %d first approvals and %d completions, want 1 and 1", f, c)
	}
}
