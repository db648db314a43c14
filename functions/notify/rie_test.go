package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/chatbot"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/slack"
)

func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

// webhookPath is the secret part of the webhook URL: it must never show in
// the function's logs.
const webhookPath = "/services/T0EKSDRIFT/B0EKSDRIFT/XXXXwebhookSecretXXXX"

// slackStub stands in for Slack's incoming webhook on 127.0.0.1: it answers
// each post with the next response of its script (the last one repeats).
type slackStub struct {
	mu     sync.Mutex
	script []stubResponse
	posts  []stubPost
}

type stubResponse struct {
	status     int
	body       string
	retryAfter string
}

type stubPost struct {
	at   time.Time
	body []byte
}

func (s *slackStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.posts = append(s.posts, stubPost{at: time.Now(), body: b})
	resp := s.script[min(len(s.posts), len(s.script))-1]
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != webhookPath {
		http.Error(w, "no_service", http.StatusNotFound)
		return
	}
	if resp.retryAfter != "" {
		w.Header().Set("Retry-After", resp.retryAfter)
	}
	w.WriteHeader(resp.status)
	io.WriteString(w, resp.body)
}

// reset starts a new scene with a new script.
func (s *slackStub) reset(script ...stubResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script, s.posts = script, nil
}

func (s *slackStub) received() []stubPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stubPost(nil), s.posts...)
}

