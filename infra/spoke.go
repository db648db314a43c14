package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lookup"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// The spoke template's parameters: what it needs of the security account
// that only exists once the main stack is deployed. The StackSet passes
// them.
const (
	SpokeParamDetectorRole  = "DetectorRoleArn"
	SpokeParamReconcileRole = "ReconcileRoleArn"
	SpokeParamReverterRole  = "ReverterRoleArn"
	SpokeParamExternalID    = "ExternalId"
)

// SpokeStackName is the spoke's stack name when it is synthesized on its
// own (SynthSpoke); the StackSet names its instances itself.
const SpokeStackName = "EksDriftSpoke"

// spokeForwards reports whether a routing rule is one a member account
// forwards: EKS's calls and IAM's. Identity Center's permission sets live
// in the organization's management (or delegated administrator) account,
// not in the members.
func spokeForwards(r routing.Rule) bool {
	src, _ := r.Pattern["source"].([]string)
	return slices.Contains(src, "aws.eks") || slices.Contains(src, "aws.iam")
}

// The calls the member accounts' read role allows: the detector's
// live-state reads, the sweep's (eks.ScanActions but eks:ListClusters, as
// the hub's reconciler: the sweep reads the clusters the baseline names,
// and ListClusters would need Resource "*") and the users' (the detector's
// reads and the sweep's iam.UserScanActions); and the catch-up's
// cloudtrail:LookupEvents (NewSpoke). Nothing else: no write, no read of
// anything else.
var (
	spokeEKSRead     = union(eksReadActions, reconcileScanActions)
	spokeIAMRead     = union(iamRoleReadActions, iam.ScanActions)
	spokeIAMUserRead = union(iamUserReadActions, iam.UserScanActions)
)

