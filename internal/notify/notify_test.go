package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/chatbot"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/slack"
)

// fakeSlack records posts and fails those whose text holds failOn.
type fakeSlack struct {
	posts  []*slackgo.WebhookMessage
	failOn string
}

func (s *fakeSlack) Post(_ context.Context, m *slackgo.WebhookMessage) (slack.Delivery, error) {
	if s.failOn != "" && strings.Contains(m.Text, s.failOn) {
		return slack.Delivery{Attempts: 5}, &slack.PostError{Status: 500, Attempts: 5}
	}
	s.posts = append(s.posts, m)
	return slack.Delivery{Attempts: 1}, nil
}

// fakeTopic stands in for the Chatbot topic (*sns.Publisher, tested on
// MiniStack in internal/sns): it keeps the documents published, read back
// as notifications, and their bodies as they were.
type fakeTopic struct {
	sent   []chatbot.Notification
	bodies []string
	whats  []string
	err    error // when set, every publication fails with it
}

func (c *fakeTopic) PublishDocument(_ context.Context, what string, body []byte) error {
	if c.err != nil {
		return c.err
	}
	var n chatbot.Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return err
	}
	c.sent, c.bodies, c.whats = append(c.sent, n), append(c.bodies, string(body)), append(c.whats, what)
	return nil
}

