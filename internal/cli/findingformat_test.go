package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

// TestFindingFormats: replay and history print every sample finding as
// ASFF and as OCSF, one object a line, in the same order and under the same
// stable Ids as the JSON output (history orders by time, replay by input);
// OCSF lines validate against the schema
// excerpt internal/ocsf ships.
func TestFindingFormats(t *testing.T) {
	env := stateEnv(t)
	js := run(t, env, "replay", "--baseline", sampleBaseline, "--all", "--output", "json", events)
	if js.code != ExitOK {
		t.Fatalf("replay --output json: exit %d: %s", js.code, js.stderr)
	}
	var findings []drift.Finding
	for _, line := range strings.Split(strings.TrimSpace(js.stdout), "\n") {
		var f drift.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatal(err)
		}
		findings = append(findings, f)
	}
	schema := ocsfSchema(t)
	for _, cmd := range [][]string{
		{"replay", "--baseline", sampleBaseline, "--all", events},
		{"history"},
	} {
		for _, format := range []string{"asff", "ocsf"} {
			t.Run(cmd[0]+"/"+format, func(t *testing.T) {
				r := run(t, env, append(cmd, "--output", format)...)
				if r.code != ExitOK {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				if len(lines) != len(findings) {
					t.Fatalf("got %d lines, want %d (one per finding)", len(lines), len(findings))
				}
				var got, want []string
				for _, f := range findings {
					want = append(want, securityhub.ID(f))
				}
				for i, line := range lines {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil {
						t.Fatalf("line %d is not one JSON object: %v", i+1, err)
					}
					switch format {
					case "asff":
						id, _ := m["Id"].(string)
						got = append(got, id)
						if m["SchemaVersion"] != securityhub.SchemaVersion {
							t.Errorf("line %d: got SchemaVersion %v, want %v", i+1, m["SchemaVersion"], securityhub.SchemaVersion)
						}
					case "ocsf":
						uid, _ := m["finding_info"].(map[string]any)["uid"].(string)
						got = append(got, uid)
						inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(line))
						if err := schema.Validate(inst); err != nil {
							t.Errorf("line %d: %v", i+1, err)
						}
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("got Ids %v, want %v", got, want)
				}
			})
		}
	}
	bad := run(t, env, "history", "--output", "xml")
	if bad.code != ExitUsage || !strings.Contains(bad.stderr, "asff or ocsf") {
		t.Errorf("history --output xml: got exit %d, %q, want a usage error naming asff and ocsf", bad.code, bad.stderr)
	}
}

func ocsfSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const path = "../ocsf/testdata/detection_finding-1.3.0.schema.json"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
