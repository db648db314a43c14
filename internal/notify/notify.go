// Package notify is the notifier's use case: it takes the findings topic's
// messages (findings, and the outcomes of reverts), from the topic itself
// or in batches from a queue subscribed to it, groups a burst about one
// place into one digest, and tells people: a Block Kit message to a Slack
// incoming webhook, and a custom notification to the topic AWS Chatbot
// subscribes to. It counts what it did in metrics, and names the messages
// it could not deliver so that only they are retried.
//
// What the messages say comes from internal/slack and internal/chatbot,
// which only format (the wording is internal/notice's); the transports are
// injected: a webhook client, and internal/sns for the Chatbot topic.
// functions/notify wires it. docs/alerts.md describes the messages, the
// configuration and the metrics.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/chatbot"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/slack"
	"github.com/eksdrift/eksdrift/internal/sns"
)

// Metrics the notifier emits (documented in docs/alerts.md).
const (
	metricNotified         = "Notified"         // findings and outcomes delivered
	metricDigests          = "Digests"          // digest messages sent
	metricNotifyFailed     = "NotifyFailed"     // messages not delivered, left to be retried (malformed ones included)
	metricMalformed        = "Malformed"        // messages that are neither a finding nor an outcome
	metricSlackRetries     = "SlackRetries"     // webhook attempts beyond the first
	metricSlackRateLimited = "SlackRateLimited" // 429 answers from Slack
	metricSlackTextOnly    = "SlackTextOnly"    // messages posted as plain text because their blocks were refused
)

// SlackPoster is what the notifier needs of Slack; *slack.Client has it.
type SlackPoster interface {
	Post(ctx context.Context, m *slackgo.WebhookMessage) (slack.Delivery, error)
}

// TopicPublisher is what the notifier needs to reach AWS Chatbot: a topic
// its channel subscribes to, which takes a notification's JSON as the
// message, as it is; *sns.Publisher has it.
type TopicPublisher interface {
	PublishDocument(ctx context.Context, id string, body []byte) error
}

var _ TopicPublisher = (*sns.Publisher)(nil)

// Notifier tells people about findings. It takes the findings topic's
// messages as SNS delivers them to a Lambda function, or as an SQS queue
// subscribed to the topic delivers them in batches; only batches make
// digests possible (see docs/alerts.md).
type Notifier struct {
	Slack   SlackPoster    // nil when Slack is off
	Chatbot TopicPublisher // the Chatbot topic; nil when Chatbot is off
	// More than DigestThreshold messages about one place within
	// DigestWindow make one digest.
	DigestThreshold int
	DigestWindow    time.Duration
	// Margin is the time kept free before the invocation's deadline: a
	// message not started by then is left for its queue to retry.
	Margin time.Duration
	// PartialBatch says the event source mapping reports batch item
	// failures: then only the failed messages of a batch are named for
	// retry. Otherwise any failure fails the whole batch, so that nothing
	// is deleted undelivered.
	PartialBatch bool
	Metrics      *metrics.Set
	Log          *slog.Logger
}

// message is one message of the findings topic, whichever way it came.
type message struct {
	id     string // the SQS message ID, for batch item failures; "" from SNS
	body   string
	kind   string // sns.MessageTypeFinding or sns.MessageTypeOutcome
	sentAt time.Time
}

// item is a message read: a finding, or an outcome.
type item struct {
	msg     message
	finding drift.Finding
	outcome *drift.Outcome
}

func (it item) at() time.Time {
	if !it.msg.sentAt.IsZero() {
		return it.msg.sentAt
	}
	if it.outcome != nil && !it.outcome.At.IsZero() {
		return it.outcome.At
	}
	return it.finding.EventTime
}

// place groups items for digests: a cluster, or an account for IAM.
func (it item) place() string {
	f := it.finding
	if f.Cluster == "" {
		return f.Account + "/iam"
	}
	return f.Account + "/" + f.Region + "/" + f.Cluster
}

// unit is what one Slack message (and one Chatbot notification) tells:
// one item, or a digest of several.
type unit struct {
	items  []item
	digest bool
}

