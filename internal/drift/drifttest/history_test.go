package drifttest_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

// memStore is the simplest store that keeps the contract: it shows that the
// suite asks for nothing the interface and its comments do not promise.
type memStore struct {
	mu       sync.Mutex
	findings map[string]drift.Finding
}

func (m *memStore) Record(ctx context.Context, fs []drift.Finding) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, f := range fs {
		if _, ok := m.findings[f.ID()]; ok {
			continue
		}
		f.EventTime = f.EventTime.UTC()
		m.findings[f.ID()] = f
		n++
	}
	return n, nil
}

func (m *memStore) Query(ctx context.Context, q drift.HistoryQuery) ([]drift.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []drift.Finding{}
	for _, f := range m.findings {
		if q.Matches(f) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b drift.Finding) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), strings.Compare(a.ID(), b.ID()))
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func TestRunHistoryStore(t *testing.T) {
	drifttest.RunHistoryStore(t, func(t *testing.T) drift.HistoryStore {
		return &memStore{findings: map[string]drift.Finding{}}
	})
}

func TestSampleFindingsCoverEveryValue(t *testing.T) {
	fs := drifttest.SampleFindings(drifttest.SampleSpan())
	seen := map[string]bool{}
	ids := map[string]bool{}
	for i, f := range fs {
		seen["kind "+string(f.Kind)] = true
		seen["severity "+string(f.Severity)] = true
		seen["decision "+string(f.Decision)] = true
		seen["change "+string(f.Change)] = true
		seen["detectedBy "+f.DetectedBy] = true
		if f.Drift {
			seen["drift"] = true
		} else {
			seen["compliant"] = true
		}
		if ids[f.ID()] {
			t.Errorf("SampleFinding(%d) repeats ID %s", i, f.ID())
		}
		ids[f.ID()] = true
		if i > 0 && !fs[i-1].EventTime.Before(f.EventTime) {
			t.Errorf("SampleFinding(%d) is not after the one before: got %v, want after %v", i, f.EventTime, fs[i-1].EventTime)
		}
		if f.EventTime.Nanosecond()%1000 == 0 {
			t.Errorf("SampleFinding(%d) time %v has no nanoseconds: a store that truncates would pass", i, f.EventTime)
		}
	}
	var want []string
	for _, k := range drift.Kinds {
		want = append(want, "kind "+string(k))
	}
	for _, s := range drift.Severities {
		want = append(want, "severity "+string(s))
	}
	for _, d := range []drift.Decision{drift.DecisionNone, drift.DecisionAlert, drift.DecisionDryRun, drift.DecisionRevert, drift.DecisionBreakGlass} {
		want = append(want, "decision "+string(d))
	}
	for _, o := range []drift.Op{drift.OpAdded, drift.OpRemoved, drift.OpModified} {
		want = append(want, "change "+string(o))
	}
	want = append(want, "detectedBy "+drift.DetectedByEvent, "detectedBy "+drift.DetectedBySweep, "drift", "compliant")
	for _, w := range want {
		if !seen[w] {
			t.Errorf("%d samples hold %s: got %v, want %v", drifttest.SampleSpan(), w, false, true)
		}
	}
}
