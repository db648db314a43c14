// Package slack tells people in Slack about findings: it renders a finding,
// the outcome of a revert, or a burst of them as a Block Kit message (built
// with slack-go's types, never by hand), and posts it to an incoming webhook
// with retries. Each message is meant to be understood in ten seconds: how
// bad, what changed, who did it, and what eksdrift did about it.
//
// Everything a finding carries is untrusted text (a session name is chosen
// by whoever made the change), so it is escaped before it reaches mrkdwn,
// and every text is cut to Slack's limits: a long policy document is
// truncated with a note, never rejected by Slack.
package slack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Slack's limits on a message, from the Block Kit reference.
const (
	maxBlocks   = 50
	maxHeader   = 150  // header block, plain text
	maxText     = 3000 // section text, context element, any text object
	maxField    = 2000 // each section field
	maxFields   = 10
	maxElements = 10 // context block elements
	// maxFallback bounds the top-level text, the notification's preview.
	// Slack truncates it beyond 40,000 characters and advises far less.
	maxFallback = 3000
	// maxDigestLines bounds the findings a digest lists one by one.
	maxDigestLines = 60
)

// Item is one message in a digest: a finding, or, when Result is set, the
// outcome of its revert.
type Item struct {
	Finding drift.Finding
	Result  *drift.RevertOutcome
	// At is when the outcome was known; findings are placed at their
	// event time.
	At time.Time
}

func (it Item) time() time.Time {
	if it.Result != nil && !it.At.IsZero() {
		return it.At
	}
	return it.Finding.EventTime
}

// Finding renders one finding.
func Finding(f drift.Finding) *slackgo.WebhookMessage {
	c := describe(f)
	blocks := []slackgo.Block{
		header(severityEmoji(f.Severity) + " " + severityLabel(f) + " · " + string(f.Kind) + " " + string(f.Change) + " · " + where(f) + compliantMark(f)),
		section("*" + esc(orDash(f.SeverityReason)) + "*\n" + esc(f.Reason)),
		fields(placeFields(f, "*When*\n"+slackDate(f.EventTime), "*Decision*\n"+decisionText(f.Decision))...),
		fields(baselineField(c), "*"+c.nowTitle+"*\n"+c.now),
	}
	if len(c.diff) > 0 {
		blocks = append(blocks, section("*Difference from the baseline*\n"+strings.Join(c.diff, "\n")))
	}
	if c.doc != "" {
		blocks = append(blocks, document(c.docTitle, c.doc)...)
	}
	blocks = append(blocks, fields(actorFields(f)...))
	blocks = appendLinks(blocks, f)
	blocks = append(blocks, footer(f))
	return message(blocks, severityEmoji(f.Severity)+" "+summary(f))
}

// Outcome renders what a revert did about a finding; it follows the
// finding's own message.
func Outcome(o drift.Outcome) *slackgo.WebhookMessage {
	f := o.Finding
	r := o.Result
	at := o.At
	if at.IsZero() {
		at = r.At
	}
	title := resultEmoji(r.Result) + " " + resultTitle(r) + " · " + string(f.Kind) + " " + string(f.Change) + " · " + where(f)
	if r.Critical {
		title = ":rotating_light: " + title
	}
	blocks := []slackgo.Block{
		header(title),
		section(resultText(r)),
		section("*The finding* " + severityEmoji(f.Severity) + " *" + esc(severityLabel(f)) + "* " + esc(string(f.Kind)+" "+string(f.Change)) + " " + code(shortResource(f)) +
			"\n" + esc(f.SeverityReason) + "\n" + esc(f.Reason)),
		fields(placeFields(f, "*Finished*\n"+slackDate(at), "*Changed by*\n"+actorName(f))...),
	}
	blocks = appendLinks(blocks, f)
	blocks = append(blocks, footer(f))
	return message(blocks, resultEmoji(r.Result)+" "+resultTitle(r)+": "+severityLabel(f)+" "+string(f.Kind)+" "+string(f.Change)+" on "+where(f)+" ("+shortResource(f)+")")
}

