package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/routing"
	"github.com/eksdrift/eksdrift/internal/sns"
)

// resources gives the template's resources of type typ, by logical ID.
func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	return p
}

// logicalID is the logical ID of c's CloudFormation resource.
func logicalID(stack awscdk.Stack, c constructs.IConstruct) string {
	return *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// resource gives the resource made for c.
func resource(t *testing.T, s *synthesized, c constructs.IConstruct) map[string]any {
	t.Helper()
	id := logicalID(s.stacks.Main, c)
	r, ok := s.templates[*s.stacks.Main.StackName()]["Resources"].(map[string]any)[id]
	if !ok {
		t.Fatalf("no resource %s in the template", id)
	}
	return r.(map[string]any)
}

func mainTemplate(s *synthesized) map[string]any { return s.templates[*s.stacks.Main.StackName()] }

// roundTrip gives v as JSON would: what a template holds.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// statement is one IAM statement, with where it comes from.
type statement struct {
	where     string
	actions   []string
	resources []any
	raw       map[string]any
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func statementsOf(where string, doc any) []statement {
	var out []statement
	d, _ := doc.(map[string]any)
	for _, st := range asList(d["Statement"]) {
		m := st.(map[string]any)
		s := statement{where: where, resources: asList(m["Resource"]), raw: m}
		for _, a := range asList(m["Action"]) {
			s.actions = append(s.actions, a.(string))
		}
		out = append(out, s)
	}
	return out
}

// allStatements gives every statement of every policy in the template:
// identity policies and resource policies alike.
func allStatements(tpl map[string]any) []statement {
	var out []statement
	for id, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		p := props(res)
		switch res["Type"] {
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy":
			out = append(out, statementsOf(id, p["PolicyDocument"])...)
		case "AWS::KMS::Key":
			out = append(out, statementsOf(id, p["KeyPolicy"])...)
		case "AWS::IAM::Role":
			for _, pol := range asList(p["Policies"]) {
				out = append(out, statementsOf(id, pol.(map[string]any)["PolicyDocument"])...)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// roleStatements gives the statements of the policies attached to role.
func roleStatements(t *testing.T, s *synthesized, role constructs.IConstruct) []statement {
	t.Helper()
	roleID := logicalID(s.stacks.Main, role)
	var out []statement
	for id, res := range resources(mainTemplate(s), "AWS::IAM::Policy") {
		for _, r := range asList(props(res)["Roles"]) {
			if ref, _ := r.(map[string]any)["Ref"].(string); ref == roleID {
				out = append(out, statementsOf(id, props(res)["PolicyDocument"])...)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no policy attached to %s", roleID)
	}
	return out
}

func TestNagHasNoUnsuppressedError(t *testing.T) {
	for _, c := range allCases {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			for _, stack := range []awscdk.Stack{s.stacks.Main, s.stacks.Forwarder} {
				if stack == nil {
					continue
				}
				errs := assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*")))
				for _, e := range *errs {
					//lint:ignore SA1019 FindError returns cxapi.SynthesisMessage, and the CDK's Go binding has no other type for it yet
					t.Errorf("%s: %s: %v", *stack.StackName(), *e.Id, e.Entry.Data)
				}
			}
		})
	}
}

// TestEverySuppressionHasAReason: cdk-nag wants 10 characters; a reason
// a reader can check needs more, and the same boilerplate twice is no reason.
func TestEverySuppressionHasAReason(t *testing.T) {
	seen := map[string]string{}
	for _, c := range allCases {
		s := synth(t, c)
		for name, tpl := range s.templates {
			for id, r := range tpl["Resources"].(map[string]any) {
				md, _ := r.(map[string]any)["Metadata"].(map[string]any)
				nag, _ := md["cdk_nag"].(map[string]any)
				for _, sup := range asList(nag["rules_to_suppress"]) {
					m := sup.(map[string]any)
					reason, _ := m["reason"].(string)
					if len(reason) < 60 {
						t.Errorf("%s %s: suppression of %v: reason %q is too short to say why", name, id, m["id"], reason)
					}
					key := fmt.Sprint(m["id"], m["applies_to"])
					if prev, ok := seen[reason]; ok && prev != key {
						t.Errorf("%s %s: the reason %q is used for %s and %s", name, id, reason, prev, key)
					}
					seen[reason] = key
				}
			}
		}
	}
	if len(seen) == 0 {
		t.Error("no suppression found: the wildcard resources of the roles should carry some")
	}
}

func TestResourceCounts(t *testing.T) {
	tests := []struct {
		c      synthCase
		counts map[string]int
	}{
		{caseDefault, map[string]int{
			"AWS::KMS::Key": 1, "AWS::S3::Bucket": 3, "AWS::DynamoDB::Table": 1, "AWS::SNS::Topic": 3,
			"AWS::Lambda::Function": 3, "AWS::Lambda::EventSourceMapping": 1, "AWS::IAM::Role": 3, "AWS::Logs::LogGroup": 3,
			// detect, reconcile: their dead-letter queues; notify: its inbox and dead-letter queue
			"AWS::SQS::Queue": 4, "AWS::SNS::Subscription": 1, "AWS::CloudTrail::Trail": 1,
			// detect's three rules (EKS, IAM, Identity Center), two baseline rules, the tamper rules (one to the detector, sixteen to the alarm topic) and the heartbeat, reconcile's schedule
			"AWS::Events::Rule": 24, "AWS::Lambda::EventInvokeConfig": 1,
			// per function: errors and dead letters, and detect's BaselineErrors, notify's NotifyFailed,
			// reconcile's ScanErrors
			"AWS::CloudWatch::Alarm": 11, "AWS::CloudWatch::Dashboard": 1, "AWS::SecretsManager::Secret": 0,
		}},
		{casePinned, map[string]int{
			"AWS::S3::Bucket": 2, "AWS::CloudTrail::Trail": 0, "AWS::Lambda::Function": 3, "AWS::Events::Rule": 24,
		}},
		{caseRevert, map[string]int{
			// detect, notify, revert, reconcile, and CDK's handler that
			// empties the buckets before they are deleted (retainData=false)
			"AWS::Lambda::Function": 5, "AWS::Lambda::EventSourceMapping": 2, "AWS::SQS::Queue": 6, "AWS::Logs::LogGroup": 4,
			"AWS::CloudWatch::Alarm": 14, "AWS::SNS::Subscription": 3, "AWS::SecretsManager::Secret": 0,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			for typ, n := range tt.counts {
				check(t, typ, func() { s.main.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) })
			}
		})
	}
}

func TestStoresAreEncryptedAndRecoverable(t *testing.T) {
	s := synth(t, caseDefault)
	st := s.stacks.Stores
	keyRef := map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, st.Key), "Arn"}}

	check(t, "key rotation", func() {
		s.main.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]any{"EnableKeyRotation": true})
	})
	baselines := props(resource(t, s, st.Baselines))
	wantBaselines := roundTrip(t, map[string]any{
		"ServerSideEncryptionConfiguration": []any{map[string]any{
			"BucketKeyEnabled":              true,
			"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": keyRef},
		}},
	})
	if got := baselines["BucketEncryption"]; !reflect.DeepEqual(got, wantBaselines) {
		t.Errorf("baselines bucket encryption: got %v, want %v", got, wantBaselines)
	}
	if got := baselines["VersioningConfiguration"]; !reflect.DeepEqual(got, map[string]any{"Status": "Enabled"}) {
		t.Errorf("baselines bucket versioning: got %v, want Enabled", got)
	}
	if got := baselines["LoggingConfiguration"]; got == nil {
		t.Error("baselines bucket: no server access logs")
	}
	for id, b := range resources(mainTemplate(s), "AWS::S3::Bucket") {
		pab := props(b)["PublicAccessBlockConfiguration"]
		want := map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
		if !reflect.DeepEqual(pab, want) {
			t.Errorf("bucket %s: public access block: got %v, want all four", id, pab)
		}
	}
	// TLS only: every bucket policy denies requests without TLS.
	tlsOnly := map[string]bool{}
	for _, st := range allStatements(mainTemplate(s)) {
		if st.raw["Effect"] == "Deny" && strings.Contains(fmt.Sprint(st.raw["Condition"]), "aws:SecureTransport:false") {
			tlsOnly[st.where] = true
		}
	}
	for id := range resources(mainTemplate(s), "AWS::S3::BucketPolicy") {
		if !tlsOnly[id] {
			t.Errorf("bucket policy %s does not deny plain HTTP", id)
		}
	}

	table := props(resource(t, s, st.History))
	checks := map[string]any{
		"SSESpecification":                 map[string]any{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": keyRef},
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"TimeToLiveSpecification":          map[string]any{"AttributeName": dynamodb.AttrExpiresAt, "Enabled": true},
		"BillingMode":                      "PAY_PER_REQUEST",
		"DeletionProtectionEnabled":        true,
	}
	for k, want := range checks {
		if got := table[k]; !reflect.DeepEqual(got, roundTrip(t, want)) {
			t.Errorf("history table %s: got %v, want %v", k, got, want)
		}
	}
	for id, topic := range resources(mainTemplate(s), "AWS::SNS::Topic") {
		if got := props(topic)["KmsMasterKeyId"]; !reflect.DeepEqual(got, keyRef) {
			t.Errorf("topic %s: KmsMasterKeyId: got %v, want the stack's key", id, got)
		}
	}
	for id, q := range resources(mainTemplate(s), "AWS::SQS::Queue") {
		if got := props(q)["SqsManagedSseEnabled"]; got != true {
			t.Errorf("queue %s: SqsManagedSseEnabled: got %v, want true", id, got)
		}
	}
}

