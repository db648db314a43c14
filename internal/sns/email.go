package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// maxEmailDocument bounds each JSON document an e-mail shows (expected,
// before, after); the finding's JSON holds them whole.
const maxEmailDocument = 8000

// emailBody gives the finding as a plain-text e-mail: what changed and how
// bad, who did it, when, what eksdrift does about it, and where to look.
// E-mail subscribers get it instead of the JSON every other subscriber
// gets; with documents false it leaves out the JSON documents, to fit.
func emailBody(f drift.Finding, documents bool) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	sev := strings.ToUpper(orNone(string(f.Severity)))
	where := "cluster " + orNone(f.Cluster)
	if f.Cluster == "" {
		where = "IAM (account-wide)"
	}
	if f.Drift {
		line("%s drift on %s, account %s, %s", sev, where, orNone(f.Account), orNone(f.Region))
	} else {
		line("Compliant change (%s) on %s, account %s, %s", orNone(string(f.Severity)), where, orNone(f.Account), orNone(f.Region))
	}
	line("")
	what := shortResource(f)
	if f.Kind != drift.KindAuthenticationMode {
		parts := strings.Split(f.Resource, "|")
		for i, p := range parts {
			parts[i] = shortARN(p)
		}
		what = strings.Join(parts, " -> ")
	}
	line("%s %s: %s", f.Kind, f.Change, what)
	if f.Drift {
		line("Why %s: %s", strings.ToLower(sev), f.SeverityReason)
	}
	line("%s", f.Reason)
	line("")
	line("What eksdrift does: %s", decisionText(f.Decision))
	line("")
	line("Who")
	field(&b, "Actor", f.Actor)
	field(&b, "Actor type", f.ActorType)
	field(&b, "Session", f.ActorSession)
	field(&b, "Source IP", f.SourceIP)
	field(&b, "User agent", f.UserAgent)
	line("When")
	if f.EventTime.IsZero() {
		field(&b, "Event time", "unknown")
	} else {
		field(&b, "Event time", f.EventTime.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	field(&b, "Event", strings.TrimSpace(f.EventName+" ("+f.EventSource+") "+f.EventID))
	line("")
	line("The change")
	field(&b, "Principal", f.Principal)
	field(&b, "Resource", f.Resource)
	if documents {
		document(&b, "Baseline", f.Expected, "not declared")
		if f.Change == drift.OpRemoved {
			document(&b, "Removed", f.Before, "")
		} else {
			document(&b, "After", f.After, "")
		}
	} else {
		line("  (The documents are too large for this e-mail: they are in the finding's JSON and the history.)")
	}
	line("")
	line("Links")
	if f.EventID != "" && f.Region != "" {
		field(&b, "CloudTrail event", consoleBase(f)+"/cloudtrailv2/home?region="+url.QueryEscape(f.Region)+"#/events/"+url.PathEscape(f.EventID))
	}
	if f.Cluster != "" && f.Region != "" {
		field(&b, "Cluster access", consoleBase(f)+"/eks/clusters/"+url.PathEscape(f.Cluster)+"?region="+url.QueryEscape(f.Region)+"&selectedTab=cluster-access-tab")
	} else if name, ok := drift.RoleName(f.Principal); ok {
		field(&b, "IAM role", consoleBase(drift.Finding{Principal: f.Principal})+"/iam/home#/roles/details/"+url.PathEscape(name))
	}
	line("")
	line("Finding %s", f.ID())
	if f.BaselineSource != "" {
		line("Baseline %s", strings.TrimSpace(f.BaselineSource+" "+f.BaselineVersion))
	}
	line("Detected by %s. Every other kind of subscriber receives this finding as JSON.", orNone(f.DetectedBy))
	return b.String()
}

func field(b *strings.Builder, name, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	fmt.Fprintf(b, "  %-17s %s\n", name+":", value)
}

// document writes a JSON document indented under its name.
func document(b *strings.Builder, name string, raw json.RawMessage, ifNone string) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		if ifNone != "" {
			field(b, name, "("+ifNone+")")
		}
		return
	}
	var out bytes.Buffer
	if json.Indent(&out, []byte(s), "    ", "  ") != nil {
		out.Reset()
		out.WriteString(s)
	}
	text := out.String()
	if len(text) > maxEmailDocument {
		text = text[:maxEmailDocument] + "\n    ... (truncated: the whole document is in the finding's JSON)"
	}
	fmt.Fprintf(b, "  %s:\n    %s\n", name, text)
}

func decisionText(d drift.Decision) string {
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

// consoleBase gives the console's address in the finding's partition and
// region.
func consoleBase(f drift.Finding) string {
	partition := "aws"
	for _, s := range []string{f.Principal, f.Actor} {
		if a, ok := drift.ParseARN(s); ok {
			partition = a.Partition
			break
		}
	}
	domain := "console.aws.amazon.com"
	switch partition {
	case "aws-cn":
		domain = "console.amazonaws.cn"
	case "aws-us-gov":
		domain = "console.amazonaws-us-gov.com"
	}
	if f.Region == "" {
		return "https://" + domain
	}
	return "https://" + f.Region + "." + domain
}
