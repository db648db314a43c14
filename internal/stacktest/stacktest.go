// Package stacktest builds, on the emulator, a miniature of the deployed
// stack for end-to-end tests: the versioned baseline bucket, the history
// table, the findings topic with an SQS subscriber, an EKS cluster, and the
// environment that points a function at all of it. Tests then run the real
// bootstraps under the runtime emulator (package lambdatest).
package stacktest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
)

// EKSRegion is where the sample events' clusters live.
const EKSRegion = "us-west-2"

// World is one test's stack.
type World struct {
	Config   aws.Config
	Bucket   string
	Key      string
	Version  string // the baseline's S3 version id
	Table    string
	TopicARN string
	History  *dynamodb.Store
	EKS      *awseks.Client // in EKSRegion
	SQS      *awssqs.Client
	SNS      *awssns.Client
	// Env points a function at this world; tests add to it.
	Env map[string]string
}

// New builds a world whose baseline is baselineYAML.
func New(t testing.TB, baselineYAML []byte) *World {
	t.Helper()
	ctx := context.Background()
	w := &World{Config: awstest.Config(t), Key: "baseline.yaml"}
	s3c := awss3.NewFromConfig(w.Config, func(o *awss3.Options) { o.UsePathStyle = true })
	w.Bucket = awstest.Name(t, "baseline")
	must(t, err2(s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &w.Bucket})))
	must(t, err2(s3c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &w.Bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})))
	put, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.Bucket, Key: &w.Key, Body: strings.NewReader(string(baselineYAML))})
	must(t, err)
	w.Version = aws.ToString(put.VersionId)

	ddb := awsdynamodb.NewFromConfig(w.Config)
	w.Table = awstest.Name(t, "history")
	must(t, dynamodb.CreateTable(ctx, ddb, w.Table))
	w.History = dynamodb.New(ddb, w.Table)

	w.SNS = awssns.NewFromConfig(w.Config)
	topic, err := w.SNS.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(awstest.Name(t, "findings"))})
	must(t, err)
	w.TopicARN = aws.ToString(topic.TopicArn)
	w.SQS = awssqs.NewFromConfig(w.Config)
	w.EKS = awseks.NewFromConfig(w.Config, func(o *awseks.Options) { o.Region = EKSRegion })

	w.Env = map[string]string{
		config.EnvBaselineBucket:   w.Bucket,
		config.EnvBaselineKey:      w.Key,
		config.EnvHistoryTable:     w.Table,
		config.EnvFindingsTopicARN: w.TopicARN,
		"AWS_ENDPOINT_URL":         awstest.Endpoint(t),
		"AWS_REGION":               awstest.Region,
		"AWS_ACCESS_KEY_ID":        "test",
		"AWS_SECRET_ACCESS_KEY":    "test",
		"AWS_S3_USE_PATH_STYLE":    "true",
		"AWS_LAMBDA_LOG_FORMAT":    "JSON",
	}
	return w
}

// Subscribe creates an SQS queue subscribed to the findings topic with raw
// delivery and the filter policy (none when empty), and gives its URL.
func (w *World) Subscribe(t testing.TB, filterPolicy string) string {
	t.Helper()
	ctx := context.Background()
	q, err := w.SQS.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "subscriber"))})
	must(t, err)
	qa, err := w.SQS.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must(t, err)
	attrs := map[string]string{"RawMessageDelivery": "true"}
	if filterPolicy != "" {
		attrs["FilterPolicy"] = filterPolicy
	}
	must(t, err2(w.SNS.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: &w.TopicARN, Protocol: aws.String("sqs"),
		Endpoint: aws.String(qa.Attributes["QueueArn"]), Attributes: attrs})))
	return aws.ToString(q.QueueUrl)
}

// Receive takes the messages that arrive on a queue within wait, deleting
// them; it returns early once a receive comes back empty after some came.
func (w *World) Receive(t testing.TB, queueURL string, wait time.Duration) []sqstypes.Message {
	t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		out, err := w.SQS.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{
			QueueUrl: &queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"},
		})
		must(t, err)
		for _, m := range out.Messages {
			got = append(got, m)
			w.SQS.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: &queueURL, ReceiptHandle: m.ReceiptHandle})
		}
		if len(got) > 0 && len(out.Messages) == 0 {
			break
		}
	}
	return got
}

// ReceiveN takes messages from a queue until n have come or wait has
// passed, deleting them.
func (w *World) ReceiveN(t testing.TB, queueURL string, n int, wait time.Duration) []sqstypes.Message {
	t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(wait)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := w.SQS.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{
			QueueUrl: &queueURL, MaxNumberOfMessages: int32(min(n-len(got), 10)), WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"},
		})
		must(t, err)
		for _, m := range out.Messages {
			got = append(got, m)
			w.SQS.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: &queueURL, ReceiptHandle: m.ReceiptHandle})
		}
	}
	return got
}

// CreateCluster creates a cluster in EKSRegion, without the creator's
// cluster-admin, unless it exists already.
func (w *World) CreateCluster(t testing.TB, name string) {
	t.Helper()
	_, err := w.EKS.CreateCluster(context.Background(), &awseks.CreateClusterInput{
		Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::111122223333:role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi,
			BootstrapClusterCreatorAdminPermissions: aws.Bool(false)},
	})
	if err != nil && !strings.Contains(err.Error(), "ResourceInUse") {
		t.Fatal(err)
	}
}

// EventID gives the CloudTrail event id of an EventBridge sample.
func EventID(t testing.TB, event []byte) string {
	t.Helper()
	var e struct {
		Detail struct {
			EventID string `json:"eventID"`
		} `json:"detail"`
	}
	must(t, json.Unmarshal(event, &e))
	return e.Detail.EventID
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func err2[T any](_ T, err error) error { return err }
