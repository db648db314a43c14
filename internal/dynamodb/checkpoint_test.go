package dynamodb

import (
	"errors"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

func TestCheckpoint(t *testing.T) {
	c := client(t)
	name := table(t, c)
	s := New(c, name)
	ctx := t.Context()
	if _, found, err := s.Checkpoint(ctx, "catchup"); found || err != nil {
		t.Fatalf("before any: got found %v, %v, want none", found, err)
	}
	at := time.Date(2026, 10, 14, 9, 0, 0, 123456789, time.UTC)
	if err := s.SetCheckpoint(ctx, "catchup", at); err != nil {
		t.Fatal(err)
	}
	// Another store on the same table, as a new process would make.
	other := New(client(t), name)
	got, found, err := other.Checkpoint(ctx, "catchup")
	if err != nil || !found || !got.Equal(at) {
		t.Errorf("got %v, %v, %v, want %v", got, found, err, at)
	}
	if err := other.SetCheckpoint(ctx, "catchup", at.Add(-time.Minute)); !errors.Is(err, ErrCheckpointBehind) {
		t.Errorf("moving back: got %v, want ErrCheckpointBehind", err)
	}
	if err := other.SetCheckpoint(ctx, "catchup", at.Add(time.Hour)); err != nil {
		t.Errorf("moving forward: %v", err)
	}
	if got, _, _ := s.Checkpoint(ctx, "catchup"); !got.Equal(at.Add(time.Hour)) {
		t.Errorf("got %v, want it moved forward", got)
	}
	if _, found, _ := s.Checkpoint(ctx, "other"); found {
		t.Error("checkpoints are apart by name")
	}

	// The item is no finding: queries and Get pass over it.
	f := drifttest.SampleFinding(1)
	if _, err := s.Record(ctx, []drift.Finding{f}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Query(ctx, drift.HistoryQuery{})
	if err != nil || len(all) != 1 {
		t.Errorf("Query: got %d findings, %v, want just the one recorded", len(all), err)
	}
	if _, found, err := s.Get(ctx, CheckpointPrefix+"catchup"); found || err != nil {
		t.Errorf("Get(checkpoint): got found %v, %v", found, err)
	}
}