// Digest renders a burst of findings and outcomes about one cluster (or
// one account, for IAM) as one message that lists them, worst first.
func Digest(items []Item) *slackgo.WebhookMessage {
	if len(items) == 0 {
		return message([]slackgo.Block{section("_No findings._")}, "eksdrift: no findings")
	}
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b Item) int {
		if d := b.Finding.Severity.Rank() - a.Finding.Severity.Rank(); d != 0 {
			return d
		}
		return a.time().Compare(b.time())
	})
	first := items[0].Finding
	worst := first.Severity
	var findings, outcomes int
	sev := map[drift.Severity]int{}
	dec := map[drift.Decision]int{}
	res := map[string]int{}
	who := map[string]int{}
	start, end := items[0].time(), items[0].time()
	for _, it := range items {
		if t := it.time(); !t.IsZero() {
			if start.IsZero() || t.Before(start) {
				start = t
			}
			if t.After(end) {
				end = t
			}
		}
		if it.Result != nil {
			outcomes++
			res[it.Result.Result]++
			continue
		}
		findings++
		sev[it.Finding.Severity]++
		dec[it.Finding.Decision]++
		who[actorShort(it.Finding)]++
	}

	what := plural(findings, "access change")
	if outcomes > 0 {
		if findings > 0 {
			what += " and "
		} else {
			what = ""
		}
		what += plural(outcomes, "revert outcome")
	}
	head := severityEmoji(worst) + " Burst on " + where(first) + ": " + what

	var sum []string
	if findings > 0 {
		var parts []string
		for _, s := range drift.Severities {
			if n := sev[s]; n > 0 {
				parts = append(parts, severityEmoji(s)+" "+strconv.Itoa(n)+" "+string(s))
			}
		}
		sum = append(sum, "*"+strings.Join(parts, " · ")+"*")
		sum = append(sum, "Decisions: "+counts(dec, func(d drift.Decision) string { return string(d) }))
		sum = append(sum, "Made by: "+countsCode(who))
	}
	if outcomes > 0 {
		sum = append(sum, "Outcomes: "+counts(res, func(r string) string { return r }))
	}
	sum = append(sum, "From "+slackDate(start)+" to "+slackDate(end))
	blocks := []slackgo.Block{header(head), section(strings.Join(sum, "\n"))}

	var lines []string
	for i, it := range items {
		if i == maxDigestLines {
			break
		}
		lines = append(lines, digestLine(it))
	}
	blocks = append(blocks, chunk(lines)...)
	if n := len(items) - len(lines); n > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("…and %d more, not listed here. Every finding is in the history.", n)))
	}
	blocks = appendLinks(blocks, drift.Finding{Cluster: first.Cluster, Region: first.Region, Account: first.Account, Actor: first.Actor})
	blocks = append(blocks, contextBlock("eksdrift digest: "+strconv.Itoa(len(items))+" messages about "+esc(where(first))+" arrived together, so they are listed in one message instead of one each."))
	fallback := severityEmoji(worst) + " " + what + " on " + where(first) + " in a burst"
	return message(blocks, fallback)
}

func digestLine(it Item) string {
	f := it.Finding
	t := "`" + it.time().UTC().Format("15:04:05") + "`"
	ev := ""
	if u := cloudTrailURL(f); u != "" {
		ev = " · " + link(u, "event")
	}
	if it.Result != nil {
		return resultEmoji(it.Result.Result) + " " + t + " *" + esc(resultTitle(*it.Result)) + "* " + esc(string(f.Kind)) + " " + code(shortResource(f)) + ev
	}
	return severityEmoji(f.Severity) + " " + t + " *" + esc(string(f.Kind)+" "+string(f.Change)) + "* " + code(shortResource(f)) +
		" · " + esc(string(f.Decision)) + " · by " + code(actorShort(f)) + ev
}

// chunk packs lines into as few sections as Slack's text limit allows.
func chunk(lines []string) []slackgo.Block {
	var out []slackgo.Block
	var cur []string
	size := 0
	for _, l := range lines {
		l = clip(l, maxText)
		n := len([]rune(l)) + 1
		if size+n > maxText && len(cur) > 0 {
			out = append(out, section(strings.Join(cur, "\n")))
			cur, size = nil, 0
		}
		cur = append(cur, l)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, section(strings.Join(cur, "\n")))
	}
	return out
}

// message assembles the webhook payload. The text is what notifications
// and clients without blocks show.
func message(blocks []slackgo.Block, fallback string) *slackgo.WebhookMessage {
	if len(blocks) > maxBlocks {
		blocks = append(blocks[:maxBlocks-1], contextBlock("_Some details were left out to fit Slack's limit of 50 blocks._"))
	}
	return &slackgo.WebhookMessage{
		Text:   clip(esc(fallback), maxFallback),
		Blocks: &slackgo.Blocks{BlockSet: blocks},
	}
}

// document shows a policy document as a code block, truncated to fit with a
// note saying so.
func document(title, doc string) []slackgo.Block {
	head := "*" + title + "*\n```\n"
	tail := "\n```"
	body := esc(doc)
	budget := maxText - len([]rune(head)) - len([]rune(tail))
	if len([]rune(body)) <= budget {
		return []slackgo.Block{section(head + body + tail)}
	}
	shown := clip(body, budget)
	return []slackgo.Block{
		section(head + shown + tail),
		contextBlock(fmt.Sprintf("_Truncated: the document is %d characters, more than a Slack message holds. The whole document is in the finding and in the CloudTrail event._", len([]rune(doc)))),
	}
}

