package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := Run(context.Background(), args, getenv, &out, &errb)
	return result{code, out.String(), errb.String()}
}

func stateEnv(t *testing.T) map[string]string {
	return map[string]string{"XDG_STATE_HOME": t.TempDir()}
}

const (
	events         = "../../events"
	sampleBaseline = "../../events/baseline.yaml"
)

func TestReplayEventsIsIdempotent(t *testing.T) {
	env := stateEnv(t)
	first := run(t, env, "replay", "--baseline", sampleBaseline, events)
	if first.code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", first.code, first.stderr)
	}
	lines := strings.Split(strings.TrimSpace(first.stdout), "\n")
	if !strings.HasPrefix(lines[0], "TIME") {
		t.Errorf("got first line %q, want the table header", lines[0])
	}
	for _, want := range []string{"files 106, events read 112", "ignored 8", "drift 63: 16 critical", "107 new findings recorded", filepath.Join(env["XDG_STATE_HOME"], "eksdrift", "history.db")} {
		if !strings.Contains(first.stderr, want) {
			t.Errorf("summary does not say %q:\n%s", want, first.stderr)
		}
	}
	if got := len(lines) - 1; got != 63 {
		t.Errorf("got %d findings printed, want the 63 drift findings", got)
	}
	second := run(t, env, "replay", "--baseline", sampleBaseline, events)
	if second.code != ExitOK || !strings.Contains(second.stderr, ": 0 new findings recorded") {
		t.Errorf("second replay: exit %d, want 0 new findings:\n%s", second.code, second.stderr)
	}
	all := run(t, env, "history", "--output", "json")
	if n := strings.Count(all.stdout, "\n"); n != 107 {
		t.Errorf("history after two replays: got %d findings, want 107 (one each)", n)
	}
}

func TestReplayJSONContract(t *testing.T) {
	r := run(t, stateEnv(t), "replay", "--baseline", sampleBaseline, "--all", "--output", "json", events)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fields := []string{"eventId", "eventTime", "eventName", "account", "region", "cluster", "kind", "resource",
		"change", "drift", "severity", "decision", "actor", "reason", "before", "after"}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 107 {
		t.Fatalf("got %d lines with --all, want 107", len(lines))
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		for _, f := range fields {
			if _, ok := m[f]; !ok {
				t.Errorf("line %d has no %q", i+1, f)
			}
		}
	}
}

