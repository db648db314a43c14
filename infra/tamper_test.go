package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// TestTamperRules: the detector's tamper rule is routing's pattern and
// targets the detector with its dead-letter queue; the alarm rule targets
// the alarm topic through an input transformer of AWS-set fields only,
// with a pattern pinned to the stack's bucket, table and key.
func TestTamperRules(t *testing.T) {
	for _, c := range []synthCase{caseDefault, caseRevert} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			main, w := s.stacks.Main, s.stacks.Tamper
			rules := resources(mainTemplate(s), "AWS::Events::Rule")
			calls := props(rules[logicalID(main, w.Calls)])
			var want any
			if err := json.Unmarshal([]byte(routing.TamperRules()[0].Pattern.JSON()), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(calls["EventPattern"], want) {
				t.Errorf("tamper-calls pattern:\n got %v\nwant %v", calls["EventPattern"], want)
			}
			target := asList(calls["Targets"])
			if len(target) != 1 || target[0].(map[string]any)["DeadLetterConfig"] == nil ||
				!reflect.DeepEqual(target[0].(map[string]any)["Arn"], map[string]any{"Fn::GetAtt": []any{logicalID(main, s.stacks.Detector.Fn), "Arn"}}) {
				t.Errorf("tamper-calls targets: got %v, want the detector with its dead-letter queue", target)
			}

			alarm := props(rules[*main.GetLogicalId(w.Alarm)])
			if alarm == nil {
				t.Fatalf("no tamper-alarm rule %s", *main.GetLogicalId(w.Alarm))
			}
			targets := asList(alarm["Targets"])
			if len(targets) != 1 {
				t.Fatalf("tamper-alarm targets: got %v, want the alarm topic", targets)
			}
			tg := targets[0].(map[string]any)
			if !reflect.DeepEqual(tg["Arn"], map[string]any{"Ref": logicalID(main, s.stacks.Operations.Topic)}) {
				t.Errorf("tamper-alarm target: got %v, want the alarm topic", tg["Arn"])
			}
			it, _ := tg["InputTransformer"].(map[string]any)
			if it["InputTemplate"] != TamperAlarmTemplate {
				t.Errorf("input template: got %v, want %q", it["InputTemplate"], TamperAlarmTemplate)
			}
			for name, path := range it["InputPathsMap"].(map[string]any) {
				p := path.(string)
				if strings.Contains(p, "requestParameters") || strings.Contains(p, "userAgent") || strings.Contains(p, "errorMessage") {
					t.Errorf("input path %s=%s carries the caller's text into the alarm", name, p)
				}
			}
			pattern, _ := json.Marshal(alarm["EventPattern"])
			for _, ref := range []string{logicalID(main, s.stacks.Stores.Baselines), logicalID(main, s.stacks.Stores.History), logicalID(main, s.stacks.Stores.Key)} {
				if !strings.Contains(string(pattern), `"`+ref+`"`) {
					t.Errorf("tamper-alarm pattern does not pin %s: %s", ref, pattern)
				}
			}
			if !strings.Contains(string(pattern), `"$or"`) || !strings.Contains(string(pattern), `"anything-but":["cloudformation.amazonaws.com"]`) {
				t.Errorf("tamper-alarm pattern: got %s, want $or per service and CloudFormation's calls left out", pattern)
			}
		})
	}
}

