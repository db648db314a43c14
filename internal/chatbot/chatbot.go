// Package chatbot gives teams that use AWS Chatbot (now Amazon Q Developer
// in chat applications) instead of a Slack webhook the same alerts, in
// Chatbot's custom notification format, published to an SNS topic their
// Chatbot channel subscribes to. Chatbot drops messages it does not
// recognise without a word, so every message this package publishes is in
// that format: version "1.0", source "custom", and content with a title, a
// description and next steps.
//
// The format is documented at
// https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html;
// testdata/custom-notification.schema.json transcribes it for the tests.
package chatbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eksdrift/eksdrift/internal/drift"
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
type Item struct {
	Finding drift.Finding
	Result  *drift.RevertOutcome
	At      time.Time
}

func (it Item) time() time.Time {
	if it.Result != nil && !it.At.IsZero() {
		return it.At
	}
	return it.Finding.EventTime
}

// Finding gives the notification of one finding.
func Finding(f drift.Finding) Notification {
	lines := []string{
		"*" + inert(orDash(f.SeverityReason)) + "*",
		inert(f.Reason),
		"",
		"*Where:* " + place(f),
	}
	if f.Principal != "" {
		lines = append(lines, "*Principal:* "+code(f.Principal))
	}
	lines = append(lines, "*Changed by:* "+who(f), "*When:* "+when(f.EventTime), "*Decision:* "+decisionText(f.Decision))
	if after := compact(f.After); after != "" {
		lines = append(lines, "*After:* "+code(clip(after, 600)))
	}
	if exp := compact(f.Expected); exp != "" {
		lines = append(lines, "*Baseline:* "+code(clip(exp, 600)))
	}
	n := notification(f.ID(), title(severityEmoji(f.Severity)+" "+severityLabel(f)+" · "+string(f.Kind)+" "+string(f.Change)+" · "+where(f)+compliantMark(f)), lines)
	n.Content.NextSteps = nextSteps(f)
	n.Content.Keywords = keywords(f)
	n.Metadata = &Metadata{
		ThreadID:          threadID(f.ID()),
		Summary:           clip(inert(summary(f)), maxTitle),
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
	at := o.At
	if at.IsZero() {
		at = r.At
	}
	lines := []string{resultText(r), ""}
	lines = append(lines,
		"*The finding:* "+severityEmoji(f.Severity)+" *"+severityLabel(f)+"* "+inert(string(f.Kind)+" "+string(f.Change))+" "+code(shortResource(f)),
		inert(f.Reason),
		"*Where:* "+place(f),
		"*Changed by:* "+who(f),
		"*Finished:* "+when(at),
	)
	id := o.FindingID
	if id == "" {
		id = f.ID()
	}
	head := resultEmoji(r.Result) + " " + resultTitle(r) + " · " + string(f.Kind) + " " + string(f.Change) + " · " + where(f)
	if r.Critical {
		head = ":rotating_light: " + head
	}
	n := notification(id+"#outcome", title(head), lines)
	switch {
	case r.Result == drift.ResultRevertFailed:
		n.Content.NextSteps = append([]string{"The drift is still live: undo it by hand, then find out why eksdrift could not (its error is above)."}, links(f)...)
	case r.Critical:
		n.Content.NextSteps = append([]string{"eksdrift held the revert back: decide by hand whether to undo the change."}, links(f)...)
	default:
		n.Content.NextSteps = links(f)
	}
	n.Content.Keywords = append(keywords(f), r.Result)
	n.Metadata = &Metadata{
		ThreadID:          threadID(id),
		Summary:           clip(inert(resultTitle(r)+": "+summary(f)), maxTitle),
		EventType:         EventOutcome,
		RelatedResources:  related(f),
		AdditionalContext: additional(f),
	}
	n.Metadata.AdditionalContext["result"] = r.Result
	return n
}

// Digest gives one notification for a burst about one cluster (or one
// account, for IAM), listing its findings worst first.
func Digest(items []Item) Notification {
	if len(items) == 0 {
		return notification("", "eksdrift: no findings", []string{"No findings."})
	}
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b Item) int {
		if d := b.Finding.Severity.Rank() - a.Finding.Severity.Rank(); d != 0 {
			return d
		}
		return a.time().Compare(b.time())
	})
	first := items[0].Finding
	sev := map[drift.Severity]int{}
	var findings, outcomes int
	for _, it := range items {
		if it.Result != nil {
			outcomes++
		} else {
			findings++
			sev[it.Finding.Severity]++
		}
	}
	var counts []string
	for _, s := range drift.Severities {
		if n := sev[s]; n > 0 {
			counts = append(counts, strconv.Itoa(n)+" "+string(s))
		}
	}
	what := plural(findings, "access change")
	if outcomes > 0 {
		what += ", " + plural(outcomes, "revert outcome")
	}
	lines := []string{"*" + what + "* arrived together for " + inert(where(first)) + ": " + strings.Join(counts, ", ") + ".", ""}
	for i, it := range items {
		if i == maxDigestLines {
			lines = append(lines, fmt.Sprintf("…and %d more. Every finding is in the history.", len(items)-i))
			break
		}
		lines = append(lines, digestLine(it))
	}
	key := "digest#" + first.Account + "#" + first.Region + "#" + first.Cluster + "#" + items[0].time().UTC().Format(time.RFC3339)
	n := notification(key, title(severityEmoji(first.Severity)+" Burst on "+where(first)+": "+what), lines)
	if u := clusterAccessURL(first); u != "" {
		n.Content.NextSteps = []string{"Review the cluster's access entries: " + u}
	}
	n.Content.Keywords = []string{"eksdrift", "digest", where(first)}
	n.Metadata = &Metadata{
		ThreadID:          threadID(key),
		Summary:           clip(inert(what+" on "+where(first)), maxTitle),
		EventType:         EventDigest,
		AdditionalContext: map[string]string{"cluster": first.Cluster, "account": first.Account, "region": first.Region, "count": strconv.Itoa(len(items))},
	}
	return n
}

