package infra

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// Stacks is the app: the main stack and what is in it, and the forwarder
// stack when one is needed.
type Stacks struct {
	Main awscdk.Stack
	// Forwarder forwards IAM's events from us-east-1; nil when the main
	// stack is in us-east-1 or is environment-agnostic.
	Forwarder awscdk.Stack
	Stores    *Stores
	Detector  *Detector
	Routing   *Routing
	// BaselineWatch sends writes to the baseline object to the detector.
	BaselineWatch *BaselineWatch
	Operations    *Operations
	// Trail is nil when the settings say a trail exists.
	Trail    *Trail
	Notifier *Notifier
	// Reverter is nil unless the mode is revert.
	Reverter   *Reverter
	Reconciler *Reconciler
	// Tamper watches the watcher (tamper.go).
	Tamper *TamperWatch
	// Heartbeat is the dead man's switch (heartbeat.go).
	Heartbeat *Heartbeat
	// SecurityHub is nil unless the securityHub setting is true.
	SecurityHub *SecurityHubForwarder
	// Members is nil unless member accounts are watched (organization.go).
	Members *Members
	// Interact is nil unless slackSigningSecretArn is set.
	Interact *Interact
}

// Functions lists the functions the settings deploy, by their directory
// under functions/: their assets must be built before synthesis.
func Functions(s Settings) []string {
	fns := []string{"detect", "notify", "reconcile"}
	if s.Mode == ModeRevert {
		fns = append(fns, "revert")
	}
	if s.SecurityHub {
		fns = append(fns, "securityhub")
	}
	if s.SlackSigningSecretARN != "" {
		fns = append(fns, "interact")
	}
	return fns
}

