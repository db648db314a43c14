package routing

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/cloudtrail"
)

// sampleScope is the deployment of events/deployment.outputs.
var sampleScope = TamperScope{
	StackName: "eksdrift", Partition: "aws", Region: "us-west-2", Account: "111122223333",
	Bucket: "eksdrift-baselines-111122223333",
	Topics: []string{
		"arn:aws:sns:us-west-2:111122223333:eksdrift-StoresFindings1A2B3C4D-4RFV5TGB6YHN",
		"arn:aws:sns:us-west-2:111122223333:eksdrift-OperationsAlarmTopic9D8C7B6A-Mn4bV5cX6zL7",
	},
	Table: "eksdrift-StoresHistoryA1B2C3D4-1QAZ2WSX3EDC", TableARN: "arn:aws:dynamodb:us-west-2:111122223333:table/eksdrift-StoresHistoryA1B2C3D4-1QAZ2WSX3EDC",
	KeyID: "1234abcd-12ab-34cd-56ef-1234567890ab", KeyARN: "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}

// TestTamperRulesMatchTheSamples asks EventBridge's matcher (MiniStack's
// TestEventPattern) about every sample: each tamper call matches the
// detector's tamper rule, nothing else does; the alarm rule takes the
// tamper calls on the deployment's resources, and neither the redeploy
// (CloudFormation's own call) nor calls on other resources.
func TestTamperRulesMatchTheSamples(t *testing.T) {
	client := eventbridge.NewFromConfig(awstest.Config(t))
	alarms := TamperAlarmRules(sampleScope)
	// Which samples are tamper on the deployment, from their goldens'
	// judgement: not derived from the patterns.
	notMailed := map[string]bool{
		"cloudtrail-delete-trail-other":                 false, // any trail is mailed
		"lambda-update-function-configuration-redeploy": true,
	}
	files, _ := filepath.Glob("../../events/*.json")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Detail struct {
				EventSource, EventName, ErrorCode string
				RequestParameters                 map[string]any
			} `json:"detail"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatal(err)
		}
		d := env.Detail
		tamper := d.ErrorCode == "" && cloudtrail.IsTamperCall(d.EventSource, d.EventName)
		ownRole := d.EventSource == cloudtrail.SourceIAM && strings.HasPrefix(toString(d.RequestParameters["roleName"]), "eksdrift-")
		t.Run(name, func(t *testing.T) {
			if got := matches(t, client, TamperRules()[0].Pattern, data); got != tamper {
				t.Errorf("rule %s: got match %v, want %v", RuleTamperCalls, got, tamper)
			}
			want := (tamper || ownRole) && !notMailed[name]
			if got := matchesAny(t, client, alarms, data); got != want {
				t.Errorf("rules %s-*: got match %v, want %v", RuleTamperAlarm, got, want)
			}
		})
	}
}

func toString(v any) string { s, _ := v.(string); return s }

// TestTamperAlarmRuleIsPinned edits tamper samples the way an attacker
// cannot (another resource, a failed call, a forged source) and a way
// they can (naming the resource by ARN instead of name): only the last
// still reaches the alarm topic.
func TestTamperAlarmRuleIsPinned(t *testing.T) {
	client := eventbridge.NewFromConfig(awstest.Config(t))
	alarms := TamperAlarmRules(sampleScope)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("../../events", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name, sample, from, to string
		want                   bool
	}{
		{"another function", "lambda-put-function-concurrency-zero.json", `"functionName": "eksdrift-`, `"functionName": "shop-`, false},
		{"the function by ARN", "lambda-put-function-concurrency-zero.json", `"functionName": "eksdrift-`, `"functionName": "arn:aws:lambda:us-west-2:111122223333:function:eksdrift-`, true},
		{"another rule", "events-disable-rule-detector.json", `"name": "eksdrift-`, `"name": "orders-`, false},
		{"another bucket", "s3-put-bucket-policy-baseline-bucket.json", `"bucketName": "eksdrift-baselines-111122223333"`, `"bucketName": "web-assets"`, false},
		{"another topic", "sns-unsubscribe-alarm-topic.json", `eksdrift-OperationsAlarmTopic9D8C7B6A-Mn4bV5cX6zL7:`, `orders:`, false},
		{"the function by partial ARN", "lambda-put-function-concurrency-zero.json", `"functionName": "eksdrift-`, `"functionName": "111122223333:function:eksdrift-`, true},
		{"an alias made for another key", "kms-create-alias-for-key.json", `"targetKeyId": "1234abcd-`, `"targetKeyId": "ffffffff-`, false},
		{"the key by ARN", "kms-schedule-key-deletion.json", `"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"`, `"keyId": "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"`, true},
		{"another key", "kms-schedule-key-deletion.json", `"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"`, `"keyId": "ffffffff-12ab-34cd-56ef-1234567890ab"`, false},
		{"another queue", "sqs-purge-queue-detector-dead-letters.json", `/111122223333/eksdrift-`, `/111122223333/orders-`, false},
		{"the stack by its ID", "cloudformation-delete-stack-not-deployer.json", `"stackName": "arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/`, `"stackName": "arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/`, true},
		{"another stack by its ID", "cloudformation-delete-stack-not-deployer.json", `stack/eksdrift/`, `stack/shop/`, false},
		{"a change set on another stack", "cloudformation-execute-change-set-not-deployer.json", `"stackName": "eksdrift"`, `"stackName": "shop"`, false},
		{"a change set on the stack by its ID", "cloudformation-execute-change-set-not-deployer.json", `"stackName": "eksdrift"`, `"stackName": "arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c"`, true},
		{"a change set by its ARN alone", "cloudformation-execute-change-set-by-arn.json", `"changeSetName"`, `"changeSetName"`, true},
		{"a change set by its ARN, with another stack named", "cloudformation-execute-change-set-by-arn.json", `"requestParameters": {`, `"requestParameters": {"stackName": "shop",`, false},
		{"a change set of another account by its ARN", "cloudformation-execute-change-set-by-arn.json", `:111122223333:changeSet/`, `:444455556666:changeSet/`, false},
		{"a change set made on another stack", "cloudformation-create-change-set-not-deployer.json", `"stackName": "eksdrift"`, `"stackName": "shop"`, false},
		{"termination protection off on another stack", "cloudformation-update-termination-protection-off.json", `"stackName": "eksdrift"`, `"stackName": "shop"`, false},
		{"a failed call", "events-disable-rule-detector.json", `"eventName": "DisableRule",`, `"eventName": "DisableRule", "errorCode": "AccessDenied",`, false},
		{"a custom source", "events-disable-rule-detector.json", `"source": "aws.events"`, `"source": "custom.events"`, false},
		{"another role", "iam-put-role-policy-detector-role.json", `"roleName": "eksdrift-`, `"roleName": "shop-`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sample := read(tt.sample)
			ev := bytes.Replace(sample, []byte(tt.from), []byte(tt.to), 1)
			if !bytes.Contains(sample, []byte(tt.from)) {
				t.Fatalf("the sample has no %s", tt.from)
			}
			if got := matchesAny(t, client, alarms, ev); got != tt.want {
				t.Errorf("got match %v, want %v", got, tt.want)
			}
		})
	}
}

// matchesAny reports whether one of rules matches event; no event may
// match two, or one call would be mailed twice.
func matchesAny(t *testing.T, c *eventbridge.Client, rules []Rule, event []byte) bool {
	t.Helper()
	var got []string
	for _, r := range rules {
		if matches(t, c, r.Pattern, event) {
			got = append(got, r.Name)
		}
	}
	if len(got) > 1 {
		t.Errorf("the event matches %v: it would be mailed %d times", got, len(got))
	}
	return len(got) == 1
}

// TestTamperPatternsFitTheQuota: every pattern within EventBridge's default
// size quota, with names and ARNs as long as a real stack's.
func TestTamperPatternsFitTheQuota(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	s := TamperScope{
		StackName: long(40), Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "111122223333", Bucket: long(63),
		Topics: []string{"arn:aws:sns:us-gov-west-1:111122223333:" + long(80), "arn:aws:sns:us-gov-west-1:111122223333:" + long(80), "arn:aws:sns:us-gov-west-1:111122223333:" + long(80)},
		Table:  long(80), TableARN: "arn:aws:dynamodb:us-gov-west-1:111122223333:table/" + long(80),
		KeyID: long(36), KeyARN: "arn:aws:kms:us-gov-west-1:111122223333:key/" + long(36),
	}
	for _, r := range append(TamperRules(), TamperAlarmRules(s)...) {
		if n := len(r.Pattern.JSON()); n > MaxPatternSize {
			t.Errorf("rule %s: pattern of %d characters, want at most %d", r.Name, n, MaxPatternSize)
		}
	}
}
