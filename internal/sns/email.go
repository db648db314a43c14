package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// maxEmailDocument bounds each JSON document an e-mail shows (expected,
// before, after); the finding's JSON holds them whole.
const maxEmailDocument = 8000

// emailBody gives the finding as a plain-text e-mail: what changed and how
// bad, who did it, when, what eksdrift does about it, and where to look.
// The sentences are internal/notice's (notice.EmailOf); this lays them out
// with the finding's fields, documents and console links.
// E-mail subscribers get it instead of the JSON every other subscriber
// gets; with documents false it leaves out the JSON documents, to fit.
//
// Every value from the finding is reduced to one printable line
// (notice.Line: no CR, LF or other control character, no bidi override),
// so that a session name or a resource cannot add a line of its own making
// ("Links", "Bcc: ...") or turn a line around; only the JSON documents span
// lines, as indented JSON, in which a string cannot.
func emailBody(f drift.Finding, documents bool) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		for i, a := range args {
			if s, ok := a.(string); ok {
				args[i] = notice.Line(s)
			}
		}
		fmt.Fprintf(&b, format+"\n", args...)
	}
	// What notice says is already inert, line by line.
	say := notice.EmailOf(f)
	sentence := func(s string) { b.WriteString(s + "\n") }

	sentence(say.Headline)
	sentence("")
	sentence(say.Change)
	if say.Why != "" {
		sentence(say.Why)
	}
	sentence(say.Reason)
	sentence("")
	sentence(say.Action)
	line("")
	line("Who")
	field(&b, "Actor", f.Actor)
	field(&b, "Actor type", f.ActorType)
	field(&b, "Session", f.ActorSession)
	field(&b, "Source IP", f.SourceIP)
	field(&b, "User agent", f.UserAgent)
	line("When")
	field(&b, "Event time", notice.When(f.EventTime))
	field(&b, "Event", strings.TrimSpace(f.EventName+" ("+f.EventSource+") "+f.EventID))
	line("")
	line("The change")
	field(&b, "Principal", f.Principal)
	field(&b, "Resource", f.Resource)
	if w, ok := notice.OfBaselineWrite(f); ok {
		sentence("  " + say.BaselineChanges)
		for _, d := range w.Changes {
			sign := "+"
			if !d.Grants {
				sign = "-"
			}
			line("    %s %s", sign, d.Text)
		}
		if w.Unread != "" {
			line("    %s", w.Unread)
		}
	}
	if documents {
		document(&b, "Baseline", f.Expected, "not declared")
		if f.Change == drift.OpRemoved {
			document(&b, "Removed", f.Before, "")
		} else {
			document(&b, "After", f.After, "")
		}
	} else {
		sentence("  " + say.DocumentsLeftOut)
	}
	line("")
	line("Links")
	// The same console as Slack's and Chatbot's links.
	console := notice.ConsoleOf(f)
	if u := console.Event(f.EventID); u != "" {
		field(&b, "CloudTrail event", u)
	}
	if u := console.ClusterAccess(f.Cluster); u != "" {
		field(&b, "Cluster access", u)
	} else if name, ok := drift.RoleName(f.Principal); ok {
		field(&b, "IAM role", console.Role(name))
	}
	line("")
	for _, s := range say.Footer {
		sentence(s)
	}
	return b.String()
}

func field(b *strings.Builder, name, value string) {
	if value = notice.Line(value); value == "" {
		return
	}
	fmt.Fprintf(b, "  %-17s %s\n", name+":", value)
}

// document writes a JSON document indented under its name. Indented JSON
// breaks lines only between values; a document that is not JSON is shown
// on one line.
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
		out.WriteString(notice.Line(s))
	}
	text := notice.Lines(out.String())
	if len(text) > maxEmailDocument {
		text = strings.ToValidUTF8(text[:maxEmailDocument], "") + "\n    ... (truncated: the whole document is in the finding's JSON)"
	}
	fmt.Fprintf(b, "  %s:\n    %s\n", name, text)
}