// TestOnlyTheTamperRulePublishesAlarms: EventBridge may publish on the
// alarm topic for the tamper alarm rule, and for no other rule (one an
// attacker makes to send a forged all-clear).
func TestOnlyTheTamperRulePublishesAlarms(t *testing.T) {
	s := synth(t, caseDefault)
	main, topic := s.stacks.Main, s.stacks.Operations.Topic
	stmts := resourcePolicy(t, s, main, "AWS::SNS::TopicPolicy", "Topics", topic)
	arn := map[string]any{"Ref": logicalID(main, topic)}
	rule := map[string]any{"Fn::GetAtt": []any{*main.GetLogicalId(s.stacks.Tamper.Alarm), "Arn"}}
	tests := []struct {
		name   string
		keys   map[string]any
		denied bool
	}{
		{"the tamper alarm rule", map[string]any{"aws:PrincipalServiceName": eventsService, "aws:SourceArn": rule}, false},
		{"another rule", map[string]any{"aws:PrincipalServiceName": eventsService, "aws:SourceArn": "arn:aws:events:us-east-1:111122223333:rule/all-clear"}, true},
		{"CloudWatch", map[string]any{"aws:PrincipalServiceName": cloudWatchService}, false},
		{"another service", map[string]any{"aws:PrincipalServiceName": "s3.amazonaws.com"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := denied(t, stmts, request{action: "sns:Publish", resource: arn, keys: tt.keys}); got != tt.denied {
				t.Errorf("sns:Publish: got denied %v, want %v", got, tt.denied)
			}
		})
	}
}

// TestDeploymentOutputs: the stack outputs every resource a Deployment
// reads (replay --deployment), under the keys it reads them by, and the
// detector's EKSDRIFT_DEPLOYMENT names the same resources.
func TestDeploymentOutputs(t *testing.T) {
	for _, c := range []synthCase{caseDefault, casePinned, caseRevert} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			outputs, _ := mainTemplate(s)["Outputs"].(map[string]any)
			for _, k := range drift.DeploymentOutputKeys() {
				if s.stacks.Reverter == nil && (k == "RevertFunction" || k == "RevertRole") {
					continue
				}
				if _, ok := outputs[k]; !ok {
					t.Errorf("no output %s", k)
				}
			}
			trail, _ := json.Marshal(outputs["Trail"])
			switch {
			case s.stacks.Trail != nil && !strings.Contains(string(trail), logicalID(s.stacks.Main, s.stacks.Trail.Trail)):
				t.Errorf("Trail: got %s, want the stack's trail", trail)
			case s.stacks.Trail == nil && !strings.Contains(string(trail), `"*"`):
				t.Errorf("Trail: got %s, want * (any trail)", trail)
			}
			deployers, _ := json.Marshal(outputs["Deployers"])
			if !strings.Contains(string(deployers), "cfn-exec-role") || !strings.Contains(string(deployers), testWriter) {
				t.Errorf("Deployers: got %s, want the CloudFormation execution role and the baseline writer", deployers)
			}
			env := props(resource(t, s, s.stacks.Detector.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			dep, _ := json.Marshal(env[config.EnvDeployment])
			for _, k := range []string{"StackName", "Trail", "BaselineBucket", "HistoryTable", "AlarmTopic", "Key", "DetectorRole", "Deployers", "cfn-exec-role"} {
				if !strings.Contains(string(dep), k) {
					t.Errorf("%s: no %s in %s", config.EnvDeployment, k, dep)
				}
			}
		})
	}
}

func TestTamperSettings(t *testing.T) {
	tests := []struct {
		name     string
		ctx      map[string]any
		error    string
		trailARN string
	}{
		{"an existing trail by ARN", map[string]any{CtxExistingTrailARN: "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org"}, "", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org"},
		{"not a trail's ARN", map[string]any{CtxExistingTrailARN: "org"}, "not a trail's ARN", ""},
		{"a deployer", map[string]any{CtxDeployers: []any{"arn:aws:iam::111122223333:role/ci/deployer"}}, "", ""},
		{"a wildcard deployer", map[string]any{CtxDeployers: "arn:aws:iam::111122223333:role/*"}, "deployers", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := readSettings(tt.ctx, Env{})
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("got error %v, want one saying %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.ExistingTrailARN != tt.trailARN || (tt.trailARN != "") != s.ExistingTrail {
				t.Errorf("got trail %q existing %v, want %q", s.ExistingTrailARN, s.ExistingTrail, tt.trailARN)
			}
			if d, ok := tt.ctx[CtxDeployers].([]any); ok && !slices.Equal(s.Deployers, []string{d[0].(string)}) {
				t.Errorf("got deployers %v, want %v", s.Deployers, d)
			}
		})
	}
}
