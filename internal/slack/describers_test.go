package slack

import (
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// TestEveryKindHasADescriber fails when a kind is added to the domain
// without saying, in describers, how its change reads in Slack.
func TestEveryKindHasADescriber(t *testing.T) {
	for _, k := range drift.Kinds {
		if _, ok := describers[k]; !ok {
			t.Errorf("kind %s has no describer in internal/slack/describe.go", k)
		}
	}
	if len(describers) != len(drift.Kinds) {
		t.Errorf("got %d describers, want one for each of the %d kinds", len(describers), len(drift.Kinds))
	}
}
