package slack

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

// The accounts of the shared fixtures, named as a notifier with
// EKSDRIFT_ACCOUNT_ALIASES would name them.
var fixtureNames = drift.AccountAliases{"111122223333": "payments-prod"}

// TestGoldenAccountNames renders a finding and an outcome with the
// account's name into testdata/golden-aliases.
func TestGoldenAccountNames(t *testing.T) {
	r := Renderer{Accounts: fixtureNames}
	for _, tt := range []struct{ folder, name string }{{"findings", "access-entry"}, {"outcomes", "revert-failed"}} {
		t.Run(tt.folder+"-"+tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "drift", "drifttest", "testdata", tt.folder, tt.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			if tt.folder == "findings" {
				var f drift.Finding
				mustDecode(t, data, &f)
				got, err = Encode(r.Finding(f), "  ")
			} else {
				var o drift.Outcome
				mustDecode(t, data, &o)
				got, err = Encode(r.Outcome(o), "  ")
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(got, []byte("`111122223333` (payments-prod)")) {
				t.Errorf("the account field lacks its name:\n%s", got)
			}
			golden := filepath.Join("testdata", "golden-aliases", tt.folder+"-"+tt.name+".json")
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
				t.Fatalf("%v (run go test ./internal/slack -run TestGoldenAccountNames -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering; if intended, run with -update.\ngot:\n%s", golden, got)
			}
		})
	}
}

// TestRendererWithoutNamesIsTheDefault: with no names, or names that do
// not know the account, every message is the one Finding, FindingWith and
// Outcome render, byte for byte.
func TestRendererWithoutNamesIsTheDefault(t *testing.T) {
	for _, names := range []drift.AccountAliases{nil, {"999999999999": "elsewhere"}} {
		for _, in := range drifttest.Fixtures(t, "findings") {
			var f drift.Finding
			mustDecode(t, in.Data, &f)
			for _, b := range []Buttons{{}, {On: true, Accept: true}} {
				want, _ := Encode(FindingWith(f, b), "  ")
				got, _ := Encode(Renderer{Buttons: b, Accounts: names}.Finding(f), "  ")
				if !bytes.Equal(got, want) {
					t.Errorf("%s, names %v, buttons %+v: the message differs from the default", in.Name, names, b)
				}
			}
		}
		for _, in := range drifttest.Fixtures(t, "outcomes") {
			var o drift.Outcome
			mustDecode(t, in.Data, &o)
			want, _ := Encode(Outcome(o), "  ")
			got, _ := Encode(Renderer{Accounts: names}.Outcome(o), "  ")
			if !bytes.Equal(got, want) {
				t.Errorf("outcome %s, names %v: the message differs from the default", in.Name, names)
			}
		}
	}
}

// TestHostileAccountNameIsInert: a name comes from a file or from
// Organizations, where a member account's owner chooses it.
func TestHostileAccountNameIsInert(t *testing.T) {
	var f drift.Finding
	mustDecode(t, drifttest.Fixtures(t, "findings")[0].Data, &f)
	hostile := "<!channel> <https://evil.example|click> \n*Decision* none\u202e" + strings.Repeat("y", 5000)
	m := Renderer{Accounts: drift.AccountAliases{f.Account: hostile}}.Finding(f)
	if err := Validate(m); err != nil {
		t.Fatalf("not valid Block Kit: %v", err)
	}
	got, err := Encode(m, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<!channel>", "<https://evil", "\u202e", "\\n*Decision* none", strings.Repeat("y", drift.MaxAliasRunes)} {
		if bytes.Contains(got, []byte(bad)) {
			t.Errorf("the message holds %q", bad)
		}
	}
	if !bytes.Contains(got, []byte("`"+f.Account+"` (")) {
		t.Errorf("the account ID is not shown before its name:\n%s", got)
	}
}
