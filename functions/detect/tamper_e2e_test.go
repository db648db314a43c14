package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// TestTamperEndToEnd tampers for real with resources of a deployment on
// MiniStack (the detector's rule disabled, the baseline bucket's policy
// replaced), then delivers the CloudTrail events of those calls, which
// MiniStack's CloudTrail does not forward to EventBridge: the real
// bootstrap, knowing its deployment from EKSDRIFT_DEPLOYMENT, records and
// publishes critical tamper findings. A redeploy through CloudFormation by
// a declared deployer is recorded as compliant and reaches no drift queue.
func TestTamperEndToEnd(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	ctx := context.Background()
	stack := awstest.Name(t, "eksdrift")
	rule := stack + "-RoutingEks-1A2B"
	fnName := stack + "-DetectorFunction-9Z"
	events := eventbridge.NewFromConfig(w.Config)
	_, err := events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), EventPattern: aws.String(`{"source":["aws.eks"]}`)})
	must(t, err)
	t.Cleanup(func() { events.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(rule)}) })
	_, err = events.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String(rule)})
	must(t, err)
	got, err := events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rule)})
	must(t, err)
	if got.State != "DISABLED" {
		t.Fatalf("the rule is %s after DisableRule, want DISABLED", got.State)
	}
	s3c := awss3.NewFromConfig(w.Config, func(o *awss3.Options) { o.UsePathStyle = true })
	_, err = s3c.PutBucketPolicy(ctx, &awss3.PutBucketPolicyInput{Bucket: aws.String(w.Bucket), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + w.Bucket + `/*"}]}`)})
	must(t, err)

	dep, _ := json.Marshal(map[string]string{
		"StackName": stack, "EksRule": rule, "BaselineBucket": w.Bucket,
		"Deployers": "arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-us-west-2",
	})
	w.Env[config.EnvDeployment] = string(dep)
	w.Env[config.EnvFunctionName] = fnName
	fn := w.start(t)
	names := strings.NewReplacer(
		"eksdrift-RoutingeksaccesschangesD1C2B3A4-1A2B3C4D5E6F", rule,
		"eksdrift-baselines-111122223333", w.Bucket,
		"eksdrift-DetectorFunction5B2C1D3E-Wq8rT2yU4iO6", fnName,
	)
	tests := []struct {
		sample, resource string
		drift            bool
	}{
		{"events-disable-rule-detector.json", "rule:" + rule, true},
		{"s3-put-bucket-policy-baseline-bucket.json", "bucket:" + w.Bucket, true},
		{"lambda-update-function-configuration-redeploy.json", "function:" + fnName, false},
	}
	for _, tt := range tests {
		event := names.Replace(string(sample(t, tt.sample)))
		if r := fn.Invoke(t, []byte(event)); r.Error != "" {
			t.Fatalf("%s: invocation failed: %s", tt.sample, r.Error)
		}
		var e struct {
			Detail struct {
				EventID string `json:"eventID"`
			} `json:"detail"`
		}
		must(t, json.Unmarshal([]byte(event), &e))
		id := e.Detail.EventID + "#" + string(drift.KindTamper) + "##" + tt.resource
		f, found, err := w.History.Get(ctx, id)
		must(t, err)
		if !found {
			t.Fatalf("%s: finding %s not recorded:\n%s", tt.sample, id, fn.Logs())
		}
		if f.Drift != tt.drift || f.NotifiedAt == nil {
			t.Errorf("%s: got drift %v notified %v, want drift %v, notified", tt.sample, f.Drift, f.NotifiedAt, tt.drift)
		}
		if tt.drift && (f.Severity != drift.SeverityCritical || f.Decision != drift.DecisionAlert) {
			t.Errorf("%s: got %s %s, want critical alert", tt.sample, f.Severity, f.Decision)
		}
	}
	msgs := w.Receive(t, w.queueURL, 3*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("got %d messages on the drift queue, want 2 (the redeploy is compliant)", len(msgs))
	}
	for _, m := range msgs {
		if k := aws.ToString(m.MessageAttributes["kind"].StringValue); k != string(drift.KindTamper) {
			t.Errorf("got a message of kind %q, want tamper", k)
		}
	}
}

// TestHeartbeatEndToEnd: the heartbeat rule's scheduled event (which
// MiniStack's EventBridge would deliver to a target; here the test does,
// as it does every event) is recorded in DynamoDB as a heartbeat that is
// not drift, and the real bootstrap writes the round-trip metric in EMF.
// MiniStack's CloudWatch does not evaluate alarms from EMF log lines: the
// alarm's definition is checked on the template (infra
// TestDeadMansSwitches).
func TestHeartbeatEndToEnd(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	ctx := context.Background()
	rule := awstest.Name(t, "eksdrift") + "-heartbeat"
	w.Env[config.EnvHeartbeatRule] = rule
	fn := w.start(t)
	at := time.Now().UTC().Add(-time.Second).Format(time.RFC3339)
	event := `{"version":"0","id":"` + rule + `-1","detail-type":"Scheduled Event","source":"aws.events","account":"111122223333","time":"` + at +
		`","region":"us-west-2","resources":["arn:aws:events:us-west-2:111122223333:rule/` + rule + `"],"detail":{}}`
	if r := fn.Invoke(t, []byte(event)); r.Error != "" {
		t.Fatalf("invocation failed: %s", r.Error)
	}
	f, found, err := w.History.Get(ctx, rule+"-1#"+string(drift.KindTamper)+"##heartbeat:"+rule)
	must(t, err)
	if !found || !drift.IsHeartbeat(f) || f.Drift || f.NotifiedAt == nil {
		t.Fatalf("got %+v (found %v), want a published heartbeat that is not drift:\n%s", f, found, fn.Logs())
	}
	if !fn.LogsContain(`"HeartbeatRoundTrip"`, 2*time.Second) || !fn.LogsContain(`"Heartbeats"`, time.Second) {
		t.Errorf("no heartbeat metrics in the function's EMF output:\n%s", fn.Logs())
	}
	if msgs := w.Receive(t, w.queueURL, 2*time.Second); len(msgs) != 0 {
		t.Errorf("got %d messages on the drift queue, want none: a heartbeat is never drift", len(msgs))
	}
}
