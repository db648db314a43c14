package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayWithDeployment replays the samples with the outputs file of the
// deployment they were made against: the tamper calls on its resources
// are critical drift, redeploys by its Deployers and calls on other
// resources are compliant. Without --deployment no tamper is drift.
func TestReplayWithDeployment(t *testing.T) {
	outputs := filepath.Join(events, "deployment.outputs")
	tests := []struct {
		name      string
		args      []string
		tamper    int // tamper findings that are drift
		compliant []string
	}{
		{"with the deployment", []string{"--deployment", outputs}, 27, []string{"stack:eksdrift", "trail:sandbox-debug", "function:eksdrift-DetectorFunction5B2C1D3E-Wq8rT2yU4iO6"}},
		{"without it", nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"replay", "--baseline", sampleBaseline, "--output", "json", "--all"}, tt.args...)
			r := run(t, stateEnv(t), append(args, events)...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			drifted, compliant := 0, map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				var f struct {
					Kind, Resource, Severity, Decision string
					Drift                              bool
				}
				if err := json.Unmarshal([]byte(line), &f); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				if f.Kind != "tamper" {
					continue
				}
				if f.Drift {
					drifted++
					if f.Decision != "alert" {
						t.Errorf("%s: got decision %s, want alert (tamper is never reverted)", f.Resource, f.Decision)
					}
				} else {
					compliant[f.Resource] = true
				}
			}
			if drifted != tt.tamper {
				t.Errorf("got %d tamper findings that drift, want %d", drifted, tt.tamper)
			}
			for _, c := range tt.compliant {
				if !compliant[c] {
					t.Errorf("got %s not compliant, want compliant", c)
				}
			}
		})
	}
	t.Run("an outputs file of another stack", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "outputs.json")
		if err := os.WriteFile(bad, []byte(`{"web":{"Url":"https://example.com"}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, stateEnv(t), "replay", "--baseline", sampleBaseline, "--deployment", bad, events)
		if r.code != ExitError || !strings.Contains(r.stderr, "StackName") {
			t.Errorf("got exit %d, %q, want exit %d naming StackName", r.code, r.stderr, ExitError)
		}
	})
}