func TestHistoryTableIsTableSchema(t *testing.T) {
	s := synth(t, caseDefault)
	table := props(resource(t, s, s.stacks.Stores.History))
	schema := dynamodb.TableSchema()
	if got, want := table["KeySchema"], roundTrip(t, []any{map[string]any{"AttributeName": schema.PartitionKey.Name, "KeyType": "HASH"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("key schema: got %v, want %v", got, want)
	}
	var want []any
	for _, ix := range schema.Indexes {
		want = append(want, map[string]any{
			"IndexName": ix.Name,
			"KeySchema": []any{
				map[string]any{"AttributeName": ix.PartitionKey.Name, "KeyType": "HASH"},
				map[string]any{"AttributeName": ix.SortKey.Name, "KeyType": "RANGE"},
			},
			"Projection": map[string]any{"ProjectionType": ix.Projection},
		})
	}
	if got := table["GlobalSecondaryIndexes"]; !reflect.DeepEqual(got, roundTrip(t, want)) {
		t.Errorf("indexes: got %v, want %v", got, want)
	}
}

func TestRulesAreRoutingPatterns(t *testing.T) {
	s := synth(t, casePinned)
	rules := resources(mainTemplate(s), "AWS::Events::Rule")
	for _, r := range routing.Rules() {
		t.Run(r.Name, func(t *testing.T) {
			rule, ok := s.stacks.Routing.Rules[r.Name]
			if !ok {
				t.Fatalf("no rule %s in the main stack", r.Name)
			}
			var want any
			if err := json.Unmarshal([]byte(r.Pattern.JSON()), &want); err != nil {
				t.Fatal(err)
			}
			got := props(rules[logicalID(s.stacks.Main, rule)])["EventPattern"]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("main stack pattern:\n got %v\nwant %v", got, want)
			}
			target := asList(props(rules[logicalID(s.stacks.Main, rule)])["Targets"])
			if len(target) != 1 || target[0].(map[string]any)["DeadLetterConfig"] == nil {
				t.Errorf("targets: got %v, want the detector with its dead-letter queue", target)
			}
			if r.Region != routing.IAMRegion {
				return
			}
			fwd := resources(s.templates[*s.stacks.Forwarder.StackName()], "AWS::Events::Rule")
			if len(fwd) != 1 {
				t.Fatalf("forwarder rules: got %d, want 1", len(fwd))
			}
			for _, fr := range fwd {
				if got := props(fr)["EventPattern"]; !reflect.DeepEqual(got, want) {
					t.Errorf("forwarder pattern:\n got %v\nwant %v", got, want)
				}
			}
		})
	}
}

func TestForwarderOnlyOutsideUSEast1(t *testing.T) {
	tests := []struct {
		c    synthCase
		want bool
	}{
		{caseDefault, false}, // environment-agnostic: region unknown, a warning says so
		{caseUSEast1, false},
		{casePinned, true},
	}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			if got := s.stacks.Forwarder != nil; got != tt.want {
				t.Fatalf("forwarder stack: got %v, want %v", got, tt.want)
			}
			if !tt.want {
				return
			}
			if got := *s.stacks.Forwarder.Region(); got != routing.IAMRegion {
				t.Errorf("forwarder region: got %s, want %s", got, routing.IAMRegion)
			}
			fwd := s.templates[*s.stacks.Forwarder.StackName()]
			for typ, n := range map[string]int{"AWS::Events::Rule": 1, "AWS::SQS::Queue": 1, "AWS::CloudWatch::Alarm": 1, "AWS::SNS::Topic": 1, "AWS::Lambda::Function": 0} {
				check(t, "forwarder "+typ, func() { s.forwarder.ResourceCountIs(jsii.String(typ), jsii.Number(float64(n))) })
			}
			for _, rule := range resources(fwd, "AWS::Events::Rule") {
				targets := asList(props(rule)["Targets"])
				arn := fmt.Sprint(targets[0].(map[string]any)["Arn"])
				if !strings.Contains(arn, ":events:eu-west-1:111122223333:event-bus/default") {
					t.Errorf("forwarder target: got %s, want the default bus of eu-west-1", arn)
				}
				if targets[0].(map[string]any)["RoleArn"] == nil || targets[0].(map[string]any)["DeadLetterConfig"] == nil {
					t.Errorf("forwarder target: got %v, want a role (cross-region) and a dead-letter queue", targets[0])
				}
			}
		})
	}
	s := synth(t, caseDefault)
	warns := assertions.Annotations_FromStack(s.stacks.Main).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*us-east-1.*")))
	if len(*warns) == 0 {
		t.Error("environment-agnostic stack: no warning about IAM's events")
	}
}