func digestLine(it Item) string {
	f := it.Finding
	t := it.time().UTC().Format("15:04:05")
	if it.Result != nil {
		return "• " + resultEmoji(it.Result.Result) + " " + t + " *" + resultTitle(*it.Result) + "* " + inert(string(f.Kind)) + " " + code(shortResource(f))
	}
	return "• " + severityEmoji(f.Severity) + " " + t + " *" + inert(string(f.Kind)+" "+string(f.Change)) + "* " + code(shortResource(f)) + " · " + inert(string(f.Decision)) + " · by " + code(actorShort(f))
}

func notification(id, title string, lines []string) Notification {
	return Notification{
		Version: "1.0",
		Source:  "custom",
		ID:      id,
		Content: Content{
			TextType:    "client-markdown",
			Title:       clip(title, maxTitle),
			Description: clip(strings.Join(lines, "\n"), maxDescription),
		},
	}
}

// publisher is the SNS call the Publisher makes; *sns.Client has it.
type publisher interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ publisher = (*sns.Client)(nil)

// Publisher sends notifications to the topic a Chatbot channel subscribes to.
type Publisher struct {
	client   publisher
	topicARN string
}

// NewPublisher gives a publisher to topicARN; client is usually an *sns.Client.
func NewPublisher(client publisher, topicARN string) *Publisher {
	return &Publisher{client: client, topicARN: topicARN}
}

// Publish sends n as the message's JSON body.
func (p *Publisher) Publish(ctx context.Context, n Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("chatbot %s: encoding notification %s: %w", p.topicARN, n.ID, err)
	}
	if _, err := p.client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(p.topicARN), Message: aws.String(string(body))}); err != nil {
		return fmt.Errorf("chatbot %s: publishing notification %s: %w", p.topicARN, n.ID, err)
	}
	return nil
}

// threadID gives a short, stable thread for a key: the same finding, the
// same thread.
func threadID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "eksdrift-" + hex.EncodeToString(sum[:8])
}

func nextSteps(f drift.Finding) []string {
	var steps []string
	actor := actorShort(f)
	switch f.Decision {
	case drift.DecisionRevert:
		steps = append(steps, "eksdrift is undoing it: the outcome follows in this thread.")
	case drift.DecisionAlert:
		steps = append(steps, "Nothing is undone. If "+inert(actor)+" did not plan this change, undo it by hand.")
	case drift.DecisionDryRun:
		steps = append(steps, "Nothing is undone (dry run): what a revert would do follows in this thread. Undo it by hand if it was not planned.")
	case drift.DecisionBreakGlass:
		steps = append(steps, "Made by a break-glass actor: confirm the emergency with "+inert(actor)+"; the change stays until someone undoes it.")
	}
	return append(steps, links(f)...)
}

func links(f drift.Finding) []string {
	var out []string
	if u := cloudTrailURL(f); u != "" {
		out = append(out, "Read the CloudTrail event: "+u)
	}
	if u := clusterAccessURL(f); u != "" {
		out = append(out, "Review the cluster's access entries: "+u)
	} else if u := roleURL(f); u != "" {
		out = append(out, "Review the role in IAM: "+u)
	}
	for i := range out {
		out[i] = clip(out[i], maxStep)
	}
	return out
}

