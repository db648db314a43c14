package notice

import (
	"fmt"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Email is what an e-mail about a finding says, sentence by sentence,
// before internal/sns lays it out as plain text with the finding's fields
// and documents. E-mail has room for whole sentences, so its decisions are
// worded at more length than a chat message's (Notice.Decision). Every
// value from the finding in these sentences is already one printable line
// (see Line): a session name or a resource cannot add a line of its own
// making ("Links", "Bcc: ...") or turn a line around.
type Email struct {
	// Headline is the first line: "CRITICAL drift on cluster prod, account
	// 111122223333, eu-west-1", or "Compliant change (info) on IAM
	// (account-wide), account 111122223333, us-east-1".
	Headline string
	// Change is the kind, what it did and the resource: "access-policy
	// added: contractor -> AmazonEKSClusterAdminPolicy".
	Change string
	// Why is the severity's reason, "Why critical: ..."; "" for a
	// compliant change.
	Why string
	// Reason is the finding's reason.
	Reason string
	// Action says what eksdrift does about it and what the reader can
	// expect: "What eksdrift does: revert. eksdrift is undoing it; a second
	// message reports the outcome."
	Action string
	// BaselineChanges leads the list of what a new baseline version grants
	// and removes.
	BaselineChanges string
	// DocumentsLeftOut stands in for the documents when they do not fit.
	DocumentsLeftOut string
	// Footer closes the e-mail: the finding's identity, the baseline it was
	// judged against (when known), and what detected it.
	Footer []string
}

// EmailOf gives what an e-mail about f says.
func EmailOf(f drift.Finding) Email {
	sev := strings.ToUpper(orNone(string(f.Severity)))
	where := "cluster " + orNone(f.Cluster)
	if f.Cluster == "" {
		where = "IAM (account-wide)"
	}
	e := Email{
		Reason:           Line(f.Reason),
		Action:           "What eksdrift does: " + Line(decisionAction(f.Decision)),
		BaselineChanges:  "What the new baseline version changes (+ grants, - removes):",
		DocumentsLeftOut: "(The documents are too large for this e-mail: they are in the finding's JSON and the history.)",
	}
	if f.Drift {
		e.Headline = fmt.Sprintf("%s drift on %s, account %s, %s", Line(sev), Line(where), Line(orNone(f.Account)), Line(orNone(f.Region)))
		e.Why = fmt.Sprintf("Why %s: %s", Line(strings.ToLower(sev)), Line(f.SeverityReason))
	} else {
		e.Headline = fmt.Sprintf("Compliant change (%s) on %s, account %s, %s", Line(orNone(string(f.Severity))), Line(where), Line(orNone(f.Account)), Line(orNone(f.Region)))
	}
	what := ShortResource(f, " -> ")
	if f.Kind == drift.KindAuthenticationMode {
		what = ShortResource(f, " ") // as the subject names it
	}
	e.Change = fmt.Sprintf("%s %s: %s", Line(string(f.Kind)), Line(string(f.Change)), Line(what))
	e.Footer = []string{"Finding " + Line(f.ID())}
	if f.BaselineSource != "" {
		e.Footer = append(e.Footer, "Baseline "+Line(strings.TrimSpace(f.BaselineSource+" "+f.BaselineVersion)))
	}
	e.Footer = append(e.Footer, "Detected by "+Line(orNone(f.DetectedBy))+". Every other kind of subscriber receives this finding as JSON.")
	return e
}

// decisionAction says, in whole sentences, what eksdrift does about a
// decision and what the reader can expect next.
func decisionAction(d drift.Decision) string {
	switch d {
	case drift.DecisionAlert:
		return "alert. It is reported only; nothing is undone. If the change was not planned, undo it by hand."
	case drift.DecisionDryRun:
		return "dry-run. Nothing is undone; a second message says what a revert would do."
	case drift.DecisionRevert:
		return "revert. eksdrift is undoing it; a second message reports the outcome."
	case drift.DecisionBreakGlass:
		return "break-glass. The change was made by an emergency actor of the baseline: it is reported, never undone."
	case drift.DecisionNone, "":
		return "nothing: the change is compliant."
	}
	return string(d)
}

// orNone stands in "none" for an empty value, as the findings topic's
// attributes do.
func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}
