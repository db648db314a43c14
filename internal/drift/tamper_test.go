package drift

import (
	"strings"
	"testing"
	"time"
)

func testDeployment() *Deployment {
	d, err := DeploymentFromOutputs(map[string]string{
		"StackName":        "eksdrift",
		"Trail":            "arn:aws:cloudtrail:us-west-2:111122223333:trail/eksdrift-trail",
		"EksRule":          "eksdrift-RoutingEks-1A2B",
		"DetectorFunction": "eksdrift-Detector-9Z",
		"BaselineBucket":   "eksdrift-baselines-111122223333",
		"AlarmTopic":       "arn:aws:sns:us-west-2:111122223333:eksdrift-alarms",
		"HistoryTable":     "eksdrift-history",
		"Key":              "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"Deployers":        "arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-us-west-2, arn:aws:iam::111122223333:role/ci/ci-deployer",
	})
	if err != nil {
		panic(err)
	}
	return d
}

var (
	bob    = Actor{ARN: "arn:aws:iam::111122223333:user/bob", Type: "IAMUser"}
	cfnRun = Actor{ARN: "arn:aws:iam::111122223333:role/cdk-hnb659fds-cfn-exec-role-111122223333-us-west-2", Type: "AssumedRole", InvokedBy: InvokedByCFN}
)

func tamperChange(name string, actor Actor, r Resource) Change {
	return Change{Event: Event{ID: "e-1", Time: time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC), Name: name, Account: "111122223333", Region: "us-west-2", Actor: actor}, Op: OpModified, Resource: r}
}

func zero() *int { n := 0; return &n }
func two() *int  { n := 2; return &n }