func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, a := range l {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// Spoke is what each member account gets in each region of the StackSet.
type Spoke struct {
	Stack awscdk.Stack
	// ReadRole is nil and RevertRole too outside routing.IAMRegion at
	// deployment (a condition), and RevertRole outside revert mode.
	ReadRole, RevertRole awsiam.Role
	Forwarder            awsiam.Role
	Rules                map[string]awsevents.Rule
}

// NewSpoke makes the spoke stack in scope. It is environment-agnostic:
// one template for every account and region of the StackSet. Conditions
// make the EKS rules in the watched regions only, and IAM's rules and the
// two (global, named) roles in routing.IAMRegion only.
func NewSpoke(scope constructs.Construct, id string, s Settings) *Spoke {
	o := s.Organization
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Description: jsii.String(fmt.Sprintf("eksdrift spoke: forwards EKS and IAM access events to %s in %s; the roles eksdrift's functions assume", s.Account, s.Region)),
		// Member accounts are not bootstrapped: the template has no asset
		// and no bootstrap version check.
		Synthesizer: awscdk.NewBootstraplessSynthesizer(nil),
	})
	sp := &Spoke{Stack: stack, Rules: map[string]awsevents.Rule{}}
	param := func(id, description string, noEcho bool, min float64) awscdk.CfnParameter {
		return awscdk.NewCfnParameter(stack, jsii.String(id), &awscdk.CfnParameterProps{
			Type: jsii.String("String"), Description: jsii.String(description), NoEcho: jsii.Bool(noEcho), MinLength: jsii.Number(min),
		})
	}
	detector := param(SpokeParamDetectorRole, "The security account's detector function role", false, 20)
	reconcile := param(SpokeParamReconcileRole, "The security account's reconcile function role", false, 20)
	externalID := param(SpokeParamExternalID, "The sts:ExternalId eksdrift's roles require", true, 16)

	iamRegion := awscdk.NewCfnCondition(stack, jsii.String("IsIAMRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(stack.Region(), jsii.String(routing.IAMRegion)),
	})
	watched := awscdk.NewCfnCondition(stack, jsii.String("IsWatchedRegion"), &awscdk.CfnConditionProps{
		Expression: regionIn(o.Regions),
	})

	bus := awsevents.EventBus_FromEventBusArn(stack, jsii.String("SecurityAccountBus"), jsii.String(
		fmt.Sprintf("arn:%s:events:%s:%s:event-bus/default", *stack.Partition(), s.Region, s.Account)))
	// The spoke names its rules, queues and forwarding role (drift.SpokePrefix)
	// so that its tamper rules, and the hub's, can pin them in any
	// account; the role, global, carries its region.
	sp.Forwarder = awsiam.NewRole(stack, jsii.String("ForwarderRole"), &awsiam.RoleProps{
		RoleName:    awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(drift.SpokePrefix + "forwarder-"), stack.Region()}),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("eksdrift spoke: puts this account's access events on the security account's bus"),
	})
	// forward makes a rule that forwards to the security account's bus,
	// on cond (nil: every region of the StackSet), with dlq, or a queue
	// of its own on the rule's condition when dlq is nil: the queue's
	// policy names its rule, which exists in the rule's regions only.
	forward := func(rule routing.Rule, cond awscdk.CfnCondition, dlq awssqs.Queue, description string) awsevents.Rule {
		if dlq == nil {
			dlq = spokeQueue(stack, rule.Name+"-dead-letters")
			if cond != nil {
				onCondition(dlq, cond)
			}
		}
		r := awsevents.NewRule(stack, jsii.String(rule.Name), &awsevents.RuleProps{
			RuleName:     jsii.String(drift.SpokePrefix + rule.Name),
			Description:  jsii.String(fmt.Sprintf("eksdrift %s: %s, to the security account's default bus in %s", rule.Name, description, s.Region)),
			EventPattern: eventPattern(rule.Pattern),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{
				Role: sp.Forwarder, DeadLetterQueue: dlq,
			})},
		})
		if cond != nil {
			onCondition(r, cond)
		}
		sp.Rules[rule.Name] = r
		return r
	}
	for _, rule := range routing.Rules() {
		if !spokeForwards(rule) {
			continue
		}
		cond := watched
		if rule.Region == routing.IAMRegion {
			cond = iamRegion
		}
		forward(rule, cond, nil, "forward access changes")
	}
	// The calls on the spoke's own resources, for the hub to judge as
	// tamper: in every region of the StackSet (each has a forwarding rule
	// and the stack), sharing one queue; the roles', in IAM's region.
	tamperDLQ := spokeQueue(stack, routing.RuleSpokeTamper+"-dead-letters")
	for _, rule := range routing.SpokeTamperRules(spokeScope(s), false) {
		if rule.Region == routing.IAMRegion {
			forward(rule, iamRegion, nil, "forward calls on eksdrift's spoke roles")
		} else {
			forward(rule, nil, tamperDLQ, "forward calls on eksdrift's spoke")
		}
	}

	trust := func(principals ...awscdk.CfnParameter) awsiam.IPrincipal {
		var ps []awsiam.IPrincipal
		for _, p := range principals {
			ps = append(ps, awsiam.NewArnPrincipal(p.ValueAsString()))
		}
		cond := map[string]any{"sts:ExternalId": externalID.ValueAsString()}
		if o.ID != "" {
			cond["aws:PrincipalOrgID"] = o.ID
		}
		return awsiam.NewCompositePrincipal(ps...).WithConditions(&map[string]any{"StringEquals": cond})
	}
	scope2 := Scope{Clusters: s.Clusters, Roles: s.Roles, Users: s.Users}
	sp.ReadRole = awsiam.NewRole(stack, jsii.String("ReadRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(config.DefaultMemberReadRole),
		AssumedBy:   trust(detector, reconcile),
		Description: jsii.String("eksdrift: reads who can reach this account's EKS clusters (the security account's detector and sweep)"),
	})
	grantSpokeRead(sp.ReadRole, stack, scope2, o.Regions)
	// The reconcile function's catch-up looks up this account's events
	// through the read role (missed events, and calls on the spoke made
	// while its rules forwarded nothing).
	sp.ReadRole.AddToPrincipalPolicy(allow(lookup.Actions, []*string{jsii.String("*")}))
	suppress(sp.ReadRole, "AwsSolutions-IAM5",
		"cloudtrail:LookupEvents has no resource-level permissions: IAM accepts it only on Resource \"*\". It reads "+
			"this account's management events, the catch-up's only source, and changes nothing.",
		"Resource::*")
	suppressScopeWildcards(sp.ReadRole, scope2)
	onCondition(sp.ReadRole, iamRegion)

	if s.Mode == ModeRevert {
		reverter := param(SpokeParamReverterRole, "The security account's reverter function role", false, 20)
		sp.RevertRole = awsiam.NewRole(stack, jsii.String("RevertRole"), &awsiam.RoleProps{
			RoleName:    jsii.String(config.DefaultMemberRevertRole),
			AssumedBy:   trust(reverter),
			Description: jsii.String("eksdrift: undoes drift on the baseline's clusters and roles of this account (the security account's reverter)"),
		})
		grantSpokeRevert(sp.RevertRole, stack, scope2, o.Regions, s.AllowGrantingAdmin)
		onCondition(sp.RevertRole, iamRegion)
	}
	return sp
}

