package slack

import (
	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Renderer renders with what the notifier knows beyond a message: the
// buttons it offers and the names of accounts. Its zero value renders
// exactly what Finding, Outcome and Digest do.
type Renderer struct {
	Buttons Buttons
	// Accounts names accounts: the Account field shows the name after the
	// ID, never in its place, escaped like any other text.
	Accounts drift.AccountAliases
}

// Finding renders one finding, with the buttons and the account's name.
func (r Renderer) Finding(f drift.Finding) *slackgo.WebhookMessage {
	return findingWith(f, r.Buttons, r.Accounts)
}

// Outcome renders what a revert did, with the account's name.
func (r Renderer) Outcome(o drift.Outcome) *slackgo.WebhookMessage { return outcome(o, r.Accounts) }

// Digest renders a burst of findings and outcomes.
func (r Renderer) Digest(items []Item) *slackgo.WebhookMessage { return Digest(items) }
