package infra

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// Context keys of the tamper kind.
const (
	// CtxDeployers names the principals that redeploy eksdrift (their
	// UpdateStack is not tamper, nor CloudFormation's calls through them);
	// default the baselineWriters. The CDK bootstrap's CloudFormation
	// execution role is always one.
	CtxDeployers = "deployers"
	// CtxExistingTrailARN names the existing trail that feeds eksdrift
	// (implies existingTrail): tamper with it is critical. With
	// existingTrail and no ARN, tamper with any trail is.
	CtxExistingTrailARN = "existingTrailArn"
)

// TamperAlarmTemplate is the e-mail the tamper alarm rule sends, an
// EventBridge input template over the event's fields that AWS sets.
const TamperAlarmTemplate = `"eksdrift TAMPER (critical): <eventName> (<eventSource>) by <actor> from <sourceIp>, in account <account>, ` +
	`region <region>, at <time>. Someone changed eksdrift's own deployment or the trail it reads: eksdrift may be blind. ` +
	`This alarm comes straight from EventBridge, not through the detector. CloudTrail event ID: <eventId>."`

// eventsService is the service principal of EventBridge's rule targets.
const eventsService = "events.amazonaws.com"

var trailARN = regexp.MustCompile(`^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]+$`)

// readTamperSettings reads the tamper kind's settings into s.
func readTamperSettings(p *ctxParser, ctx ContextReader, s *Settings) {
	s.Deployers = p.list(ctx, CtxDeployers, nil)
	s.HeartbeatMinutes = p.integer(ctx, CtxHeartbeatMinutes, 15)
	if s.HeartbeatMinutes < 1 || s.HeartbeatMinutes > 720 {
		p.errorf("%s=%d: give a number of minutes from 1 to 720", CtxHeartbeatMinutes, s.HeartbeatMinutes)
	}
	s.ExistingTrailARN = p.str(ctx, CtxExistingTrailARN, "")
	if s.ExistingTrailARN != "" {
		s.ExistingTrail = true
		if !trailARN.MatchString(s.ExistingTrailARN) {
			p.errorf("%s=%q is not a trail's ARN (arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME)", CtxExistingTrailARN, s.ExistingTrailARN)
		}
	}
	for _, d := range s.Deployers {
		if !writerARN.MatchString(d) || strings.ContainsAny(d, "*?") {
			p.errorf("%s: %q is not the ARN of an IAM role or user (arn:aws:iam::ACCOUNT:role/PATH/NAME or :user/NAME)", CtxDeployers, d)
		}
	}
}

// TamperWatch watches the watcher: every tamper call goes to the detector
// (RuleTamperCalls), and those on eksdrift's own resources also go,
// through an input transformer, straight to the alarm topic
// (RuleTamperAlarm), so that a tamper finding reaches people even when
// the detector was the target. The detector learns its own resources from
// EKSDRIFT_DEPLOYMENT.
type TamperWatch struct {
	constructs.Construct
	// Calls sends tamper calls to the detector; Alarm to the alarm topic.
	Calls  awsevents.Rule
	Alarms []awsevents.CfnRule
	// Deployers are the ARNs (tokens included) whose redeploys are not
	// tamper.
	Deployers []*string
}

