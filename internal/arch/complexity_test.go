package arch

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestComplexityGate runs .ci/complexity, the gate `make lint` puts after
// gocyclo, on made-up gocyclo reports: the exceptions may shrink, never grow.
func TestComplexityGate(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash: the gate is a bash script")
	}
	gate, err := filepath.Abs(filepath.Join(root, ".ci", "complexity"))
	if err != nil {
		t.Fatal(err)
	}
	const listed = "# a comment\n\nslack describe: one case per kind\ncloudtrail translate: one case per call\n"
	tests := []struct {
		name       string
		exceptions string
		report     string
		ok         bool
		says       string
	}{
		{"every function over the limit is listed", listed,
			"82 slack describe internal/slack/describe.go:44:1\n41 cloudtrail translate internal/cloudtrail/changes.go:196:1\n", true, ""},
		{"a new function over the limit", listed,
			"82 slack describe a.go:1:1\n41 cloudtrail translate b.go:1:1\n31 cli newThing internal/cli/x.go:1:1\n", false,
			"cli newThing (internal/cli/x.go:1:1) has cyclomatic complexity 31"},
		{"a listed function no longer over the limit", listed,
			"82 slack describe a.go:1:1\n", false, "cloudtrail translate is no longer over the limit"},
		{"an exception with no reason", "slack describe\n",
			"82 slack describe a.go:1:1\n", false, `"slack describe" has no reason`},
		{"an exception with an empty reason", "slack describe:   \n",
			"82 slack describe a.go:1:1\n", false, "has no reason"},
		{"a function listed twice", "slack describe: a\nslack describe: b\n",
			"82 slack describe a.go:1:1\n", false, "lists slack describe twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "exceptions")
			if err := os.WriteFile(file, []byte(tt.exceptions), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", gate, file)
			cmd.Stdin = strings.NewReader(tt.report)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if got := err == nil; got != tt.ok {
				t.Errorf("passed: got %v, want %v (output %q, error %v)", got, tt.ok, out.String(), err)
			}
			if !strings.Contains(out.String(), tt.says) {
				t.Errorf("output: got %q, want it to contain %q", out.String(), tt.says)
			}
		})
	}
}

// TestComplexityExceptionsHaveReasons checks the tracked list itself: every
// line names a function and gives a reason.
func TestComplexityExceptionsHaveReasons(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, ".complexity-exceptions"))
	if err != nil {
		t.Fatalf("arch: cannot read .complexity-exceptions: %v", err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn, why, ok := strings.Cut(line, ":")
		if !ok || len(strings.Fields(fn)) != 2 || len(strings.TrimSpace(why)) < 20 {
			t.Errorf(".complexity-exceptions:%d: got %q, want \"PACKAGE FUNCTION: REASON\" with a reason of 20 characters or more", i+1, line)
		}
	}
}
