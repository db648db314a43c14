package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
)

// The end-to-end tests run the real bootstrap under the Lambda runtime
// emulator against MiniStack: S3 (versioned baseline), DynamoDB (history),
// SNS to SQS (findings, with a filter policy) and EKS (live state).

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	eksRegion  = "us-west-2"
	contractor = "arn:aws:iam::111122223333:role/contractor"
	clusterAdm = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
)

type world struct {
	cfg       aws.Config
	bucket    string
	version   string
	table     string
	queueURL  string
	env       map[string]string
	history   *dynamodb.Store
	eksClient *awseks.Client
	sqs       *awssqs.Client
}

var clusterOnce sync.Once

// setup builds the account a detector watches and returns how to run it.
func setup(t *testing.T, baselineBody []byte) *world { return setupTB(t, baselineBody) }

func setupB(b *testing.B) *world {
	body, err := os.ReadFile(filepath.Join("../../events", "baseline.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	return setupTB(b, body)
}

func setupTB(t testing.TB, baselineBody []byte) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{cfg: awstest.Config(t)}
	s3c := awss3.NewFromConfig(w.cfg, func(o *awss3.Options) { o.UsePathStyle = true })
	w.bucket = awstest.Name(t, "baseline")
	must(t, err2(s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &w.bucket})))
	must(t, err2(s3c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &w.bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})))
	put, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.bucket, Key: aws.String("baseline.yaml"), Body: strings.NewReader(string(baselineBody))})
	must(t, err)
	w.version = aws.ToString(put.VersionId)

	ddb := awsdynamodb.NewFromConfig(w.cfg)
	w.table = awstest.Name(t, "history")
	must(t, dynamodb.CreateTable(ctx, ddb, w.table))
	w.history = dynamodb.New(ddb, w.table)

	snsc := awssns.NewFromConfig(w.cfg)
	topic, err := snsc.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String(awstest.Name(t, "findings"))})
	must(t, err)
	w.sqs = awssqs.NewFromConfig(w.cfg)
	q, err := w.sqs.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "drift"))})
	must(t, err)
	w.queueURL = aws.ToString(q.QueueUrl)
	qa, err := w.sqs.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must(t, err)
	must(t, err2(snsc.Subscribe(ctx, &awssns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"]),
		Attributes: map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"drift":["true"]}`},
	})))

	w.eksClient = awseks.NewFromConfig(w.cfg, func(o *awseks.Options) { o.Region = eksRegion })
	clusterOnce.Do(func() {
		_, err := w.eksClient.CreateCluster(ctx, &awseks.CreateClusterInput{
			Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::111122223333:role/eks-cluster"),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
			AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi},
		})
		must(t, err)
	})

	w.env = map[string]string{
		config.EnvBaselineBucket:   w.bucket,
		config.EnvBaselineKey:      "baseline.yaml",
		config.EnvHistoryTable:     w.table,
		config.EnvFindingsTopicARN: aws.ToString(topic.TopicArn),
		"AWS_ENDPOINT_URL":         awstest.Endpoint(t),
		"AWS_REGION":               awstest.Region,
		"AWS_ACCESS_KEY_ID":        "test",
		"AWS_SECRET_ACCESS_KEY":    "test",
		"AWS_S3_USE_PATH_STYLE":    "true",
		"AWS_LAMBDA_LOG_FORMAT":    "JSON",
	}
	return w
}

func (w *world) start(t *testing.T) *lambdatest.Function {
	return lambdatest.Start(t, lambdatest.Build(t, "./functions/detect"), w.env)
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", name))
	must(t, err)
	return b
}

// findingID is the history key of a sample's one change, computed from the
// sample itself.
func findingID(t *testing.T, event []byte, kind drift.Kind, resource string) string {
	t.Helper()
	var e struct {
		Detail struct {
			EventID string `json:"eventID"`
		} `json:"detail"`
	}
	must(t, json.Unmarshal(event, &e))
	return e.Detail.EventID + "#" + string(kind) + "#prod#" + resource
}

func (w *world) messages(t *testing.T, wait time.Duration) []awssqs.ReceiveMessageOutput {
	t.Helper()
	var got []awssqs.ReceiveMessageOutput
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		out, err := w.sqs.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{
			QueueUrl: &w.queueURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"},
		})
		must(t, err)
		for _, m := range out.Messages {
			got = append(got, awssqs.ReceiveMessageOutput{Messages: []sqstypes.Message{m}})
			w.sqs.DeleteMessage(context.Background(), &awssqs.DeleteMessageInput{QueueUrl: &w.queueURL, ReceiptHandle: m.ReceiptHandle})
		}
	}
	return got
}

func TestDriftEndToEnd(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	ctx := context.Background()
	// Make the drift for real, then deliver the events that report it.
	_, err := w.eksClient.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor), KubernetesGroups: []string{"viewers"}})
	must(t, err)
	_, err = w.eksClient.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor),
		PolicyArn: aws.String(clusterAdm), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	must(t, err)
	t.Cleanup(func() {
		w.eksClient.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})
	})

	fn := w.start(t)
	entryEvent := sample(t, "eks-create-access-entry-undeclared-role.json")
	policyEvent := sample(t, "eks-associate-access-policy-cluster-admin.json")
	for _, ev := range [][]byte{entryEvent, policyEvent} {
		if r := fn.Invoke(t, ev); r.Error != "" {
			t.Fatalf("invocation failed: %s", r.Error)
		}
	}

	f, found, err := w.history.Get(ctx, findingID(t, policyEvent, drift.KindAccessPolicy, contractor+"|"+clusterAdm))
	must(t, err)
	if !found {
		t.Fatal("the access-policy finding was not recorded")
	}
	if f.Decision != drift.DecisionRevert || f.Severity != drift.SeverityCritical || f.NotifiedAt == nil {
		t.Errorf("got decision %s severity %s notified %v, want revert, critical, notified", f.Decision, f.Severity, f.NotifiedAt)
	}
	if f.Live == nil || !f.Live.Present || !f.Live.Drift || !strings.Contains(string(f.Live.State), "cluster") {
		t.Errorf("live state not recorded: %+v", f.Live)
	}
	if f.BaselineVersion != w.version || f.BaselineSource != "s3://"+w.bucket+"/baseline.yaml" {
		t.Errorf("baseline: got %s %s, want version %s", f.BaselineSource, f.BaselineVersion, w.version)
	}

	msgs := w.messages(t, 3*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("got %d messages on the drift queue, want 2", len(msgs))
	}
	var critical bool
	for _, m := range msgs {
		var body drift.Finding
		must(t, json.Unmarshal([]byte(aws.ToString(m.Messages[0].Body)), &body))
		attrs := m.Messages[0].MessageAttributes
		if aws.ToString(attrs["severity"].StringValue) != string(body.Severity) || aws.ToString(attrs["cluster"].StringValue) != "prod" {
			t.Errorf("attributes %v do not match the body", attrs)
		}
		critical = critical || body.Severity == drift.SeverityCritical
	}
	if !critical {
		t.Error("no critical finding published")
	}

	// Redelivery: the same events again record and publish nothing new.
	for _, ev := range [][]byte{entryEvent, policyEvent} {
		if r := fn.Invoke(t, ev); r.Error != "" {
			t.Fatalf("redelivery failed: %s", r.Error)
		}
	}
	if again := w.messages(t, 2*time.Second); len(again) != 0 {
		t.Errorf("redelivery published %d more messages, want none", len(again))
	}
	all, err := w.history.Query(ctx, drift.HistoryQuery{Cluster: "prod"})
	must(t, err)
	if len(all) != 2 {
		t.Errorf("got %d records after redelivery, want 2", len(all))
	}
	if !strings.Contains(fn.Logs(), `"_aws"`) {
		t.Error("no EMF metrics line in the function's output")
	}
	if !strings.Contains(fn.Logs(), `"msg":"finding"`) && !strings.Contains(fn.Logs(), `"message":"finding"`) {
		t.Errorf("no structured JSON finding log line:\n%s", fn.Logs())
	}
}

func TestLateEventIsNotReverted(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	fn := w.start(t)
	// vendor-support has no entry live: the drift the event reports is gone.
	ev := sample(t, "eks-create-access-entry-cross-account.json")
	if r := fn.Invoke(t, ev); r.Error != "" {
		t.Fatalf("invocation failed: %s", r.Error)
	}
	f, found, err := w.history.Get(context.Background(), findingID(t, ev, drift.KindAccessEntry, "arn:aws:iam::444455556666:role/vendor-support"))
	must(t, err)
	if !found || f.Decision != drift.DecisionAlert || f.Live == nil || f.Live.Present || !strings.Contains(f.Reason, "nothing to revert") {
		t.Errorf("got found=%v decision=%s live=%+v reason=%q", found, f.Decision, f.Live, f.Reason)
	}
}

func TestInvalidBaselineAlertsWithoutReverting(t *testing.T) {
	w := setup(t, []byte("version: 1\nclusters:\n  - name: prod\n    acount: x\n"))
	fn := w.start(t)
	ev := sample(t, "eks-associate-access-policy-cluster-admin.json")
	if r := fn.Invoke(t, ev); r.Error != "" {
		t.Fatalf("invocation failed: %s", r.Error)
	}
	f, found, err := w.history.Get(context.Background(), findingID(t, ev, drift.KindAccessPolicy, contractor+"|"+clusterAdm))
	must(t, err)
	if !found || f.Decision != drift.DecisionAlert || !strings.Contains(f.Reason, "s3://"+w.bucket+"/baseline.yaml:4") {
		t.Errorf("got found=%v decision=%s reason=%q", found, f.Decision, f.Reason)
	}
}

func TestFailuresComeBackForRetry(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	fn := w.start(t)
	if r := fn.Invoke(t, []byte(`{"detail-type": "AWS API Call via CloudTrail", "detail": "nonsense"}`)); !strings.Contains(r.Error, "malformed event") {
		t.Errorf("malformed event: got error %q", r.Error)
	}
	// DynamoDB unreachable: the change is not lost, the invocation fails.
	w.env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:1"
	down := w.start(t)
	r := down.Invoke(t, sample(t, "eks-create-access-entry-declared.json"))
	if !strings.Contains(r.Error, "history") {
		t.Errorf("history down: got error %q, want one naming the history", r.Error)
	}
	if !strings.Contains(down.Logs(), "will be retried") {
		t.Error("the failure was not logged")
	}
}

func TestMissingConfigurationStopsAtStart(t *testing.T) {
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/detect"), map[string]string{"AWS_REGION": "us-east-1"})
	r := fn.Invoke(t, []byte(`{}`))
	if r.Error == "" {
		t.Error("a function with no configuration answered without error")
	}
	if !strings.Contains(fn.Logs(), config.EnvBaselineBucket+" is not set") {
		t.Errorf("the logs do not name the missing variable:\n%s", fn.Logs())
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func err2[T any](_ T, err error) error { return err }
