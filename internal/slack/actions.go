package slack

import (
	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The buttons of a drift message, when Slack interactivity is on: their
// action_ids are the contract with internal/interact, which acts on them.
// A button's value is the finding's ID in the history, never data to act
// on: the interaction endpoint looks the finding up.
const (
	ActionsBlockID  = "eksdrift_actions"
	ActionRevert    = "eksdrift_revert"
	ActionAccept    = "eksdrift_accept"
	ActionSnooze1h  = "eksdrift_snooze_1h"
	ActionSnooze24h = "eksdrift_snooze_24h"
)

// Actions lists every action_id eksdrift renders.
var Actions = []string{ActionRevert, ActionAccept, ActionSnooze1h, ActionSnooze24h}

// maxValue is Slack's limit on a button's value.
const maxValue = 2000

// Buttons says what a drift message offers. The zero value offers nothing:
// the message is exactly the one Finding renders.
type Buttons struct {
	// On adds Revert now and the snoozes.
	On bool
	// Accept adds Accept into baseline (only when an acceptor is wired).
	Accept bool
}

// Actionable reports whether a finding's message carries buttons: drift on
// a cluster (approvers are declared per cluster) that is alerted, reverted
// or dry-run; not a compliant change, a break-glass or a remediation, and
// never an outcome or a digest.
func Actionable(f drift.Finding) bool {
	switch f.Decision {
	case drift.DecisionAlert, drift.DecisionRevert, drift.DecisionDryRun:
	default:
		return false
	}
	id := f.ID()
	return f.Drift && f.Cluster != "" && id != "" && len(id) <= maxValue
}

// FindingWith renders one finding, with the buttons b offers when the
// finding is Actionable.
func FindingWith(f drift.Finding, b Buttons) *slackgo.WebhookMessage {
	return findingWith(f, b, nil)
}

func findingWith(f drift.Finding, b Buttons, names drift.AccountAliases) *slackgo.WebhookMessage {
	m := finding(f, names)
	if !b.On || !Actionable(f) {
		return m
	}
	id := f.ID()
	revert := slackgo.NewButtonBlockElement(ActionRevert, id, plain("Revert now"))
	revert.Style = slackgo.StyleDanger
	revert.Confirm = slackgo.NewConfirmationBlockObject(plain("Revert this drift?"),
		plain("The reverter runs with every guardrail: break-glass, the last cluster-admin, newer changes and the hold-down still hold."),
		plain("Revert"), plain("Cancel"))
	els := []slackgo.BlockElement{revert}
	if b.Accept {
		els = append(els, slackgo.NewButtonBlockElement(ActionAccept, id, plain("Accept into baseline")))
	}
	els = append(els,
		slackgo.NewButtonBlockElement(ActionSnooze1h, id, plain("Snooze 1 h")),
		slackgo.NewButtonBlockElement(ActionSnooze24h, id, plain("Snooze 24 h")))
	blocks := m.Blocks.BlockSet
	// The buttons go before the footer, and the message keeps within 50 blocks.
	at := len(blocks) - 1
	if len(blocks) >= maxBlocks {
		blocks = blocks[:maxBlocks-1]
		at = len(blocks) - 1
	}
	blocks = append(blocks[:at], append([]slackgo.Block{slackgo.NewActionBlock(ActionsBlockID, els...)}, blocks[at:]...)...)
	m.Blocks = &slackgo.Blocks{BlockSet: blocks}
	return m
}

func plain(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, false, false)
}
