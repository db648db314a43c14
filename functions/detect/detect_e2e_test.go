package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// The end-to-end tests run the real bootstrap under the Lambda runtime
// emulator against MiniStack: S3 (versioned baseline), DynamoDB (history),
// SNS to SQS (findings, with a filter policy) and EKS (live state).

func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

const (
	eksRegion  = "us-west-2"
	contractor = "arn:aws:iam::111122223333:role/contractor"
	clusterAdm = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
)

type world struct {
	*stacktest.World
	queueURL string
}

func setup(t *testing.T, baselineBody []byte) *world { return setupTB(t, baselineBody) }

func setupB(b *testing.B) *world {
	body, err := os.ReadFile(filepath.Join("../../events", "baseline.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	return setupTB(b, body)
}

// setupTB builds the detector's world: the sample baseline in S3, a history
// table, a findings topic with a drift-only queue, and cluster prod.
func setupTB(t testing.TB, baselineBody []byte) *world {
	t.Helper()
	w := &world{World: stacktest.New(t, baselineBody)}
	w.queueURL = w.Subscribe(t, `{"drift":["true"]}`)
	w.CreateCluster(t, "prod")
	return w
}

func (w *world) start(t testing.TB) *lambdatest.Function {
	return lambdatest.Start(t, lambdatest.Build(t, "./functions/detect"), w.Env)
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

func TestDriftEndToEnd(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	ctx := context.Background()
	// Make the drift for real, then deliver the events that report it.
	_, err := w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor), KubernetesGroups: []string{"viewers"}})
	must(t, err)
	_, err = w.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor),
		PolicyArn: aws.String(clusterAdm), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	must(t, err)
	t.Cleanup(func() {
		w.EKS.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})
	})

	fn := w.start(t)
	entryEvent := sample(t, "eks-create-access-entry-undeclared-role.json")
	policyEvent := sample(t, "eks-associate-access-policy-cluster-admin.json")
	for _, ev := range [][]byte{entryEvent, policyEvent} {
		if r := fn.Invoke(t, ev); r.Error != "" {
			t.Fatalf("invocation failed: %s", r.Error)
		}
	}

	f, found, err := w.History.Get(ctx, findingID(t, policyEvent, drift.KindAccessPolicy, contractor+"|"+clusterAdm))
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
	if f.BaselineVersion != w.Version || f.BaselineSource != "s3://"+w.Bucket+"/baseline.yaml" {
		t.Errorf("baseline: got %s %s, want version %s", f.BaselineSource, f.BaselineVersion, w.Version)
	}

	msgs := w.Receive(t, w.queueURL, 3*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("got %d messages on the drift queue, want 2", len(msgs))
	}
	var critical bool
	for _, m := range msgs {
		var body drift.Finding
		must(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &body))
		attrs := m.MessageAttributes
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
	if again := w.Receive(t, w.queueURL, 2*time.Second); len(again) != 0 {
		t.Errorf("redelivery published %d more messages, want none", len(again))
	}
	all, err := w.History.Query(ctx, drift.HistoryQuery{Cluster: "prod"})
	must(t, err)
	if len(all) != 2 {
		t.Errorf("got %d records after redelivery, want 2", len(all))
	}
	if !fn.LogsContain(`"_aws"`, 2*time.Second) {
		t.Error("no EMF metrics line in the function's output")
	}
	if !fn.LogsContain(`"message":"finding"`, 2*time.Second) {
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
	f, found, err := w.History.Get(context.Background(), findingID(t, ev, drift.KindAccessEntry, "arn:aws:iam::444455556666:role/vendor-support"))
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
	f, found, err := w.History.Get(context.Background(), findingID(t, ev, drift.KindAccessPolicy, contractor+"|"+clusterAdm))
	must(t, err)
	if !found || f.Decision != drift.DecisionAlert || !strings.Contains(f.Reason, "s3://"+w.Bucket+"/baseline.yaml:4") {
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
	w.Env["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:1"
	down := w.start(t)
	r := down.Invoke(t, sample(t, "eks-create-access-entry-declared.json"))
	if !strings.Contains(r.Error, "history") {
		t.Errorf("history down: got error %q, want one naming the history", r.Error)
	}
	if !down.LogsContain("will be retried", 2*time.Second) {
		t.Error("the failure was not logged")
	}
}

func TestMissingConfigurationStopsAtStart(t *testing.T) {
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/detect"), map[string]string{"AWS_REGION": "us-east-1"})
	r := fn.Invoke(t, []byte(`{}`))
	if r.Error == "" {
		t.Error("a function with no configuration answered without error")
	}
	if !fn.LogsContain(config.EnvBaselineBucket+" is not set", 2*time.Second) {
		t.Errorf("the logs do not name the missing variable:\n%s", fn.Logs())
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBaselineWriteEndToEnd writes a new baseline version that puts a
// principal in system:masters, for real on MiniStack's versioned bucket,
// then delivers S3's notification of the write: the detector reads both
// versions, and records and publishes a critical baseline finding with the
// diff and the writer.
func TestBaselineWriteEndToEnd(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	ctx := context.Background()
	escalated := strings.Replace(string(sample(t, "baseline.yaml")), "kubernetesGroups: [dev]", "kubernetesGroups: [dev, system:masters]", 1)
	put, err := awss3.NewFromConfig(w.Config, func(o *awss3.Options) { o.UsePathStyle = true }).PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(w.Bucket), Key: aws.String(w.Key), Body: strings.NewReader(escalated)})
	must(t, err)
	version := aws.ToString(put.VersionId)
	event := strings.NewReplacer(
		"eksdrift-baselines-111122223333", w.Bucket,
		"Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", version,
	).Replace(string(sample(t, "s3-object-created-baseline.json")))

	fn := w.start(t)
	if r := fn.Invoke(t, []byte(event)); r.Error != "" {
		t.Fatalf("invocation failed: %s", r.Error)
	}
	// S3's notification's id is the event's: it has no CloudTrail record.
	id := "6f1e2d3c-4b5a-4978-8e6d-5c4b3a291807#" + string(drift.KindBaseline) + "##s3://" + w.Bucket + "/" + w.Key
	f, found, err := w.History.Get(ctx, id)
	must(t, err)
	if !found {
		t.Fatalf("the baseline finding %s was not recorded:\n%s", id, fn.Logs())
	}
	if f.Severity != drift.SeverityCritical || f.Decision != drift.DecisionAlert || !strings.Contains(f.SeverityReason, "system:masters") || f.NotifiedAt == nil {
		t.Errorf("got %s %s %q notified %v, want critical, alert, system:masters, notified", f.Severity, f.Decision, f.SeverityReason, f.NotifiedAt)
	}
	var o drift.BaselineObject
	must(t, json.Unmarshal(f.After, &o))
	if o.VersionID != version || o.PreviousVersionID != w.Version || len(o.Diff) == 0 {
		t.Errorf("got %+v, want version %s after %s with its diff", o, version, w.Version)
	}
	if f.Actor != "111122223333" || f.BaselineVersion != version {
		t.Errorf("got actor %s baseline version %s, want the requester's account and %s", f.Actor, f.BaselineVersion, version)
	}
	if msgs := w.Receive(t, w.queueURL, 3*time.Second); len(msgs) != 1 {
		t.Errorf("got %d messages on the drift queue, want 1", len(msgs))
	}
}

// TestUserDriftEndToEnd: a new access key for release-bot, a user with
// cluster-admin on analytics in the sample baseline, made for real on
// MiniStack's IAM and reported by CreateAccessKey's event, is high drift to
// revert, confirmed on the live key (Active).
func TestUserDriftEndToEnd(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	ctx := context.Background()
	iamc := awsiam.NewFromConfig(w.Config)
	_, err := iamc.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("release-bot")})
	must(t, err)
	key, err := iamc.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("release-bot")})
	must(t, err)
	id := aws.ToString(key.AccessKey.AccessKeyId)
	// The sample's key ID becomes the one the emulator gave.
	ev := bytes.ReplaceAll(sample(t, "iam-create-access-key-cluster-admin-user.json"), []byte("AKIARZ7QF3D5RBNEWKEY"), []byte(id))

	fn := w.start(t)
	if r := fn.Invoke(t, ev); r.Error != "" {
		t.Fatalf("invocation failed: %s", r.Error)
	}
	var e struct {
		Detail struct {
			EventID string `json:"eventID"`
		} `json:"detail"`
	}
	must(t, json.Unmarshal(ev, &e))
	f, found, err := w.History.Get(ctx, e.Detail.EventID+"#"+string(drift.KindUser)+"##release-bot|access-key|"+id)
	must(t, err)
	if !found {
		t.Fatal("the iam-user finding was not recorded")
	}
	if !f.Drift || f.Severity != drift.SeverityHigh || f.Decision != drift.DecisionRevert || f.NotifiedAt == nil {
		t.Errorf("got drift %v severity %s decision %s notified %v, want high drift to revert, notified", f.Drift, f.Severity, f.Decision, f.NotifiedAt)
	}
	if f.Live == nil || !f.Live.Present || !f.Live.Drift || !strings.Contains(string(f.Live.State), `"status":"Active"`) {
		t.Errorf("got live state %+v, want the active key read from IAM", f.Live)
	}
	if msgs := w.Receive(t, w.queueURL, 3*time.Second); len(msgs) != 1 {
		t.Errorf("got %d messages on the drift queue, want 1", len(msgs))
	}

	// Deactivated (as the reverter would), the same event is no longer
	// drift to revert: the live key grants nothing.
	_, err = iamc.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("release-bot"), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive})
	must(t, err)
	late := bytes.ReplaceAll(ev, []byte(e.Detail.EventID), []byte("late-"+e.Detail.EventID))
	if r := fn.Invoke(t, late); r.Error != "" {
		t.Fatalf("invocation failed: %s", r.Error)
	}
	g, found, err := w.History.Get(ctx, "late-"+e.Detail.EventID+"#"+string(drift.KindUser)+"##release-bot|access-key|"+id)
	must(t, err)
	if !found || g.Decision != drift.DecisionAlert || !strings.Contains(g.Reason, "nothing to revert") {
		t.Errorf("got found %v decision %s reason %q, want an alert: the live key is inactive", found, g.Decision, g.Reason)
	}
}
