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
//
// What a message says (its title, the severity's label, what a decision or
// a result means, short names, console links) comes from internal/notice,
// so that Chatbot and e-mail say the same; this package lays it out in
// mrkdwn and Block Kit.
package slack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
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
type Item = notice.Item

// Finding renders one finding.
func Finding(f drift.Finding) *slackgo.WebhookMessage { return finding(f, nil) }

// finding renders one finding, naming its account when names know it.
func finding(f drift.Finding, names drift.AccountAliases) *slackgo.WebhookMessage {
	say := notice.Of(f)
	c := describe(f)
	blocks := []slackgo.Block{
		header(say.Heading),
		section("*" + esc(say.Why) + "*\n" + esc(f.Reason)),
		fields(placeFields(f, names, "*When*\n"+slackDate(f.EventTime), "*Decision*\n"+decisionText(f.Decision, say.Decision))...),
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
	return message(blocks, say.Emoji+" "+summary(f, say))
}

// Outcome renders what a revert did about a finding; it follows the
// finding's own message.
func Outcome(o drift.Outcome) *slackgo.WebhookMessage { return outcome(o, nil) }

// outcome renders an outcome, naming its account when names know it.
func outcome(o drift.Outcome, names drift.AccountAliases) *slackgo.WebhookMessage {
	f := o.Finding
	say := notice.OfOutcome(o)
	blocks := []slackgo.Block{
		header(say.Heading),
		section(resultText(say, o.Result)),
		section("*The finding* " + say.Finding.Emoji + " *" + esc(say.Finding.Label) + "* " + esc(say.Finding.What) + " " + code(say.Finding.Resource) +
			"\n" + esc(f.SeverityReason) + "\n" + esc(f.Reason)),
		fields(placeFields(f, names, "*Finished*\n"+slackDate(say.At), "*Changed by*\n"+actorName(f))...),
	}
	blocks = appendLinks(blocks, f)
	blocks = append(blocks, footer(f))
	return message(blocks, say.Emoji+" "+say.Label+": "+say.Finding.Label+" "+say.Finding.What+" on "+say.Finding.Where+" ("+say.Finding.Resource+")")
}

// Digest renders a burst of findings and outcomes about one cluster (or
// one account, for IAM) as one message that lists them, worst first.
func Digest(items []Item) *slackgo.WebhookMessage {
	if len(items) == 0 {
		return message([]slackgo.Block{section("_No findings._")}, "eksdrift: no findings")
	}
	d := notice.DigestOf(items)
	items = d.Items
	first := items[0].Finding
	dec := map[drift.Decision]int{}
	res := map[string]int{}
	who := map[string]int{}
	start, end := items[0].Time(), items[0].Time()
	for _, it := range items {
		if t := it.Time(); !t.IsZero() {
			if start.IsZero() || t.Before(start) {
				start = t
			}
			if t.After(end) {
				end = t
			}
		}
		if it.Result != nil {
			res[it.Result.Result]++
			continue
		}
		dec[it.Finding.Decision]++
		who[notice.Of(it.Finding).Actor]++
	}

	what := notice.Plural(d.Findings, "access change")
	if d.Outcomes > 0 {
		if d.Findings > 0 {
			what += " and "
		} else {
			what = ""
		}
		what += notice.Plural(d.Outcomes, "revert outcome")
	}
	head := d.Emoji + " Burst on " + d.Where + ": " + what

	var sum []string
	if d.Findings > 0 {
		var parts []string
		for _, c := range d.Severities {
			parts = append(parts, notice.SeverityEmoji(c.Severity)+" "+strconv.Itoa(c.N)+" "+string(c.Severity))
		}
		sum = append(sum, "*"+strings.Join(parts, " · ")+"*")
		sum = append(sum, "Decisions: "+counts(dec, func(k drift.Decision) string { return string(k) }))
		sum = append(sum, "Made by: "+countsCode(who))
	}
	if d.Outcomes > 0 {
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
	blocks = append(blocks, contextBlock("eksdrift digest: "+strconv.Itoa(len(items))+" messages about "+esc(d.Where)+" arrived together, so they are listed in one message instead of one each."))
	fallback := d.Emoji + " " + what + " on " + d.Where + " in a burst"
	return message(blocks, fallback)
}

func digestLine(it Item) string {
	f := it.Finding
	say := notice.Of(f)
	t := "`" + it.Time().UTC().Format("15:04:05") + "`"
	ev := ""
	if u := notice.CloudTrailURL(f); u != "" {
		ev = " · " + link(u, "event")
	}
	if it.Result != nil {
		return notice.ResultEmoji(it.Result.Result) + " " + t + " *" + esc(notice.ResultLabel(*it.Result)) + "* " + esc(string(f.Kind)) + " " + code(say.Resource) + ev
	}
	return say.Emoji + " " + t + " *" + esc(say.What) + "* " + code(say.Resource) +
		" · " + esc(string(f.Decision)) + " · by " + code(say.Actor) + ev
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
	body := escLines(doc)
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

// header gives a header block. Its text is plain_text, which Slack shows as
// it is, markup and entities included, so it is not escaped; it is put on
// one printable line, without "@channel"-style words.
func header(s string) *slackgo.HeaderBlock {
	return slackgo.NewHeaderBlock(slackgo.NewTextBlockObject(slackgo.PlainTextType, clip(notice.Unmention(notice.Line(s)), maxHeader), true, false))
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

// mrkdwn gives a mrkdwn text object. It is verbatim: Slack then reads only
// the markup written here (our links, dates, bold), and does not turn bare
// URLs, channel names or "@here"-style words from a finding into links
// and mentions by itself.
func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, true)
}

// placeFields says where the change happened and to whom, then adds extra.
// The account's name, when names has one, follows its ID.
func placeFields(f drift.Finding, names drift.AccountAliases, extra ...string) []string {
	out := []string{}
	switch {
	case f.Cluster != "":
		out = append(out, "*Cluster*\n"+code(f.Cluster))
	case f.Kind == drift.KindTamper:
		out = append(out, "*Cluster*\n_none: eksdrift's own deployment_")
	default:
		out = append(out, "*Cluster*\n_none: IAM, account-wide_")
	}
	account := "*Account*\n" + code(f.Account)
	if name := names.Name(f.Account); name != "" {
		account += " (" + esc(drift.CleanAlias(name)) + ")"
	}
	out = append(out, account, "*Region*\n"+code(f.Region))
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

// appendLinks adds the links to the console, when there are any.
func appendLinks(blocks []slackgo.Block, f drift.Finding) []slackgo.Block {
	var links []string
	if u := notice.CloudTrailURL(f); u != "" {
		links = append(links, ":mag: "+link(u, "CloudTrail event"))
	}
	if u := notice.ClusterAccessURL(f); u != "" {
		links = append(links, ":key: "+link(u, "Access to "+f.Cluster+" in the EKS console"))
	} else if u := notice.RoleURL(f); u != "" {
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

// summary is the one line a notification shows: the finding's, and what
// eksdrift decided about it.
func summary(f drift.Finding, say notice.Notice) string {
	if !f.Drift {
		return say.Summary + " (compliant)"
	}
	return say.Summary + " (decision: " + string(f.Decision) + ")"
}

// decisionEmoji marks the decisions that ask something of a reader.
var decisionEmoji = map[drift.Decision]string{
	drift.DecisionAlert:      ":bell:",
	drift.DecisionDryRun:     ":test_tube:",
	drift.DecisionRevert:     ":leftwards_arrow_with_hook:",
	drift.DecisionBreakGlass: ":rotating_light:",
}

// decisionText gives a decision by its name, after its emoji, and what it
// means; a decision without a meaning only by its name.
func decisionText(d drift.Decision, meaning string) string {
	if meaning == "" {
		return code(string(d))
	}
	s := "*" + string(d) + "*: " + meaning
	if e, ok := decisionEmoji[d]; ok {
		s = e + " " + s
	}
	return s
}

// resultText says what a revert did, why, and what a person must do.
func resultText(o notice.Outcome, r drift.RevertOutcome) string {
	s := o.Done
	switch {
	case r.Result == drift.ResultRevertFailed:
		s = "*" + s + "* Undo it by hand, and find out why eksdrift could not."
	case r.Critical && r.Result == drift.ResultSkipped:
		s = notice.HeldBack
	case s == "":
		s = "eksdrift reported an outcome it does not describe: " + code(r.Result) + "."
	}
	if r.Critical {
		s = "*" + notice.LookNow + "* " + s
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
