package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
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

			if len(w.Alarms) != len(routing.TamperAlarmRules(routing.TamperScope{})) {
				t.Fatalf("got %d tamper alarm rules, want one per routing.TamperAlarmRules", len(w.Alarms))
			}
			var pinned string
			for _, r := range w.Alarms {
				alarm := props(rules[*main.GetLogicalId(r)])
				if alarm == nil {
					t.Fatalf("no tamper alarm rule %s", *main.GetLogicalId(r))
				}
				targets := asList(alarm["Targets"])
				if len(targets) != 1 {
					t.Fatalf("tamper alarm targets: got %v, want the alarm topic", targets)
				}
				tg := targets[0].(map[string]any)
				if !reflect.DeepEqual(tg["Arn"], map[string]any{"Ref": logicalID(main, s.stacks.Operations.Topic)}) {
					t.Errorf("tamper alarm target: got %v, want the alarm topic", tg["Arn"])
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
				if !strings.Contains(string(pattern), `"anything-but":["cloudformation.amazonaws.com"]`) {
					t.Errorf("tamper alarm pattern: got %s, want CloudFormation's calls left out", pattern)
				}
				pinned += string(pattern)
			}
			for _, ref := range []string{logicalID(main, s.stacks.Stores.Baselines), logicalID(main, s.stacks.Stores.History), logicalID(main, s.stacks.Stores.Key)} {
				if !strings.Contains(pinned, `"`+ref+`"`) {
					t.Errorf("no tamper alarm pattern pins %s", ref)
				}
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
	rule := map[string]any{"Fn::GetAtt": []any{*main.GetLogicalId(s.stacks.Tamper.Alarms[3]), "Arn"}}
	tests := []struct {
		name   string
		keys   map[string]any
		denied bool
	}{
		{"a tamper alarm rule", map[string]any{"aws:PrincipalServiceName": eventsService, "aws:SourceArn": rule}, false},
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
			// cdk deploy makes its change sets as the bootstrap's deploy
			// role: without it, every deploy would be tamper.
			if !strings.Contains(string(deployers), "-deploy-role-") {
				t.Errorf("Deployers: got %s, want the CDK bootstrap's deploy role", deployers)
			}
			env := props(resource(t, s, s.stacks.Detector.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			dep, _ := json.Marshal(env[config.EnvDeployment])
			for _, k := range []string{"StackName", "Trail", "BaselineBucket", "HistoryTable", "AlarmTopic", "Key", "DetectorRole", "Deployers", "cfn-exec-role"} {
				if !strings.Contains(string(dep), k) {
					t.Errorf("%s: no %s in %s", config.EnvDeployment, k, dep)
				}
			}
			// The reconcile function judges the tamper calls its catch-up
			// finds against the same deployment, less what would be a cycle.
			renv := props(resource(t, s, s.stacks.Reconciler.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			rdep, _ := json.Marshal(renv[config.EnvDeployment])
			for _, k := range []string{"StackName", "Trail", "BaselineBucket", "HistoryTable", "AlarmTopic", "Key", "DetectorRole", "ReconcileRole", "Deployers", "cfn-exec-role"} {
				if !strings.Contains(string(rdep), k) {
					t.Errorf("reconcile function's %s: no %s in %s", config.EnvDeployment, k, rdep)
				}
			}
			for _, k := range []string{`"ReconcileFunction"`, `"ReconcileSchedule"`} {
				if strings.Contains(string(rdep), k) {
					t.Errorf("reconcile function's %s names %s, its own: a cycle", config.EnvDeployment, k)
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

// TestDeadMansSwitches: the heartbeat runs on its schedule into the
// detector, which knows the rule's name; the heartbeat and sweep alarms
// count completions and treat missing data as breaching, over two periods
// of their schedules.
func TestDeadMansSwitches(t *testing.T) {
	for _, c := range []synthCase{caseDefault, casePinned} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			main, h := s.stacks.Main, s.stacks.Heartbeat
			rule := props(resource(t, s, h.Rule))
			if rule["ScheduleExpression"] != "rate(15 minutes)" {
				t.Errorf("heartbeat schedule: got %v, want rate(15 minutes)", rule["ScheduleExpression"])
			}
			env := props(resource(t, s, s.stacks.Detector.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			if !reflect.DeepEqual(env[config.EnvHeartbeatRule], rule["Name"]) {
				t.Errorf("%s: got %v, want the rule's name %v", config.EnvHeartbeatRule, env[config.EnvHeartbeatRule], rule["Name"])
			}
			wantPeriod := map[string]float64{caseDefault.name: 3600, casePinned.name: 3600}[c.name]
			for _, tt := range []struct {
				alarm  constructs.IConstruct
				metric string
				period float64
			}{
				{h.Alarm, metrics.Heartbeats, 900},
				{h.SweepAlarm, metrics.SweepsCompleted, wantPeriod},
			} {
				a := props(resource(t, s, tt.alarm))
				if a["TreatMissingData"] != "breaching" || a["ComparisonOperator"] != "LessThanThreshold" || a["Threshold"] != 1.0 || a["EvaluationPeriods"] != 2.0 {
					t.Errorf("%s alarm: got %v, want fewer than 1 over 2 periods, missing data breaching", tt.metric, a)
				}
				if a["MetricName"] != tt.metric || a["Period"] != tt.period {
					t.Errorf("%s alarm: got metric %v period %v, want %s over %v s", tt.metric, a["MetricName"], a["Period"], tt.metric, tt.period)
				}
				if len(asList(a["AlarmActions"])) != 1 {
					t.Errorf("%s alarm: got actions %v, want the alarm topic", tt.metric, a["AlarmActions"])
				}
			}
			dash, _ := json.Marshal(props(resource(t, s, s.stacks.Operations.Dashboard))["DashboardBody"])
			if !strings.Contains(string(dash), metrics.HeartbeatRoundTrip) {
				t.Errorf("the dashboard does not show %s", metrics.HeartbeatRoundTrip)
			}
			_ = main
		})
	}
}

func TestSchedulePeriod(t *testing.T) {
	tests := []struct {
		expr string
		want time.Duration
	}{
		{"rate(1 hour)", time.Hour},
		{"rate(30 minutes)", 30 * time.Minute},
		{"rate(2 days)", 12 * time.Hour},
		{"cron(15 * * * ? *)", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := schedulePeriod(tt.expr); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
