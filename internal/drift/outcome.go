package drift

import "time"

// Outcome is what eksdrift did about a finding, published to the findings
// topic after the finding itself (message attribute messageType=outcome),
// so that whoever was alerted also learns whether the drift was undone.
// Its JSON field names are a public contract, like the finding's.
type Outcome struct {
	// FindingID is the finding's identity (Finding.ID), so that a
	// subscriber can tie the outcome to the alert it follows.
	FindingID string        `json:"findingId"`
	Finding   Finding       `json:"finding"`
	Result    RevertOutcome `json:"result"`
	// At is when the revert (or the dry run) finished.
	At time.Time `json:"at"`
}

// Revert results, the values of RevertOutcome.Result.
const (
	ResultReverted         = "reverted"
	ResultAlreadyCompliant = "already-compliant"
	ResultDryRun           = "dry-run"
	ResultRevertFailed     = "revert-failed"
	ResultSkipped          = "skipped"
	// ResultHeldBack: the revert would grant access that must wait (the
	// baseline version is younger than the hold-down and the previous one
	// did not grant it) or that the reverter may not grant (admin policies
	// without allowGrantingAdmin). Nothing was changed.
	ResultHeldBack = "held-back"
)
