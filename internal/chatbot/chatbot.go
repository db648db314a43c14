// Package chatbot gives teams that use AWS Chatbot (now Amazon Q Developer
// in chat applications) instead of a Slack webhook the same alerts, in
// Chatbot's custom notification format; the notifier (internal/notify)
// publishes each notification's JSON, through internal/sns, to the SNS
// topic their Chatbot channel subscribes to. Chatbot drops messages it does
// not recognise without a word, so every notification this package makes
// is in that format: version "1.0", source "custom", and content with a
// title, a description and next steps. This package only formats: it holds
// no AWS client.
//
// The format is documented at
// https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html;
// testdata/custom-notification.schema.json transcribes it for the tests.
//
// What a notification says comes from internal/notice, as Slack's messages
// do; this package lays it out in chat markdown and that format.
package chatbot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// Notification is a Chatbot custom notification.
type Notification struct {
	Version  string    `json:"version"` // always "1.0"
	Source   string    `json:"source"`  // always "custom"
	ID       string    `json:"id,omitempty"`
	Content  Content   `json:"content"`
	Metadata *Metadata `json:"metadata,omitempty"`
}

// Content is what the channel shows.
type Content struct {
	// TextType "client-markdown" (the only one Chatbot supports) renders
	// the texts in the chat platform's own markdown.
	TextType    string   `json:"textType,omitempty"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

// Metadata threads and describes a notification.
type Metadata struct {
	// ThreadID groups notifications in one thread: an outcome lands under
	// the finding it is about.
	ThreadID          string            `json:"threadId,omitempty"`
	Summary           string            `json:"summary,omitempty"`
	EventType         string            `json:"eventType,omitempty"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

// Event types, for Chatbot custom actions that attach to one of them.
const (
	EventFinding = "eksdrift-finding"
	EventOutcome = "eksdrift-outcome"
	EventDigest  = "eksdrift-digest"
)

// Limits this package keeps to. Chatbot documents none for custom
// notifications; these keep a message readable in a chat channel and well
// within what Slack and Teams show without folding it away.
const (
	maxTitle       = 250
	maxDescription = 4000
	maxStep        = 500
	maxDigestLines = 40
)

// Item is one message in a digest: a finding, or, when Result is set, the
// outcome of its revert.
type Item = notice.Item

// Finding gives the notification of one finding.
func Finding(f drift.Finding) Notification {
	say := notice.Of(f)
	lines := []string{
		"*" + inert(say.Why) + "*",
		inert(f.Reason),
		"",
		"*Where:* " + place(f),
	}
	if f.Principal != "" {
		lines = append(lines, "*Principal:* "+code(f.Principal))
	}
	lines = append(lines, "*Changed by:* "+who(f), "*When:* "+notice.When(f.EventTime), "*Decision:* "+decisionText(f.Decision, say.Decision))
	if w, ok := notice.OfBaselineWrite(f); ok {
		// What the new baseline version grants, delta by delta, rather
		// than its JSON.
		lines = append(lines, "*Version:* "+code(orUnknown(w.Version))+" *after* "+code(orUnknown(w.Previous)))
		for _, d := range w.Changes {
			sign := "+"
			if !d.Grants {
				sign = "-"
			}
			lines = append(lines, sign+" "+inert(clip(d.Text, 300)))
		}
		if w.Unread != "" {
			lines = append(lines, "_"+inert(w.Unread)+"_")
		}
	} else if after := compact(f.After); after != "" {
		lines = append(lines, "*After:* "+code(clip(after, 600)))
	}
	if exp := compact(f.Expected); exp != "" {
		lines = append(lines, "*Baseline:* "+code(clip(exp, 600)))
	}
	n := notification(f.ID(), title(say.Heading), lines)
	n.Content.NextSteps = nextSteps(f, say)
	n.Content.Keywords = keywords(f, say)
	n.Metadata = &Metadata{
		ThreadID:          threadID(f.ID()),
		Summary:           clip(inert(say.Summary), maxTitle),
		EventType:         EventFinding,
		RelatedResources:  related(f),
		AdditionalContext: additional(f),
	}
	return n
}

// Outcome gives the notification of what a revert did; it lands in the
// thread of its finding.
func Outcome(o drift.Outcome) Notification {
	f, r := o.Finding, o.Result
	say := notice.OfOutcome(o)
	lines := []string{resultText(say, r), ""}
	lines = append(lines,
		"*The finding:* "+say.Finding.Emoji+" *"+inert(say.Finding.Label)+"* "+inert(say.Finding.What)+" "+code(say.Finding.Resource),
		inert(f.Reason),
		"*Where:* "+place(f),
		"*Changed by:* "+who(f),
		"*Finished:* "+notice.When(say.At),
	)
	id := o.FindingID
	if id == "" {
		id = f.ID()
	}
	n := notification(id+"#outcome", title(say.Heading), lines)
	switch {
	case r.Result == drift.ResultRevertFailed:
		n.Content.NextSteps = append([]string{"The drift is still live: undo it by hand, then find out why eksdrift could not (its error is above)."}, links(f)...)
	case r.Critical:
		n.Content.NextSteps = append([]string{notice.HeldBack}, links(f)...)
	default:
		n.Content.NextSteps = links(f)
	}
	n.Content.Keywords = append(keywords(f, say.Finding), keywordList(r.Result)...)
	n.Metadata = &Metadata{
		ThreadID:          threadID(id),
		Summary:           clip(inert(say.Label+": "+say.Finding.Summary), maxTitle),
		EventType:         EventOutcome,
		RelatedResources:  related(f),
		AdditionalContext: additional(f),
	}
	n.Metadata.AdditionalContext["result"] = machine(r.Result)
	return n
}

// Digest gives one notification for a burst about one cluster (or one
// account, for IAM), listing its findings worst first.
func Digest(items []Item) Notification {
	if len(items) == 0 {
		return notification("", "eksdrift: no findings", []string{"No findings."})
	}
	d := notice.DigestOf(items)
	items = d.Items
	first := items[0].Finding
	var counts []string
	for _, c := range d.Severities {
		counts = append(counts, strconv.Itoa(c.N)+" "+string(c.Severity))
	}
	what := notice.Plural(d.Findings, "access change")
	if d.Outcomes > 0 {
		what += ", " + notice.Plural(d.Outcomes, "revert outcome")
	}
	lines := []string{"*" + what + "* arrived together for " + inert(d.Where) + ": " + strings.Join(counts, ", ") + ".", ""}
	for i, it := range items {
		if i == maxDigestLines {
			lines = append(lines, fmt.Sprintf("…and %d more. Every finding is in the history.", len(items)-i))
			break
		}
		lines = append(lines, digestLine(it))
	}
	key := "digest#" + first.Account + "#" + first.Region + "#" + first.Cluster + "#" + items[0].Time().UTC().Format(time.RFC3339)
	n := notification(key, title(d.Emoji+" Burst on "+d.Where+": "+what), lines)
	if u := notice.ClusterAccessURL(first); safeURL(u) {
		n.Content.NextSteps = []string{"Review the cluster's access entries: " + u}
	}
	n.Content.Keywords = keywordList("eksdrift", "digest", d.Where)
	n.Metadata = &Metadata{
		ThreadID:          threadID(key),
		Summary:           clip(inert(what+" on "+d.Where), maxTitle),
		EventType:         EventDigest,
		AdditionalContext: inertValues(map[string]string{"cluster": first.Cluster, "account": first.Account, "region": first.Region, "count": strconv.Itoa(len(items))}),
	}
	return n
}

func digestLine(it Item) string {
	f := it.Finding
	say := notice.Of(f)
	t := it.Time().UTC().Format("15:04:05")
	if it.Result != nil {
		return "• " + notice.ResultEmoji(it.Result.Result) + " " + t + " *" + inert(notice.ResultLabel(*it.Result)) + "* " + inert(string(f.Kind)) + " " + code(say.Resource)
	}
	return "• " + say.Emoji + " " + t + " *" + inert(say.What) + "* " + code(say.Resource) + " · " + inert(string(f.Decision)) + " · by " + code(say.Actor)
}

func notification(id, title string, lines []string) Notification {
	return Notification{
		Version: "1.0",
		Source:  "custom",
		ID:      machine(id),
		Content: Content{
			TextType:    "client-markdown",
			Title:       clip(title, maxTitle),
			Description: clip(strings.Join(lines, "\n"), maxDescription),
		},
	}
}

// threadID gives a short, stable thread for a key: the same finding, the
// same thread.
func threadID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "eksdrift-" + hex.EncodeToString(sum[:8])
}

