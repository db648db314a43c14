package notice

import (
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestOfOutcome(t *testing.T) {
	at := time.Date(2026, 11, 28, 9, 42, 0, 0, time.UTC)
	for _, tt := range []struct {
		name                        string
		r                           drift.RevertOutcome
		label, emoji, heading, done string
	}{
		{"reverted", drift.RevertOutcome{Result: drift.ResultReverted, Duration: 1234567 * time.Microsecond},
			"Reverted", ":white_check_mark:", ":white_check_mark: Reverted · access-policy added · prod",
			"eksdrift undid the drift in 1.235s."},
		{"reverted, time unknown", drift.RevertOutcome{Result: drift.ResultReverted},
			"Reverted", ":white_check_mark:", ":white_check_mark: Reverted · access-policy added · prod",
			"eksdrift undid the drift."},
		{"already compliant", drift.RevertOutcome{Result: drift.ResultAlreadyCompliant},
			"Already compliant", ":ballot_box_with_check:", ":ballot_box_with_check: Already compliant · access-policy added · prod",
			"Nothing to undo: the live state already matched the baseline when eksdrift looked."},
		{"dry run", drift.RevertOutcome{Result: drift.ResultDryRun},
			"Dry run", ":test_tube:", ":test_tube: Dry run · access-policy added · prod",
			"Dry run: nothing was changed. A revert would have done what follows."},
		{"failed", drift.RevertOutcome{Result: drift.ResultRevertFailed, Critical: true},
			"Revert FAILED", ":x:", ":rotating_light: :x: Revert FAILED · access-policy added · prod",
			"The revert failed: the drift is still live."},
		{"skipped", drift.RevertOutcome{Result: drift.ResultSkipped},
			"Not reverted", ":fast_forward:", ":fast_forward: Not reverted · access-policy added · prod",
			"eksdrift did not revert it."},
		{"held back", drift.RevertOutcome{Result: drift.ResultSkipped, Critical: true},
			"Revert HELD BACK", ":fast_forward:", ":rotating_light: :fast_forward: Revert HELD BACK · access-policy added · prod",
			"eksdrift held the revert back."},
		{"a result not known", drift.RevertOutcome{Result: "postponed"},
			"Outcome postponed", ":grey_question:", ":grey_question: Outcome postponed · access-policy added · prod",
			""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := OfOutcome(drift.Outcome{Finding: finding(nil), Result: tt.r, At: at})
			if got.Label != tt.label || got.Emoji != tt.emoji || got.Heading != tt.heading || got.Done != tt.done {
				t.Errorf("got label %q, emoji %q, heading %q, done %q\nwant label %q, emoji %q, heading %q, done %q",
					got.Label, got.Emoji, got.Heading, got.Done, tt.label, tt.emoji, tt.heading, tt.done)
			}
			if want := tt.label + " · access-policy added · prod"; got.Title != want {
				t.Errorf("title: got %q, want %q", got.Title, want)
			}
			if got.Finding != Of(finding(nil)) {
				t.Errorf("finding: got %+v, want the finding's notice", got.Finding)
			}
			if !got.At.Equal(at) {
				t.Errorf("at: got %v, want %v", got.At, at)
			}
		})
	}
}

func TestOutcomeAt(t *testing.T) {
	outcome, result := time.Date(2026, 11, 28, 9, 42, 0, 0, time.UTC), time.Date(2026, 11, 28, 9, 41, 59, 0, time.UTC)
	for _, tt := range []struct {
		name string
		o    drift.Outcome
		want time.Time
	}{
		{"the outcome's time", drift.Outcome{At: outcome, Result: drift.RevertOutcome{At: result}}, outcome},
		{"else the result's", drift.Outcome{Result: drift.RevertOutcome{At: result}}, result},
		{"else unknown", drift.Outcome{}, time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := OfOutcome(tt.o).At; !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
