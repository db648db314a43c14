package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/sns"
)

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