func TestFunctionsAsDeployed(t *testing.T) {
	s := synth(t, caseRevert)
	st := s.stacks
	common := []string{config.EnvBaselineBucket, config.EnvBaselineKey, config.EnvFindingsTopicARN, config.EnvHistoryTable, config.EnvMetricsNamespace}
	tests := []struct {
		f        *Function
		env      []string
		async    bool // fed by EventBridge (asynchronous invocations), not by a queue
		timeout  float64
		reserved any
		memory   float64
	}{
		{st.Detector.Function, append(slices.Clone(common), config.EnvReverterRoleARN, config.EnvDeployment, config.EnvHeartbeatRule), true, 30.0, nil, 128},
		{st.Notifier.Function, []string{config.EnvChatbotTopicARN, config.EnvReportBatchItemFailures, config.EnvMetricsNamespace, config.EnvSlackWebhookSecretARN}, false, 120.0, nil, 128},
		{st.Reverter.Function, append(slices.Clone(common), config.EnvReverterRoleARN, config.EnvBaselineHoldDown, config.EnvAllowGrantingAdmin), false, 120.0, 3.0, 128},
		// The sweep of 100 accounts peaks at 185 MB RSS (bench/orgsweep).
		{st.Reconciler.Function, append(slices.Clone(common), config.EnvReverterRoleARN, config.EnvBaselineHoldDown, config.EnvDeployment), true, config.DefaultReconcileTimeout.Seconds(), nil, ReconcileMemoryMB},
	}
	for _, tt := range tests {
		f := tt.f
		t.Run(f.Name, func(t *testing.T) {
			p := props(resource(t, s, f.Fn))
			for k, want := range map[string]any{
				"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap", "MemorySize": tt.memory,
				"Timeout": tt.timeout, "ReservedConcurrentExecutions": tt.reserved,
			} {
				if got := p[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %v, want %v", k, got, want)
				}
			}
			lc, _ := p["LoggingConfig"].(map[string]any)
			if lc["LogFormat"] != "JSON" || !reflect.DeepEqual(lc["LogGroup"], map[string]any{"Ref": logicalID(s.stacks.Main, f.LogGroup)}) {
				t.Errorf("LoggingConfig: got %v, want JSON into its own log group", lc)
			}
			if got := p["Role"]; !reflect.DeepEqual(got, map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, f.Role), "Arn"}}) {
				t.Errorf("Role: got %v, want its own", got)
			}
			dlq := map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, f.DLQ), "Arn"}}
			dlc, _ := p["DeadLetterConfig"].(map[string]any)
			if tt.async && !reflect.DeepEqual(dlc["TargetArn"], dlq) {
				t.Errorf("DeadLetterConfig: got %v, want its own queue", dlc)
			}
			if lg := props(resource(t, s, f.LogGroup)); lg["RetentionInDays"] != 90.0 {
				t.Errorf("log retention: got %v, want 90", lg["RetentionInDays"])
			}
			env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			var names []string
			for k := range env {
				names = append(names, k)
			}
			slices.Sort(names)
			want := slices.Sorted(slices.Values(tt.env))
			if !reflect.DeepEqual(names, want) {
				t.Errorf("environment: got %v, want %v (internal/config)", names, want)
			}
			if v, ok := env[config.EnvBaselineKey]; ok && v != "baseline.yaml" {
				t.Errorf("%s: got %v, want baseline.yaml", config.EnvBaselineKey, v)
			}
			if v, ok := env[config.EnvReverterRoleARN]; ok && !reflect.DeepEqual(v, map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, st.Reverter.Role), "Arn"}}) {
				t.Errorf("%s: got %v, want the reverter's role", config.EnvReverterRoleARN, v)
			}
		})
	}
}

