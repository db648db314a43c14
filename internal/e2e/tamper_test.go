package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	awsevents "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The tamper scenarios of issue 16, on the deployed stack. Each makes the
// call for real against the deployed resource (the rule is disabled, the
// bucket policy replaced), then delivers that call's CloudTrail event:
// MiniStack's CloudTrail does not forward API calls to EventBridge, so the
// harness puts the CloudTrail-shaped event on the bus itself, as scenario
// 1 does with the samples (the launcher lets its aws.* source through).
// From there everything is the deployed stack's: the tamper rules, the
// detector, the history, and the alarm rules' input transformer to the
// alarm topic, on which the test subscribes a queue.

// sampleDeployment is events/deployment.outputs: the names the tamper
// samples use, replaced by the deployed stack's.
func sampleDeployment(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.root, "events", "deployment.outputs"))
	must(t, err)
	var outs map[string]map[string]string
	must(t, json.Unmarshal(b, &outs))
	return outs["eksdrift"]
}

// rootIdentity is the CloudTrail userIdentity of the account's root user,
// whose credentials the harness makes the calls with: not a deployer.
var rootIdentity = map[string]any{"type": "Root", "principalId": account, "arn": "arn:aws:iam::" + account + ":root", "accountId": account}

// deliver puts a sample's event as CloudTrail would deliver the call the
// test just made: a fresh event ID and time, the sample deployment's names
// replaced by the deployed stack's (each output key the sample names),
// made by identity, with requestParameters set as the call had them. It
// gives the event ID.
func (s *stack) deliver(t *testing.T, sample string, identity map[string]any, request map[string]any, edit ...func(detail map[string]any)) string {
	t.Helper()
	b, id := fresh(t, sample)
	var pairs []string
	for k, v := range sampleDeployment(t) {
		if s.out[k] != "" && v != "" && k != "Deployers" {
			pairs = append(pairs, v, s.out[k])
		}
	}
	b = []byte(strings.NewReplacer(pairs...).Replace(string(b)))
	var ev map[string]any
	must(t, json.Unmarshal(b, &ev))
	d := ev["detail"].(map[string]any)
	d["userIdentity"] = identity
	if request != nil {
		d["requestParameters"] = request
	}
	if identity["invokedBy"] != nil {
		d["sourceIPAddress"], d["userAgent"] = identity["invokedBy"], identity["invokedBy"]
	}
	for _, e := range edit {
		e(d)
	}
	out, err := json.Marshal(ev)
	must(t, err)
	if _, err := s.putEvent(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	return id
}

// alarmQueue subscribes, once, a queue of the test's to the alarm topic.
func (s *stack) alarmQueue(t *testing.T) string {
	t.Helper()
	if s.alarmQ == "" {
		q, err := s.subscribe(context.Background(), s.out["AlarmTopic"], "alarm")
		if err != nil {
			t.Fatal(err)
		}
		s.alarmQ = q
	}
	return s.alarmQ
}

// awaitAlarm waits for a message on the alarm topic that contains every
// part, keeping the others for a later wait.
func (s *stack) awaitAlarm(t *testing.T, wait time.Duration, parts ...string) (string, bool) {
	t.Helper()
	q := s.alarmQueue(t)
	match := func(body string) bool {
		for _, p := range parts {
			if !strings.Contains(body, p) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(wait); ; {
		for i, body := range s.alarms {
			if match(body) {
				s.alarms = append(s.alarms[:i], s.alarms[i+1:]...)
				return body, true
			}
		}
		if time.Now().After(deadline) {
			return "", false
		}
		for _, m := range s.drain(t, q, time.Second) {
			s.alarms = append(s.alarms, aws.ToString(m.Body))
		}
	}
}

// awaitTamper waits for the detector's finding of kind tamper about
// resource (type:name) from event id in the history.
func (s *stack) awaitTamper(t *testing.T, id, resource string, wait time.Duration) drift.Finding {
	t.Helper()
	fid := id + "#" + string(drift.KindTamper) + "##" + resource
	for deadline := time.Now().Add(wait); ; time.Sleep(300 * time.Millisecond) {
		f, found, err := s.history.Get(context.Background(), fid)
		must(t, err)
		if found {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finding %s in the history within %s", fid, wait)
		}
	}
}

// tamperRuleScenario is issue 16's first: the deployed detector's rule is
// disabled for real; the call's event reaches the alarm topic through the
// alarm rule (not through the detector, whose rule is what was disabled)
// and the detector records a critical tamper finding through the tamper
// rule.
func tamperRuleScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	s.alarmQueue(t) // before the event: SNS keeps nothing for later subscribers
	rule := s.out["EksRule"]
	must(t, err2(s.events.DisableRule(ctx, &awsevents.DisableRuleInput{Name: aws.String(rule)})))
	t.Cleanup(func() { s.events.EnableRule(ctx, &awsevents.EnableRuleInput{Name: aws.String(rule)}) })
	got, err := s.events.DescribeRule(ctx, &awsevents.DescribeRuleInput{Name: aws.String(rule)})
	must(t, err)
	if got.State != "DISABLED" {
		t.Fatalf("got rule %s %s after DisableRule, want DISABLED", rule, got.State)
	}
	id := s.deliver(t, "events-disable-rule-detector.json", rootIdentity, map[string]any{"name": rule})
	if body, ok := s.awaitAlarm(t, 30*time.Second, "DisableRule", id); !ok {
		t.Errorf("no message on the alarm topic names DisableRule and event %s", id)
	} else if !strings.Contains(body, "TAMPER") || !strings.Contains(body, "arn:aws:iam::"+account+":root") {
		t.Errorf("got alarm %s, want the tamper alarm naming the caller", body)
	}
	f := s.awaitTamper(t, id, "rule:"+rule, 30*time.Second)
	// The detector knows the rule by the stack's name: its environment
	// cannot name the rule that targets it (a cycle), the outputs can.
	if !f.Drift || f.Severity != drift.SeverityCritical || f.Decision != drift.DecisionAlert || !strings.Contains(f.Reason, rule) {
		t.Errorf("got drift %v %s %s %q, want a critical tamper alert on %s", f.Drift, f.Severity, f.Decision, f.Reason, rule)
	}
}

// tamperBucketScenario: the baseline bucket's policy is replaced by a
// principal that does not deploy eksdrift (the account's root): a
// critical tamper finding, and the alarm.
func tamperBucketScenario(t *testing.T) {
	s := need(t)
	s.alarmQueue(t)
	ctx := context.Background()
	old, err := s.s3.GetBucketPolicy(ctx, &awss3.GetBucketPolicyInput{Bucket: aws.String(s.bucket)})
	must(t, err)
	t.Cleanup(func() {
		if _, err := s.s3.PutBucketPolicy(ctx, &awss3.PutBucketPolicyInput{Bucket: aws.String(s.bucket), Policy: old.Policy}); err != nil {
			t.Errorf("restoring the bucket policy: %v", err)
		}
	})
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::` + s.bucket + `/*"}]}`
	must(t, err2(s.s3.PutBucketPolicy(ctx, &awss3.PutBucketPolicyInput{Bucket: aws.String(s.bucket), Policy: aws.String(policy)})))
	id := s.deliver(t, "s3-put-bucket-policy-baseline-bucket.json", rootIdentity, map[string]any{"bucketName": s.bucket, "policy": policy})
	if _, ok := s.awaitAlarm(t, 30*time.Second, "PutBucketPolicy", id); !ok {
		t.Errorf("no message on the alarm topic names PutBucketPolicy and event %s", id)
	}
	f := s.awaitTamper(t, id, "bucket:"+s.bucket, 30*time.Second)
	if !f.Drift || f.Severity != drift.SeverityCritical || f.Decision != drift.DecisionAlert {
		t.Errorf("got drift %v %s %s %q, want a critical tamper alert", f.Drift, f.Severity, f.Decision, f.Reason)
	}
	if m, ok := s.awaitFindings(t, []string{f.ID()}, "finding", 20*time.Second)[f.ID()]; !ok {
		t.Errorf("the tamper finding %s was not published", f.ID())
	} else if m.Attrs["kind"] != string(drift.KindTamper) || m.Attrs["severity"] != "critical" {
		t.Errorf("got attributes %v, want kind tamper, severity critical", m.Attrs)
	}
}

// heartbeatScenario: the deployed detector records the heartbeat its
// schedule sends; the heartbeat rule is then disabled for real, and
// HeartbeatMissing goes to ALARM and mails the alarm topic.
//
// What is stood in for: the schedule's tick (the rule fires every 15
// minutes: the test invokes the detector with the event the schedule
// sends, as scenario 5 does for the sweep), the EMF log line to metric
// (MiniStack does not read EMF), and CloudWatch's evaluation of missing
// data (MiniStack evaluates an alarm only when data is put, never on a
// clock, so no data never breaches): the test puts the datum an empty
// period means to an alarm that treats missing data as breaching, a Sum
// of 0 heartbeats, with PutMetricData. The alarm itself, its metric,
// threshold, periods and actions are the deployed stack's, and its
// notification goes through the deployed alarm topic.
func heartbeatScenario(t *testing.T) {
	s := need(t)
	s.alarmQueue(t)
	ctx := context.Background()
	rule := s.out["HeartbeatSchedule"]
	fn := s.out["DetectorFunction"]
	if rule == "" || fn == "" {
		t.Fatalf("the stack has no HeartbeatSchedule or DetectorFunction output: %v", s.out)
	}
	beat := uuid()
	event := fmt.Appendf(nil, `{"version":"0","id":%q,"detail-type":"Scheduled Event","source":"aws.events","account":%q,"time":%q,"region":%q,"resources":[%q],"detail":{}}`,
		beat, account, time.Now().UTC().Format(time.RFC3339), region, fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", region, account, rule))
	out, err := s.lambda.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(fn), Payload: event, InvocationType: lambdatypes.InvocationTypeRequestResponse})
	must(t, err)
	if out.FunctionError != nil {
		t.Fatalf("the heartbeat failed: %s: %s", aws.ToString(out.FunctionError), out.Payload)
	}
	if f := s.awaitTamper(t, beat, "heartbeat:"+rule, 10*time.Second); !drift.IsHeartbeat(f) || f.Drift {
		t.Errorf("got %+v, want a heartbeat that is not drift", f)
	}

	must(t, err2(s.events.DisableRule(ctx, &awsevents.DisableRuleInput{Name: aws.String(rule)})))
	t.Cleanup(func() { s.events.EnableRule(ctx, &awsevents.EnableRuleInput{Name: aws.String(rule)}) })
	id := s.deliver(t, "events-disable-rule-detector.json", rootIdentity, map[string]any{"name": rule})
	if f := s.awaitTamper(t, id, "rule:"+rule, 30*time.Second); !f.Drift || f.Severity != drift.SeverityCritical {
		t.Errorf("disabling the heartbeat: got drift %v %s, want critical tamper", f.Drift, f.Severity)
	}

	cw := awscw.NewFromConfig(s.cfg)
	name := s.res["Operations/HeartbeatMissing/Resource"]
	alarms, err := cw.DescribeAlarms(ctx, &awscw.DescribeAlarmsInput{AlarmNames: []string{name}})
	must(t, err)
	if len(alarms.MetricAlarms) != 1 {
		t.Fatalf("got %d alarms named %q, want the deployed HeartbeatMissing", len(alarms.MetricAlarms), name)
	}
	a := alarms.MetricAlarms[0]
	if aws.ToString(a.TreatMissingData) != "breaching" || a.ComparisonOperator != cwtypes.ComparisonOperatorLessThanThreshold ||
		aws.ToFloat64(a.Threshold) != 1 || len(a.AlarmActions) != 1 || a.AlarmActions[0] != s.out["AlarmTopic"] {
		t.Fatalf("got alarm %+v, want missing data breaching, below 1, acting on the alarm topic", a)
	}
	if a.StateValue == cwtypes.StateValueAlarm {
		t.Fatalf("HeartbeatMissing is in ALARM before the heartbeat stopped")
	}
	must(t, err2(cw.PutMetricData(ctx, &awscw.PutMetricDataInput{Namespace: a.Namespace, MetricData: []cwtypes.MetricDatum{{
		MetricName: a.MetricName, Dimensions: a.Dimensions, Value: aws.Float64(0), Unit: cwtypes.StandardUnitCount, Timestamp: aws.Time(time.Now()),
	}}})))
	alarms, err = cw.DescribeAlarms(ctx, &awscw.DescribeAlarmsInput{AlarmNames: []string{name}})
	must(t, err)
	if got := alarms.MetricAlarms[0].StateValue; got != cwtypes.StateValueAlarm {
		t.Errorf("got HeartbeatMissing %s, want ALARM", got)
	}
	if _, ok := s.awaitAlarm(t, 20*time.Second, name, "ALARM"); !ok {
		t.Errorf("no ALARM notification of %s on the alarm topic", name)
	}
}

// redeployScenario is issue 16's last: `cdk deploy` again, with a changed
// setting (heartbeatMinutes), through the CDK bootstrap's roles as a user
// deploys. CloudFormation's changes to eksdrift's resources (here PutRule
// on the heartbeat rule, checked on the live rule) are recorded compliant,
// not tamper, and mail nobody. MiniStack's CloudFormation makes the change
// but records no CloudTrail event for it, so the harness delivers the one
// AWS records: the call made by CloudFormation (invokedBy) through the
// bootstrap's execution role, one of the stack's Deployers.
func redeployScenario(t *testing.T) {
	s := need(t)
	s.alarmQueue(t)
	ctx := context.Background()
	start := time.Now()
	synth, assembly := filepath.Join(p.work, "cdk.out.redeploy"), filepath.Join(p.work, "deploy.out.redeploy")
	must(t, synthesize(synth, assembly, "-c", "heartbeatMinutes=5"))
	must(t, cdkOn(ctx, assembly, "deploy", "--require-approval", "never", "--exclusively", stackName))
	timings["redeploy (synth and deploy)"] = time.Since(start)
	rule := s.out["HeartbeatSchedule"]
	got, err := s.events.DescribeRule(ctx, &awsevents.DescribeRuleInput{Name: aws.String(rule)})
	must(t, err)
	if want := "rate(5 minutes)"; aws.ToString(got.ScheduleExpression) != want {
		t.Fatalf("got heartbeat schedule %s after the redeploy, want %s", aws.ToString(got.ScheduleExpression), want)
	}
	exec := fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-cfn-exec-role-%s-%s", account, account, region)
	if !strings.Contains(s.out["Deployers"], exec) {
		t.Fatalf("got Deployers %q, want the bootstrap's execution role %s", s.out["Deployers"], exec)
	}
	cfn := map[string]any{"type": "AssumedRole", "principalId": "AROA" + "CFNEXEC:AWSCloudFormation", "accountId": account,
		"arn":            fmt.Sprintf("arn:aws:sts::%s:assumed-role/cdk-hnb659fds-cfn-exec-role-%s-%s/AWSCloudFormation", account, account, region),
		"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": exec, "accountId": account, "userName": exec[strings.LastIndex(exec, "/")+1:]}},
		"invokedBy":      drift.InvokedByCFN}
	id := s.deliver(t, "events-disable-rule-detector.json", cfn,
		map[string]any{"name": rule, "scheduleExpression": aws.ToString(got.ScheduleExpression), "state": "ENABLED"},
		func(d map[string]any) { d["eventName"] = "PutRule" })
	f := s.awaitTamper(t, id, "rule:"+rule, 30*time.Second)
	if f.Drift || f.Decision != drift.DecisionNone || !strings.Contains(f.Reason, "a redeploy") {
		t.Errorf("got drift %v %s %q, want the redeploy compliant", f.Drift, f.Decision, f.Reason)
	}
	if body, ok := s.awaitAlarm(t, 3*time.Second, id); ok {
		t.Errorf("got alarm %s, want none for a redeploy", body)
	}
}
