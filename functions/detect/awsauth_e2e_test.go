package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslogs "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/k8saudit"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// The aws-auth ConfigMap's baseline: a cluster in MiniStack's default
// account and region, still in API_AND_CONFIG_MAP, whose aws-auth maps the
// nodes and the developers.
const awsAuthBaseline = `version: 1
mode: alert
clusters:
  - name: staging
    account: "000000000000"
    region: us-east-1
    authenticationMode: API_AND_CONFIG_MAP
    awsAuth:
      mapRoles:
        - {rolearn: arn:aws:iam::111122223333:role/eks-node-role, username: "system:node:{{EC2PrivateDNSName}}", groups: ["system:bootstrappers", "system:nodes"]}
        - {rolearn: arn:aws:iam::111122223333:role/developers, username: developers, groups: [dev]}
`

// TestAwsAuthThroughCloudWatchLogs deploys the real detector bootstrap as a
// MiniStack Lambda function, subscribes it to the cluster's audit log group
// and writes audit events there: MiniStack delivers the matching events to
// the function in the awslogs envelope, as CloudWatch Logs does, and the
// finding comes out of the findings topic.
//
// MiniStack's subscription filters match only bare terms (every term of the
// pattern must appear in the message), not the JSON pattern the stack
// builds (k8saudit.FilterPattern, which infra's test checks in the
// template); the filter here is the term "aws-auth", and the event that
// mentions aws-auth without writing it shows that the detector's own check
// (k8saudit's Watched) holds whatever the filter lets through.
func TestAwsAuthThroughCloudWatchLogs(t *testing.T) {
	ctx := context.Background()
	w := stacktest.New(t, []byte(awsAuthBaseline))
	queue := w.Subscribe(t, `{"drift":["true"]}`)
	fnName := awstest.Name(t, "detect")
	fnARN := deployDetector(t, w, fnName)

	logs := awslogs.NewFromConfig(w.Config)
	group := k8saudit.LogGroup("staging")
	stream := "kube-apiserver-audit-" + strings.TrimPrefix(fnName, "detect-")
	must(t, err2(logs.CreateLogGroup(ctx, &awslogs.CreateLogGroupInput{LogGroupName: &group})))
	t.Cleanup(func() { logs.DeleteLogGroup(context.Background(), &awslogs.DeleteLogGroupInput{LogGroupName: &group}) })
	must(t, err2(logs.CreateLogStream(ctx, &awslogs.CreateLogStreamInput{LogGroupName: &group, LogStreamName: &stream})))
	must(t, err2(logs.PutSubscriptionFilter(ctx, &awslogs.PutSubscriptionFilterInput{
		LogGroupName: &group, FilterName: aws.String("eksdrift-aws-auth"), FilterPattern: aws.String("aws-auth"), DestinationArn: &fnARN,
	})))

	lines := strings.Split(strings.TrimSpace(string(readFile(t, filepath.Join("..", "..", "internal", "k8saudit", "testdata", "audit.jsonl")))), "\n")
	// The update that maps an outside account's role to system:masters,
	// and a read of aws-auth that the filter's term lets through.
	update := lines[2]
	read := strings.Replace(strings.Replace(lines[2], `"verb":"update"`, `"verb":"get"`, 1), "a1f0c6de", "0ead0ead", 1)
	now := time.Now().UnixMilli()
	start := time.Now()
	must(t, err2(logs.PutLogEvents(ctx, &awslogs.PutLogEventsInput{LogGroupName: &group, LogStreamName: &stream, LogEvents: []logstypes.InputLogEvent{
		{Message: &read, Timestamp: aws.Int64(now)}, {Message: &update, Timestamp: aws.Int64(now + 1)},
	}})))

	msgs := w.ReceiveN(t, queue, 1, 60*time.Second)
	t.Logf("PutLogEvents to the finding on the queue: %v (the function's first, cold invocation)", time.Since(start).Round(time.Millisecond))
	msgs = append(msgs, w.Receive(t, queue, 3*time.Second)...)
	if len(msgs) != 1 {
		t.Fatalf("got %d drift messages, want 1 (the update; the read is no write)", len(msgs))
	}
	var f drift.Finding
	must(t, json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &f))
	if f.Kind != drift.KindAwsAuth || f.Cluster != "staging" || f.Account != "000000000000" || f.Region != "us-east-1" ||
		f.Severity != drift.SeverityCritical || f.Decision != drift.DecisionAlert || f.EventID != "a1f0c6de-0b4e-4a59-9d31-7c9a4f2e1b01" {
		t.Errorf("got %s on %s/%s/%s, %s %s, event %s; want a critical aws-auth alert on 000000000000/us-east-1/staging for a1f0c6de-...",
			f.Kind, f.Account, f.Region, f.Cluster, f.Severity, f.Decision, f.EventID)
	}
	if f.Actor != "arn:aws:iam::111122223333:role/ops-engineer" || f.Principal != "arn:aws:iam::444455556666:role/contractor" {
		t.Errorf("got actor %s principal %s, want ops-engineer mapping the contractor role", f.Actor, f.Principal)
	}
	if _, found, err := w.History.Get(ctx, f.ID()); err != nil || !found {
		t.Errorf("got found %v (%v), want the finding recorded in the history", found, err)
	}
}

// deployDetector creates the detector as a MiniStack Lambda function
// (provided.al2023, run natively: a build for this machine) and gives its
// ARN. AWS_ENDPOINT_URL in its environment keeps every call it makes on
// MiniStack.
func deployDetector(t *testing.T, w *stacktest.World, name string) string {
	t.Helper()
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	fw, err := zw.CreateHeader(hdr)
	must(t, err)
	_, err = fw.Write(readFile(t, lambdatest.Build(t, "./functions/detect")))
	must(t, err)
	must(t, zw.Close())
	env := map[string]string{}
	for k, v := range w.Env {
		env[k] = v
	}
	if env["AWS_ENDPOINT_URL"] == "" || !strings.Contains(env["AWS_ENDPOINT_URL"], "127.0.0.1") {
		t.Fatalf("got AWS_ENDPOINT_URL %q, want MiniStack on 127.0.0.1: the function must never call AWS", env["AWS_ENDPOINT_URL"])
	}
	lc := awslambda.NewFromConfig(w.Config)
	out, err := lc.CreateFunction(context.Background(), &awslambda.CreateFunctionInput{
		FunctionName: &name, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/eksdrift-detect"), Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()},
		Timeout: aws.Int32(30), Environment: &lambdatypes.Environment{Variables: env},
	})
	must(t, err)
	t.Cleanup(func() { lc.DeleteFunction(context.Background(), &awslambda.DeleteFunctionInput{FunctionName: &name}) })
	return aws.ToString(out.FunctionArn)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

func err2[T any](_ T, err error) error { return err }