func header(s string) *slackgo.HeaderBlock {
	return slackgo.NewHeaderBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType, clip(strings.Join(strings.Fields(s), " "), maxHeader), true, false))
}

func section(s string) *slackgo.SectionBlock {
	return slackgo.NewSectionBlock(mrkdwn(clip(s, maxText)), nil, nil)
}

// fields gives a section of two-column fields, skipping empty ones.
func fields(list ...string) *slackgo.SectionBlock {
	var objs []*slackgo.TextBlockObject
	for _, s := range list {
		if s == "" || len(objs) == maxFields {
			continue
		}
		objs = append(objs, mrkdwn(clip(s, maxField)))
	}
	return slackgo.NewSectionBlock(nil, objs, nil)
}

func contextBlock(parts ...string) *slackgo.ContextBlock {
	var els []slackgo.MixedElement
	for _, p := range parts {
		if p != "" && len(els) < maxElements {
			els = append(els, mrkdwn(clip(p, maxText)))
		}
	}
	return slackgo.NewContextBlock("", els...)
}

func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
}

// placeFields says where the change happened and to whom, then adds extra.
func placeFields(f drift.Finding, extra ...string) []string {
	out := []string{}
	if f.Cluster != "" {
		out = append(out, "*Cluster*\n"+code(f.Cluster))
	} else {
		out = append(out, "*Cluster*\n_none: IAM, account-wide_")
	}
	out = append(out, "*Account*\n"+code(f.Account), "*Region*\n"+code(f.Region))
	out = append(out, extra[0])
	if f.Principal != "" {
		out = append(out, "*Principal*\n"+code(f.Principal))
	}
	return append(out, extra[1:]...)
}

func baselineField(c change) string {
	if c.unjudged {
		return ""
	}
	if c.baseline == "" {
		return "*Baseline*\n_not declared_"
	}
	return "*Baseline*\n" + c.baseline
}

func actorFields(f drift.Finding) []string {
	out := []string{"*Changed by*\n" + actorName(f)}
	if f.ActorSession != "" {
		out = append(out, "*Session*\n"+code(f.ActorSession))
	}
	if f.SourceIP != "" {
		out = append(out, "*Source IP*\n"+code(f.SourceIP))
	}
	if ua := shortUserAgent(f.UserAgent); ua != "" {
		out = append(out, "*User agent*\n"+code(ua))
	}
	return out
}

func actorName(f drift.Finding) string {
	s := code(f.Actor)
	if f.ActorType == "AWSService" {
		s += " (AWS service)"
	}
	return s
}

// actorShort names an actor in a line: the session (often a person's
// e-mail), else the role's name.
func actorShort(f drift.Finding) string {
	if f.ActorSession != "" {
		return f.ActorSession
	}
	return shortName(f.Actor)
}

// appendLinks adds the links to the console, when there are any.
func appendLinks(blocks []slackgo.Block, f drift.Finding) []slackgo.Block {
	var links []string
	if u := cloudTrailURL(f); u != "" {
		links = append(links, ":mag: "+link(u, "CloudTrail event"))
	}
	if u := clusterAccessURL(f); u != "" {
		links = append(links, ":key: "+link(u, "Access to "+f.Cluster+" in the EKS console"))
	} else if u := roleURL(f); u != "" {
		name, _ := drift.RoleName(f.Principal)
		links = append(links, ":key: "+link(u, "Role "+name+" in the IAM console"))
	}
	if len(links) == 0 {
		return blocks
	}
	return append(blocks, section(strings.Join(links, "   ")))
}

func footer(f drift.Finding) *slackgo.ContextBlock {
	parts := []string{"eksdrift finding " + code(f.ID())}
	if f.BaselineSource != "" {
		b := "baseline " + code(f.BaselineSource)
		if f.BaselineVersion != "" {
			b += " " + code(f.BaselineVersion)
		}
		parts = append(parts, b)
	}
	if f.DetectedBy != "" {
		parts = append(parts, "detected by "+esc(f.DetectedBy))
	}
	return contextBlock(strings.Join(parts, " · "))
}

// summary is the one line a notification shows.
func summary(f drift.Finding) string {
	s := severityLabel(f)
	if f.Drift {
		s += " drift"
	}
	s += " on " + where(f) + ": " + string(f.Kind) + " " + string(f.Change) + " " + shortResource(f)
	if a := actorShort(f); a != "" {
		s += " by " + a
	}
	if f.Drift {
		s += " (decision: " + string(f.Decision) + ")"
	} else {
		s += " (compliant)"
	}
	return s
}