// Handle takes an SNS or SQS event. From SQS, with PartialBatch, it reports
// the messages that could not be delivered as batch item failures, so that
// only they are retried (and, in the end, kept in the dead-letter queue);
// otherwise any failure is an error, and the whole event is retried.
func (n *Notifier) Handle(ctx context.Context, event json.RawMessage) (any, error) {
	msgs, fromSQS, err := readEvent(event)
	if err != nil {
		return nil, err
	}
	var items []item
	var failed []message
	var errs []error
	for _, m := range msgs {
		it, err := parse(m)
		if err != nil {
			n.Metrics.Add(metricMalformed, 1)
			n.Metrics.Add(metricNotifyFailed, 1)
			n.Log.ErrorContext(ctx, "message is neither a finding nor an outcome: it will be retried, then kept in the dead-letter queue",
				"messageId", m.id, "messageType", m.kind, "error", err, "body", clip(m.body, 300))
			failed = append(failed, m)
			errs = append(errs, err)
			continue
		}
		items = append(items, it)
	}
	for _, u := range n.units(items) {
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < n.Margin {
			err := errors.New("not attempted: the invocation's time ran out")
			n.fail(ctx, u, err)
			failed, errs = appendUnit(failed, u), append(errs, err)
			continue
		}
		if err := n.deliver(ctx, u); err != nil {
			n.fail(ctx, u, err)
			failed, errs = appendUnit(failed, u), append(errs, err)
			continue
		}
		n.Metrics.Add(metricNotified, float64(len(u.items)))
	}
	if len(failed) == 0 {
		if fromSQS {
			return events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}, nil
		}
		return nil, nil
	}
	if !fromSQS || !n.PartialBatch || len(failed) == len(msgs) {
		if len(errs) > 3 {
			errs = append(errs[:3], fmt.Errorf("and %d more errors", len(errs)-3))
		}
		return nil, fmt.Errorf("notify: %d of %d messages not delivered: %w", len(failed), len(msgs), errors.Join(errs...))
	}
	resp := events.SQSEventResponse{}
	for _, m := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.id})
	}
	return resp, nil
}

func appendUnit(failed []message, u unit) []message {
	for _, it := range u.items {
		failed = append(failed, it.msg)
	}
	return failed
}

func (n *Notifier) fail(ctx context.Context, u unit, err error) {
	n.Metrics.Add(metricNotifyFailed, float64(len(u.items)))
	ids := make([]string, len(u.items))
	for i, it := range u.items {
		ids[i] = it.finding.ID()
	}
	n.Log.ErrorContext(ctx, "not delivered: it will be retried, then kept in the dead-letter queue",
		"findings", ids, "digest", u.digest, "error", err)
}

// units groups items by place and splits each place's items into windows
// of digestWindow from the first one's arrival; a window with more than
// digestThreshold items (and at least two) is one digest, the others are
// one message each. Units come in the order their first item arrived.
func (n *Notifier) units(items []item) []unit {
	byPlace := map[string][]item{}
	var places []string
	for _, it := range items {
		p := it.place()
		if _, ok := byPlace[p]; !ok {
			places = append(places, p)
		}
		byPlace[p] = append(byPlace[p], it)
	}
	var out []unit
	for _, p := range places {
		list := byPlace[p]
		slices.SortStableFunc(list, func(a, b item) int { return a.at().Compare(b.at()) })
		for start := 0; start < len(list); {
			end := start + 1
			for end < len(list) && list[end].at().Sub(list[start].at()) < n.DigestWindow {
				end++
			}
			window := list[start:end]
			if len(window) > n.DigestThreshold && len(window) >= 2 {
				out = append(out, unit{items: window, digest: true})
			} else {
				for _, it := range window {
					out = append(out, unit{items: []item{it}})
				}
			}
			start = end
		}
	}
	slices.SortStableFunc(out, func(a, b unit) int { return a.items[0].at().Compare(b.items[0].at()) })
	return out
}

// deliver sends one unit to Slack and to Chatbot, whichever are on.
func (n *Notifier) deliver(ctx context.Context, u unit) error {
	var errs []error
	if n.Slack != nil {
		m := renderSlack(u)
		if err := slack.Validate(m); err != nil {
			// A rendering bug must not cost the alert: its text still tells.
			n.Log.WarnContext(ctx, "slack message is not valid Block Kit: posting its text alone", "error", err)
			n.Metrics.Add(metricSlackTextOnly, 1)
			m = &slackgo.WebhookMessage{Text: m.Text}
		}
		start := time.Now()
		d, err := n.Slack.Post(ctx, m)
		if d.Attempts > 1 {
			n.Metrics.Add(metricSlackRetries, float64(d.Attempts-1))
		}
		if d.RateLimited > 0 {
			n.Metrics.Add(metricSlackRateLimited, float64(d.RateLimited))
		}
		if d.TextOnly {
			n.Metrics.Add(metricSlackTextOnly, 1)
			n.Log.WarnContext(ctx, "slack refused the blocks: posted the text alone")
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			n.Log.InfoContext(ctx, "posted to slack", "messages", len(u.items), "digest", u.digest, "place", u.items[0].place(),
				"attempts", d.Attempts, "waited", d.Waited.String(), "took", time.Since(start).Round(time.Millisecond).String())
		}
	}
	if n.Chatbot != nil {
		if err := n.publishChatbot(ctx, renderChatbot(u)); err != nil {
			errs = append(errs, err)
		}
	}
	if u.digest && len(errs) == 0 {
		n.Metrics.Add(metricDigests, 1)
	}
	return errors.Join(errs...)
}

