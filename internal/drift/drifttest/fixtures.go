package drifttest

import (
	"embed"
	"encoding/json"
	"path"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The findings, outcomes and digests that every renderer's tests read
// (Slack's Block Kit, Chatbot's notifications, e-mail, the notifier): one
// copy, here, so that a new kind's sample is written once and every
// rendering of it is checked. Each renderer keeps its own goldens (what it
// makes of these) under its own testdata/golden.
//
//   - testdata/findings: one finding per kind, and cases worth their own
//     look (a removal, break-glass, a widened scope, a long document);
//   - testdata/outcomes: one outcome per result of a revert;
//   - testdata/digests: bursts, as JSON arrays of DigestEntry.
//
//go:embed testdata/findings/*.json testdata/outcomes/*.json testdata/digests/*.json
var fixtures embed.FS

// FixtureFolders are the folders of shared fixtures.
var FixtureFolders = []string{"findings", "outcomes", "digests"}

// Fixture is one shared fixture file: its name without ".json", and its
// bytes as they are on disk.
type Fixture struct {
	Name string
	Data []byte
}

// Fixtures gives the fixtures of one folder ("findings", "outcomes" or
// "digests"), in order of name. A folder without any fails the test.
func Fixtures(t testing.TB, folder string) []Fixture {
	t.Helper()
	entries, err := fixtures.ReadDir(path.Join("testdata", folder))
	if err != nil || len(entries) == 0 {
		t.Fatalf("drifttest: no fixtures in testdata/%s: %v", folder, err)
	}
	var out []Fixture
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := fixtures.ReadFile(path.Join("testdata", folder, e.Name()))
		if err != nil {
			t.Fatalf("drifttest: reading fixture %s/%s: %v", folder, e.Name(), err)
		}
		out = append(out, Fixture{Name: strings.TrimSuffix(e.Name(), ".json"), Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FixtureData gives one fixture file's bytes; a missing one fails the test.
func FixtureData(t testing.TB, folder, name string) []byte {
	t.Helper()
	data, err := fixtures.ReadFile(path.Join("testdata", folder, name+".json"))
	if err != nil {
		t.Fatalf("drifttest: no fixture %s/%s.json: %v", folder, name, err)
	}
	return data
}

// FixtureFinding gives the finding of testdata/findings/<name>.json.
func FixtureFinding(t testing.TB, name string) drift.Finding {
	t.Helper()
	var f drift.Finding
	if err := json.Unmarshal(FixtureData(t, "findings", name), &f); err != nil {
		t.Fatalf("drifttest: fixture findings/%s.json is not a finding: %v", name, err)
	}
	return f
}

// FixtureOutcome gives the outcome of testdata/outcomes/<name>.json.
func FixtureOutcome(t testing.TB, name string) drift.Outcome {
	t.Helper()
	var o drift.Outcome
	if err := json.Unmarshal(FixtureData(t, "outcomes", name), &o); err != nil {
		t.Fatalf("drifttest: fixture outcomes/%s.json is not an outcome: %v", name, err)
	}
	return o
}

// DigestEntry is one message of a digest fixture: a finding, or, with
// Result, the outcome of its revert at At. Renderers turn it into their own
// digest item.
type DigestEntry struct {
	Finding drift.Finding        `json:"finding"`
	Result  *drift.RevertOutcome `json:"result"`
	At      time.Time            `json:"at"`
}

// DecodeDigest reads a digest fixture's data.
func DecodeDigest(t testing.TB, data []byte) []DigestEntry {
	t.Helper()
	var out []DigestEntry
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("drifttest: not a digest fixture: %v", err)
	}
	return out
}