// nextSteps says what a person should do. The actor is named in code, where
// a chat client makes no link of a URL in a session name.
func nextSteps(f drift.Finding, say notice.Notice) []string {
	var steps []string
	actor := say.Actor
	switch f.Decision {
	case drift.DecisionRevert:
		steps = append(steps, "eksdrift is undoing it: the outcome follows in this thread.")
	case drift.DecisionAlert:
		steps = append(steps, "Nothing is undone. If "+code(actor)+" did not plan this change, undo it by hand.")
	case drift.DecisionDryRun:
		steps = append(steps, "Nothing is undone (dry run): what a revert would do follows in this thread. Undo it by hand if it was not planned.")
	case drift.DecisionBreakGlass:
		steps = append(steps, "Made by a break-glass actor: confirm the emergency with "+code(actor)+"; the change stays until someone undoes it.")
	}
	return append(steps, links(f)...)
}

func links(f drift.Finding) []string {
	var out []string
	if u := notice.CloudTrailURL(f); safeURL(u) {
		out = append(out, "Read the CloudTrail event: "+u)
	}
	if u := notice.ClusterAccessURL(f); safeURL(u) {
		out = append(out, "Review the cluster's access entries: "+u)
	} else if u := notice.RoleURL(f); safeURL(u) {
		out = append(out, "Review the role in IAM: "+u)
	}
	for i := range out {
		out[i] = clip(out[i], maxStep)
	}
	return out
}