// shortResource names the changed resource the way a person would: ARNs
// shortened to their names, "principal|policy" pairs as "principal →
// policy", and an
// authentication mode by its mode.
func shortResource(f drift.Finding) string {
	if f.Kind == drift.KindAuthenticationMode {
		if m, ok := decode[drift.AuthenticationMode](f.After); ok && m.Mode != "" {
			return m.Mode
		}
	}
	parts := strings.Split(f.Resource, "|")
	for i, p := range parts {
		parts[i] = shortName(p)
	}
	return strings.Join(parts, " → ")
}

func severityLabel(f drift.Finding) string {
	if f.Severity == "" {
		return "UNRATED"
	}
	if !f.Drift {
		return string(f.Severity)
	}
	return strings.ToUpper(string(f.Severity))
}

func compliantMark(f drift.Finding) string {
	if f.Drift {
		return ""
	}
	return " (compliant)"
}

func severityEmoji(s drift.Severity) string {
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

func decisionText(d drift.Decision) string {
	switch d {
	case drift.DecisionAlert:
		return ":bell: *alert*: reported only; nothing is undone"
	case drift.DecisionDryRun:
		return ":test_tube: *dry-run*: nothing is undone; what a revert would do follows"
	case drift.DecisionRevert:
		return ":leftwards_arrow_with_hook: *revert*: eksdrift is undoing it; the outcome follows"
	case drift.DecisionBreakGlass:
		return ":rotating_light: *break-glass*: made by an emergency actor of the baseline; reported, never undone"
	case drift.DecisionNone:
		return "*none*: compliant, nothing to do"
	}
	return code(string(d))
}

func resultEmoji(r string) string {
	switch r {
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

func resultTitle(o drift.RevertOutcome) string {
	if o.Critical && o.Result == drift.ResultSkipped {
		return "Revert HELD BACK"
	}
	switch r := o.Result; r {
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
	return "Outcome " + o.Result
}

func resultText(r drift.RevertOutcome) string {
	var s string
	switch r.Result {
	case drift.ResultReverted:
		s = "eksdrift undid the drift"
		if r.Duration > 0 {
			s += " in " + r.Duration.Round(time.Millisecond).String()
		}
		s += "."
	case drift.ResultAlreadyCompliant:
		s = "Nothing to undo: the live state already matched the baseline when eksdrift looked."
	case drift.ResultDryRun:
		s = "Dry run: nothing was changed. A revert would have done what follows."
	case drift.ResultRevertFailed:
		s = "*The revert failed: the drift is still live.* Undo it by hand, and find out why eksdrift could not."
	case drift.ResultSkipped:
		s = "eksdrift did not revert it."
		if r.Critical {
			s = "eksdrift held the revert back: decide by hand whether to undo the change."
		}
	default:
		s = "eksdrift reported an outcome it does not describe: " + code(r.Result) + "."
	}
	if r.Critical {
		s = "*A person must look now.* " + s
	}
	if r.Reason != "" {
		s += "\n*Why:* " + esc(r.Reason)
	}
	if r.Error != "" {
		s += "\n*Error:* " + code(r.Error)
	}
	if len(r.Operations) > 0 {
		s += "\n*Operations:*"
		for _, op := range r.Operations {
			s += "\n• " + code(op)
		}
	}
	var by []string
	if r.By != "" {
		by = append(by, "reverter "+code(r.By))
	}
	if r.Attempts > 1 {
		by = append(by, strconv.Itoa(r.Attempts)+" attempts")
	}
	if len(by) > 0 {
		s += "\n_" + strings.Join(by, " · ") + "_"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// counts lists "name n" pairs, most first, then by name.
func counts[K comparable](m map[K]int, name func(K) string) string {
	type kv struct {
		k string
		n int
	}
	var list []kv
	for k, n := range m {
		list = append(list, kv{name(k), n})
	}
	slices.SortFunc(list, func(a, b kv) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = strconv.Itoa(e.n) + " " + esc(e.k)
	}
	return strings.Join(parts, ", ")
}

// countsCode lists actors with their counts, most first, at most five.
func countsCode(m map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var list []kv
	for k, n := range m {
		list = append(list, kv{k, n})
	}
	slices.SortFunc(list, func(a, b kv) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.k, b.k)
	})
	var parts []string
	for i, e := range list {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(list)-5))
			break
		}
		parts = append(parts, code(e.k)+" ("+strconv.Itoa(e.n)+")")
	}
	return strings.Join(parts, ", ")
}