// inboxOf checks a queue-fed function's inbox: subscribed to the findings
// topic with raw delivery and the filter policy, redriven to the function's
// dead-letter queue, feeding it with partial batch failures.
func inboxOf(t *testing.T, s *synthesized, f *Function, in *Inbox, filter string, batch, window, concurrency float64) {
	t.Helper()
	stack := s.stacks.Main
	sub := props(resource(t, s, in.Subscription))
	var want any
	if err := json.Unmarshal([]byte(filter), &want); err != nil {
		t.Fatal(err)
	}
	if got := sub["FilterPolicy"]; !reflect.DeepEqual(got, want) {
		t.Errorf("filter policy: got %v, want %v", got, want)
	}
	if got := sub["TopicArn"]; !reflect.DeepEqual(got, map[string]any{"Ref": logicalID(stack, s.stacks.Stores.Findings)}) {
		t.Errorf("topic: got %v, want the findings topic", got)
	}
	if sub["Protocol"] != "sqs" || sub["RawMessageDelivery"] != true {
		t.Errorf("subscription: got %v, want sqs with raw delivery", sub)
	}
	dlq := map[string]any{"Fn::GetAtt": []any{logicalID(stack, f.DLQ), "Arn"}}
	q := props(resource(t, s, in.Queue))
	if got := q["RedrivePolicy"]; !reflect.DeepEqual(got, map[string]any{"deadLetterTargetArn": dlq, "maxReceiveCount": 5.0}) {
		t.Errorf("inbox redrive: got %v, want the function's dead-letter queue after 5 tries", got)
	}
	found := false
	for _, m := range resources(mainTemplate(s), "AWS::Lambda::EventSourceMapping") {
		p := props(m)
		if !reflect.DeepEqual(p["FunctionName"], map[string]any{"Ref": logicalID(stack, f.Fn)}) {
			continue
		}
		found = true
		if !reflect.DeepEqual(p["EventSourceArn"], map[string]any{"Fn::GetAtt": []any{logicalID(stack, in.Queue), "Arn"}}) {
			t.Errorf("event source: got %v, want the inbox", p["EventSourceArn"])
		}
		checks := map[string]any{
			"BatchSize": batch, "FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"ScalingConfig": map[string]any{"MaximumConcurrency": concurrency},
		}
		if window > 0 {
			checks["MaximumBatchingWindowInSeconds"] = window
		}
		for k, want := range checks {
			if got := p[k]; !reflect.DeepEqual(got, want) {
				t.Errorf("event source %s: got %v, want %v", k, got, want)
			}
		}
	}
	if !found {
		t.Errorf("%s: no event source mapping", f.Name)
	}
}