// NewTamperWatch makes the tamper rules and gives the detector its
// deployment. out must hold every function, the stores and the trail.
func NewTamperWatch(scope constructs.Construct, id string, out *Stacks, s Settings) *TamperWatch {
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	st, det := out.Stores, out.Detector
	w := &TamperWatch{Construct: c, Deployers: deployers(stack, s)}

	calls := routing.TamperRules()[0]
	w.Calls = awsevents.NewRule(c, jsii.String(calls.Name), &awsevents.RuleProps{
		Description:  jsii.String("eksdrift " + calls.Name + ": calls that could blind eksdrift, to the detect function"),
		EventPattern: eventPattern(calls.Pattern),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(det.Fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: det.DLQ,
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
			RetryAttempts:   jsii.Number(185),
		})},
	})

	alarms := routing.TamperAlarmRules(routing.TamperScope{
		StackName: *stack.StackName(), Partition: *stack.Partition(), Region: *stack.Region(), Account: *stack.Account(),
		Bucket: *st.Baselines.BucketName(),
		Topics: []string{*st.Findings.TopicArn(), *st.Chatbot.TopicArn(), *out.Operations.Topic.TopicArn()},
		Table:  *st.History.TableName(), TableARN: *st.History.TableArn(),
		KeyID: *st.Key.KeyId(), KeyARN: *st.Key.KeyArn(),
	})
	if s.Organization.Enabled() {
		// The members' spokes forward the calls on their own resources
		// to this bus (spoke.go): mailed too, from any member.
		alarms = append(alarms, routing.SpokeTamperRules(hubSpokeScope(s), true)...)
	}
	// Only fields AWS sets go in the message (no request parameters, no
	// user agent): nothing in it is the attacker's text. EventBridge
	// escapes each value into the quoted template.
	paths := map[string]*string{
		"eventName": jsii.String("$.detail.eventName"), "eventSource": jsii.String("$.detail.eventSource"),
		"actor": jsii.String("$.detail.userIdentity.arn"), "sourceIp": jsii.String("$.detail.sourceIPAddress"),
		"account": jsii.String("$.account"), "region": jsii.String("$.region"), "time": jsii.String("$.time"),
		"eventId": jsii.String("$.detail.eventID"),
	}
	var arns []any
	for _, alarm := range alarms {
		var pattern map[string]any
		if err := json.Unmarshal([]byte(alarm.Pattern.JSON()), &pattern); err != nil {
			panic("infra: tamper alarm pattern: " + err.Error())
		}
		// L1 rules: the L2 SNS target grants EventBridge
		// kms:GenerateDataKey* on the topic's key, a wildcard action, and
		// lets any rule publish.
		r := awsevents.NewCfnRule(c, jsii.String(alarm.Name), &awsevents.CfnRuleProps{
			Description:  jsii.String("eksdrift " + alarm.Name + ": calls on eksdrift's own resources, straight to the alarm topic"),
			EventPattern: pattern,
			State:        jsii.String("ENABLED"),
			Targets: &[]any{&awsevents.CfnRule_TargetProperty{
				Id:  jsii.String("AlarmTopic"),
				Arn: out.Operations.Topic.TopicArn(),
				InputTransformer: &awsevents.CfnRule_InputTransformerProperty{
					InputPathsMap: &paths,
					InputTemplate: jsii.String(TamperAlarmTemplate),
				},
			}},
		})
		w.Alarms = append(w.Alarms, r)
		arns = append(arns, r.AttrArn())
	}
	out.Operations.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("TheTamperAlarmRulesPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(eventsService), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{out.Operations.Topic.TopicArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": arns}},
	}))
	// The alarm topic is encrypted: EventBridge needs a data key. The key
	// cannot name the rule (the rule's pattern names the bucket the key
	// encrypts: a cycle); the alarm topic's policy lets this rule alone
	// publish (onlyAlarmsPublish), as the CloudWatch statement relies on
	// it for alarms.
	st.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgeRulesPublishToEncryptedTopic"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(eventsService), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
	}), nil)

	// What the detector knows of its deployment. Its own function and the
	// rules that target it cannot be referenced (a cycle): it knows its
	// function's name from Lambda, and the rules by the stack's name,
	// with which CloudFormation starts every name it makes.
	dep := map[string]any{
		"StackName":         stack.StackName(),
		"Trail":             w.trail(out, s),
		"ReconcileSchedule": out.Reconciler.Schedule.RuleName(),
		"NotifyFunction":    out.Notifier.Fn.FunctionName(),
		"ReconcileFunction": out.Reconciler.Fn.FunctionName(),
		"BaselineBucket":    st.Baselines.BucketName(),
		"HistoryTable":      st.History.TableName(),
		"FindingsTopic":     st.Findings.TopicArn(),
		"ChatbotTopic":      st.Chatbot.TopicArn(),
		"AlarmTopic":        out.Operations.Topic.TopicArn(),
		"Key":               st.Key.KeyArn(),
		"DetectorRole":      det.Role.RoleName(),
		"NotifyRole":        out.Notifier.Role.RoleName(),
		"ReconcileRole":     out.Reconciler.Role.RoleName(),
		"Deployers":         awscdk.Fn_Join(jsii.String(","), &w.Deployers),
	}
	if out.Reverter != nil {
		dep["RevertFunction"], dep["RevertRole"] = out.Reverter.Fn.FunctionName(), out.Reverter.Role.RoleName()
	}
	for k, v := range spokeDeployment(s) {
		dep[k] = v
	}
	det.Fn.AddEnvironment(jsii.String(config.EnvDeployment), stack.ToJsonString(dep, nil), nil)
	// The reconcile function judges the tamper calls its catch-up finds:
	// it knows the same, less what would be a cycle (its own function,
	// known from Lambda, and the schedule that targets it, known by the
	// stack's name).
	rec := map[string]any{}
	for k, v := range dep {
		if k != "ReconcileFunction" && k != "ReconcileSchedule" {
			rec[k] = v
		}
	}
	out.Reconciler.Fn.AddEnvironment(jsii.String(config.EnvDeployment), stack.ToJsonString(rec, nil), nil)
	return w
}

// trail is the trail that feeds eksdrift: the stack's, the one named by
// existingTrailArn, or "*" (any trail) with existingTrail alone.
func (w *TamperWatch) trail(out *Stacks, s Settings) *string {
	switch {
	case out.Trail != nil:
		return out.Trail.Trail.TrailArn()
	case s.ExistingTrailARN != "":
		return jsii.String(s.ExistingTrailARN)
	}
	return jsii.String("*")
}

