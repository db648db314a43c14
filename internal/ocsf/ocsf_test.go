package ocsf_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/ocsf"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

var update = flag.Bool("update", false, "rewrite testdata/samples.ocsf.jsonl")

const schemaFile = "testdata/detection_finding-1.3.0.schema.json"

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemaFile, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate encodes e, validates it against the schema excerpt, and checks
// what a schema cannot say: type_uid is class_uid * 100 + activity_id.
func validate(t *testing.T, s *jsonschema.Schema, e ocsf.Event) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("got an invalid Detection Finding: %v\n%s", err, b)
	}
	if got, want := e.TypeUID, e.ClassUID*100+e.ActivityID; got != want {
		t.Errorf("type_uid: got %v, want %v", got, want)
	}
	return b
}

func samples(t *testing.T) []drift.Finding {
	t.Helper()
	paths, err := filepath.Glob("../replay/testdata/golden/*.json")
	if err != nil || len(paths) < 25 {
		t.Fatalf("got %d replay goldens (%v), want at least 25", len(paths), err)
	}
	var out []drift.Finding
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var g struct{ Findings []drift.Finding }
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, g.Findings...)
	}
	return out
}

// TestSamples converts the findings of every sample in events/, validates
// each against the schema excerpt and compares them with
// testdata/samples.ocsf.jsonl (refresh with -update).
func TestSamples(t *testing.T) {
	s := compile(t)
	var buf bytes.Buffer
	fs := samples(t)
	for _, f := range fs {
		e := ocsf.Finding(f, f.EventTime)
		buf.Write(validate(t, s, e))
		buf.WriteByte('\n')
		if e.API == nil || e.API.Operation != f.EventName || e.API.Service.Name != f.EventSource || e.API.Request.UID != f.EventID {
			t.Errorf("api: got %+v, want operation %q service %q request %q", e.API, f.EventName, f.EventSource, f.EventID)
		}
		if e.Actor == nil || e.Actor.User.UID != f.Actor {
			t.Errorf("actor: got %+v, want user uid %q", e.Actor, f.Actor)
		}
	}
	t.Logf("converted %d sample findings to OCSF Detection Findings %s, all valid against %s", len(fs), ocsf.Version, schemaFile)
	path := filepath.Join("testdata", "samples.ocsf.jsonl")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file (run go test ./internal/ocsf -update): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("OCSF differs from %s (rerun with -update if the change is intended)\ngot:\n%s", path, buf.Bytes())
	}
}

// TestSchemaCatchesMistakes: the excerpt is worth validating against only
// if it refuses what OCSF refuses.
func TestSchemaCatchesMistakes(t *testing.T) {
	s := compile(t)
	good, err := json.Marshal(ocsf.Finding(drifttest.SampleFinding(0), time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to string }{
		{"wrong class", `"class_uid":2004`, `"class_uid":2003`},
		{"misspelt attribute", `"finding_info"`, `"findings_info"`},
		{"unknown severity", `"severity_id":`, `"severity_id":7,"x":`},
		{"no product vendor", `"vendor_name":"eksdrift"`, `"vendor":"eksdrift"`},
		{"version 0.x", `"version":"1.3.0"`, `"version":"0.29.0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tt.from, tt.to, 1)
			if bad == string(good) {
				t.Fatalf("%q is not in %s", tt.from, good)
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(inst); err == nil {
				t.Errorf("got valid, want refused: %s", bad)
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	s := compile(t)
	f := drifttest.SampleFinding(0) // drift, critical
	f.Decision = drift.DecisionRevert
	at := f.EventTime.Add(2 * time.Second)
	compliant := f
	compliant.Drift, compliant.Severity = false, drift.SeverityInfo
	tests := []struct {
		name               string
		e                  ocsf.Event
		activity, status   int
		severity, modified int64
	}{
		{"open drift", ocsf.Finding(f, f.EventTime), ocsf.ActivityCreate, ocsf.StatusNew, 5, f.EventTime.UnixMilli()},
		{"reverted", ocsf.Outcome(drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultReverted}, At: at}), ocsf.ActivityClose, ocsf.StatusResolved, 5, at.UnixMilli()},
		{"revert failed", ocsf.Outcome(drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultRevertFailed}, At: at}), ocsf.ActivityUpdate, ocsf.StatusNew, 5, at.UnixMilli()},
		{"compliant", ocsf.Finding(compliant, compliant.EventTime), ocsf.ActivityClose, ocsf.StatusResolved, 1, f.EventTime.UnixMilli()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			validate(t, s, tt.e)
			if tt.e.ActivityID != tt.activity || tt.e.StatusID != tt.status || int64(tt.e.SeverityID) != tt.severity {
				t.Errorf("got activity %v status %v severity %v, want %v %v %v", tt.e.ActivityID, tt.e.StatusID, tt.e.SeverityID, tt.activity, tt.status, tt.severity)
			}
			if tt.e.FindingInfo.ModifiedTime != tt.modified || tt.e.Time != tt.modified {
				t.Errorf("modified_time, time: got %v, %v, want %v", tt.e.FindingInfo.ModifiedTime, tt.e.Time, tt.modified)
			}
			if got, want := tt.e.FindingInfo.UID, securityhub.ID(f); got != want {
				t.Errorf("finding_info.uid: got %v, want %v (Security Hub's Id)", got, want)
			}
		})
	}
}

// TestHostile: every string field set to an attacker's payload still gives
// a valid event whose strings are one printable line each, and whose link
// goes to the console only.
func TestHostile(t *testing.T) {
	s := compile(t)
	payloads := append([]string{strings.Repeat("é", 5000)}, drifttest.HostilePayloads...)
	for pi, p := range payloads {
		for _, c := range drifttest.Hostile(drifttest.SampleFinding(0), p) {
			t.Run(c.Field+"/"+string(rune('a'+pi)), func(t *testing.T) {
				e := ocsf.Finding(c.Finding, time.Now())
				b := validate(t, s, e)
				var v any
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatal(err)
				}
				walkStrings(v, func(s string) {
					if strings.ContainsAny(s, "\r\n\t\x1b\x00\u202e\u2066\u2028") {
						t.Errorf("got %q, want one printable line", s)
					}
				})
				if u := e.FindingInfo.SrcURL; u != "" {
					p, err := url.Parse(u)
					if err != nil || p.Scheme != "https" || p.User != nil || !strings.HasSuffix(p.Host, ".console.aws.amazon.com") && p.Host != "console.aws.amazon.com" {
						t.Errorf("src_url: got %q (%v), want the console", u, err)
					}
				}
			})
		}
	}
}

func walkStrings(v any, fn func(string)) {
	switch t := v.(type) {
	case string:
		fn(t)
	case []any:
		for _, e := range t {
			walkStrings(e, fn)
		}
	case map[string]any:
		for k, e := range t {
			fn(k)
			walkStrings(e, fn)
		}
	}
}