func TestNotifier(t *testing.T) {
	s := synth(t, caseRevert)
	n := s.stacks.Notifier
	policy, err := sns.FilterPolicy(sns.DefaultAlertSeverities, sns.DefaultAlertDecisions)
	if err != nil {
		t.Fatal(err)
	}
	inboxOf(t, s, n.Function, n.Inbox, policy, 100, 30, 2)
	var secret, chatbot bool
	for _, st := range roleStatements(t, s, n.Role) {
		if slices.Contains(st.actions, "secretsmanager:GetSecretValue") {
			secret = true
			arn := caseRevert.overrides[CtxSlackSecretARN].(string)
			if got, want := fmt.Sprint(st.resources), fmt.Sprint([]any{arn, arn + "-??????"}); got != want {
				t.Errorf("secret: got %s, want %s", got, want)
			}
		}
		if slices.Contains(st.actions, "sns:Publish") {
			chatbot = true
			if got := st.resources; !reflect.DeepEqual(got, []any{map[string]any{"Ref": logicalID(s.stacks.Main, s.stacks.Stores.Chatbot)}}) {
				t.Errorf("notifier publishes to %v, want the Chatbot topic only", got)
			}
		}
		for _, a := range st.actions {
			if isWrite(a) {
				t.Errorf("notifier may %s", a)
			}
		}
	}
	if !secret || !chatbot {
		t.Errorf("notifier: reads the Slack secret %v, publishes to Chatbot %v; want both", secret, chatbot)
	}
	// No secret in the settings: no secret in the environment.
	d := synth(t, caseDefault)
	env := props(resource(t, d, d.stacks.Notifier.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
	if _, ok := env[config.EnvSlackWebhookSecretARN]; ok {
		t.Errorf("no slackSecretArn, yet %s is set", config.EnvSlackWebhookSecretARN)
	}
	// Account names: only when given, as the JSON the notifier reads.
	if v, ok := env[config.EnvAccountAliases]; ok {
		t.Errorf("no accountAliases, yet %s=%v", config.EnvAccountAliases, v)
	}
	p := synth(t, casePinned)
	penv := props(resource(t, p, p.stacks.Notifier.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got, want := penv[config.EnvAccountAliases], `{"111122223333":"payments-prod"}`; got != want {
		t.Errorf("accountAliases given: got %s=%v, want %s", config.EnvAccountAliases, got, want)
	}
}

// TestNotifierMetricNames: the notifier's metric names are constants of
// internal/notify, which the stack does not link; the dashboard's copy must
// still name them.
func TestNotifierMetricNames(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "internal", "notify", "notify.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range NotifierMetrics {
		if !strings.Contains(string(src), `= "`+m+`"`) {
			t.Errorf("internal/notify no longer names the metric %s", m)
		}
	}
}

// detectorMay is everything the detector's role may do: read the live
// state, the baseline; record, publish, log, dead-letter.
var detectorMay = map[string]bool{
	"logs:CreateLogStream": true, "logs:PutLogEvents": true, "sqs:SendMessage": true,
	"s3:GetObject": true, "s3:ListBucketVersions": true, "s3:GetObjectVersion": true, "dynamodb:GetItem": true, "dynamodb:PutItem": true, "dynamodb:UpdateItem": true,
	"sns:Publish": true, "kms:Decrypt": true, "kms:Encrypt": true, "kms:GenerateDataKey": true, "kms:DescribeKey": true,
}

func TestDetectorCannotChangeAccess(t *testing.T) {
	for _, c := range []synthCase{caseDefault, casePinned} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			for _, st := range roleStatements(t, s, s.stacks.Detector.Role) {
				for _, a := range st.actions {
					service, verb, _ := strings.Cut(a, ":")
					switch service {
					case "eks", "iam":
						if !strings.HasPrefix(verb, "Describe") && !strings.HasPrefix(verb, "List") && !strings.HasPrefix(verb, "Get") {
							t.Errorf("detector may %s: it should only read EKS and IAM", a)
						}
					default:
						if !detectorMay[a] {
							t.Errorf("detector may %s, which it does not need", a)
						}
					}
				}
			}
		})
	}
}

