package dynamodb

import (
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

func TestSweepRecord(t *testing.T) {
	c := client(t)
	name := table(t, c)
	s := New(c, name)
	ctx := t.Context()
	if _, found, err := s.SweepRecord(ctx, "sweep"); found || err != nil {
		t.Fatalf("before any: got found %v, %v, want none", found, err)
	}
	for _, doc := range []string{`{"round":"2026-10-14T10:00:00Z","done":["111111111111/us-west-2"]}`, `{"round":"2026-10-14T10:00:00Z","done":[],"complete":true}`} {
		if err := s.SaveSweepRecord(ctx, "sweep", []byte(doc)); err != nil {
			t.Fatal(err)
		}
		// Another store on the same table, as the next invocation makes.
		got, found, err := New(client(t), name).SweepRecord(ctx, "sweep")
		if err != nil || !found || string(got) != doc {
			t.Errorf("got %s, %v, %v, want %s", got, found, err, doc)
		}
	}
	if err := s.SaveSweepRecord(ctx, "sweep", []byte(strings.Repeat("x", maxSweepRecord+1))); err == nil {
		t.Error("an oversized record: got no error, want one before DynamoDB refuses the item")
	}
	// The item is no finding: queries pass over it.
	if _, err := s.Record(ctx, []drift.Finding{drifttest.SampleFinding(1)}); err != nil {
		t.Fatal(err)
	}
	if all, err := s.Query(ctx, drift.HistoryQuery{}); err != nil || len(all) != 1 {
		t.Errorf("Query: got %d findings, %v, want just the one recorded", len(all), err)
	}
}