func TestJudgeTamper(t *testing.T) {
	dep := testDeployment()
	tests := []struct {
		name     string
		dep      *Deployment
		change   Change
		ok       bool
		drift    bool
		severity Severity
		own      string
	}{
		{"trail by name", dep, tamperChange("StopLogging", bob, &TamperTarget{Type: TamperTrail, Name: "eksdrift-trail"}), true, true, SeverityCritical, "Trail"},
		{"trail by ARN", dep, tamperChange("StopLogging", bob, &TamperTarget{Type: TamperTrail, Name: "arn:aws:cloudtrail:us-west-2:111122223333:trail/eksdrift-trail"}), true, true, SeverityCritical, "Trail"},
		{"another trail", dep, tamperChange("StopLogging", bob, &TamperTarget{Type: TamperTrail, Name: "audit"}), false, false, "", ""},
		{"any trail when the deployment names none", &Deployment{StackName: "eksdrift"}, tamperChange("StopLogging", bob, &TamperTarget{Type: TamperTrail, Name: "audit"}), true, true, SeverityCritical, "Trail (any trail: the deployment names none)"},
		{"rule by name", dep, tamperChange("DisableRule", bob, &TamperTarget{Type: TamperRule, Name: "eksdrift-RoutingEks-1A2B"}), true, true, SeverityCritical, "EksRule"},
		{"rule by ARN", dep, tamperChange("DisableRule", bob, &TamperTarget{Type: TamperRule, Name: "arn:aws:events:us-west-2:111122223333:rule/eksdrift-RoutingEks-1A2B"}), true, true, SeverityCritical, "EksRule"},
		{"a rule CloudFormation named after the stack", dep, tamperChange("DeleteRule", bob, &TamperTarget{Type: TamperRule, Name: "eksdrift-Heartbeat-77"}), true, true, SeverityCritical, "StackName (named eksdrift-...)"},
		{"another account's style of rule", dep, tamperChange("DeleteRule", bob, &TamperTarget{Type: TamperRule, Name: "eksdriftless-rule"}), false, false, "", ""},
		{"default bus", dep, tamperChange("PutPermission", bob, &TamperTarget{Type: TamperBus, Name: "default"}), true, true, SeverityCritical, "EventBus"},
		{"another bus", dep, tamperChange("PutPermission", bob, &TamperTarget{Type: TamperBus, Name: "orders"}), false, false, "", ""},
		{"function by ARN with a qualifier", dep, tamperChange("UpdateFunctionCode20150331v2", bob, &TamperTarget{Type: TamperFunction, Name: "arn:aws:lambda:us-west-2:111122223333:function:eksdrift-Detector-9Z:$LATEST"}), true, true, SeverityCritical, "DetectorFunction"},
		{"function by partial ARN", dep, tamperChange("UpdateFunctionCode20150331v2", bob, &TamperTarget{Type: TamperFunction, Name: "111122223333:function:eksdrift-Detector-9Z"}), true, true, SeverityCritical, "DetectorFunction"},
		{"function by name and qualifier", dep, tamperChange("UpdateFunctionConfiguration20150331v2", bob, &TamperTarget{Type: TamperFunction, Name: "eksdrift-Detector-9Z:live"}), true, true, SeverityCritical, "DetectorFunction"},
		{"an alias made for its key", dep, tamperChange("CreateAlias", bob, &TamperTarget{Type: TamperKey, Name: "1234abcd-12ab-34cd-56ef-1234567890ab"}), true, true, SeverityCritical, "Key"},
		{"concurrency 0 is critical", dep, tamperChange("PutFunctionConcurrency20171031", bob, &TamperTarget{Type: TamperFunction, Name: "eksdrift-Detector-9Z", Concurrency: zero()}), true, true, SeverityCritical, "DetectorFunction"},
		{"concurrency 2 is high", dep, tamperChange("PutFunctionConcurrency20171031", bob, &TamperTarget{Type: TamperFunction, Name: "eksdrift-Detector-9Z", Concurrency: two()}), true, true, SeverityHigh, "DetectorFunction"},
		{"versioning suspended", dep, tamperChange("PutBucketVersioning", bob, &TamperTarget{Type: TamperBucket, Name: "eksdrift-baselines-111122223333", Versioning: "Suspended"}), true, true, SeverityCritical, "BaselineBucket"},
		{"versioning enabled", dep, tamperChange("PutBucketVersioning", bob, &TamperTarget{Type: TamperBucket, Name: "eksdrift-baselines-111122223333", Versioning: "Enabled"}), true, false, SeverityInfo, "BaselineBucket"},
		{"topic by a subscription", dep, tamperChange("Unsubscribe", bob, &TamperTarget{Type: TamperTopic, Name: "arn:aws:sns:us-west-2:111122223333:eksdrift-alarms:0b1c"}), true, true, SeverityCritical, "AlarmTopic"},
		{"queue by URL", dep, tamperChange("PurgeQueue", bob, &TamperTarget{Type: TamperQueue, Name: "https://sqs.us-west-2.amazonaws.com/111122223333/eksdrift-inbox"}), true, true, SeverityCritical, "StackName (named eksdrift-...)"},
		{"table by ARN", dep, tamperChange("DeleteTable", bob, &TamperTarget{Type: TamperTable, Name: "arn:aws:dynamodb:us-west-2:111122223333:table/eksdrift-history"}), true, true, SeverityCritical, "HistoryTable"},
		{"key by ID", dep, tamperChange("DisableKey", bob, &TamperTarget{Type: TamperKey, Name: "1234abcd-12ab-34cd-56ef-1234567890ab"}), true, true, SeverityCritical, "Key"},
		{"another key", dep, tamperChange("DisableKey", bob, &TamperTarget{Type: TamperKey, Name: "ffffffff-12ab-34cd-56ef-1234567890ab"}), false, false, "", ""},
		{"a redeploy through the CloudFormation execution role", dep, tamperChange("UpdateFunctionCode20150331v2", cfnRun, &TamperTarget{Type: TamperFunction, Name: "eksdrift-Detector-9Z"}), true, false, SeverityInfo, "DetectorFunction"},
		{"CloudFormation through a role that is not a deployer", dep, tamperChange("UpdateFunctionCode20150331v2", Actor{ARN: "arn:aws:iam::111122223333:role/attacker-cfn", InvokedBy: InvokedByCFN}, &TamperTarget{Type: TamperFunction, Name: "eksdrift-Detector-9Z"}), true, true, SeverityCritical, "DetectorFunction"},
		{"a deployer acting outside CloudFormation", dep, tamperChange("DisableRule", Actor{ARN: "arn:aws:iam::111122223333:role/ci/ci-deployer"}, &TamperTarget{Type: TamperRule, Name: "eksdrift-RoutingEks-1A2B"}), true, true, SeverityCritical, "EksRule"},
		{"UpdateStack by a deployer", dep, tamperChange("UpdateStack", Actor{ARN: "arn:aws:iam::111122223333:role/ci/ci-deployer"}, &TamperTarget{Type: TamperStack, Name: "eksdrift"}), true, false, SeverityInfo, "StackName"},
		{"UpdateStack by a deployer named without its path", dep, tamperChange("UpdateStack", Actor{ARN: "arn:aws:iam::111122223333:role/ci-deployer"}, &TamperTarget{Type: TamperStack, Name: "eksdrift"}), true, false, SeverityInfo, "StackName"},
		{"DeleteStack by its stack ID, by someone else", dep, tamperChange("DeleteStack", bob, &TamperTarget{Type: TamperStack, Name: "arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c"}), true, true, SeverityCritical, "StackName"},
		{"the forwarder stack", dep, tamperChange("DeleteStack", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift-iam-forwarder"}), true, true, SeverityCritical, "StackName (named eksdrift-...)"},
		{"a deployer of another account", dep, tamperChange("UpdateStack", Actor{ARN: "arn:aws:iam::444455556666:role/ci-deployer"}, &TamperTarget{Type: TamperStack, Name: "eksdrift"}), true, true, SeverityCritical, "StackName"},
		{"a change set executed on its stack", dep, tamperChange("ExecuteChangeSet", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift", Detail: "change set quiet"}), true, true, SeverityCritical, "StackName"},
		{"a change set executed by its ARN alone", dep, tamperChange("ExecuteChangeSet", bob, &TamperTarget{Type: TamperStack, Name: "arn:aws:cloudformation:us-west-2:111122223333:changeSet/quiet/0c1d"}), true, true, SeverityCritical, "StackName (a change set named by its ARN alone: the record names no stack)"},
		{"a change set executed by its ARN alone, by a deployer", dep, tamperChange("ExecuteChangeSet", Actor{ARN: "arn:aws:iam::111122223333:role/ci/ci-deployer"}, &TamperTarget{Type: TamperStack, Name: "arn:aws:cloudformation:us-west-2:111122223333:changeSet/cdk-deploy-change-set/0c1d"}), true, false, SeverityInfo, "StackName (a change set named by its ARN alone: the record names no stack)"},
		{"a change set executed by a deployer", dep, tamperChange("ExecuteChangeSet", Actor{ARN: "arn:aws:iam::111122223333:role/ci/ci-deployer"}, &TamperTarget{Type: TamperStack, Name: "eksdrift"}), true, false, SeverityInfo, "StackName"},
		{"a change set executed on another stack", dep, tamperChange("ExecuteChangeSet", bob, &TamperTarget{Type: TamperStack, Name: "shop"}), false, false, "", ""},
		{"a change set made on its stack", dep, tamperChange("CreateChangeSet", bob, &TamperTarget{Type: TamperStack, Name: "arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c"}), true, true, SeverityHigh, "StackName"},
		{"a change set made for the forwarder stack", dep, tamperChange("CreateChangeSet", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift-iam-forwarder"}), true, true, SeverityHigh, "StackName (named eksdrift-...)"},
		{"a stack policy on its stack", dep, tamperChange("SetStackPolicy", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift"}), true, true, SeverityHigh, "StackName"},
		{"termination protection off", dep, tamperChange("UpdateTerminationProtection", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift", Detail: TerminationProtectionOff}), true, true, SeverityHigh, "StackName"},
		{"termination protection on", dep, tamperChange("UpdateTerminationProtection", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift", Detail: TerminationProtectionOn}), true, false, SeverityInfo, "StackName"},
		{"a rollback continued, skipping resources", dep, tamperChange("ContinueUpdateRollback", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift", Detail: "resources skipped: DetectorFunction"}), true, true, SeverityHigh, "StackName"},
		{"a redeploy cancelled", dep, tamperChange("CancelUpdateStack", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift"}), true, true, SeverityHigh, "StackName"},
		{"a stack rolled back", dep, tamperChange("RollbackStack", bob, &TamperTarget{Type: TamperStack, Name: "eksdrift"}), true, true, SeverityHigh, "StackName"},
		{"an IAM change to one of its roles", dep, tamperChange("PutRolePolicy", bob, &InlinePolicy{RoleName: "eksdrift-DetectorRole-1", PolicyName: "deny"}), true, true, SeverityCritical, "StackName (named eksdrift-...)"},
		{"UpdateRole's maximum session on one of its roles", dep, tamperChange("UpdateRole", bob, &TamperTarget{Type: TamperRole, Name: "eksdrift-DetectorRole-1", Detail: "maxSessionDuration 43200"}), true, true, SeverityCritical, "StackName (named eksdrift-...)"},
		{"a description of one of its roles is low", dep, tamperChange("UpdateRoleDescription", bob, &TamperTarget{Type: TamperRole, Name: "eksdrift-DetectorRole-1", Detail: RoleDescriptionOnly}), true, true, SeverityLow, "StackName (named eksdrift-...)"},
		{"tags on one of its roles", dep, tamperChange("TagRole", bob, &TamperTarget{Type: TamperRole, Name: "eksdrift-DetectorRole-1", Detail: "tags set: exempt"}), true, true, SeverityCritical, "StackName (named eksdrift-...)"},
		{"UntagRole on one of its roles by a redeploy", dep, tamperChange("UntagRole", cfnRun, &TamperTarget{Type: TamperRole, Name: "eksdrift-DetectorRole-1", Detail: "tags removed: x"}), true, false, SeverityInfo, "StackName (named eksdrift-...)"},
		{"tags on another role", dep, tamperChange("TagRole", bob, &TamperTarget{Type: TamperRole, Name: "developers", Detail: "tags set: x"}), false, false, "", ""},
		{"an IAM change to another role", dep, tamperChange("PutRolePolicy", bob, &InlinePolicy{RoleName: "developers", PolicyName: "x"}), false, false, "", ""},
		{"an access entry is never tamper", dep, tamperChange("CreateAccessEntry", bob, &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/eksdrift-x"}), false, false, "", ""},
		{"no deployment", nil, tamperChange("StopLogging", bob, &TamperTarget{Type: TamperTrail, Name: "eksdrift-trail"}), false, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := JudgeTamper(tt.change, tt.dep)
			if ok != tt.ok {
				t.Fatalf("got ok %v, want %v (reason %q)", ok, tt.ok, f.Reason)
			}
			if !ok {
				return
			}
			if f.Drift != tt.drift || f.Severity != tt.severity || f.Kind != KindTamper {
				t.Errorf("got drift %v severity %s kind %s, want drift %v severity %s kind tamper (reason %q)", f.Drift, f.Severity, f.Kind, tt.drift, tt.severity, f.Reason)
			}
			want := DecisionNone
			if tt.drift {
				want = DecisionAlert
			}
			if f.Decision != want {
				t.Errorf("got decision %s, want %s", f.Decision, want)
			}
			if !strings.Contains(string(f.After)+string(f.Before), `"own":"`+tt.own+`"`) {
				t.Errorf("got before %s after %s, want own %q", f.Before, f.After, tt.own)
			}
		})
	}
}

// TestEvaluateTamperNeedsNoBaseline: tamper is judged before any baseline
// rule, and an attacker's change to an own role is tamper even though
// the baseline declares nothing about it.
func TestEvaluateTamper(t *testing.T) {
	ix, err := NewIndex(&Baseline{Source: "test", VersionID: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	ev := NewEvaluator(ix)
	c := tamperChange("DisableRule", bob, &TamperTarget{Type: TamperRule, Name: "eksdrift-RoutingEks-1A2B"})
	if f := ev.Evaluate(c); f.Drift || f.Kind != KindTamper || !strings.Contains(f.Reason, "--deployment") {
		t.Errorf("without a deployment: got drift %v kind %s reason %q, want compliant tamper saying --deployment", f.Drift, f.Kind, f.Reason)
	}
	f := ev.WithDeployment(testDeployment()).Evaluate(c)
	if !f.Drift || f.Severity != SeverityCritical || f.BaselineVersion != "v1" {
		t.Errorf("with the deployment: got drift %v severity %s baseline version %q, want critical drift against v1", f.Drift, f.Severity, f.BaselineVersion)
	}
}

func TestParseOutputsFile(t *testing.T) {
	tests := []struct {
		name, data, err string
	}{
		{"one stack", `{"eksdrift":{"StackName":"eksdrift","Deployers":"a,b"}}`, ""},
		{"the forwarder beside it", `{"eksdrift":{"StackName":"eksdrift"},"eksdrift-iam-forwarder":{}}`, ""},
		{"no eksdrift stack", `{"other":{"BucketName":"x"}}`, "got 0 stacks"},
		{"two eksdrift stacks", `{"a":{"StackName":"a"},"b":{"StackName":"b"}}`, "got 2 stacks"},
		{"an empty StackName", `{"a":{"StackName":" "}}`, "no StackName output"},
		{"not JSON", `StackName=x`, "not the outputs file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseOutputsFile([]byte(tt.data))
			if tt.err == "" {
				if err != nil || d.StackName != "eksdrift" {
					t.Fatalf("got %v, %v, want the eksdrift deployment", d, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("got error %v, want one saying %q", err, tt.err)
			}
		})
	}
}
