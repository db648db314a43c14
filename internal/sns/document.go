package sns

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// PublishDocument sends body, a document another package formatted (such
// as an AWS Chatbot custom notification), as the message exactly as it is:
// no subject, no attributes, the same body for every protocol. Subscribers
// that read the body as their own format (Chatbot drops anything else)
// receive it unchanged. what names the document in errors ("chatbot
// notification 3f2a...").
func (p *Publisher) PublishDocument(ctx context.Context, what string, body []byte) error {
	if p.topicARN == "" {
		return fmt.Errorf("sns: cannot publish %s: no topic ARN", what)
	}
	if n := payloadSize(body, nil); n > maxPayload {
		return fmt.Errorf("sns %s: %s is %d bytes, over the %d bytes SNS takes", p.topicARN, what, n, maxPayload)
	}
	if _, err := p.client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(p.topicARN), Message: aws.String(string(body))}); err != nil {
		return fmt.Errorf("sns %s: publishing %s: %w", p.topicARN, what, err)
	}
	return nil
}