func TestDetectorReadsOnlyTheScope(t *testing.T) {
	s := synth(t, casePinned)
	want := map[string][]string{
		"eks:DescribeCluster": {
			"arn:aws:eks:eu-west-1:111122223333:cluster/prod", "arn:aws:eks:eu-west-1:111122223333:access-entry/prod/*",
			"arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/*", "arn:aws:eks:eu-west-1:111122223333:identityproviderconfig/prod/*",
			"arn:aws:eks:eu-west-1:111122223333:cluster/staging", "arn:aws:eks:eu-west-1:111122223333:access-entry/staging/*",
			"arn:aws:eks:eu-west-1:111122223333:podidentityassociation/staging/*", "arn:aws:eks:eu-west-1:111122223333:identityproviderconfig/staging/*",
		},
		"iam:GetRole": {"arn:aws:iam::111122223333:role/developers", "arn:aws:iam::111122223333:role/team/app-api"},
		// casePinned names no users: every user of the account (the default).
		"iam:ListAccessKeys": {"arn:aws:iam::111122223333:user/*"},
	}
	for action, resources := range want {
		var got []string
		for _, st := range roleStatements(t, s, s.stacks.Detector.Role) {
			if slices.Contains(st.actions, action) {
				for _, r := range st.resources {
					got = append(got, fmt.Sprint(r))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(resources)
		if !reflect.DeepEqual(got, resources) {
			t.Errorf("%s on: got %v, want %v", action, got, resources)
		}
	}
}

func TestNoWildcardAction(t *testing.T) {
	for _, c := range allCases {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			for name, tpl := range s.templates {
				for _, st := range allStatements(tpl) {
					if st.raw["Effect"] == "Deny" {
						continue // a deny takes away (TLS only): it may name every action
					}
					for _, a := range st.actions {
						if strings.Contains(a, "*") {
							t.Errorf("%s %s: action %s has a wildcard", name, st.where, a)
						}
					}
				}
			}
		})
	}
}

// reverterWrites are the actions that change access.
func isWrite(action string) bool {
	service, verb, _ := strings.Cut(action, ":")
	if service != "eks" && service != "iam" {
		return false
	}
	return !strings.HasPrefix(verb, "Describe") && !strings.HasPrefix(verb, "List") && !strings.HasPrefix(verb, "Get")
}

func TestReverterWritesOnlyTheScope(t *testing.T) {
	s := synth(t, caseRevert)
	allowed := map[string]bool{
		"arn:aws:eks:eu-west-1:111122223333:cluster/prod": true, "arn:aws:eks:eu-west-1:111122223333:cluster/staging": true,
		"arn:aws:iam::111122223333:role/developers": true, "arn:aws:iam::111122223333:role/team/app-api": true,
		"arn:aws:iam::111122223333:user/release-bot": true, "arn:aws:iam::111122223333:user/ops/auditor": true,
	}
	for _, c := range []string{"prod", "staging"} {
		for _, kind := range clusterChildren {
			allowed["arn:aws:eks:eu-west-1:111122223333:"+kind+"/"+c+"/*"] = true
		}
	}
	writes := map[string]bool{}
	for _, st := range roleStatements(t, s, s.stacks.Reverter.Role) {
		if st.raw["Effect"] == "Deny" {
			continue // takes away (TestReverterCannotGrantAdmin)
		}
		var w []string
		for _, a := range st.actions {
			if isWrite(a) {
				w = append(w, a)
				writes[a] = true
			}
		}
		if len(w) == 0 {
			continue
		}
		for _, r := range st.resources {
			if slices.Equal(w, oidcWriteActions) && fmt.Sprint(r) == "arn:aws:iam::111122223333:oidc-provider/*" {
				continue // account-wide (TestReverterMayCallEveryRevertAction)
			}
			if slices.Equal(w, groupWriteActions) && fmt.Sprint(r) == "arn:aws:iam::111122223333:group/*" {
				continue // the group is the drift; the call only takes a user out
			}
			if !allowed[fmt.Sprint(r)] {
				t.Errorf("reverter may %v on %v, outside the clusters and roles in scope", w, r)
			}
		}
		if slices.Contains(w, "iam:PassRole") && !strings.Contains(fmt.Sprint(st.raw["Condition"]), "pods.eks.amazonaws.com") {
			t.Errorf("iam:PassRole without the pods.eks.amazonaws.com condition: %v", st.raw)
		}
	}
	for _, a := range slices.Concat(eksWriteActions, iamWriteActions, oidcWriteActions, userWriteActions, groupWriteActions) {
		if !writes[a] {
			t.Errorf("reverter may not %s, which it needs to undo drift", a)
		}
	}
	// The detector, in the same stack, still writes nothing.
	for _, st := range roleStatements(t, s, s.stacks.Detector.Role) {
		for _, a := range st.actions {
			if isWrite(a) {
				t.Errorf("detector may %s", a)
			}
		}
	}
}

func TestReverterInbox(t *testing.T) {
	s := synth(t, caseRevert)
	r := s.stacks.Reverter
	b, err := json.Marshal(ReverterFilterPolicy())
	if err != nil {
		t.Fatal(err)
	}
	// The policy functions/revert's end-to-end test subscribes with.
	if want := `{"decision":["dry-run","revert"],"messageType":["finding"]}`; string(b) != want {
		t.Errorf("reverter filter policy: got %s, want %s", b, want)
	}
	inboxOf(t, s, r.Function, r.Inbox, string(b), 5, 0, 3)
}

func TestAlarmsAndDashboard(t *testing.T) {
	s := synth(t, caseRevert)
	topic := map[string]any{"Ref": logicalID(s.stacks.Main, s.stacks.Operations.Topic)}
	for _, f := range []*Function{s.stacks.Detector.Function, s.stacks.Notifier.Function, s.stacks.Reverter.Function, s.stacks.Reconciler.Function} {
		for _, what := range []string{"Errors", "DeadLetters"} {
			a, ok := s.stacks.Operations.Alarms[f.Name+what]
			if !ok {
				t.Errorf("%s: no %s alarm", f.Name, what)
				continue
			}
			p := props(resource(t, s, a))
			if got := asList(p["AlarmActions"]); len(got) != 1 || !reflect.DeepEqual(got[0], topic) {
				t.Errorf("%s %s alarm actions: got %v, want the alarm topic", f.Name, what, got)
			}
		}
	}
	for _, id := range []string{"detect" + metrics.BaselineErrors, "notify" + NotifierAlarmOn, "revert" + metrics.RevertFailed, "reconcile" + metrics.ScanErrors} {
		if _, ok := s.stacks.Operations.Alarms[id]; !ok {
			t.Errorf("no alarm %s", id)
		}
	}
	check(t, "email subscription", func() {
		s.main.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
			"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": topic,
		})
	})
	body := fmt.Sprint(props(resource(t, s, s.stacks.Operations.Dashboard))["DashboardBody"])
	for _, m := range slices.Concat(DetectorMetrics, DetectorTimes, NotifierMetrics, ReverterMetrics, ReconcilerMetrics, ReconcilerTimes) {
		if !strings.Contains(body, `"`+m+`"`) {
			t.Errorf("dashboard: no %s", m)
		}
	}
}