// CheckAssets reports every function asset the settings need and that is
// missing, with the command that builds them.
func CheckAssets(s Settings) error {
	var missing []string
	for _, fn := range Functions(s) {
		if _, err := AssetPath(s.AssetsDir, fn); err != nil {
			missing = append(missing, filepath.Join(s.AssetsDir, fn, "bootstrap"))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("function assets missing: %v: run `make build`, which builds every functions/<name>", missing)
	}
	return nil
}

// NewStacks composes eksdrift in app. The settings must come from
// ReadSettings and the assets must exist (CheckAssets).
func NewStacks(app constructs.Construct, s Settings) *Stacks {
	props := &awscdk.StackProps{
		Description: jsii.String("eksdrift: detects drift in who can access Amazon EKS clusters (detector, history, findings, alarms)"),
	}
	if s.Pinned() {
		props.Env = &awscdk.Environment{Account: jsii.String(s.Account), Region: jsii.String(s.Region)}
	}
	main := awscdk.NewStack(app, jsii.String(s.StackName), props)
	awscdk.Tags_Of(app).Add(jsii.String("project"), jsii.String("eksdrift"), nil)
	out := &Stacks{Main: main}
	scope := Scope{Clusters: s.Clusters, Roles: s.Roles, Users: s.Users}

	// With slackAccept the interaction endpoint writes the baseline: its
	// role is made first, so that the stores' policies exempt it as they
	// exempt the writers (writers.go). It is no deployer (tamper.go reads
	// the settings' writers, not these).
	writers := s.BaselineWriters
	var acceptRole awsiam.Role
	if s.SlackAccept {
		acceptRole = NewFunctionRole(main, "InteractAcceptRole", "interact")
		writers = append(slices.Clone(writers), *acceptRole.RoleArn())
	}
	out.Stores = NewStores(main, "Stores", StoresProps{Retain: s.RetainData, BaselineWriters: writers})
	if !s.RetainData {
		makeAutoDeleteExplicit(main)
	}
	out.Operations = NewOperations(main, "Operations", OperationsProps{
		Key: out.Stores.Key, Email: s.AlarmEmail, Namespace: s.MetricsNamespace,
	})
	out.Detector = NewDetector(main, "Detector", DetectorProps{
		Stores: out.Stores, Scope: scope, BaselineKey: s.BaselineKey, Settings: s,
	})
	out.Operations.Watch(out.Detector.Function, DetectorMetrics, DetectorTimes, []string{metrics.BaselineErrors})
	out.Routing = NewRouting(main, "Routing", out.Detector.Function)
	out.BaselineWatch = NewBaselineWatch(main, "BaselineWatch", out.Stores, s.BaselineKey, out.Detector.Function)
	NewAuditLogSubscriptions(main, "AuditLogs", out.Detector.Function, s.AuditLogClusters)

	out.Notifier = NewNotifier(main, "Notifier", NotifierProps{Stores: out.Stores, Settings: s})
	out.Operations.Watch(out.Notifier.Function, NotifierMetrics, nil, []string{NotifierAlarmOn})
	if s.Mode == ModeRevert {
		out.Reverter = NewReverter(main, "Reverter", ReverterProps{
			Stores: out.Stores, Scope: scope, BaselineKey: s.BaselineKey, Settings: s,
		})
		out.Operations.Watch(out.Reverter.Function, ReverterMetrics, nil, []string{metrics.RevertFailed})
		// The detector records the reverter's own changes as remediation.
		out.Detector.Fn.AddEnvironment(jsii.String(config.EnvReverterRoleARN), out.Reverter.Role.RoleArn(), nil)
	}
	// The sweep records what no event reported, through the detector's
	// path: it gets the detector's remediator too.
	out.Reconciler = NewReconciler(main, "Reconciler", ReconcilerProps{
		Stores: out.Stores, Scope: scope, BaselineKey: s.BaselineKey, Settings: s,
	})
	out.Operations.Watch(out.Reconciler.Function, ReconcilerMetrics, ReconcilerTimes, []string{metrics.ScanErrors})
	if out.Reverter != nil {
		out.Reconciler.Fn.AddEnvironment(jsii.String(config.EnvReverterRoleARN), out.Reverter.Role.RoleArn(), nil)
	}
	if s.SecurityHub {
		out.SecurityHub = NewSecurityHubForwarder(main, "SecurityHub", SecurityHubProps{Stores: out.Stores, Settings: s})
		out.Operations.Watch(out.SecurityHub.Function, SecurityHubMetrics, nil, nil)
	}
	if s.Organization.Enabled() {
		out.Members = NewMembers(main, "Members", out, s)
	}
	if s.SlackSigningSecretARN != "" {
		out.Interact = NewInteract(main, "Interact", InteractProps{Stores: out.Stores, BaselineKey: s.BaselineKey, Settings: s, Reverter: out.Reverter, AcceptRole: acceptRole})
		if s.Organization.Enabled() {
			grantInteractMembers(out.Interact.Function, out.Stores, s)
		}
		out.Operations.Watch(out.Interact.Function, nil, nil, nil)
		notifierInteractive(out.Notifier, out.Stores, acceptRole != nil)
	}
	if !s.ExistingTrail {
		out.Trail = NewTrail(main, "Trail", out.Stores.AccessLogs, s.RetainData)
	}
	// Calls against all of the above are tamper (tamper.go).
	out.Tamper = NewTamperWatch(main, "TamperWatch", out, s)
	// Silence is an alarm (heartbeat.go).
	out.Heartbeat = NewHeartbeat(main, "Heartbeat", out, s)
	// Only these functions publish findings (publishers.go).
	restrictPublishers(out)

	switch {
	case !s.Pinned():
		awscdk.Annotations_Of(main).AddWarningV2(jsii.String("eksdrift:iam-forwarder"), jsii.String(
			"environment-agnostic: IAM's events reach EventBridge in us-east-1 only. Deployed in us-east-1 this stack "+
				"sees them; anywhere else, synthesize with -c account=... -c region=... (make deploy does) to add the forwarder stack."), nil)
	case s.Region != routing.IAMRegion:
		out.Forwarder = NewIAMForwarder(app, s.StackName+"-iam-forwarder", s)
		out.Forwarder.AddStackDependency(main, jsii.String("the forwarder targets the detector's bus and rules"))
	}

	outputs(main, out, s)
	return out
}

func outputs(stack awscdk.Stack, out *Stacks, s Settings) {
	output := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	output("BaselineBucket", "The bucket the baseline goes in", out.Stores.Baselines.BucketName())
	output("BaselineUpload", "Upload (or replace) the baseline with", awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("aws s3 cp baseline.yaml s3://"), out.Stores.Baselines.BucketName(), jsii.String("/" + s.BaselineKey),
	}))
	output("HistoryTable", "The findings history (DynamoDB)", out.Stores.History.TableName())
	output("FindingsTopic", "Subscribe here to receive every finding (filter on its message attributes)", out.Stores.Findings.TopicArn())
	output("ChatbotTopic", "Subscribe AWS Chatbot to this topic", out.Stores.Chatbot.TopicArn())
	output("AlarmTopic", "eksdrift's own alarms", out.Operations.Topic.TopicArn())
	output("Dashboard", "The CloudWatch dashboard", out.Operations.Dashboard.DashboardName())
	output("DetectorFunction", "The detector function", out.Detector.Fn.FunctionName())
	output("ReconcileFunction", "The reconcile sweep (invoke it to sweep now)", out.Reconciler.Fn.FunctionName())
	tamperOutputs(stack, out, s) // tamper.go
	interactOutputs(stack, out)
}
