// Package notice says what a finding, the outcome of its revert, or a
// burst of them means to a person: the title and severity label, what a
// decision and a result mean, short names for ARNs and resources, who made
// the change and where, and links to the AWS console. It says it in words,
// without markup.
//
// Slack, AWS Chatbot and e-mail each format these words their own way
// (mrkdwn in Block Kit, chat markdown in JSON, plain text). They share this
// vocabulary so that a finding reads the same wherever it lands, and so
// that a change of wording is made once, not once per channel. E-mail,
// which has room for whole sentences, gets them from EmailOf.
//
// Emoji are Slack's short codes (":red_circle:"), which AWS Chatbot shows
// the same way; e-mail uses none.
package notice

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Notice is what a finding says, before any markup.
type Notice struct {
	// Label names the severity: in capitals for drift ("CRITICAL"), as it
	// is for a compliant change ("info"), and "UNRATED" without one.
	Label string
	// Emoji marks the severity.
	Emoji string
	// What is the change: its kind and what it did ("access-policy added").
	What string
	// Where is the finding's cluster, or "account 111122223333" for IAM
	// findings, which belong to no cluster.
	Where string
	// Resource names the changed resource the way a person would:
	// "contractor → AmazonEKSClusterAdminPolicy" (see ShortResource).
	Resource string
	// Actor names who made the change in a few words: the session (often a
	// person's e-mail), else the name at the end of the identity's ARN.
	Actor string
	// Why is the severity's reason, "-" when there is none.
	Why string
	// Title is "CRITICAL · access-policy added · prod", followed by
	// " (compliant)" for a compliant change; Heading is the title after
	// the severity's emoji.
	Title, Heading string
	// Summary is the finding in one line: "CRITICAL drift on prod:
	// access-policy added contractor → AmazonEKSClusterAdminPolicy by
	// jane@example.com".
	Summary string
	// Decision says what the finding's decision means, to follow its name
	// ("reported only; nothing is undone"); "" for a decision this package
	// does not know, which a reader should see by its name alone.
	Decision string
}

// Of gives what f says.
func Of(f drift.Finding) Notice {
	n := Notice{
		Label:    severityLabel(f),
		Emoji:    SeverityEmoji(f.Severity),
		What:     string(f.Kind) + " " + string(f.Change),
		Where:    where(f),
		Resource: ShortResource(f, " → "),
		Actor:    actor(f),
		Why:      f.SeverityReason,
		Decision: decisionMeaning(f.Decision),
	}
	if n.Why == "" {
		n.Why = "-"
	}
	if f.Kind == drift.KindTamper {
		tamperNotice(&n, f) // tamper.go
	}
	n.Title = n.Label + " · " + n.What + " · " + n.Where
	if !f.Drift {
		n.Title += " (compliant)"
	}
	n.Heading = n.Emoji + " " + n.Title
	n.Summary = n.Label
	if f.Drift {
		n.Summary += " drift"
	}
	n.Summary += " on " + n.Where + ": " + n.What + " " + n.Resource
	if n.Actor != "" {
		n.Summary += " by " + n.Actor
	}
	return n
}

func severityLabel(f drift.Finding) string {
	switch {
	case f.Severity == "":
		return "UNRATED"
	case !f.Drift:
		return string(f.Severity)
	}
	return strings.ToUpper(string(f.Severity))
}

// SeverityEmoji marks a severity: a red circle for critical down to a
// white one for info, and a question mark for anything else.
func SeverityEmoji(s drift.Severity) string {
	switch s {
	case drift.SeverityCritical:
		return ":red_circle:"
	case drift.SeverityHigh:
		return ":large_orange_circle:"
	case drift.SeverityMedium:
		return ":large_yellow_circle:"
	case drift.SeverityLow:
		return ":large_blue_circle:"
	case drift.SeverityInfo:
		return ":white_circle:"
	}
	return ":grey_question:"
}

func decisionMeaning(d drift.Decision) string {
	switch d {
	case drift.DecisionAlert:
		return "reported only; nothing is undone"
	case drift.DecisionDryRun:
		return "nothing is undone; what a revert would do follows"
	case drift.DecisionRevert:
		return "eksdrift is undoing it; the outcome follows"
	case drift.DecisionBreakGlass:
		return "made by an emergency actor of the baseline; reported, never undone"
	case drift.DecisionNone:
		return "compliant, nothing to do"
	}
	return ""
}

func where(f drift.Finding) string {
	if f.Cluster != "" {
		return f.Cluster
	}
	if f.Account != "" {
		return "account " + f.Account
	}
	return "unknown cluster"
}

func actor(f drift.Finding) string {
	if f.ActorSession != "" {
		return f.ActorSession
	}
	return ShortARN(f.Actor)
}

// ShortResource names f's resource the way a person would: an
// authentication mode by its mode, and otherwise each part of the resource
// ("principal|policy" pairs, "role|policy" pairs) by its short name (see
// ShortARN), the parts joined by sep.
func ShortResource(f drift.Finding, sep string) string {
	if f.Kind == drift.KindAuthenticationMode {
		var m drift.AuthenticationMode
		if json.Unmarshal(f.After, &m) == nil && m.Mode != "" {
			return m.Mode
		}
	}
	parts := strings.Split(f.Resource, "|")
	for i, p := range parts {
		parts[i] = ShortARN(p)
	}
	return strings.Join(parts, sep)
}

// ShortARN gives the name at the end of an ARN: a role or a policy without
// its path, an OIDC provider by its issuer's host and path, an account's
// root as "111122223333:root". Anything that is not an ARN comes back as it
// is.
func ShortARN(s string) string {
	a, ok := drift.ParseARN(s)
	if !ok {
		return s
	}
	r := a.Resource
	switch {
	case strings.HasPrefix(r, "oidc-provider/"):
		return strings.TrimPrefix(r, "oidc-provider/")
	case r == "root":
		return a.Account + ":root"
	}
	if i := strings.LastIndexByte(r, '/'); i >= 0 && i < len(r)-1 {
		return r[i+1:]
	}
	return r
}

// When gives a time in UTC to the second, "unknown" when it is not known.
func When(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Plural counts things: "1 access change", "3 access changes".
func Plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
