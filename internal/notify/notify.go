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
	"time"

	"github.com/aws/aws-lambda-go/events"
	slackgo "github.com/slack-go/slack"

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
	metricSnoozed          = "Snoozed"          // findings not told because their drift is snoozed (recorded and published all the same)
)

// Snoozes tell until when a drift key is snoozed with Slack's Snooze
// buttons; the zero time when it is not. The history table's store has it.
type Snoozes interface {
	SnoozedUntil(ctx context.Context, driftKey string) (time.Time, error)
}

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
	// Buttons are what a finding's Slack message offers (Revert now,
	// Accept into baseline, Snooze); the zero value renders none.
	Buttons slack.Buttons
	// Accounts names accounts in Slack messages, beside their IDs
	// (EKSDRIFT_ACCOUNT_ALIASES); nil names none.
	Accounts drift.AccountAliases
	// Snoozes, when set, keeps the notifier quiet about drift snoozed from
	// Slack until the snooze ends: the findings are recorded and published
	// all the same (the notifier only tells people), and an outcome is
	// always told.
	Snoozes Snoozes
	Now     func() time.Time
	Metrics *metrics.Set
	Log     *slog.Logger
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
	items = n.awake(ctx, items)
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

// awake leaves out the findings whose drift is snoozed. A snooze that
// cannot be read is logged and the finding told: an alert too many beats
// one lost.
func (n *Notifier) awake(ctx context.Context, items []item) []item {
	if n.Snoozes == nil {
		return items
	}
	now := time.Now()
	if n.Now != nil {
		now = n.Now()
	}
	until := map[string]time.Time{}
	out := items[:0:0]
	for _, it := range items {
		f := it.finding
		if it.outcome != nil || !f.Drift {
			out = append(out, it)
			continue
		}
		key := drift.DriftKey(f)
		u, seen := until[key]
		if !seen {
			var err error
			if u, err = n.Snoozes.SnoozedUntil(ctx, key); err != nil {
				n.Log.WarnContext(ctx, "snooze not read: the finding is told", "findingId", f.ID(), "error", err)
			}
			until[key] = u
		}
		if now.Before(u) {
			n.Metrics.Add(metricSnoozed, 1)
			n.Log.InfoContext(ctx, "drift snoozed: not told", "findingId", f.ID(), "driftKey", key, "until", u)
			continue
		}
		out = append(out, it)
	}
	return out
}