func TestReplayKeepsGoingPastABadFile(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile(filepath.Join(events, "eks-associate-access-policy-cluster-admin.json"))
	os.WriteFile(filepath.Join(dir, "a-bad.json"), []byte("{\"version\":\"0\",\n\"detail\": {\"eventName\": }\n}"), 0o644)
	os.WriteFile(filepath.Join(dir, "b-good.json"), good, 0o644)
	r := run(t, stateEnv(t), "replay", "--baseline", sampleBaseline, dir)
	if r.code != ExitError {
		t.Errorf("exit: got %d, want %d", r.code, ExitError)
	}
	if !strings.Contains(r.stderr, "a-bad.json: line 2") {
		t.Errorf("stderr does not name the file and line:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "AmazonEKSClusterAdminPolicy") {
		t.Errorf("the good file was not judged:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "errors 1") {
		t.Errorf("summary does not count the error:\n%s", r.stderr)
	}
}

func TestReplayInvalidBaseline(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "b.yaml")
	os.WriteFile(bad, []byte("version: 1\nclusters:\n  - name: prod\n    acount: \"111122223333\"\n"), 0o644)
	r := run(t, stateEnv(t), "replay", "--baseline", bad, events)
	if r.code != ExitError {
		t.Errorf("exit: got %d, want %d", r.code, ExitError)
	}
	if !strings.Contains(r.stderr, bad+":4:5: clusters[0].acount: unknown field") {
		t.Errorf("stderr does not name file, line and field:\n%s", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("got findings from an invalid baseline:\n%s", r.stdout)
	}
}

func TestHistoryFilters(t *testing.T) {
	env := stateEnv(t)
	if r := run(t, env, "replay", "--baseline", sampleBaseline, events); r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	// The counts were taken from the golden files with jq, independently of
	// the store's query code.
	tests := []struct {
		name  string
		args  []string
		count int
	}{
		{"cluster", []string{"--cluster", "prod"}, 21},
		{"cluster drift only", []string{"--cluster", "prod", "--drift-only"}, 17},
		{"principal", []string{"--principal", "arn:aws:iam::111122223333:role/contractor"}, 4},
		{"actor", []string{"--actor", "arn:aws:iam::111122223333:user/bob"}, 47},
		{"kind", []string{"--kind", "iam-trust-policy"}, 3},
		{"since and until", []string{"--since", "2026-10-20", "--until", "2026-10-21"}, 2},
		{"limit", []string{"--limit", "2"}, 2},
		{"nothing", []string{"--cluster", "nope"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, append([]string{"history", "--output", "json"}, tt.args...)...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if n := strings.Count(r.stdout, "\n"); n != tt.count {
				t.Errorf("got %d findings, want %d", n, tt.count)
			}
		})
	}
	r := run(t, env, "history", "--output", "csv", "--kind", "access-policy")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 || recs[0][0] != "eventId" || len(recs[1]) != len(csvColumns) {
		t.Errorf("csv: got %d rows, header %v", len(recs), recs[0])
	}
}

func TestUsageErrors(t *testing.T) {
	env := stateEnv(t)
	tests := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"unknown flag", []string{"replay", "--nope"}, ExitUsage, "unknown flag"},
		{"no baseline", []string{"replay", events}, ExitUsage, "--baseline is required"},
		{"bad output", []string{"replay", "--baseline", sampleBaseline, "-o", "xml", events}, ExitUsage, "table or json"},
		{"bad since", []string{"history", "--since", "last tuesday"}, ExitUsage, "not an RFC 3339 time"},
		{"bad kind", []string{"history", "--kind", "acl"}, ExitUsage, "is not one of"},
		{"unknown command", []string{"frobnicate"}, ExitUsage, "unknown command"},
		{"no history yet", []string{"history"}, ExitError, "no history at"},
		{"missing input", []string{"replay", "--baseline", sampleBaseline, "/nonexistent"}, ExitError, "/nonexistent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.says) {
				t.Errorf("got exit %d, stderr %q; want exit %d saying %q", r.code, r.stderr, tt.code, tt.says)
			}
		})
	}
}

func TestBaselineValidate(t *testing.T) {
	r := run(t, nil, "baseline", "validate", sampleBaseline)
	if r.code != ExitOK || !strings.Contains(r.stdout, "valid") {
		t.Errorf("got exit %d, %q", r.code, r.stdout+r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nmode: loud\n"), 0o644)
	r = run(t, nil, "baseline", "validate", sampleBaseline, bad)
	if r.code != ExitError || !strings.Contains(r.stderr, bad+":2:1: mode:") {
		t.Errorf("got exit %d, stderr %q", r.code, r.stderr)
	}
	r = run(t, nil, "baseline", "schema")
	if !json.Valid([]byte(r.stdout)) {
		t.Error("baseline schema does not print JSON")
	}
}

func TestReplayAuditLogFiles(t *testing.T) {
	for _, name := range []string{"audit.jsonl", "export.log"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("..", "k8saudit", "testdata", name)
			r := run(t, stateEnv(t), "replay", "--baseline", sampleBaseline, "--audit-cluster", "staging", "--output", "json", file)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var sev []string
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				var f struct{ Kind, Cluster, Region, Severity string }
				if err := json.Unmarshal([]byte(line), &f); err != nil {
					t.Fatal(err)
				}
				if f.Kind != "aws-auth" || f.Cluster != "staging" || f.Region != "us-west-2" {
					t.Errorf("got %s on %s in %s, want aws-auth on staging in us-west-2 (from the baseline)", f.Kind, f.Cluster, f.Region)
				}
				sev = append(sev, f.Severity)
			}
			if got := strings.Join(sev, ","); got != "critical,high,high,high" {
				t.Errorf("got severities %s, want critical,high,high,high (update, patch, unresolved patch, delete)", got)
			}
			without := run(t, stateEnv(t), "replay", "--baseline", sampleBaseline, file)
			if without.code != ExitError || !strings.Contains(without.stderr, "--audit-cluster") {
				t.Errorf("without --audit-cluster: got exit %d and %q, want 1 and a word about --audit-cluster", without.code, without.stderr)
			}
		})
	}
}