func newNotifier() (*Notifier, *fakeSlack, *fakeTopic) {
	s, c := &fakeSlack{}, &fakeTopic{}
	return &Notifier{
		Slack: s, Chatbot: c,
		DigestThreshold: 5, DigestWindow: time.Minute, Margin: time.Second, PartialBatch: true,
		Metrics: &metrics.Set{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, s, c
}

func finding(t *testing.T, name string) drift.Finding {
	t.Helper()
	return drifttest.FixtureFinding(t, name)
}

// burst gives n findings on cluster, one second apart from at.
func burst(t *testing.T, cluster string, n int, at time.Time) []drift.Finding {
	out := make([]drift.Finding, n)
	for i := range out {
		f := finding(t, "access-policy")
		f.Cluster = cluster
		f.EventID = fmt.Sprintf("%s-%02d", cluster, i)
		f.EventTime = at.Add(time.Duration(i) * time.Second)
		out[i] = f
	}
	return out
}

func snsEvent(t *testing.T, bodies []any, kind string) json.RawMessage {
	t.Helper()
	var e events.SNSEvent
	for i, b := range bodies {
		body, _ := json.Marshal(b)
		entity := events.SNSEntity{MessageID: fmt.Sprint("m", i), Type: "Notification", TopicArn: "arn:aws:sns:us-west-2:111122223333:findings", Message: string(body), Timestamp: time.Date(2026, 10, 3, 13, 7, i, 0, time.UTC)}
		if kind != "" {
			entity.MessageAttributes = map[string]any{"messageType": map[string]any{"Type": "String", "Value": kind}}
		}
		e.Records = append(e.Records, events.SNSEventRecord{EventSource: "aws:sns", EventVersion: "1.0", SNS: entity})
	}
	raw, _ := json.Marshal(e)
	return raw
}

// sqsEvent gives a batch as a queue with raw message delivery delivers it,
// each message sent at its finding's event time.
func sqsEvent(t *testing.T, fs []drift.Finding) json.RawMessage {
	t.Helper()
	var e events.SQSEvent
	for _, f := range fs {
		body, _ := json.Marshal(f)
		e.Records = append(e.Records, events.SQSMessage{
			MessageId: "id-" + f.EventID, Body: string(body), EventSource: "aws:sqs",
			Attributes: map[string]string{"SentTimestamp": fmt.Sprint(f.EventTime.UnixMilli())},
		})
	}
	raw, _ := json.Marshal(e)
	return raw
}

func TestSNSFinding(t *testing.T) {
	n, s, c := newNotifier()
	f := finding(t, "access-policy")
	// As the function reads it: the JSON documents compact.
	b, _ := json.Marshal(f)
	f = drift.Finding{}
	json.Unmarshal(b, &f)
	resp, err := n.Handle(context.Background(), snsEvent(t, []any{f}, ""))
	if err != nil || resp != nil {
		t.Fatalf("got %v, %v", resp, err)
	}
	if len(s.posts) != 1 || !reflect.DeepEqual(s.posts[0], slack.Finding(f)) {
		t.Errorf("slack: got %d posts, want the finding's message", len(s.posts))
	}
	want, _ := json.Marshal(chatbot.Finding(f))
	if len(c.bodies) != 1 || c.bodies[0] != string(want) {
		t.Errorf("chatbot: got %v, want the finding's notification %s", c.bodies, want)
	}
	if len(c.whats) != 1 || c.whats[0] != "chatbot notification "+chatbot.Finding(f).ID {
		t.Errorf("chatbot: got the document named %v, want the notification's ID", c.whats)
	}
	if got := n.Metrics.Get(metricNotified); got != 1 {
		t.Errorf("Notified: got %v, want 1", got)
	}
}

func TestSNSOutcome(t *testing.T) {
	n, s, c := newNotifier()
	o := drift.Outcome{Finding: finding(t, "access-policy"), Result: drift.RevertOutcome{Result: drift.ResultReverted}, At: time.Date(2026, 10, 3, 13, 7, 1, 0, time.UTC)}
	o.FindingID = o.Finding.ID()
	if _, err := n.Handle(context.Background(), snsEvent(t, []any{o}, "outcome")); err != nil {
		t.Fatal(err)
	}
	if len(s.posts) != 1 || !reflect.DeepEqual(s.posts[0], slack.Outcome(o)) || len(c.sent) != 1 || c.sent[0].Metadata.EventType != chatbot.EventOutcome {
		t.Errorf("got %d posts and %d notifications, want the outcome's", len(s.posts), len(c.sent))
	}
}

func TestDigests(t *testing.T) {
	at := time.Date(2026, 10, 3, 13, 6, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		batch   []drift.Finding
		digests []int // sizes of the digests, in order
		singles int
	}{
		{"a burst on prod, one finding on staging", append(burst(t, "prod", 7, at), burst(t, "staging", 1, at)...), []int{7}, 1},
		{"at the threshold: one each", burst(t, "prod", 5, at), nil, 5},
		{"two bursts a few minutes apart", append(burst(t, "prod", 6, at), burst(t, "prod", 8, at.Add(3*time.Minute))...), []int{6, 8}, 0},
		{"slow drip: never more than five a minute", append(append(burst(t, "prod", 3, at), burst(t, "prod", 3, at.Add(61*time.Second))...), burst(t, "prod", 3, at.Add(122*time.Second))...), nil, 9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, s, c := newNotifier()
			resp, err := n.Handle(context.Background(), sqsEvent(t, tt.batch))
			if err != nil {
				t.Fatal(err)
			}
			if r, ok := resp.(events.SQSEventResponse); !ok || len(r.BatchItemFailures) != 0 {
				t.Errorf("got response %#v, want no batch item failures", resp)
			}
			var digests []int
			singles := 0
			for _, p := range s.posts {
				if h := p.Blocks.BlockSet[0].(*slackgo.HeaderBlock).Text.Text; strings.Contains(h, "Burst on") {
					var size int
					fmt.Sscanf(h[strings.LastIndex(h, ": ")+2:], "%d", &size)
					digests = append(digests, size)
				} else {
					singles++
				}
			}
			if !reflect.DeepEqual(digests, tt.digests) || singles != tt.singles {
				t.Errorf("got digests %v and %d singles, want %v and %d", digests, singles, tt.digests, tt.singles)
			}
			if len(c.sent) != len(s.posts) {
				t.Errorf("chatbot got %d notifications, slack %d posts, want the same", len(c.sent), len(s.posts))
			}
			if got := n.Metrics.Get(metricDigests); int(got) != len(tt.digests) {
				t.Errorf("Digests: got %v, want %d", got, len(tt.digests))
			}
		})
	}
}

func TestEnvelopeInQueue(t *testing.T) {
	// A queue subscribed without raw message delivery receives the SNS
	// envelope, attributes inside.
	n, s, _ := newNotifier()
	o := drift.Outcome{Finding: finding(t, "access-entry"), Result: drift.RevertOutcome{Result: drift.ResultRevertFailed, Error: "AccessDenied"}}
	body, _ := json.Marshal(o)
	env, _ := json.Marshal(map[string]any{
		"Type": "Notification", "MessageId": "x", "TopicArn": "arn:aws:sns:us-west-2:111122223333:findings",
		"Subject": "eksdrift", "Message": string(body), "Timestamp": "2026-10-07T09:05:15.000Z",
		"MessageAttributes": map[string]any{"messageType": map[string]string{"Type": "String", "Value": "outcome"}},
	})
	event, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "q1", Body: string(env), EventSource: "aws:sqs"}}})
	if _, err := n.Handle(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	if len(s.posts) != 1 || !strings.Contains(s.posts[0].Text, "Revert FAILED") {
		t.Errorf("got %d posts, want the outcome's", len(s.posts))
	}
}

