package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// Each shared finding (internal/drift/drifttest/testdata/findings) is one
// kind (or a case worth its own look); outcomes and digests have their own
// folders. Their Block Kit JSON is in testdata/golden/<folder>-<name>.json.
func TestGolden(t *testing.T) {
	render := map[string]func(t *testing.T, data []byte) *slackgo.WebhookMessage{
		"findings": func(t *testing.T, data []byte) *slackgo.WebhookMessage {
			var f drift.Finding
			mustDecode(t, data, &f)
			return Finding(f)
		},
		"outcomes": func(t *testing.T, data []byte) *slackgo.WebhookMessage {
			var o drift.Outcome
			mustDecode(t, data, &o)
			return Outcome(o)
		},
		"digests": func(t *testing.T, data []byte) *slackgo.WebhookMessage {
			return Digest(digestItems(t, data))
		},
	}
	seen := map[string]bool{}
	for folder, r := range render {
		for _, in := range drifttest.Fixtures(t, folder) {
			name := folder + "-" + in.Name
			seen[name+".json"] = true
			t.Run(name, func(t *testing.T) {
				got, err := Encode(r(t, in.Data), "  ")
				if err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", "golden", name+".json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/slack -run TestGolden -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the rendering; if the change is intended, run with -update and review the diff.\ngot:\n%s", golden, got)
				}
			})
		}
	}
	// Every kind has its golden message.
	for _, k := range drift.Kinds {
		if !seen["findings-"+string(k)+".json"] {
			t.Errorf("no drifttest fixture findings/%s.json: every kind needs its golden message", k)
		}
	}
	if !*update {
		goldens, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
		for _, g := range goldens {
			if !seen[filepath.Base(g)] {
				t.Errorf("%s has no input: delete it or add one", g)
			}
		}
	}
}

// TestGoldenIsValidBlockKit reads every golden message back as slack-go
// models it and checks it against Slack's limits: what Slack would refuse
// fails here first.
func TestGoldenIsValidBlockKit(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, g := range goldens {
		t.Run(filepath.Base(g), func(t *testing.T) {
			data, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			var m slackgo.WebhookMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("does not parse as a slack-go WebhookMessage: %v", err)
			}
			if err := Validate(&m); err != nil {
				t.Errorf("not valid Block Kit: %v", err)
			}
			// Nothing was lost on the way: slack-go writes back the same JSON.
			back, err := json.Marshal(&m)
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			if err := json.Unmarshal(data, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(back, &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("slack-go does not read the message back as it was:\ngot  %s\nwant %s", back, data)
			}
			if m.Blocks == nil || len(m.Blocks.BlockSet) == 0 {
				t.Error("no blocks")
			} else if _, ok := m.Blocks.BlockSet[0].(*slackgo.HeaderBlock); !ok {
				t.Errorf("first block: got %T, want a header", m.Blocks.BlockSet[0])
			}
		})
	}
}

func mustDecode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func digestItems(t *testing.T, data []byte) []Item {
	t.Helper()
	raw := drifttest.DecodeDigest(t, data)
	items := make([]Item, len(raw))
	for i, r := range raw {
		items[i] = Item{Finding: r.Finding, Result: r.Result, At: r.At}
	}
	return items
}

func loadFinding(t *testing.T, name string) drift.Finding {
	t.Helper()
	return drifttest.FixtureFinding(t, name)
}

// texts gives every text of a message, the fallback included.
func texts(m *slackgo.WebhookMessage) []string {
	out := []string{m.Text}
	for _, b := range m.Blocks.BlockSet {
		switch b := b.(type) {
		case *slackgo.HeaderBlock:
			out = append(out, b.Text.Text)
		case *slackgo.SectionBlock:
			if b.Text != nil {
				out = append(out, b.Text.Text)
			}
			for _, f := range b.Fields {
				out = append(out, f.Text)
			}
		case *slackgo.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slackgo.TextBlockObject); ok {
					out = append(out, t.Text)
				}
			}
		}
	}
	return out
}

func TestUntrustedTextIsInert(t *testing.T) {
	f := loadFinding(t, "iam-inline-policy-long")
	for _, m := range []*slackgo.WebhookMessage{Finding(f), Digest([]Item{{Finding: f}, {Finding: f}})} {
		all := strings.Join(texts(m), "\n")
		for _, bad := range []string{"<!channel>", "<@U0123ABC>"} {
			if strings.Contains(all, bad) {
				t.Errorf("message holds %q as it was", bad)
			}
		}
		if !strings.Contains(all, "&lt;!channel&gt;") {
			t.Error("the session name is missing, or not escaped")
		}
	}
}

