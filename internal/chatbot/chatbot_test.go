package chatbot

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// schema compiles the documented shape of a custom notification.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "custom-notification.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("custom-notification.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("custom-notification.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, body []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("not a valid custom notification: %v\n%s", err, body)
	}
}

// notifications renders every shared fixture (internal/drift/drifttest), by
// golden name.
func notifications(t *testing.T) map[string]Notification {
	t.Helper()
	out := map[string]Notification{}
	read := func(folder string, each func(name string, data []byte)) {
		for _, f := range drifttest.Fixtures(t, folder) {
			each(folder+"-"+f.Name, f.Data)
		}
	}
	read("findings", func(name string, data []byte) {
		var f drift.Finding
		mustDecode(t, data, &f)
		out[name] = Finding(f)
	})
	read("outcomes", func(name string, data []byte) {
		var o drift.Outcome
		mustDecode(t, data, &o)
		out[name] = Outcome(o)
	})
	read("digests", func(name string, data []byte) {
		var items []Item
		for _, r := range drifttest.DecodeDigest(t, data) {
			items = append(items, Item{Finding: r.Finding, Result: r.Result, At: r.At})
		}
		out[name] = Digest(items)
	})
	return out
}

func mustDecode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

// TestMatchesTheDocumentedShape validates every notification, one per kind
// and case, against the format Chatbot documents.
func TestMatchesTheDocumentedShape(t *testing.T) {
	s := schema(t)
	for name, n := range notifications(t) {
		t.Run(name, func(t *testing.T) {
			body, err := json.Marshal(n)
			if err != nil {
				t.Fatal(err)
			}
			validate(t, s, body)
			if n.Content.Title == "" || len(n.Content.NextSteps) == 0 && !strings.HasPrefix(name, "findings-cluster") {
				t.Errorf("got title %q and next steps %q, want both", n.Content.Title, n.Content.NextSteps)
			}
			if len([]rune(n.Content.Description)) > maxDescription || len([]rune(n.Content.Title)) > maxTitle {
				t.Errorf("description of %d or title of %d characters, over the limits", len([]rune(n.Content.Description)), len([]rune(n.Content.Title)))
			}
		})
	}
	t.Run("the schema refuses what Chatbot drops", func(t *testing.T) {
		for _, bad := range []string{
			`{"version":"1.0","source":"custom"}`,
			`{"version":"2.0","source":"custom","content":{"description":"x"}}`,
			`{"version":"1.0","source":"aws.eks","content":{"description":"x"}}`,
			`{"version":"1.0","source":"custom","content":{"title":"only a title"}}`,
			`{"version":"1.0","source":"custom","content":{"textType":"markdown","description":"x"}}`,
			`{"version":"1.0","source":"custom","content":{"description":"x"},"severity":"critical"}`,
		} {
			inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
			if s.Validate(inst) == nil {
				t.Errorf("the schema accepts %s", bad)
			}
		}
	})
}

func TestGolden(t *testing.T) {
	// Every input has a golden: internal/drift's kinds test requires one
	// for every kind.
	for name, n := range notifications(t) {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(n, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/chatbot -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs; if the change is intended, run with -update and review the diff.\ngot:\n%s", golden, got)
			}
		})
	}
}

func TestOutcomeThreadsUnderItsFinding(t *testing.T) {
	ns := notifications(t)
	f, o := ns["findings-access-policy"], ns["outcomes-reverted"]
	if f.Metadata.ThreadID == "" || f.Metadata.ThreadID != o.Metadata.ThreadID {
		t.Errorf("thread: finding %q, outcome %q, want the same", f.Metadata.ThreadID, o.Metadata.ThreadID)
	}
	if ns["findings-access-entry"].Metadata.ThreadID == f.Metadata.ThreadID {
		t.Error("two findings share a thread")
	}
}

func TestUntrustedTextIsInert(t *testing.T) {
	n := notifications(t)["findings-iam-inline-policy-long"]
	body, _ := json.Marshal(n)
	var all strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			all.WriteString(v + "\n")
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var v any
	json.Unmarshal(body, &v)
	walk(v)
	for _, bad := range []string{"<!channel>", "<@U0123ABC>"} {
		if strings.Contains(all.String(), bad) {
			t.Errorf("notification holds %q as it was", bad)
		}
	}
	if !strings.Contains(all.String(), "‹!channel›") {
		t.Error("the session name is missing")
	}
}
