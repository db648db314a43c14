package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The fixed history of the golden test: the findings of events/ judged
// against testdata/baseline-v1.yaml, with the reverter's outcomes added
// (testdata/history.jsonl); a second baseline version from 20 October.
var (
	goldenSince     = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	goldenUntil     = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	goldenV2From    = time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	goldenGenerated = time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)
)

// goldenInput is the report input of the golden test. The golden data is
// also what internal/report renders in its tests.
func goldenInput(t testing.TB) ReportInput {
	t.Helper()
	var versions []BaselineVersion
	for i, v := range []struct {
		file string
		from time.Time
	}{{"baseline-v1.yaml", time.Time{}}, {"baseline-v2.yaml", goldenV2From}} {
		path := filepath.Join("testdata", v.file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := baseline.Parse("s3://eksdrift-baseline-111122223333/baseline.yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		b.VersionID = []string{"3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "8dF2w0Xz.7kq1mNbYp3rTq9sVuW4xYz0"}[i]
		versions = append(versions, BaselineVersion{From: v.from, Baseline: b, ID: b.VersionID})
	}
	f, err := os.Open(filepath.Join("testdata", "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var history []drift.Finding
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var fd drift.Finding
		if err := json.Unmarshal(sc.Bytes(), &fd); err != nil {
			t.Fatal(err)
		}
		history = append(history, fd)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ReportInput{
		Since: goldenSince, Until: goldenUntil, GeneratedAt: goldenGenerated,
		HistorySource: "dynamodb table eksdrift-history", Versions: versions, History: history,
	}
}

func TestReportGolden(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cluster string
	}{{"report", ""}, {"report-prod", "prod"}} {
		t.Run(tt.name, func(t *testing.T) {
			in := goldenInput(t)
			in.Cluster = tt.cluster
			got, err := json.MarshalIndent(BuildReport(in), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("report data differs from %s; review the difference and rerun with -update:\n%s", path, firstDiff(got, want))
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(g), len(w)) {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + strconv.Itoa(i+1) + ":\ngot  " + string(gl) + "\nwant " + string(wl)
		}
	}
	return ""
}

func TestReportSummary(t *testing.T) {
	// Checks of the golden data that do not depend on reading it: counts
	// taken from the history file with jq.
	r := BuildReport(goldenInput(t))
	s := r.Summary
	if s.Findings != 41 || s.Drift != 30 || s.Compliant != 11 {
		t.Errorf("findings, drift, compliant: got %v, %v, %v, want 41, 30, 11", s.Findings, s.Drift, s.Compliant)
	}
	if want := (Reverts{Succeeded: 6, Failed: 2, Skipped: 1, Pending: 4}); s.Reverts != want {
		t.Errorf("reverts: got %+v, want %+v", s.Reverts, want)
	}
	if len(r.Chart.Lanes) != 4 || r.Chart.Lanes[3].Label != "IAM" {
		t.Errorf("lanes: got %+v, want analytics, prod, staging, IAM", r.Chart.Lanes)
	}
	if len(r.Baselines) != 2 {
		t.Errorf("baselines: got %v, want both versions", r.Baselines)
	}
}
