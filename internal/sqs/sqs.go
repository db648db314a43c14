// Package sqs sends the interaction endpoint's revert requests to the
// reverter's queue. A request only names an approval and a finding: the
// reverter reads both from the history, so what travels here is never
// trusted.
package sqs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// sender is the one SQS call made; *sqs.Client has it.
type sender interface {
	SendMessage(ctx context.Context, in *awssqs.SendMessageInput, optFns ...func(*awssqs.Options)) (*awssqs.SendMessageOutput, error)
}

var _ sender = (*awssqs.Client)(nil)

// Queue is the reverter's queue.
type Queue struct {
	client sender
	url    string
}

// New gives the queue at url.
func New(client sender, url string) *Queue { return &Queue{client: client, url: url} }

// SendRevertRequest sends one request as JSON.
func (q *Queue) SendRevertRequest(ctx context.Context, req drift.RevertRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("sqs %s: revert request for %s: %w", q.url, req.FindingID, err)
	}
	if _, err := q.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("sqs %s: cannot send the revert request for %s: %w", q.url, req.FindingID, err)
	}
	return nil
}
