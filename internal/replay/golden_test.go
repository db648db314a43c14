package replay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/replay"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const eventsDir = "../../events"

// TestGoldenEvents judges every sample in events/ against events/baseline.yaml
// and compares its findings with testdata/golden/<sample>.json.
func TestGoldenEvents(t *testing.T) {
	ix, err := baseline.Load(filepath.Join(eventsDir, "baseline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dep := loadDeployment(t)
	files, err := replay.Files([]string{eventsDir})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("got %d samples in events/, want at least 25", len(files))
	}
	seen := map[string]bool{}
	err = replay.Run(context.Background(), files, drift.NewEvaluator(ix).WithDeployment(dep), 2, func(r replay.Result) error {
		name := strings.TrimSuffix(filepath.Base(r.Path), ".json")
		seen[name+".json"] = true
		t.Run(name, func(t *testing.T) {
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %v", r.Errors)
			}
			got := goldenJSON(t, r)
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("no golden file (run go test ./internal/replay -run TestGoldenEvents -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("findings differ from %s (rerun with -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A golden file whose sample is gone is stale.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, g := range goldens {
		if !seen[filepath.Base(g)] {
			t.Errorf("%s has no sample in events/", g)
		}
	}
}

type golden struct {
	Records  int             `json:"records"`
	Ignored  map[string]int  `json:"ignored,omitempty"`
	Findings []drift.Finding `json:"findings"`
}

func goldenJSON(t *testing.T, r replay.Result) []byte {
	t.Helper()
	g := golden{Records: r.Records, Ignored: r.Ignored, Findings: r.Findings}
	if len(g.Ignored) == 0 {
		g.Ignored = nil
	}
	if g.Findings == nil {
		g.Findings = []drift.Finding{}
	}
	for i := range g.Findings {
		// The baseline's path and hash change with the checkout and every
		// edit; they are tested on their own.
		g.Findings[i].BaselineSource, g.Findings[i].BaselineVersion = "", ""
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
