package notify

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
)

// MiniStack serves the snoozes' store (the history table), so the snooze
// test reads real DynamoDB items; the other tests never call it.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func TestSnoozedDriftIsNotTold(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	table := awstest.Name(t, "h")
	c := awsddb.NewFromConfig(cfg)
	if err := dynamodb.CreateTable(ctx, c, table); err != nil {
		t.Fatal(err)
	}
	store := dynamodb.New(c, table)
	now := time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)

	snoozed := finding(t, "access-policy")
	other := finding(t, "access-entry")
	outcome := drift.Outcome{Finding: snoozed, FindingID: snoozed.ID(), Result: drift.RevertOutcome{Result: drift.ResultReverted}, At: now}
	if err := store.Snooze(ctx, drift.DriftKey(snoozed), now.Add(time.Hour), "U012ABCDEF"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		at    time.Time
		in    []drift.Finding
		posts int
	}{
		{"while snoozed, that drift is not told", now, []drift.Finding{snoozed}, 0},
		{"other drift is told", now, []drift.Finding{other}, 1},
		{"once the snooze ends, it is told again", now.Add(time.Hour), []drift.Finding{snoozed}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, s, ch := newNotifier()
			n.Snoozes, n.Now = store, func() time.Time { return tt.at }
			if _, err := n.Handle(ctx, sqsEvent(t, tt.in)); err != nil {
				t.Fatal(err)
			}
			if len(s.posts) != tt.posts || len(ch.sent) != tt.posts {
				t.Errorf("got %d posts and %d notifications, want %d", len(s.posts), len(ch.sent), tt.posts)
			}
			if got, want := n.Metrics.Get(metricSnoozed), float64(len(tt.in)-tt.posts); got != want {
				t.Errorf("Snoozed: got %v, want %v", got, want)
			}
		})
	}
	t.Run("an outcome is always told", func(t *testing.T) {
		n, s, _ := newNotifier()
		n.Snoozes, n.Now = store, func() time.Time { return now }
		if _, err := n.Handle(ctx, snsEvent(t, []any{outcome}, "outcome")); err != nil {
			t.Fatal(err)
		}
		if len(s.posts) != 1 {
			t.Errorf("got %d posts, want the outcome's", len(s.posts))
		}
	})
	// A burst that a digest would tell leaves the snoozed drift out of it.
	t.Run("digests leave snoozed drift out", func(t *testing.T) {
		n, s, _ := newNotifier()
		n.DigestThreshold = 1
		n.Snoozes, n.Now = store, func() time.Time { return now }
		b := burst(t, "prod", 3, now.Add(-time.Minute))
		for i := range b {
			b[i].Resource += strings.Repeat("x", i) // three drifts, one snoozed
		}
		if err := store.Snooze(ctx, drift.DriftKey(b[0]), now.Add(time.Hour), "U012ABCDEF"); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Handle(ctx, sqsEvent(t, b)); err != nil {
			t.Fatal(err)
		}
		if len(s.posts) != 1 || n.Metrics.Get(metricDigests) != 1 {
			t.Fatalf("got %d posts, %v digests, want one digest", len(s.posts), n.Metrics.Get(metricDigests))
		}
		if got := n.Metrics.Get(metricNotified); got != 2 {
			t.Errorf("Notified: got %v, want the 2 awake findings", got)
		}
	})
}

func TestButtonsOnlyWhenInteractive(t *testing.T) {
	f := finding(t, "access-entry")
	for _, on := range []bool{false, true} {
		n, s, _ := newNotifier()
		n.Buttons.On = on
		if _, err := n.Handle(context.Background(), sqsEvent(t, []drift.Finding{f})); err != nil {
			t.Fatal(err)
		}
		has := false
		for _, b := range s.posts[0].Blocks.BlockSet {
			has = has || b.BlockType() == "actions"
		}
		if has != on {
			t.Errorf("interactive %v: got buttons %v, want %v", on, has, on)
		}
	}
}