// deployers are the settings' deployers (default the baseline writers)
// and the CDK bootstrap's roles: the CloudFormation execution role, whose
// calls are a redeploy, and the deploy role, which `cdk deploy` makes its
// CreateChangeSet and ExecuteChangeSet as (whoever may assume it may pass
// the execution role to CloudFormation anyway).
func deployers(stack awscdk.Stack, s Settings) []*string {
	qualifier := "hnb659fds"
	if q, ok := stack.Node().TryGetContext(jsii.String("@aws-cdk/core:bootstrapQualifier")).(string); ok && q != "" {
		qualifier = q
	}
	role := func(name string) *string {
		return awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-"+qualifier+"-"+name+"-${AWS::AccountId}-${AWS::Region}"), nil)
	}
	out := []*string{role("cfn-exec-role"), role("deploy-role")}
	names := s.Deployers
	if len(names) == 0 {
		names = s.BaselineWriters
	}
	for _, d := range names {
		out = append(out, jsii.String(d))
	}
	return out
}

// onlyAlarmsPublish denies sns:Publish on the alarm topic to every
// principal but CloudWatch's alarms and the tamper alarm rules: EventBridge
// publishing for any other rule (one an attacker made, to send a forged
// all-clear) is denied by its aws:SourceArn.
func onlyAlarmsPublish(topic awssns.ITopic, rules []awsevents.CfnRule) {
	var arns []any
	for _, r := range rules {
		arns = append(arns, r.AttrArn())
	}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyCloudWatchAlarmsAndTheTamperRulePublish"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalServiceName": []string{cloudWatchService, eventsService}}},
	}))
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgePublishesForTheTamperRuleOnly"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:PrincipalServiceName": eventsService},
			"ArnNotEquals": map[string]any{"aws:SourceArn": arns},
		},
	}))
}

// tamperOutputs are the outputs `eksdrift replay --deployment` reads
// (drift.DeploymentOutputKeys), beside those every stack has.
func tamperOutputs(stack awscdk.Stack, out *Stacks, s Settings) {
	// In a scope of their own, their logical IDs set to the keys: the
	// stack already has a construct named Trail.
	scope := constructs.NewConstruct(stack, jsii.String("TamperOutputs"))
	output := func(id, description string, value *string) {
		o := awscdk.NewCfnOutput(scope, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
		o.OverrideLogicalId(jsii.String(id))
	}
	w := out.Tamper
	output("StackName", "This stack's name: what CloudFormation starts the names it makes with", stack.StackName())
	output("Trail", "The trail that feeds eksdrift (* for any trail)", w.trail(out, s))
	output("EksRule", "The detector's rule for EKS calls", out.Routing.Rules["eks-access-changes"].RuleName())
	output("IamRule", "The detector's rule for IAM calls", out.Routing.Rules["iam-access-changes"].RuleName())
	output("TamperRule", "The detector's rule for tamper calls", w.Calls.RuleName())
	names := make([]*string, len(w.Alarms))
	for i, r := range w.Alarms {
		names[i] = r.Ref()
	}
	output("TamperAlarmRules", "The rules that send tamper calls straight to the alarm topic (comma-separated)", awscdk.Fn_Join(jsii.String(","), &names))
	output("ReconcileSchedule", "The reconcile sweep's schedule", out.Reconciler.Schedule.RuleName())
	output("NotifyFunction", "The notifier function", out.Notifier.Fn.FunctionName())
	output("Key", "The key that encrypts the baselines, the history and the topics", out.Stores.Key.KeyArn())
	output("DetectorRole", "The detector's role", out.Detector.Role.RoleName())
	output("NotifyRole", "The notifier's role", out.Notifier.Role.RoleName())
	output("ReconcileRole", "The reconcile sweep's role", out.Reconciler.Role.RoleName())
	if out.Reverter != nil {
		output("RevertFunction", "The reverter function", out.Reverter.Fn.FunctionName())
		output("RevertRole", "The reverter's role", out.Reverter.Role.RoleName())
	}
	output("HeartbeatSchedule", "The heartbeat's rule", out.Heartbeat.Rule.RuleName())
	output("Deployers", "Who redeploys eksdrift: not tamper when through CloudFormation (comma-separated ARNs)", awscdk.Fn_Join(jsii.String(","), &w.Deployers))
	spoke := spokeDeployment(s)
	for _, k := range drift.SpokeOutputKeys {
		if v, ok := spoke[k]; ok {
			output(k, "The member accounts' spoke (drift.SpokeOutputKeys)", jsii.String(v))
		}
	}
}

// spokeDeployment is what the detector knows of the members' spoke
// (drift.SpokeOutputKeys); empty outside an organization deployment.
func spokeDeployment(s Settings) map[string]string {
	if !s.Organization.Enabled() {
		return nil
	}
	return map[string]string{
		"SpokeStackSet":      spokeStackSetName(s),
		"SpokeRoles":         strings.Join(spokeRoles(s), ","),
		"SpokeExecutionRole": spokeExecutionRole(s.Organization),
	}
}
