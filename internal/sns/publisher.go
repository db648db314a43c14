// Package sns is eksdrift's one SNS client. It publishes findings and
// outcomes to the findings topic, and the notifier's AWS Chatbot
// notifications to their own topic (PublishDocument). The findings topic's
// subscribers (e-mail, chat bridges, SIEM queues) get the finding's public
// JSON as the message, and choose what they receive with filter policies on
// the message attributes, so the detector never needs to know who listens.
package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// Names of the message attributes every finding carries. Subscription
// filter policies name them, so the stack should take them from here.
const (
	AttrSeverity = "severity" // critical, high, medium, low, info
	AttrDecision = "decision" // none, alert, dry-run, revert, break-glass
	AttrKind     = "kind"     // the finding's kind, such as access-policy
	AttrCluster  = "cluster"  // "none" for IAM findings
	AttrAccount  = "account"
	AttrDrift    = "drift" // "true" or "false"
	// AttrMessageType says what the message body is: a finding (the
	// default, when the attribute is absent) or an outcome, what a revert
	// did about a finding (a drift.Outcome). Outcomes carry the finding's
	// attributes too, so that a filter policy that lets a finding through
	// lets its outcome through.
	AttrMessageType = "messageType"
)

// Values of AttrMessageType.
const (
	MessageTypeFinding = "finding"
	MessageTypeOutcome = "outcome"
)

// none stands in for an empty attribute value: SNS rejects empty ones, and a
// filter policy can match "none" where it cannot match a missing attribute
// the same way.
const none = "none"

// maxSubject is the longest subject published. SNS documents subjects as
// "less than 100 characters long".
const maxSubject = 99

// maxPayload is SNS's limit on a message and its attributes, in bytes.
const maxPayload = 256 * 1024

// publisher is the part of the SNS API the Publisher calls.
type publisher interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ publisher = (*sns.Client)(nil)

// Publisher sends findings to one topic.
type Publisher struct {
	client   publisher
	topicARN string
}

// NewPublisher gives a publisher to the topic topicARN; client is usually an
// *sns.Client.
func NewPublisher(client publisher, topicARN string) *Publisher {
	return &Publisher{client: client, topicARN: topicARN}
}

// Publish sends f: its JSON (the same fields as `eksdrift replay --output
// json`) as the message, a plain-text rendering of it for e-mail
// subscribers, a one-line summary as the subject, and its severity,
// decision, kind, cluster, account and drift as attributes.
func (p *Publisher) Publish(ctx context.Context, f drift.Finding) error {
	if p.topicARN == "" {
		return fmt.Errorf("sns: cannot publish finding %s: no topic ARN", f.ID())
	}
	body, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("sns %s: encoding finding %s: %w", p.topicARN, f.ID(), err)
	}
	attrs := findingAttributes(f)
	if n := payloadSize(body, attrs); n > maxPayload {
		return fmt.Errorf("sns %s: finding %s is %d bytes with its attributes, over the %d bytes SNS takes", p.topicARN, f.ID(), n, maxPayload)
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(p.topicARN),
		Message:           aws.String(string(body)),
		Subject:           aws.String(subject(f)),
		MessageAttributes: messageAttributes(attrs),
	}
	if message, ok := perProtocol(body, func(documents bool) string { return emailBody(f, documents) }, attrs); ok {
		in.Message, in.MessageStructure = aws.String(string(message)), aws.String("json")
	}
	_, err = p.client.Publish(ctx, in)
	if err != nil {
		return fmt.Errorf("sns %s: publishing finding %s: %w", p.topicARN, f.ID(), err)
	}
	return nil
}

// perProtocol gives the message as SNS takes it with MessageStructure
// "json": the JSON body for every subscriber ("default"), and a plain-text
// rendering for e-mail subscribers ("email"), who would otherwise read raw
// JSON. When the two are too large together, the e-mail leaves out the
// documents; when even that is too large, ok is false and the JSON goes to
// everyone, e-mail included.
func perProtocol(body []byte, email func(documents bool) string, attrs map[string]string) (message []byte, ok bool) {
	for _, documents := range []bool{true, false} {
		m, err := json.Marshal(map[string]string{"default": string(body), "email": email(documents)})
		if err == nil && payloadSize(m, attrs) <= maxPayload {
			return m, true
		}
	}
	return nil, false
}

// findingAttributes gives the attributes that route a finding. A later
// message about the same finding (what a revert did) can add to them and
// still reach the subscribers that filter on these.
func findingAttributes(f drift.Finding) map[string]string {
	return map[string]string{
		AttrSeverity: orNone(string(f.Severity)),
		AttrDecision: orNone(string(f.Decision)),
		AttrKind:     orNone(string(f.Kind)),
		AttrCluster:  orNone(f.Cluster),
		AttrAccount:  orNone(f.Account),
		AttrDrift:    strconv.FormatBool(f.Drift),
		// Subscribers that act on findings (the reverter) filter on it, so
		// that outcomes, which carry the same attributes, do not reach them.
		AttrMessageType: MessageTypeFinding,
	}
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return none
	}
	return s
}

// messageAttributes gives attrs as SNS String attributes.
func messageAttributes(attrs map[string]string) map[string]types.MessageAttributeValue {
	out := make(map[string]types.MessageAttributeValue, len(attrs))
	for k, v := range attrs {
		out[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	return out
}

// payloadSize counts what SNS counts against its limit: the message, and
// each attribute's name, type and value.
func payloadSize(body []byte, attrs map[string]string) int {
	n := len(body)
	for k, v := range attrs {
		n += len(k) + len("String") + len(v)
	}
	return n
}

// subject gives a one-line summary for e-mail subscribers and for the
// envelope of non-raw deliveries: ASCII, no control characters, at most
// maxSubject long, such as
//
//	eksdrift CRITICAL drift: prod access-policy added contractor AmazonEKSClusterAdminPolicy
//	eksdrift info: prod access-entry added developers (compliant)
func subject(f drift.Finding) string {
	where := f.Cluster
	if where == "" {
		where = f.Account // IAM findings belong to the account
	}
	words := []string{orNone(where), string(f.Kind), string(f.Change), notice.ShortResource(f, " ")}
	what := strings.Join(words, " ")
	sev := orNone(string(f.Severity))
	var head, tail string
	if f.Drift {
		head = "eksdrift " + strings.ToUpper(sev) + " drift: " + what
	} else {
		head = "eksdrift " + sev + ": " + what
		tail = " (compliant)"
	}
	head = plainASCII(head)
	if len(head)+len(tail) > maxSubject {
		head = strings.TrimRight(head[:maxSubject-len(tail)-len("...")], " ") + "..."
	}
	return head + tail
}

// plainASCII replaces control characters with spaces and other non-ASCII
// characters with '?', then collapses white space; SNS rejects subjects
// with line breaks or control characters.
func plainASCII(s string) string {
	b := []byte(strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return ' '
		case r > 0x7e:
			return '?'
		}
		return r
	}, s))
	return strings.Join(strings.Fields(string(b)), " ")
}