func keywords(f drift.Finding) []string {
	k := []string{"eksdrift", string(f.Severity), string(f.Kind), where(f)}
	if f.Decision != "" && f.Decision != drift.DecisionNone {
		k = append(k, string(f.Decision))
	}
	return k
}

func related(f drift.Finding) []string {
	var out []string
	if f.Cluster != "" && f.Account != "" && f.Region != "" {
		out = append(out, "arn:"+partitionOf(f)+":eks:"+f.Region+":"+f.Account+":cluster/"+f.Cluster)
	}
	for _, s := range []string{f.Principal, f.Actor} {
		if _, ok := drift.ParseARN(s); ok && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

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
	return m
}

// inert keeps untrusted text from acting in chat: Slack reads <...> as
// links and mentions (<!channel>), and Chatbot passes the markdown on, so
// angle brackets become look-alike quotes. Entities (&lt;) would show as
// they are on platforms other than Slack.
func inert(s string) string {
	return strings.NewReplacer("<", "‹", ">", "›").Replace(s)
}

func code(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "'")), " ")
	if s == "" {
		return "_none_"
	}
	return "`" + inert(s) + "`"
}

// clip shortens s to at most max characters, ending it with "…" when cut.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

func title(s string) string { return inert(strings.Join(strings.Fields(s), " ")) }

func compact(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	return s
}

func when(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
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

func actorShort(f drift.Finding) string {
	if f.ActorSession != "" {
		return f.ActorSession
	}
	return shortName(f.Actor)
}

func summary(f drift.Finding) string {
	s := severityLabel(f)
	if f.Drift {
		s += " drift"
	}
	s += " on " + where(f) + ": " + string(f.Kind) + " " + string(f.Change) + " " + shortResource(f)
	if a := actorShort(f); a != "" {
		s += " by " + a
	}
	return s
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

func shortResource(f drift.Finding) string {
	if f.Kind == drift.KindAuthenticationMode {
		var m drift.AuthenticationMode
		if json.Unmarshal(f.After, &m) == nil && m.Mode != "" {
			return m.Mode
		}
	}
	parts := strings.Split(f.Resource, "|")
	for i, p := range parts {
		parts[i] = shortName(p)
	}
	return strings.Join(parts, " → ")
}

func shortName(s string) string {
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
		return "alert: reported only; nothing is undone"
	case drift.DecisionDryRun:
		return "dry-run: nothing is undone; what a revert would do follows"
	case drift.DecisionRevert:
		return "revert: eksdrift is undoing it; the outcome follows"
	case drift.DecisionBreakGlass:
		return "break-glass: made by an emergency actor of the baseline; reported, never undone"
	case drift.DecisionNone:
		return "none: compliant, nothing to do"
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
	return "Outcome " + inert(o.Result)
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
		s = "*The revert failed: the drift is still live.*"
	case drift.ResultSkipped:
		s = "eksdrift did not revert it."
		if r.Critical {
			s = "eksdrift held the revert back."
		}
	default:
		s = "eksdrift reported an outcome it does not describe: " + code(r.Result) + "."
	}
	if r.Critical {
		s = "*A person must look now.* " + s
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

// consoleBase gives the console's address for a partition and region.
func consoleBase(partition, region string) string {
	domain := "console.aws.amazon.com"
	switch partition {
	case "aws-cn":
		domain = "console.amazonaws.cn"
	case "aws-us-gov":
		domain = "console.amazonaws-us-gov.com"
	}
	if region == "" {
		return "https://" + domain
	}
	return "https://" + region + "." + domain
}

func partitionOf(f drift.Finding) string {
	for _, s := range []string{f.Principal, f.Actor, f.Resource} {
		if a, ok := drift.ParseARN(strings.SplitN(s, "|", 2)[0]); ok && a.Partition != "" {
			return a.Partition
		}
	}
	return "aws"
}

func cloudTrailURL(f drift.Finding) string {
	if f.EventID == "" || f.Region == "" {
		return ""
	}
	return consoleBase(partitionOf(f), f.Region) + "/cloudtrailv2/home?region=" + url.QueryEscape(f.Region) + "#/events/" + url.PathEscape(f.EventID)
}

func clusterAccessURL(f drift.Finding) string {
	if f.Cluster == "" || f.Region == "" {
		return ""
	}
	return consoleBase(partitionOf(f), f.Region) + "/eks/clusters/" + url.PathEscape(f.Cluster) + "?region=" + url.QueryEscape(f.Region) + "&selectedTab=cluster-access-tab"
}

func roleURL(f drift.Finding) string {
	name, ok := drift.RoleName(f.Principal)
	if !ok {
		return ""
	}
	return consoleBase(partitionOf(f), "") + "/iam/home#/roles/details/" + url.PathEscape(name)
}