// publishChatbot sends a notification's JSON to the Chatbot topic: Chatbot
// reads the message body as the notification.
func (n *Notifier) publishChatbot(ctx context.Context, note chatbot.Notification) error {
	body, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("chatbot: encoding notification %s: %w", note.ID, err)
	}
	if err := n.Chatbot.PublishDocument(ctx, "chatbot notification "+note.ID, body); err != nil {
		return fmt.Errorf("chatbot: %w", err)
	}
	return nil
}

func renderSlack(u unit) *slackgo.WebhookMessage {
	if u.digest {
		items := make([]slack.Item, len(u.items))
		for i, it := range u.items {
			items[i] = slack.Item{Finding: it.finding}
			if it.outcome != nil {
				items[i].Result, items[i].At = &it.outcome.Result, it.outcome.At
			}
		}
		return slack.Digest(items)
	}
	if it := u.items[0]; it.outcome != nil {
		return slack.Outcome(*it.outcome)
	}
	return slack.Finding(u.items[0].finding)
}

func renderChatbot(u unit) chatbot.Notification {
	if u.digest {
		items := make([]chatbot.Item, len(u.items))
		for i, it := range u.items {
			items[i] = chatbot.Item{Finding: it.finding}
			if it.outcome != nil {
				items[i].Result, items[i].At = &it.outcome.Result, it.outcome.At
			}
		}
		return chatbot.Digest(items)
	}
	if it := u.items[0]; it.outcome != nil {
		return chatbot.Outcome(*it.outcome)
	}
	return chatbot.Finding(u.items[0].finding)
}

// parse reads a message's body as its type says.
func parse(m message) (item, error) {
	it := item{msg: m}
	switch m.kind {
	case "", sns.MessageTypeFinding:
		if err := json.Unmarshal([]byte(m.body), &it.finding); err != nil {
			return it, fmt.Errorf("not a finding: %w", err)
		}
	case sns.MessageTypeOutcome:
		var o drift.Outcome
		if err := json.Unmarshal([]byte(m.body), &o); err != nil {
			return it, fmt.Errorf("not an outcome: %w", err)
		}
		it.outcome, it.finding = &o, o.Finding
	default:
		return it, fmt.Errorf("unknown %s %q", sns.AttrMessageType, m.kind)
	}
	if it.finding.EventID == "" || it.finding.Kind == "" {
		return it, errors.New("no eventId or kind: not a finding")
	}
	return it, nil
}

// readEvent takes the messages out of an SNS event (the function
// subscribed to the topic) or an SQS event (a queue subscribed to the
// topic, with or without raw message delivery).
func readEvent(event json.RawMessage) (msgs []message, fromSQS bool, err error) {
	var probe struct {
		Records []map[string]json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(event, &probe); err != nil || len(probe.Records) == 0 {
		return nil, false, fmt.Errorf("notify: want an SNS or SQS event with Records, got %s", clip(string(event), 200))
	}
	if _, ok := probe.Records[0]["Sns"]; ok {
		var e events.SNSEvent
		if err := json.Unmarshal(event, &e); err != nil {
			return nil, false, fmt.Errorf("notify: reading the SNS event: %w", err)
		}
		for _, r := range e.Records {
			msgs = append(msgs, fromEnvelope("", r.SNS))
		}
		return msgs, false, nil
	}
	if _, ok := probe.Records[0]["body"]; ok {
		var e events.SQSEvent
		if err := json.Unmarshal(event, &e); err != nil {
			return nil, true, fmt.Errorf("notify: reading the SQS event: %w", err)
		}
		for _, r := range e.Records {
			msgs = append(msgs, fromSQSMessage(r))
		}
		return msgs, true, nil
	}
	return nil, false, fmt.Errorf("notify: want an SNS or SQS event, got records with keys %v", keys(probe.Records[0]))
}

// fromEnvelope reads an SNS notification: what SNS gives a function, and
// what a queue receives without raw message delivery.
func fromEnvelope(id string, e events.SNSEntity) message {
	m := message{id: id, body: e.Message, sentAt: e.Timestamp}
	if a, ok := e.MessageAttributes[sns.AttrMessageType].(map[string]any); ok {
		m.kind, _ = a["Value"].(string)
	}
	return m
}

// fromSQSMessage reads a queue's message: an SNS envelope, or the finding
// itself with raw message delivery (then the attributes are the queue
// message's own).
func fromSQSMessage(r events.SQSMessage) message {
	var env events.SNSEntity
	if json.Unmarshal([]byte(r.Body), &env) == nil && env.Type == "Notification" && env.TopicArn != "" {
		return fromEnvelope(r.MessageId, env)
	}
	m := message{id: r.MessageId, body: r.Body}
	if a, ok := r.MessageAttributes[sns.AttrMessageType]; ok && a.StringValue != nil {
		m.kind = *a.StringValue
	}
	if ms, err := strconv.ParseInt(r.Attributes["SentTimestamp"], 10, 64); err == nil {
		m.sentAt = time.UnixMilli(ms).UTC()
	}
	return m
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