func TestDataKeptUnlessToldOtherwise(t *testing.T) {
	tests := []struct {
		c    synthCase
		want string
	}{{caseDefault, "Retain"}, {caseRevert, "Delete"}}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			for _, c := range []constructs.IConstruct{s.stacks.Stores.History, s.stacks.Stores.Baselines, s.stacks.Stores.Key} {
				if got := resource(t, s, c)["DeletionPolicy"]; got != tt.want {
					t.Errorf("%s: DeletionPolicy: got %v, want %s", *c.Node().Path(), got, tt.want)
				}
			}
		})
	}
}

func TestTrailUnlessOneExists(t *testing.T) {
	s := synth(t, caseDefault)
	if s.stacks.Trail == nil {
		t.Fatal("no trail, and the settings say none exists")
	}
	check(t, "trail", func() {
		s.main.HasResourceProperties(jsii.String("AWS::CloudTrail::Trail"), map[string]any{
			"IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true, "IsLogging": true, "EnableLogFileValidation": true,
		})
	})
	if synth(t, casePinned).stacks.Trail != nil {
		t.Error("a trail, and the settings say one exists")
	}
}

// TestCfnLint runs cfn-lint (installed into .venv by make tools) on every
// template of every case, in one call.
func TestCfnLint(t *testing.T) {
	lint := filepath.Join(repoRoot, ".venv", "bin", "cfn-lint")
	if _, err := os.Stat(lint); err != nil {
		path, err := exec.LookPath("cfn-lint")
		if err != nil {
			t.Fatal("cfn-lint is not installed: run `make tools`")
		}
		lint = path
	}
	var templates []string
	for _, c := range allCases {
		s := synth(t, c)
		for name := range s.templates {
			templates = append(templates, filepath.Join(s.outdir, name+".template.json"))
		}
	}
	args := append([]string{"--format", "parseable", "--non-zero-exit-code", "error", "--"}, templates...)
	out, err := exec.Command(lint, args...).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		if strings.Contains(line, ":E") {
			t.Errorf("cfn-lint: %s", line)
		} else {
			t.Logf("cfn-lint: %s", line)
		}
	}
	if err != nil && !t.Failed() {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
	t.Logf("cfn-lint: %d templates checked", len(templates))
}
