package drift

import (
	"regexp"
	"time"
)

// Approval is a person's go-ahead, given with a Slack button, for the
// reverter to act on one recorded finding. The interaction endpoint writes
// it to the history before it asks the reverter; the reverter acts only on
// a request whose approval exists, names the same finding and has not
// expired, and consumes it, so that a forged or replayed request changes
// nothing.
type Approval struct {
	ID        string    `json:"id"`
	FindingID string    `json:"findingId"`
	Approver  string    `json:"approver"` // the Slack user ID
	At        time.Time `json:"at"`
	Expires   time.Time `json:"expires"`
}

// RevertRequest is what the interaction endpoint sends to the reverter's
// queue: names only, never data to act on. The reverter reads the approval
// and the finding from the history.
type RevertRequest struct {
	ApprovalID string `json:"approvalId"`
	FindingID  string `json:"findingId"`
}

// Interaction is the audit record of one button press from Slack, allowed
// or refused.
type Interaction struct {
	At        time.Time `json:"at"`
	User      string    `json:"user"` // the Slack user ID, as Slack signed it
	Team      string    `json:"team,omitempty"`
	Action    string    `json:"action"`
	FindingID string    `json:"findingId"`
	Outcome   string    `json:"outcome"` // InteractionAllowed or InteractionRefused
	Reason    string    `json:"reason"`
}

// Outcomes of an interaction.
const (
	InteractionAllowed = "allowed"
	InteractionRefused = "refused"
)

var (
	slackUser  = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	slackGroup = regexp.MustCompile(`^S[A-Z0-9]{2,20}$`)
)

// IsSlackUser reports whether s has the shape of a Slack user ID (U… or
// W…, for Enterprise Grid).
func IsSlackUser(s string) bool { return slackUser.MatchString(s) }

// IsSlackGroup reports whether s has the shape of a Slack user group ID (S…).
func IsSlackGroup(s string) bool { return slackGroup.MatchString(s) }
