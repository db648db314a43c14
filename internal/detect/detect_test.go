package detect

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

// These tests exercise the detector's own logic with the real SQLite
// history and the sample baseline; the state reader and the publisher are
// stand-ins for the AWS adapters, which functions/detect's end-to-end test
// runs for real on MiniStack.

type states map[string]drift.Observation // by resource key

func (s states) Observe(_ context.Context, c drift.Change) (drift.Observation, error) {
	if o, ok := s[c.Resource.Key()]; ok {
		return o, nil
	}
	return drift.Observation{}, errors.New("throttled")
}

type outbox struct {
	sent []drift.Finding
	fail int // fail this many publishes first
}

func (o *outbox) Publish(_ context.Context, f drift.Finding) error {
	if o.fail > 0 {
		o.fail--
		return errors.New("topic unavailable")
	}
	o.sent = append(o.sent, f)
	return nil
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newDetector(t *testing.T, st states, out *outbox) (*Detector, *sqlite.Store) {
	t.Helper()
	ix, err := baseline.Load("../../events/baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &Detector{
		Baseline:  func(context.Context) (*drift.Index, error) { return ix, nil },
		EKS:       st,
		IAM:       st,
		History:   store,
		Publisher: out,
		Metrics:   &metrics.Set{},
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:       func() time.Time { return time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC) },
	}, store
}

const contractor = "arn:aws:iam::111122223333:role/contractor"

