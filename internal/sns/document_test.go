package sns

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// chatbotDocument is a document as the notifier hands it over: an AWS
// Chatbot custom notification's JSON, with text an attacker wrote.
const chatbotDocument = `{"version":"1.0","source":"custom","id":"n-1","content":{"textType":"client-markdown","title":"x","description":"‹!channel› \u2028 \"quoted\""}}`

// TestPublishDocument publishes through MiniStack's SNS to a queue with raw
// delivery (what a Chatbot channel reads) and checks that the document
// arrives byte for byte, with no attributes of the findings topic.
func TestPublishDocument(t *testing.T) {
	cfg := awstest.Config(t)
	e := emulator{sns: sns.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
	topic := e.topic(t)
	q := e.queue(t, topic, map[string]string{"RawMessageDelivery": "true"})

	if err := NewPublisher(e.sns, topic).PublishDocument(context.Background(), "chatbot notification n-1", []byte(chatbotDocument)); err != nil {
		t.Fatal(err)
	}
	msgs := e.receive(t, q, 5*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	if got := aws.ToString(msgs[0].Body); got != chatbotDocument {
		t.Errorf("body: got %s, want %s", got, chatbotDocument)
	}
	if len(msgs[0].MessageAttributes) != 0 {
		t.Errorf("attributes: got %v, want none", msgs[0].MessageAttributes)
	}
}

func TestPublishDocumentErrors(t *testing.T) {
	t.Run("unknown topic", func(t *testing.T) {
		topic := "arn:aws:sns:us-east-1:000000000000:" + awstest.Name(t, "missing")
		err := NewPublisher(sns.NewFromConfig(awstest.Config(t)), topic).PublishDocument(context.Background(), "chatbot notification n-1", []byte(chatbotDocument))
		if err == nil || !strings.HasPrefix(err.Error(), "sns "+topic+": publishing chatbot notification n-1: ") {
			t.Errorf("got %v, want an error naming the topic and the document", err)
		}
	})
	t.Run("client error is wrapped", func(t *testing.T) {
		boom := errors.New("throttled")
		err := NewPublisher(fakePublisher(func(*sns.PublishInput) error { return boom }), "arn:aws:sns:eu-west-1:1:chatbot").PublishDocument(context.Background(), "n", []byte(chatbotDocument))
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "arn:aws:sns:eu-west-1:1:chatbot") {
			t.Errorf("got %v, want %v wrapped with the topic ARN", err, boom)
		}
	})
	t.Run("the input is the document alone", func(t *testing.T) {
		var in *sns.PublishInput
		err := NewPublisher(fakePublisher(func(i *sns.PublishInput) error { in = i; return nil }), "arn:aws:sns:eu-west-1:1:chatbot").PublishDocument(context.Background(), "n", []byte(chatbotDocument))
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(in.Message); got != chatbotDocument || in.Subject != nil || in.MessageStructure != nil || len(in.MessageAttributes) != 0 {
			t.Errorf("got message %q, subject %v, structure %v, attributes %v; want the document alone", got, in.Subject, in.MessageStructure, in.MessageAttributes)
		}
	})
	t.Run("no topic", func(t *testing.T) {
		err := NewPublisher(fakePublisher(func(*sns.PublishInput) error { t.Error("unexpected Publish"); return nil }), "").PublishDocument(context.Background(), "n", []byte(chatbotDocument))
		if err == nil || !strings.Contains(err.Error(), "no topic ARN") {
			t.Errorf("got %v, want an error about the missing topic ARN", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		err := NewPublisher(fakePublisher(func(*sns.PublishInput) error { t.Error("unexpected Publish"); return nil }), "arn:aws:sns:eu-west-1:1:chatbot").PublishDocument(context.Background(), "n", []byte(strings.Repeat("x", maxPayload+1)))
		if err == nil || !strings.Contains(err.Error(), "over the 262144 bytes") {
			t.Errorf("got %v, want an error about the size", err)
		}
	})
}