func TestFailures(t *testing.T) {
	at := time.Date(2026, 10, 3, 13, 6, 0, 0, time.UTC)
	t.Run("only the failed messages are retried", func(t *testing.T) {
		n, s, _ := newNotifier()
		s.failOn = "staging"
		batch := append(burst(t, "prod", 2, at), burst(t, "staging", 2, at)...)
		raw := sqsEvent(t, batch)
		// One message that is not a finding.
		var e events.SQSEvent
		json.Unmarshal(raw, &e)
		e.Records = append(e.Records, events.SQSMessage{MessageId: "junk", Body: `{"hello":"world"}`, EventSource: "aws:sqs"})
		raw, _ = json.Marshal(e)

		resp, err := n.Handle(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range resp.(events.SQSEventResponse).BatchItemFailures {
			got = append(got, f.ItemIdentifier)
		}
		want := []string{"junk", "id-staging-00", "id-staging-01"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("batch item failures: got %v, want %v", got, want)
		}
		if len(s.posts) != 2 || n.Metrics.Get(metricMalformed) != 1 || n.Metrics.Get(metricNotifyFailed) != 3 {
			t.Errorf("got %d posts, %v malformed, %v failed; want 2, 1, 3", len(s.posts), n.Metrics.Get(metricMalformed), n.Metrics.Get(metricNotifyFailed))
		}
	})
	t.Run("without batch item failures, any failure fails the batch", func(t *testing.T) {
		n, s, _ := newNotifier()
		n.PartialBatch = false
		s.failOn = "staging"
		_, err := n.Handle(context.Background(), sqsEvent(t, append(burst(t, "prod", 1, at), burst(t, "staging", 1, at)...)))
		if err == nil || !strings.Contains(err.Error(), "1 of 2 messages not delivered") {
			t.Errorf("got %v, want an error for the whole batch", err)
		}
	})
	t.Run("nothing delivered is an error", func(t *testing.T) {
		n, s, _ := newNotifier()
		s.failOn = "prod"
		_, err := n.Handle(context.Background(), sqsEvent(t, burst(t, "prod", 1, at)))
		var pe *slack.PostError
		if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), "notify: 1 of 1 messages not delivered") {
			t.Errorf("got %v, want the post error", err)
		}
	})
	t.Run("from SNS, any failure is an error", func(t *testing.T) {
		n, s, _ := newNotifier()
		s.failOn = "prod"
		if _, err := n.Handle(context.Background(), snsEvent(t, []any{finding(t, "access-policy")}, "")); err == nil {
			t.Error("got no error")
		}
	})
	t.Run("the Chatbot topic fails: the message is retried", func(t *testing.T) {
		n, s, c := newNotifier()
		boom := errors.New("sns arn:aws:sns:us-west-2:111122223333:chatbot: publishing chatbot notification x: throttled")
		c.err = boom
		resp, err := n.Handle(context.Background(), sqsEvent(t, append(burst(t, "prod", 1, at), burst(t, "staging", 1, at)...)))
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "notify: 2 of 2 messages not delivered") || !strings.Contains(err.Error(), "chatbot: sns ") {
			t.Errorf("got %v, %v, want the whole batch failed with the topic's error", resp, err)
		}
		if len(s.posts) != 2 || n.Metrics.Get(metricNotifyFailed) != 2 || n.Metrics.Get(metricNotified) != 0 {
			t.Errorf("got %d posts, %v failed, %v notified; want 2, 2, 0", len(s.posts), n.Metrics.Get(metricNotifyFailed), n.Metrics.Get(metricNotified))
		}
	})
	t.Run("no time left: not attempted", func(t *testing.T) {
		n, s, _ := newNotifier()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := n.Handle(ctx, sqsEvent(t, burst(t, "prod", 2, at)))
		if err == nil || !strings.Contains(err.Error(), "not attempted") || len(s.posts) != 0 {
			t.Errorf("got %v after %d posts, want nothing attempted", err, len(s.posts))
		}
	})
	for name, event := range map[string]string{
		"not JSON":           `hello`,
		"no records":         `{"Records":[]}`,
		"EventBridge":        `{"detail-type":"AWS API Call via CloudTrail","detail":{}}`,
		"unknown record":     `{"Records":[{"eventSource":"aws:s3","s3":{}}]}`,
		"unknown message":    string(snsEvent(t, []any{map[string]string{"a": "b"}}, "")),
		"unknown type":       string(snsEvent(t, []any{finding(t, "access-policy")}, "verdict")),
		"outcome as finding": string(snsEvent(t, []any{drift.Outcome{FindingID: "x"}}, "outcome")),
	} {
		t.Run(name, func(t *testing.T) {
			n, s, _ := newNotifier()
			if _, err := n.Handle(context.Background(), json.RawMessage(event)); err == nil || len(s.posts) != 0 {
				t.Errorf("got %v after %d posts, want an error and no post", err, len(s.posts))
			}
		})
	}
}