// TestUnderTheRuntimeEmulator runs the real bootstrap under the Lambda
// Runtime Interface Emulator, with the webhook URL in MiniStack's Secrets
// Manager, a Chatbot topic in MiniStack's SNS, and a stand-in for Slack on
// 127.0.0.1.
func TestUnderTheRuntimeEmulator(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	stub := &slackStub{}
	server := httptest.NewServer(stub)
	t.Cleanup(server.Close)
	webhook := server.URL + webhookPath

	secret, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(awstest.Name(t, "eksdrift-slack")), SecretString: aws.String(webhook),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	topic, queue := chatbotChannel(t, sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg))

	bootstrap := lambdatest.Build(t, "./functions/notify")
	fn := lambdatest.Start(t, bootstrap, map[string]string{
		"AWS_ENDPOINT_URL":                  awstest.Endpoint(t),
		"AWS_ACCESS_KEY_ID":                 "test",
		"AWS_SECRET_ACCESS_KEY":             "test",
		"AWS_REGION":                        awstest.Region,
		"AWS_EC2_METADATA_DISABLED":         "true",
		"EKSDRIFT_SLACK_WEBHOOK_SECRET_ARN": aws.ToString(secret.ARN),
		"EKSDRIFT_CHATBOT_TOPIC_ARN":        topic,
	})

	// The finding as the function reads it from the topic.
	f := drifttest.FixtureFinding(t, "access-policy")
	b, _ := json.Marshal(f)
	f = drift.Finding{}
	json.Unmarshal(b, &f)
	event := snsEvent(t, f)

	t.Run("a finding is posted", func(t *testing.T) {
		stub.reset(stubResponse{status: 200, body: "ok"})
		cold := fn.Invoke(t, event)
		if cold.Error != "" {
			t.Fatalf("invocation failed: %s", cold.Error)
		}
		posts := stub.received()
		want, _ := slack.Encode(slack.Finding(f), "")
		if len(posts) != 1 || string(posts[0].body) != string(want) {
			t.Fatalf("got %d posts, want exactly the finding's message:\n%s", len(posts), want)
		}
		warm := fn.Invoke(t, event)
		if warm.Error != "" {
			t.Fatalf("warm invocation failed: %s", warm.Error)
		}
		t.Logf("render and post under the RIE: %s cold (process start, secret read), %s warm", cold.Duration.Round(time.Millisecond), warm.Duration.Round(time.Millisecond))

		got := receive(t, sqs.NewFromConfig(cfg), queue)
		wantNote, _ := json.Marshal(chatbot.Finding(f))
		if got != string(wantNote) {
			t.Errorf("chatbot topic:\ngot  %s\nwant %s", got, wantNote)
		}
	})

	t.Run("429 Retry-After is honoured", func(t *testing.T) {
		stub.reset(stubResponse{status: 429, body: "rate_limited", retryAfter: "1"}, stubResponse{status: 200, body: "ok"})
		r := fn.Invoke(t, event)
		if r.Error != "" {
			t.Fatalf("invocation failed: %s", r.Error)
		}
		posts := stub.received()
		if len(posts) != 2 {
			t.Fatalf("got %d posts, want 2", len(posts))
		}
		if gap := posts[1].at.Sub(posts[0].at); gap < time.Second {
			t.Errorf("retried after %s, want at least the 1s of Retry-After", gap)
		}
		if string(posts[0].body) != string(posts[1].body) {
			t.Error("the retry posted another message")
		}
	})

	t.Run("a 500 is retried", func(t *testing.T) {
		stub.reset(stubResponse{status: 500, body: "rollup_error"}, stubResponse{status: 200, body: "ok"})
		r := fn.Invoke(t, event)
		if r.Error != "" {
			t.Fatalf("invocation failed: %s", r.Error)
		}
		if n := len(stub.received()); n != 2 {
			t.Errorf("got %d posts, want 2", n)
		}
	})

	t.Run("a permanent failure is an error", func(t *testing.T) {
		stub.reset(stubResponse{status: 403, body: "invalid_token"})
		r := fn.Invoke(t, event)
		if !strings.Contains(r.Error, `slack webhook: HTTP 403 "invalid_token" (after 1 attempts)`) {
			t.Errorf("got error %q, want Slack's refusal", r.Error)
		}
		if n := len(stub.received()); n != 1 {
			t.Errorf("got %d posts, want 1: a 403 is not retried", n)
		}
	})

	t.Run("a burst from a queue is one digest", func(t *testing.T) {
		stub.reset(stubResponse{status: 200, body: "ok"})
		r := fn.Invoke(t, burstEvent(t, "prod", 7, time.Date(2026, 10, 3, 13, 6, 0, 0, time.UTC)))
		if r.Error != "" {
			t.Fatalf("invocation failed: %s", r.Error)
		}
		var resp struct {
			BatchItemFailures []any `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(r.Body, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Errorf("got response %s, want no batch item failures", r.Body)
		}
		posts := stub.received()
		if len(posts) != 1 || !strings.Contains(string(posts[0].body), "Burst on prod: 7 access changes") {
			t.Errorf("got %d posts, want one digest of 7", len(posts))
		}
	})

	t.Run("nothing logs the webhook URL", func(t *testing.T) {
		fn.LogsContain("invalid_token", 2*time.Second) // the emulator copies lines after it answers
		logs := fn.Logs()
		for _, s := range []string{webhook, webhookPath, "XXXXwebhookSecretXXXX"} {
			if strings.Contains(logs, s) {
				t.Errorf("the logs show %q:\n%s", s, logs)
			}
		}
		if !strings.Contains(logs, "invalid_token") {
			t.Errorf("the logs do not say why the post failed:\n%s", logs)
		}
	})
}

// chatbotChannel makes a topic for Chatbot and a queue that stands in for
// the Chatbot channel, subscribed with raw delivery.
func chatbotChannel(t *testing.T, snsc *sns.Client, sqsc *sqs.Client) (topic, queue string) {
	t.Helper()
	ctx := context.Background()
	tp, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(awstest.Name(t, "eksdrift-chatbot"))})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "chatbot-channel"))})
	if err != nil {
		t.Fatal(err)
	}
	a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: tp.TopicArn, Protocol: aws.String("sqs"),
		Endpoint:   aws.String(a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: map[string]string{"RawMessageDelivery": "true"},
	}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(tp.TopicArn), aws.ToString(q.QueueUrl)
}

func receive(t *testing.T, sqsc *sqs.Client, queue string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		r, err := sqsc.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) > 0 {
			return aws.ToString(r.Messages[0].Body)
		}
	}
	t.Fatalf("nothing arrived on %s", queue)
	return ""
}

// snsEvent gives one finding as SNS delivers it to the function.
func snsEvent(t *testing.T, f drift.Finding) json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(f)
	raw, _ := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", EventVersion: "1.0", SNS: events.SNSEntity{
		MessageID: "m0", Type: "Notification", TopicArn: "arn:aws:sns:us-west-2:111122223333:findings", Message: string(body), Timestamp: time.Date(2026, 10, 3, 13, 7, 0, 0, time.UTC),
	}}}})
	return raw
}

// burstEvent gives n findings on cluster, one second apart from at, as a
// queue with raw message delivery delivers them in one batch.
func burstEvent(t *testing.T, cluster string, n int, at time.Time) json.RawMessage {
	t.Helper()
	var e events.SQSEvent
	for i := range n {
		f := drifttest.FixtureFinding(t, "access-policy")
		f.Cluster, f.EventID, f.EventTime = cluster, fmt.Sprintf("%s-%02d", cluster, i), at.Add(time.Duration(i)*time.Second)
		body, _ := json.Marshal(f)
		e.Records = append(e.Records, events.SQSMessage{
			MessageId: "id-" + f.EventID, Body: string(body), EventSource: "aws:sqs",
			Attributes: map[string]string{"SentTimestamp": fmt.Sprint(f.EventTime.UnixMilli())},
		})
	}
	raw, _ := json.Marshal(e)
	return raw
}