// safeURL reports whether u can stand bare in a chat message: one of
// internal/notice's console links (built only from a valid region, every
// name percent-encoded) always can; anything with a character chat markup
// reads is left out rather than sent.
func safeURL(u string) bool {
	return strings.HasPrefix(u, "https://") && !strings.ContainsAny(u, "<>|[]()` \t\r\n")
}

func keywords(f drift.Finding, say notice.Notice) []string {
	k := []string{"eksdrift", string(f.Severity), string(f.Kind), say.Where}
	if f.Decision != "" && f.Decision != drift.DecisionNone {
		k = append(k, string(f.Decision))
	}
	return keywordList(k...)
}

// maxKeyword bounds a keyword, which Chatbot shows as a tag.
const maxKeyword = 64

// keywordList makes each keyword one inert line (see inert) of at most
// maxKeyword characters, and leaves out the empty ones.
func keywordList(list ...string) []string {
	var out []string
	for _, k := range list {
		if k = clip(inert(k), maxKeyword); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// related names the resources the notification is about, by ARN. Only
// values that are already inert are named: an ARN is a machine's value, and
// one that needs changing to be shown is better left out than altered.
func related(f drift.Finding) []string {
	var out []string
	if f.Cluster != "" && accountPattern.MatchString(f.Account) && notice.ValidRegion(f.Region) {
		if arn := "arn:" + notice.Partition(f) + ":eks:" + f.Region + ":" + f.Account + ":cluster/" + f.Cluster; inert(arn) == arn {
			out = append(out, arn)
		}
	}
	for _, s := range []string{f.Principal, f.Actor} {
		if _, ok := drift.ParseARN(s); ok && inert(s) == s && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

var accountPattern = regexp.MustCompile(`^\d{12}$`)

func additional(f drift.Finding) map[string]string {
	m := map[string]string{
		"findingId": f.ID(),
		"eventId":   f.EventID,
		"severity":  string(f.Severity),
		"decision":  string(f.Decision),
		"kind":      string(f.Kind),
		"account":   f.Account,
		"region":    f.Region,
	}
	if f.Cluster != "" {
		m["cluster"] = f.Cluster
	}
	if f.Principal != "" {
		m["principal"] = f.Principal
	}
	return inertValues(m)
}

// inertValues makes each value of m a machine value (see machine): custom
// actions read them as variables.
func inertValues(m map[string]string) map[string]string {
	for k, v := range m {
		m[k] = machine(v)
	}
	return m
}

// machine keeps a value that programs read and channels do not show (the
// notification's ID, the additional context a custom action reads) as it
// is, so that a finding's ID still matches the history's, but on one
// printable line and without "@channel"-style words (see notice.Line and
// notice.Unmention).
func machine(s string) string { return notice.Unmention(notice.Line(s)) }

// inert keeps untrusted text from acting in chat, on one line. Slack reads
// <...> as links and mentions (<!channel>), and Chatbot passes the markdown
// on, so angle brackets become look-alike quotes, and "|" (a link's
// separator in Slack, a table's in Teams) a look-alike bar; entities
// (&lt;) would show as they are on platforms other than Slack. A markdown
// link, "[text](url)", is broken apart so that its text cannot hide where
// it goes. "@channel", "@here" and "@everyone" lose their "@" (see
// notice.Unmention), and control and bidi characters go (notice.Line).
func inert(s string) string {
	return inertReplacer.Replace(notice.Unmention(notice.Line(s)))
}

var inertReplacer = strings.NewReplacer("<", "‹", ">", "›", "|", "∣", "](", "] (")

func code(s string) string {
	s = inert(strings.ReplaceAll(s, "`", "'"))
	if s == "" {
		return "_none_"
	}
	return "`" + s + "`"
}

// clip shortens s to at most max characters, ending it with "…" when cut.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

func title(s string) string { return inert(s) }

func compact(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	return s
}

func place(f drift.Finding) string {
	var parts []string
	if f.Cluster != "" {
		parts = append(parts, "cluster "+code(f.Cluster))
	} else {
		parts = append(parts, "IAM, account-wide")
	}
	return strings.Join(append(parts, "account "+code(f.Account), "region "+code(f.Region)), " · ")
}

func who(f drift.Finding) string {
	s := code(f.Actor)
	if f.ActorType == "AWSService" {
		s += " (AWS service)"
	}
	if f.ActorSession != "" {
		s += " as " + code(f.ActorSession)
	}
	if f.SourceIP != "" {
		s += " from " + code(f.SourceIP)
	}
	return s
}

// decisionText gives a decision by its name, and what it means; a decision
// without a meaning only by its name.
func decisionText(d drift.Decision, meaning string) string {
	if meaning == "" {
		return code(string(d))
	}
	return string(d) + ": " + meaning
}

// resultText says what a revert did and why; what a person must do about
// it is in the next steps.
func resultText(o notice.Outcome, r drift.RevertOutcome) string {
	s := o.Done
	switch {
	case r.Result == drift.ResultRevertFailed:
		s = "*" + s + "*"
	case s == "":
		s = "eksdrift reported an outcome it does not describe: " + code(r.Result) + "."
	}
	if r.Critical {
		s = "*" + notice.LookNow + "* " + s
	}
	if r.Reason != "" {
		s += "\n*Why:* " + inert(clip(r.Reason, 600))
	}
	if r.Error != "" {
		s += "\n*Error:* " + code(clip(r.Error, 600))
	}
	for _, op := range r.Operations {
		s += "\n• " + code(clip(op, 300))
	}
	if r.By != "" {
		s += "\n_reverter " + code(r.By) + "_"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