func TestLongDocumentIsTruncatedWithANote(t *testing.T) {
	f := loadFinding(t, "iam-inline-policy-long")
	m := Finding(f)
	if err := Validate(m); err != nil {
		t.Fatalf("not valid: %v", err)
	}
	all := strings.Join(texts(m), "\n")
	if !strings.Contains(all, "_Truncated: the document is ") {
		t.Error("no truncation note")
	}
	for _, s := range texts(m) {
		if n := utf8.RuneCountInString(s); n > maxText {
			t.Errorf("a text is %d characters, over %d", n, maxText)
		}
	}
}

func TestLimitsHoldForExtremeInput(t *testing.T) {
	f := loadFinding(t, "access-policy")
	huge := strings.Repeat("a&<>", 5000)
	f.Reason, f.SeverityReason, f.ActorSession, f.Cluster, f.UserAgent = huge, huge, huge, strings.Repeat("c", 300), huge
	items := make([]Item, 500)
	for i := range items {
		items[i] = Item{Finding: f}
	}
	o := drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultRevertFailed, Error: huge, Operations: []string{huge, huge}}}
	for name, m := range map[string]*slackgo.WebhookMessage{"finding": Finding(f), "outcome": Outcome(o), "digest": Digest(items), "empty digest": Digest(nil)} {
		if err := Validate(m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if strings.Contains(strings.Join(texts(m), ""), "&am…") {
			t.Errorf("%s: an entity was cut in two", name)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	long := strings.Repeat("x", 3001)
	for name, m := range map[string]*slackgo.WebhookMessage{
		"no text":        {Blocks: &slackgo.Blocks{}},
		"long header":    {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewHeaderBlock(slackgo.NewTextBlockObject("plain_text", strings.Repeat("h", 151), false, false))}}},
		"mrkdwn header":  {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewHeaderBlock(mrkdwn("h"))}}},
		"long section":   {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewSectionBlock(mrkdwn(long), nil, nil)}}},
		"empty section":  {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewSectionBlock(nil, nil, nil)}}},
		"long field":     {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewSectionBlock(nil, []*slackgo.TextBlockObject{mrkdwn(strings.Repeat("f", 2001))}, nil)}}},
		"too many":       {Text: "t", Blocks: &slackgo.Blocks{BlockSet: make([]slackgo.Block, 51)}},
		"unknown block":  {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewImageBlock("https://example.com/x.png", "x", "", nil)}}},
		"empty context":  {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewContextBlock("")}}},
		"emoji mrkdwn":   {Text: "t", Blocks: &slackgo.Blocks{BlockSet: []slackgo.Block{slackgo.NewSectionBlock(&slackgo.TextBlockObject{Type: "mrkdwn", Text: "x", Emoji: new(bool)}, nil, nil)}}},
		"fallback empty": {Text: "", Blocks: nil},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "too many" {
				for i := range m.Blocks.BlockSet {
					m.Blocks.BlockSet[i] = slackgo.NewDividerBlock()
				}
			}
			if err := Validate(m); err == nil {
				t.Error("got no error")
			}
		})
	}
}

func TestShortUserAgent(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#eks.update-access-entry", "aws-cli/2.17.0 (eks.update-access-entry)"},
		{"APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.74.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/iam#1.37.3 m/E,G", "Terraform/1.9.8 terraform-provider-aws/5.74.0"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "browser (Chrome/131.0.0.0)"},
		{"Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.0", "Boto3/1.35.0"},
		{"AWS Internal", "AWS Internal"},
		{"eks.amazonaws.com", "eks.amazonaws.com"},
		{"", ""},
	} {
		if got := shortUserAgent(tt.in); got != tt.want {
			t.Errorf("shortUserAgent(%q):\ngot  %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkFinding(b *testing.B) {
	f := drifttest.FixtureFinding(b, "iam-trust-policy")
	b.ReportAllocs()
	for b.Loop() {
		m := Finding(f)
		if _, err := Encode(m, ""); err != nil {
			b.Fatal(err)
		}
	}
}
