package slack

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

// TestGoldenInteractive renders every shared finding with the buttons on
// (Accept included) into testdata/golden-interactive; without buttons the
// message is the one TestGolden checks, byte for byte.
func TestGoldenInteractive(t *testing.T) {
	for _, in := range drifttest.Fixtures(t, "findings") {
		t.Run(in.Name, func(t *testing.T) {
			var f drift.Finding
			mustDecode(t, in.Data, &f)
			plainMsg, _ := Encode(Finding(f), "  ")
			off, _ := Encode(FindingWith(f, Buttons{}), "  ")
			if !bytes.Equal(plainMsg, off) {
				t.Fatal("with the buttons off, the message differs from Finding's")
			}
			m := FindingWith(f, Buttons{On: true, Accept: true})
			if err := Validate(m); err != nil {
				t.Fatalf("not valid Block Kit: %v", err)
			}
			got, err := Encode(m, "  ")
			if err != nil {
				t.Fatal(err)
			}
			if !Actionable(f) {
				if !bytes.Equal(got, plainMsg) {
					t.Errorf("decision %s, cluster %q: got buttons, want none", f.Decision, f.Cluster)
				}
				return
			}
			golden := filepath.Join("testdata", "golden-interactive", in.Name+".json")
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
				t.Fatalf("%v (run go test ./internal/slack -run TestGoldenInteractive -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering; if intended, run with -update.\ngot:\n%s", golden, got)
			}
			// slack-go reads the buttons back as it models them.
			var back slackgo.WebhookMessage
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if err := Validate(&back); err != nil {
				t.Errorf("read back: %v", err)
			}
		})
	}
}

func TestButtons(t *testing.T) {
	f := drifttest.FixtureFinding(t, "access-entry")
	ids := func(m *slackgo.WebhookMessage) (got []string, values []string) {
		for _, b := range m.Blocks.BlockSet {
			if a, ok := b.(*slackgo.ActionBlock); ok {
				for _, e := range a.Elements.ElementSet {
					btn := e.(*slackgo.ButtonBlockElement)
					got, values = append(got, btn.ActionID), append(values, btn.Value)
				}
			}
		}
		return got, values
	}
	tests := []struct {
		name string
		b    Buttons
		want []string
	}{
		{"off", Buttons{}, nil},
		{"on, no acceptor", Buttons{On: true}, []string{ActionRevert, ActionSnooze1h, ActionSnooze24h}},
		{"on, with an acceptor", Buttons{On: true, Accept: true}, []string{ActionRevert, ActionAccept, ActionSnooze1h, ActionSnooze24h}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, values := ids(FindingWith(f, tt.b))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for _, v := range values {
				if v != f.ID() {
					t.Errorf("got value %q, want the finding's ID %q", v, f.ID())
				}
			}
		})
	}
	for _, d := range []drift.Decision{drift.DecisionNone, drift.DecisionBreakGlass, drift.DecisionRemediation} {
		g := f
		g.Decision = d
		if got, _ := ids(FindingWith(g, Buttons{On: true})); got != nil {
			t.Errorf("decision %s: got %v, want no buttons", d, got)
		}
	}
}