// spokeQueue is a dead-letter queue of the spoke's forwarding rules, named
// drift.SpokePrefix + id.
func spokeQueue(stack awscdk.Stack, id string) awssqs.Queue {
	q := awssqs.NewQueue(stack, jsii.String(id), &awssqs.QueueProps{
		QueueName:       jsii.String(drift.SpokePrefix + id),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	suppress(q, "AwsSolutions-SQS3",
		"This queue is itself a dead-letter queue: the forwarding rule keeps here the events it could not put on the security account's bus.")
	return q
}

// spokeRoles are the spoke's roles of fixed names.
func spokeRoles(s Settings) []string {
	roles := []string{config.DefaultMemberReadRole}
	if s.Mode == ModeRevert {
		roles = append(roles, config.DefaultMemberRevertRole)
	}
	return roles
}

// spokeScope is what the spoke's own tamper rules pin: this stack, in this
// account.
func spokeScope(s Settings) routing.SpokeScope {
	// The pseudo parameters, not stack.StackName(): the StackSet names
	// each instance itself (StackSet-<name>-<id>).
	return routing.SpokeScope{Account: *awscdk.Aws_ACCOUNT_ID(), StackName: *awscdk.Aws_STACK_NAME(), Roles: spokeRoles(s)}
}

// hubSpokeScope is what the security account's alarm rules pin: the
// StackSet's stack in any member.
func hubSpokeScope(s Settings) routing.SpokeScope {
	return routing.SpokeScope{Account: "*", StackName: drift.SpokeStackPrefix(spokeStackSetName(s)), StackPrefix: true, Roles: spokeRoles(s)}
}

// spokeStackSetName is the StackSet's name.
func spokeStackSetName(s Settings) string { return s.StackName + "-spoke" }

// spokeExecutionRole is the StackSet's execution role in the members, as
// drift.Spoke takes it.
func spokeExecutionRole(o Organization) string {
	if o.ServiceManaged() {
		return drift.ServiceManagedExecutionRolePrefix + "*"
	}
	return o.ExecutionRoleName
}

// regionIn is a condition that holds in any of regions (Fn::Or takes 2 to
// 10 conditions: longer lists nest).
func regionIn(regions []string) awscdk.ICfnConditionExpression {
	var eqs []awscdk.ICfnConditionExpression
	for _, r := range regions {
		eqs = append(eqs, awscdk.Fn_ConditionEquals(awscdk.Aws_REGION(), jsii.String(r)))
	}
	for len(eqs) > 1 {
		var next []awscdk.ICfnConditionExpression
		for i := 0; i < len(eqs); i += 10 {
			chunk := eqs[i:min(i+10, len(eqs))]
			if len(chunk) == 1 {
				next = append(next, chunk[0])
				continue
			}
			next = append(next, awscdk.Fn_ConditionOr(chunk...))
		}
		eqs = next
	}
	return eqs[0]
}

// onCondition puts every CloudFormation resource under c on cond.
func onCondition(c constructs.IConstruct, cond awscdk.CfnCondition) {
	for _, child := range *c.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if *awscdk.CfnResource_IsCfnResource(child) {
			child.(awscdk.CfnResource).CfnOptions().SetCondition(cond)
		}
	}
}

// regionalEKSARNs are the clusters in scope in each region and, with
// children, their access entries, pod identity associations and identity
// provider configurations: the spoke's roles live in one region and reach
// the clusters of every watched region.
func regionalEKSARNs(stack awscdk.Stack, scope Scope, regions []string, children bool) []*string {
	var out []*string
	kinds := []string{"cluster"}
	if children {
		kinds = append(kinds, clusterChildren...)
	}
	for _, c := range scope.Clusters {
		for _, kind := range kinds {
			suffix := "/*"
			if kind == "cluster" {
				suffix = ""
			}
			if strings.HasPrefix(c, "arn:") {
				out = append(out, clusterChildARN(stack, c, kind, suffix))
				continue
			}
			for _, r := range regions {
				out = append(out, stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("eks"), Region: jsii.String(r), Resource: jsii.String(kind), ResourceName: jsii.String(c + suffix),
				}))
			}
		}
	}
	return dedupe(out)
}

