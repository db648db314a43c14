package sqs

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func TestSendRevertRequest(t *testing.T) {
	ctx := t.Context()
	c := awssqs.NewFromConfig(awstest.Config(t))
	q, err := c.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "revert"))})
	if err != nil {
		t.Fatal(err)
	}
	want := drift.RevertRequest{ApprovalID: "ap1", FindingID: "e#access-entry#prod#arn"}
	if err := New(c, aws.ToString(q.QueueUrl)).SendRevertRequest(ctx, want); err != nil {
		t.Fatal(err)
	}
	out, err := c.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("got %d messages (%v), want 1", len(out.Messages), err)
	}
	var got drift.RevertRequest
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &got); err != nil || got != want {
		t.Errorf("got %+v (%v), want %+v", got, err, want)
	}
}
