package notice

import (
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Sentences that more than one channel says about an outcome.
const (
	// LookNow leads an outcome that needs a person now: a failed revert,
	// an open circuit breaker, a guarded lock-out.
	LookNow = "A person must look now."
	// HeldBack asks a person to decide about a revert eksdrift held back.
	HeldBack = "eksdrift held the revert back: decide by hand whether to undo the change."
)

// Outcome is what the outcome of a revert says, before any markup.
type Outcome struct {
	// Finding is what the finding the revert was about says.
	Finding Notice
	// Label names the result: "Reverted", "Revert FAILED", "Revert HELD
	// BACK" ...
	Label string
	// Emoji marks the result.
	Emoji string
	// Title is "Reverted · access-policy added · prod"; Heading is the
	// title after the result's emoji, and after an alarm when a person
	// must look now.
	Title, Heading string
	// Done says what eksdrift did, in one sentence: "eksdrift undid the
	// drift in 1.2s." It is "" for a result this package does not know,
	// which a reader should see by its name.
	Done string
	// At is when the revert finished.
	At time.Time
}

// OfOutcome gives what o says.
func OfOutcome(o drift.Outcome) Outcome {
	r := o.Result
	out := Outcome{
		Finding: Of(o.Finding),
		Label:   ResultLabel(r),
		Emoji:   ResultEmoji(r.Result),
		Done:    done(r),
		At:      o.At,
	}
	if out.At.IsZero() {
		out.At = r.At
	}
	out.Title = out.Label + " · " + out.Finding.What + " · " + out.Finding.Where
	out.Heading = out.Emoji + " " + out.Title
	if r.Critical {
		out.Heading = ":rotating_light: " + out.Heading
	}
	return out
}

// ResultLabel names the result of a revert, in capitals where it failed or
// was held back and a person must act.
func ResultLabel(r drift.RevertOutcome) string {
	if r.Critical && r.Result == drift.ResultSkipped {
		return "Revert HELD BACK"
	}
	switch r.Result {
	case drift.ResultReverted:
		return "Reverted"
	case drift.ResultAlreadyCompliant:
		return "Already compliant"
	case drift.ResultDryRun:
		return "Dry run"
	case drift.ResultRevertFailed:
		return "Revert FAILED"
	case drift.ResultSkipped:
		return "Not reverted"
	}
	return "Outcome " + r.Result
}

// ResultEmoji marks the result of a revert.
func ResultEmoji(result string) string {
	switch result {
	case drift.ResultReverted:
		return ":white_check_mark:"
	case drift.ResultAlreadyCompliant:
		return ":ballot_box_with_check:"
	case drift.ResultDryRun:
		return ":test_tube:"
	case drift.ResultRevertFailed:
		return ":x:"
	case drift.ResultSkipped:
		return ":fast_forward:"
	}
	return ":grey_question:"
}

func done(r drift.RevertOutcome) string {
	switch r.Result {
	case drift.ResultReverted:
		s := "eksdrift undid the drift"
		if r.Duration > 0 {
			s += " in " + r.Duration.Round(time.Millisecond).String()
		}
		return s + "."
	case drift.ResultAlreadyCompliant:
		return "Nothing to undo: the live state already matched the baseline when eksdrift looked."
	case drift.ResultDryRun:
		return "Dry run: nothing was changed. A revert would have done what follows."
	case drift.ResultRevertFailed:
		return "The revert failed: the drift is still live."
	case drift.ResultSkipped:
		if r.Critical {
			return "eksdrift held the revert back."
		}
		return "eksdrift did not revert it."
	}
	return ""
}
