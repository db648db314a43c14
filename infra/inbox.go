package infra

import (
	"encoding/json"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// InboxProps configures the queue that feeds a function from a topic.
type InboxProps struct {
	Topic awssns.ITopic
	// FilterPolicy is the subscription's filter policy on message
	// attributes, as the Go packages write it (a JSON string or a value).
	FilterPolicy any
	BatchSize    int
	// BatchingWindow lets messages gather before an invocation (digests).
	BatchingWindow time.Duration
	// MaxConcurrency caps the concurrent invocations the queue makes (2 at
	// least, SQS's minimum).
	MaxConcurrency int
	// MaxReceiveCount is how many times a message is tried before its
	// function's dead-letter queue keeps it.
	MaxReceiveCount int
}

// Inbox is an SQS queue subscribed to a topic (raw delivery, with a filter
// policy) that feeds a function in batches; a message that fails
// MaxReceiveCount times moves to the function's dead-letter queue.
type Inbox struct {
	Queue        awssqs.Queue
	Subscription awssns.Subscription
}

// newInbox makes f's inbox. The visibility timeout is six times the
// function's timeout, as Lambda advises for SQS event sources.
func newInbox(f *Function, timeout time.Duration, props InboxProps) *Inbox {
	in := &Inbox{}
	in.Queue = awssqs.NewQueue(f.Construct, jsii.String("Inbox"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * timeout.Seconds())),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: f.DLQ, MaxReceiveCount: jsii.Number(float64(props.MaxReceiveCount))},
	})
	in.Subscription = props.Topic.AddSubscription(awssnssubscriptions.NewSqsSubscription(in.Queue, &awssnssubscriptions.SqsSubscriptionProps{
		RawMessageDelivery: jsii.Bool(true),
		// What SNS cannot deliver to the queue waits in the function's
		// dead-letter queue too.
		DeadLetterQueue: f.DLQ,
	}))
	setFilterPolicy(in.Subscription, props.FilterPolicy)
	src := &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(float64(props.BatchSize)),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(float64(props.MaxConcurrency)),
	}
	if props.BatchingWindow > 0 {
		src.MaxBatchingWindow = awscdk.Duration_Seconds(jsii.Number(props.BatchingWindow.Seconds()))
	}
	f.Fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(in.Queue, src))
	return in
}

// setFilterPolicy sets a subscription's filter policy as the Go packages
// write it, rather than through CDK's filter builders, so that the policy
// in the template is exactly the one the tests check. policy is a JSON
// string (sns.FilterPolicy's form) or a value that marshals to one.
func setFilterPolicy(sub awssns.Subscription, policy any) {
	b, ok := policy.(string)
	if !ok {
		raw, err := json.Marshal(policy)
		if err != nil {
			panic("infra: filter policy: " + err.Error())
		}
		b = string(raw)
	}
	var v any
	if err := json.Unmarshal([]byte(b), &v); err != nil {
		panic("infra: filter policy: " + err.Error())
	}
	sub.Node().DefaultChild().(awssns.CfnSubscription).SetFilterPolicy(v)
}