func TestDriftIsRecordedAndPublishedOnce(t *testing.T) {
	entry := &drift.AccessEntry{PrincipalARN: contractor, Type: "STANDARD", KubernetesGroups: []string{"viewers"}}
	out := &outbox{}
	d, store := newDetector(t, states{contractor: {Present: true, Resource: entry, ReadAt: time.Now()}}, out)
	event := sample(t, "eks-create-access-entry-undeclared-role.json")
	for i := 0; i < 3; i++ {
		if err := d.Handle(context.Background(), event); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := store.Query(context.Background(), drift.HistoryQuery{})
	if len(all) != 1 || len(out.sent) != 1 {
		t.Fatalf("got %d records and %d messages, want 1 and 1", len(all), len(out.sent))
	}
	f := all[0]
	if f.Decision != drift.DecisionRevert || f.Live == nil || !f.Live.Present || f.NotifiedAt == nil {
		t.Errorf("got %+v", f)
	}
	if got := d.Metrics.Get(metrics.Duplicates); got != 2 {
		t.Errorf("duplicates metric: got %v, want 2", got)
	}
}

func TestPublishFailureIsRetriedWithoutASecondRecord(t *testing.T) {
	out := &outbox{fail: 1}
	d, store := newDetector(t, states{contractor: {Present: true, Resource: &drift.AccessEntry{PrincipalARN: contractor, Type: "STANDARD", KubernetesGroups: []string{"viewers"}}}}, out)
	event := sample(t, "eks-create-access-entry-undeclared-role.json")
	if err := d.Handle(context.Background(), event); err == nil || !strings.Contains(err.Error(), "topic unavailable") {
		t.Fatalf("got %v, want the publish error so Lambda retries", err)
	}
	if err := d.Handle(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	all, _ := store.Query(context.Background(), drift.HistoryQuery{})
	if len(all) != 1 || len(out.sent) != 1 || all[0].NotifiedAt == nil {
		t.Errorf("got %d records, %d messages, want 1 and 1, marked notified", len(all), len(out.sent))
	}
}

func TestUndoneDriftIsNotReverted(t *testing.T) {
	out := &outbox{}
	d, _ := newDetector(t, states{contractor: {Present: false, ReadAt: time.Now()}}, out)
	if err := d.Handle(context.Background(), sample(t, "eks-create-access-entry-undeclared-role.json")); err != nil {
		t.Fatal(err)
	}
	if len(out.sent) != 1 || out.sent[0].Decision != drift.DecisionAlert || !strings.Contains(out.sent[0].Reason, "nothing to revert") {
		t.Errorf("got %+v", out.sent)
	}
}

func TestUnreadableBaselineAlertsWithoutReverting(t *testing.T) {
	out := &outbox{}
	d, _ := newDetector(t, states{}, out)
	d.Baseline = func(context.Context) (*drift.Index, error) {
		return nil, &drift.InvalidBaselineError{Source: "s3://b/k", Line: 3, Field: "mode", Problem: "value must be one of ..."}
	}
	if err := d.Handle(context.Background(), sample(t, "eks-associate-access-policy-cluster-admin.json")); err != nil {
		t.Fatal(err)
	}
	if len(out.sent) != 1 {
		t.Fatalf("got %d messages, want 1", len(out.sent))
	}
	f := out.sent[0]
	if f.Decision != drift.DecisionAlert || !strings.Contains(f.Reason, "s3://b/k:3") {
		t.Errorf("got decision %s reason %q", f.Decision, f.Reason)
	}
	if d.Metrics.Get(metrics.BaselineErrors) != 1 {
		t.Error("baseline error not counted")
	}
}

func TestErrorsAreReturnedForRetry(t *testing.T) {
	d, _ := newDetector(t, states{}, &outbox{})
	// The state reader fails: the event must come back.
	err := d.Handle(context.Background(), sample(t, "eks-create-access-entry-undeclared-role.json"))
	if err == nil || !strings.Contains(err.Error(), "live state of access-entry") || IsMalformed(err) {
		t.Errorf("got %v, want a retryable live-state error", err)
	}
	err = d.Handle(context.Background(), []byte(`{"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "CreateAccessEntry", "eventSource": "eks.amazonaws.com"}}`))
	if !IsMalformed(err) {
		t.Errorf("got %v, want a malformed-event error", err)
	}
}

// TestUnreadableRecordIsNotDropped: the decoder reads the other records of a
// log file past one it cannot read; the detector must still fail the input
// so that it reaches the dead-letter queue.
func TestUnreadableRecordIsNotDropped(t *testing.T) {
	d, _ := newDetector(t, states{}, &outbox{})
	err := d.Handle(context.Background(), []byte(`{"Records": [{"eventName": "CreateAccessEntry", "eventSource": "eks.amazonaws.com", "eventID": "e-1", "userIdentity": {"arn": {}}}]}`))
	if !IsMalformed(err) || !strings.Contains(err.Error(), "e-1") {
		t.Errorf("got %v, want a malformed-event error naming the record", err)
	}
}

func TestIgnoredAndCompliantEvents(t *testing.T) {
	out := &outbox{}
	d, store := newDetector(t, states{}, out)
	for _, name := range []string{"eks-create-access-entry-failed.json", "eks-describe-access-entry-read-only.json", "ec2-run-instances-unrelated.json"} {
		if err := d.Handle(context.Background(), sample(t, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Compliant: no live-state read (the reader would fail), recorded and published.
	if err := d.Handle(context.Background(), sample(t, "eks-create-access-entry-declared.json")); err != nil {
		t.Fatal(err)
	}
	all, _ := store.Query(context.Background(), drift.HistoryQuery{})
	if len(all) != 1 || all[0].Drift || len(out.sent) != 1 {
		t.Errorf("got %d records, %d messages", len(all), len(out.sent))
	}
	if d.Metrics.Get(metrics.EventsIgnored) != 3 || d.Metrics.Get(metrics.Compliant) != 1 {
		t.Errorf("metrics: ignored %v compliant %v", d.Metrics.Get(metrics.EventsIgnored), d.Metrics.Get(metrics.Compliant))
	}
}

func TestDeadClaimHolderIsTakenOverAfterTheLease(t *testing.T) {
	out := &outbox{fail: 1}
	d, store := newDetector(t, states{contractor: {Present: true, Resource: &drift.AccessEntry{PrincipalARN: contractor, Type: "STANDARD", KubernetesGroups: []string{"viewers"}}}}, out)
	now := time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	d.PublishLease, d.ClaimWait = time.Minute, 200*time.Millisecond
	event := sample(t, "eks-create-access-entry-undeclared-role.json")
	// The first delivery records the finding; its publish fails and it
	// releases its claim.
	if err := d.Handle(context.Background(), event); err == nil {
		t.Fatal("got no error, want the publish error")
	}
	all, _ := store.Query(context.Background(), drift.HistoryQuery{})
	if len(all) != 1 {
		t.Fatalf("got %d records, want 1", len(all))
	}
	id := all[0].ID()
	// Another delivery claims it and dies before publishing.
	if ok, err := store.ClaimPublication(context.Background(), id, "dead", now, now.Add(-time.Minute)); err != nil || !ok {
		t.Fatalf("got claimed %v, %v, want the released claim taken", ok, err)
	}
	for _, tt := range []struct {
		name     string
		after    time.Duration
		wantErr  bool
		wantSent int
	}{
		{"within the lease: retry later", 30 * time.Second, true, 0},
		{"past the lease: taken over", 61 * time.Second, false, 1},
		{"published: a duplicate", 120 * time.Second, false, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now = time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC).Add(tt.after)
			err := d.Handle(context.Background(), event)
			if (err != nil) != tt.wantErr || IsMalformed(err) {
				t.Errorf("got error %v, want an error: %v", err, tt.wantErr)
			}
			if len(out.sent) != tt.wantSent {
				t.Errorf("got %d messages, want %d", len(out.sent), tt.wantSent)
			}
		})
	}
}

// failingReader stands in for the reader of a service that must not be
// asked: it fails every read.
type failingReader struct{ service string }

func (r failingReader) Observe(_ context.Context, c drift.Change) (drift.Observation, error) {
	return drift.Observation{}, errors.New(r.service + " reader asked for " + string(c.Kind()))
}

// The reader is chosen by the change's kind (drift.Kind.Service), not by
// the event source its record claims: an IAM change whose record names
// another source is still read from IAM, and an EKS one from EKS.
func TestReaderIsChosenByKind(t *testing.T) {
	tests := []struct {
		name   string
		change drift.Change
		live   states
		eksOK  bool
	}{
		{
			name: "iam kind, no event source",
			change: drift.Change{Op: drift.OpRemoved, Resource: &drift.Role{ARN: "arn:aws:iam::111122223333:role/developers", Name: "developers"},
				Event: drift.Event{ID: "ev-iam", Time: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC), Name: "DeleteRole", Account: "111122223333", Region: "us-east-1",
					Actor: drift.Actor{ARN: contractor}}},
			live: states{"developers": {Present: false}},
		},
		{
			name: "iam kind, eks event source",
			change: drift.Change{Op: drift.OpRemoved, Resource: &drift.Role{ARN: "arn:aws:iam::111122223333:role/developers", Name: "developers"},
				Event: drift.Event{ID: "ev-iam-forged", Time: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC), Name: "DeleteRole", Source: "eks.amazonaws.com", Account: "111122223333", Region: "us-east-1",
					Actor: drift.Actor{ARN: contractor}}},
			live: states{"developers": {Present: false}},
		},
		{
			name: "eks kind, iam event source",
			change: drift.Change{Op: drift.OpAdded, Cluster: "prod", Resource: &drift.AccessEntry{PrincipalARN: contractor},
				Event: drift.Event{ID: "ev-eks-forged", Time: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC), Name: "CreateAccessEntry", Source: "iam.amazonaws.com", Account: "111122223333", Region: "us-west-2",
					Actor: drift.Actor{ARN: contractor}}},
			live:  states{contractor: {Present: true, Resource: &drift.AccessEntry{PrincipalARN: contractor, Type: drift.EntryStandard}}},
			eksOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, _ := newDetector(t, nil, out)
			d.EKS, d.IAM = failingReader{"eks"}, tt.live
			if tt.eksOK {
				d.EKS, d.IAM = tt.live, failingReader{"iam"}
			}
			if err := d.handleChange(context.Background(), tt.change); err != nil {
				t.Fatalf("got %v, want the change read from its kind's service", err)
			}
			if len(out.sent) != 1 || !out.sent[0].Drift || out.sent[0].Live == nil {
				t.Fatalf("got %+v, want one drift finding confirmed on the live state", out.sent)
			}
		})
	}
}