func dedupe(ps []*string) []*string {
	var out []*string
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[*p] {
			seen[*p] = true
			out = append(out, p)
		}
	}
	return out
}

// grantSpokeRead is the read role's policy: what the detector, the sweep
// and a capture read, on the scope only.
func grantSpokeRead(role awsiam.Role, stack awscdk.Stack, scope Scope, regions []string) {
	role.AddToPrincipalPolicy(allow(spokeEKSRead, regionalEKSARNs(stack, scope, regions, true)))
	role.AddToPrincipalPolicy(allow(spokeIAMRead, scope.RoleARNs(stack)))
	role.AddToPrincipalPolicy(allow(iamOIDCReadActions, scope.OIDCProviderARNs(stack)))
	role.AddToPrincipalPolicy(allow(spokeIAMUserRead, scope.UserARNs(stack)))
}

// grantSpokeRevert is the revert role's policy: the hub reverter's reads,
// writes and explicit denies (reverter.go), on this account's scope.
func grantSpokeRevert(role awsiam.Role, stack awscdk.Stack, scope Scope, regions []string, allowGrantingAdmin bool) {
	grantSpokeRead(role, stack, scope, regions)
	role.AddToPrincipalPolicy(allow(eksClusterReadActions, regionalEKSARNs(stack, scope, regions, false)))
	role.AddToPrincipalPolicy(allow(eksWriteActions, regionalEKSARNs(stack, scope, regions, true)))
	role.AddToPrincipalPolicy(allow(iamWriteActions, scope.RoleARNs(stack)))
	role.AddToPrincipalPolicy(allow(userWriteActions, scope.UserARNs(stack)))
	role.AddToPrincipalPolicy(allow(groupWriteActions, scope.GroupARNs(stack)))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("iam:PassRole"),
		Resources:  jsii.Strings(derefAll(scope.RoleARNs(stack))...),
		Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "pods.eks.amazonaws.com"}},
	}))
	role.AddToPrincipalPolicy(allow(oidcWriteActions, scope.OIDCProviderARNs(stack)))
	for _, st := range reverterDenies(stack, scope, allowGrantingAdmin) {
		role.AddToPrincipalPolicy(st)
	}
	suppress(role, "AwsSolutions-IAM5",
		"iam:RemoveUserFromGroup is authorised on the group, and the group a user was added to is the drift: any "+
			"group of this account may be it. The call only takes a user out of a group.",
		`/^Resource::arn:.+:iam::.+:group\/\*$/`)
	suppress(role, "AwsSolutions-IAM5",
		"iam:DeleteOpenIDConnectProvider undoes an OIDC provider the baseline does not list; providers are named by "+
			"their issuer URL, and oidc-provider/* reaches this account's providers and nothing else.",
		`/^Resource::arn:.+:iam::.+:oidc-provider\/\*$/`)
	suppressScopeWildcards(role, scope)
}

// SynthSpoke synthesizes the spoke on its own (an app of its own, so that
// `cdk deploy --all` never deploys it into the security account) and
// returns its template, which the StackSet deploys. cdk-nag's AWS
// Solutions rules run on it; an unsuppressed error panics, as it fails a
// `cdk synth` of the main stacks.
func SynthSpoke(s Settings) map[string]any {
	dir, err := os.MkdirTemp("", "eksdrift-spoke-")
	if err != nil {
		panic("infra: spoke template: " + err.Error())
	}
	defer os.RemoveAll(dir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), AnalyticsReporting: jsii.Bool(false)})
	NewSpoke(app, SpokeStackName, s)
	CheckNag(app)
	asm := app.Synth(nil)
	art := asm.GetStackByName(jsii.String(SpokeStackName))
	var errs []string
	for _, m := range *art.Messages() {
		//lint:ignore SA1019 Messages returns cxapi.SynthesisMessage, and the CDK's Go binding has no other type for it yet
		if m.Level == cxapi.SynthesisMessageLevel_ERROR {
			//lint:ignore SA1019 as above
			errs = append(errs, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
		}
	}
	if len(errs) > 0 {
		panic("infra: spoke template: " + strings.Join(errs, "; "))
	}
	b, err := json.Marshal(art.Template())
	if err != nil {
		panic("infra: spoke template: " + err.Error())
	}
	var tpl map[string]any
	if err := json.Unmarshal(b, &tpl); err != nil {
		panic("infra: spoke template: " + err.Error())
	}
	return tpl
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
