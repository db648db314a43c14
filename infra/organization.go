package infra

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/organizations"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// Context keys of an organization deployment (docs/deploy.md, "Deploying
// to an organization"): the member accounts get the spoke stack (spoke.go)
// through a StackSet, the default bus accepts their events, and the
// functions may assume the spoke's roles.
const (
	// CtxOrganizationID is the organization (o-...) whose accounts are
	// watched: the StackSet is service-managed, the roles and the bus
	// check aws:PrincipalOrgID.
	CtxOrganizationID = "organizationId"
	// CtxOrganizationalUnits are the OUs (or the root, r-...) the StackSet
	// deploys to, and deploys again to every account that joins them.
	CtxOrganizationalUnits = "organizationalUnits"
	// CtxMemberAccounts lists member accounts: without an organization,
	// the StackSet is self-managed and targets them; with one, it deploys
	// to those of the OUs' accounts only.
	CtxMemberAccounts = "memberAccounts"
	// CtxRegions are the regions whose EKS events the spokes forward;
	// default the stack's region.
	CtxRegions = "regions"
	// CtxMemberExternalID is the sts:ExternalId the spoke's roles require.
	CtxMemberExternalID = "memberExternalId"
	// CtxStackSetCallAs says whether the stack is deployed in the
	// organization's management account (SELF) or in a delegated
	// administrator account (DELEGATED_ADMIN, the default).
	CtxStackSetCallAs = "stackSetCallAs"
	// CtxStackSetAdminRole and CtxStackSetExecutionRole are the roles of a
	// self-managed StackSet (no organization), which the deployer creates.
	CtxStackSetAdminRole     = "stackSetAdministrationRoleArn"
	CtxStackSetExecutionRole = "stackSetExecutionRoleName"
)

// The StackSet's permission models and callers, as CloudFormation names them.
const (
	callAsSelf          = "SELF"
	callAsDelegated     = "DELEGATED_ADMIN"
	permissionsService  = "SERVICE_MANAGED"
	permissionsSelf     = "SELF_MANAGED"
	defaultAdminRole    = "AWSCloudFormationStackSetAdministrationRole"
	defaultExecutionRle = "AWSCloudFormationStackSetExecutionRole"
)

// Organization is an organization deployment's settings; the zero value
// watches no member account.
type Organization struct {
	// ID is the organization, o-...; "" for a list of accounts alone.
	ID string
	// Units are the OUs (ou-...) or the root (r-...) the StackSet targets.
	Units []string
	// Accounts are the member accounts, 12 digits each, never the stack's own.
	Accounts []string
	// Regions are the regions whose EKS events the spokes forward.
	Regions []string
	// ExternalID is the sts:ExternalId the member roles require.
	ExternalID string
	// CallAs is SELF or DELEGATED_ADMIN (service-managed StackSets only).
	CallAs string
	// AdminRoleARN and ExecutionRoleName are a self-managed StackSet's roles.
	AdminRoleARN, ExecutionRoleName string
}

// Enabled reports whether member accounts are watched.
func (o Organization) Enabled() bool { return o.ID != "" || len(o.Accounts) > 0 }

// ServiceManaged reports whether the StackSet uses Organizations' trusted
// access (and deploys automatically to new accounts of the OUs).
func (o Organization) ServiceManaged() bool { return o.ID != "" }

// SpokeRegions are the regions the StackSet deploys to: the watched
// regions, and routing.IAMRegion, where IAM's events and the spoke's
// (global) roles are.
func (o Organization) SpokeRegions() []string {
	out := slices.Clone(o.Regions)
	if !slices.Contains(out, routing.IAMRegion) {
		out = append(out, routing.IAMRegion)
	}
	return out
}

var (
	orgIDRE      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	ouRE         = regexp.MustCompile(`^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$`)
	externalIDRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@:/_-]+$`)
	iamNameRE    = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
)

// readOrganization reads and checks the organization settings; s has the
// stack's account and region already.
func readOrganization(p *ctxParser, ctx ContextReader, s Settings) Organization {
	defRegions := []string{}
	if s.Region != "" {
		defRegions = []string{s.Region}
	}
	o := Organization{
		ID:                p.str(ctx, CtxOrganizationID, ""),
		Units:             p.list(ctx, CtxOrganizationalUnits, nil),
		Accounts:          p.list(ctx, CtxMemberAccounts, nil),
		Regions:           p.list(ctx, CtxRegions, defRegions),
		ExternalID:        p.str(ctx, CtxMemberExternalID, ""),
		CallAs:            p.str(ctx, CtxStackSetCallAs, callAsDelegated),
		AdminRoleARN:      p.str(ctx, CtxStackSetAdminRole, ""),
		ExecutionRoleName: p.str(ctx, CtxStackSetExecutionRole, defaultExecutionRle),
	}
	checkOrganizationValues(p, o, s.Account)
	if !o.Enabled() {
		for _, k := range []string{CtxOrganizationalUnits, CtxMemberExternalID, CtxStackSetAdminRole} {
			if p.given(ctx, k) {
				p.errorf("%s is set but neither %s nor %s is: it would watch no member account", k, CtxOrganizationID, CtxMemberAccounts)
			}
		}
		return Organization{}
	}
	checkOrganizationShape(p, o, s)
	return o
}

// checkOrganizationValues checks each organization setting on its own.
func checkOrganizationValues(p *ctxParser, o Organization, account string) {
	if o.ID != "" && !orgIDRE.MatchString(o.ID) {
		p.errorf("%s=%q is not an organization ID (o- and 10 to 32 lower-case letters or digits)", CtxOrganizationID, o.ID)
	}
	for _, u := range o.Units {
		if !ouRE.MatchString(u) {
			p.errorf("%s: %q is not an organizational unit ID (ou-xxxx-xxxxxxxx) or a root ID (r-xxxx)", CtxOrganizationalUnits, u)
		}
	}
	for _, a := range o.Accounts {
		switch {
		case !accountRE.MatchString(a):
			p.errorf("%s: %q is not a 12-digit account ID", CtxMemberAccounts, a)
		case a == account:
			p.errorf("%s: %q is the stack's own account: the security account is watched by the stack itself, not by a spoke", CtxMemberAccounts, a)
		}
	}
	for _, r := range o.Regions {
		if !regionRE.MatchString(r) {
			p.errorf("%s: %q is not a region such as eu-west-1", CtxRegions, r)
		}
	}
	if o.CallAs != callAsSelf && o.CallAs != callAsDelegated {
		p.errorf("%s=%q is not one of %s (the management account), %s (a delegated administrator)", CtxStackSetCallAs, o.CallAs, callAsSelf, callAsDelegated)
	}
	if !iamNameRE.MatchString(o.ExecutionRoleName) {
		p.errorf("%s=%q is not an IAM role name", CtxStackSetExecutionRole, o.ExecutionRoleName)
	}
	if o.AdminRoleARN != "" && !writerARN.MatchString(o.AdminRoleARN) || strings.Contains(o.AdminRoleARN, ":user/") {
		p.errorf("%s=%q is not the ARN of an IAM role", CtxStackSetAdminRole, o.AdminRoleARN)
	}
}

// checkOrganizationShape checks that the settings of an organization
// deployment go together.
func checkOrganizationShape(p *ctxParser, o Organization, s Settings) {
	if s.Account == "" || s.Region == "" {
		p.errorf("%s/%s need the stack pinned to its account and region (-c %s=... -c %s=...): the spokes forward to this account's bus and trust its roles",
			CtxOrganizationID, CtxMemberAccounts, CtxAccount, CtxRegion)
	}
	if len(o.Regions) == 0 {
		p.errorf("%s is empty: give the regions whose EKS clusters the member accounts run", CtxRegions)
	}
	if o.ID != "" && len(o.Units) == 0 {
		p.errorf("%s=%s needs %s: the OUs (or the root r-...) the spoke StackSet deploys to", CtxOrganizationID, o.ID, CtxOrganizationalUnits)
	}
	if o.ID == "" && len(o.Units) > 0 {
		p.errorf("%s needs %s: only an organization's StackSet targets OUs", CtxOrganizationalUnits, CtxOrganizationID)
	}
	if o.ID != "" && o.AdminRoleARN != "" {
		p.errorf("%s is for a self-managed StackSet (no %s); a service-managed one uses Organizations' trusted access", CtxStackSetAdminRole, CtxOrganizationID)
	}
	if o.ExternalID == "" {
		p.errorf("%s is not set: give the external ID the member accounts' roles require (16 or more of A-Z a-z 0-9 + = , . @ : / _ -), such as the output of `openssl rand -hex 16`", CtxMemberExternalID)
	} else if len(o.ExternalID) < 16 || len(o.ExternalID) > 1224 || !externalIDRE.MatchString(o.ExternalID) {
		p.errorf("%s: the value given is not 16 to 1224 of A-Z a-z 0-9 + = , . @ : / _ - (%d characters given)", CtxMemberExternalID, len(o.ExternalID))
	}
}

// memberRoleARNs are the ARNs of role name in the member accounts: one per
// listed account, or any account's (the condition then pins the
// organization).
func memberRoleARNs(stack awscdk.Stack, o Organization, name string) []*string {
	accounts := o.Accounts
	if len(accounts) == 0 {
		accounts = []string{"*"}
	}
	var out []*string
	for _, a := range accounts {
		out = append(out, jsii.String(fmt.Sprintf("arn:%s:iam::%s:role/%s", *stack.Partition(), a, name)))
	}
	return out
}

// grantAssumeMemberRole lets f assume role name in the member accounts, and
// tells it where they are (config.EnvMember*, EnvOrganizationID,
// EnvMemberAccounts, EnvRegions).
func grantAssumeMemberRole(f *Function, o Organization, name string) {
	stack := awscdk.Stack_Of(f.Construct)
	props := &awsiam.PolicyStatementProps{
		Sid:       jsii.String("AssumeMemberRole"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: func() *[]*string { r := memberRoleARNs(stack, o, name); return &r }(),
	}
	if o.ID != "" {
		props.Conditions = &map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": o.ID}}
	}
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(props))
	if len(o.Accounts) == 0 {
		suppress(f.Role, "AwsSolutions-IAM5",
			"sts:AssumeRole on the spoke's role of every account of the organization: accounts join the OUs and get "+
				"the spoke automatically, so they cannot be listed; aws:ResourceOrgID keeps it to the organization's accounts, "+
				"and the role's name to eksdrift's own.",
			fmt.Sprintf(`/^Resource::arn:[^:]+:iam::\*:role\/%s$/`, regexp.QuoteMeta(name)))
	}
	if o.ID != "" {
		grantDescribeOrgAccount(f, o)
	}
	for k, v := range memberEnvironment(o) {
		f.Fn.AddEnvironment(jsii.String(k), jsii.String(v), nil)
	}
}

// grantInteractMembers lets the Slack endpoint of an organization
// deployment check a press against the approvers of the finding's own
// account (interact.Handler.BaselineFor): it reads the account files,
// asks Organizations about an account that is not listed
// (wiring.Accounts.Manages) and gets the organization's settings. It
// assumes no member role: it reads no live state and reverts nothing.
func grantInteractMembers(f *Function, st *Stores, s Settings) {
	o := s.Organization
	grantAccountBaselines(f, st, s.BaselineKey, false)
	if o.ID != "" {
		grantDescribeOrgAccount(f, o)
	}
	for k, v := range memberEnvironment(o) {
		f.Fn.AddEnvironment(jsii.String(k), jsii.String(v), nil)
	}
}

// grantDescribeOrgAccount lets f ask Organizations whether an account that
// is not listed is one of the organization's (wiring.OrgMembership), on the
// organization's accounts only.
func grantDescribeOrgAccount(f *Function, o Organization) {
	stack := awscdk.Stack_Of(f.Construct)
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DescribeOrgAccount"),
		Actions:   jsii.Strings("organizations:DescribeAccount"),
		Resources: jsii.Strings(fmt.Sprintf("arn:%s:organizations::*:account/%s/*", *stack.Partition(), o.ID)),
	}))
	suppress(f.Role, "AwsSolutions-IAM5",
		"organizations:DescribeAccount on the organization's accounts: members join OUs and cannot be listed, "+
			"and the management account is not known to the stack; the organization ID keeps it to this organization.",
		fmt.Sprintf(`/^Resource::arn:[^:]+:organizations::\*:account\/%s\/\*$/`, regexp.QuoteMeta(o.ID)))
}

// grantListOrgTree lets the sweep of an OU-only deployment (no
// memberAccounts) list the accounts under the OUs
// (wiring.OrgAccounts: organizations.TreeActions), and tells it which
// (config.EnvOrganizationalUnits). Those calls take the parent as their
// resource: the organization's OUs (any of them, since child OUs are
// walked and cannot be named ahead) and the roots given, by ID; no
// condition key narrows them further. With memberAccounts the StackSet
// deploys to those accounts alone, and the sweep reads those.
func grantListOrgTree(f *Function, o Organization) {
	stack := awscdk.Stack_Of(f.Construct)
	resources := []*string{jsii.String(fmt.Sprintf("arn:%s:organizations::*:ou/%s/*", *stack.Partition(), o.ID))}
	for _, u := range o.Units {
		if strings.HasPrefix(u, "r-") {
			resources = append(resources, jsii.String(fmt.Sprintf("arn:%s:organizations::*:root/%s/%s", *stack.Partition(), o.ID, u)))
		}
	}
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ListOrgAccounts"),
		Actions:   jsii.Strings(organizations.TreeActions...),
		Resources: &resources,
	}))
	suppress(f.Role, "AwsSolutions-IAM5",
		"organizations:ListAccountsForParent and ListOrganizationalUnitsForParent on the organization's OUs: the sweep "+
			"walks the child OUs of the OUs given, which cannot be named ahead, and the management account is not known "+
			"to the stack; the organization ID keeps it to this organization. Roots are named by ID.",
		fmt.Sprintf(`/^Resource::arn:[^:]+:organizations::\*:(ou|root)\/%s\/.*$/`, regexp.QuoteMeta(o.ID)))
	f.Fn.AddEnvironment(jsii.String(config.EnvOrganizationalUnits), jsii.String(strings.Join(o.Units, ",")), nil)
}

// memberEnvironment is what the functions read of an organization
// deployment (internal/config).
func memberEnvironment(o Organization) map[string]string {
	return map[string]string{
		config.EnvMemberReadRole:   config.DefaultMemberReadRole,
		config.EnvMemberRevertRole: config.DefaultMemberRevertRole,
		config.EnvMemberExternalID: o.ExternalID,
		config.EnvOrganizationID:   o.ID,
		config.EnvMemberAccounts:   strings.Join(o.Accounts, ","),
		config.EnvRegions:          strings.Join(o.Regions, ","),
	}
}

// Members is the hub's side of an organization deployment: the StackSet
// that deploys the spoke, and the bus policy that accepts its events.
type Members struct {
	constructs.Construct
	StackSet  awscloudformation.CfnStackSet
	BusPolicy awsevents.CfnEventBusPolicy
	// SpokeTemplate is the spoke's template, as the StackSet deploys it.
	SpokeTemplate map[string]any
}

// NewMembers makes the StackSet and the bus policy, and lets the functions
// assume the spoke's roles: the detector and the sweep the read role, the
// reverter (when deployed) the revert role.
func NewMembers(scope constructs.Construct, id string, out *Stacks, s Settings) *Members {
	o := s.Organization
	c := constructs.NewConstruct(scope, jsii.String(id))
	m := &Members{Construct: c}
	grantAssumeMemberRole(out.Detector.Function, o, config.DefaultMemberReadRole)
	grantAssumeMemberRole(out.Reconciler.Function, o, config.DefaultMemberReadRole)
	// The detector reads the account files, and their versions around a
	// write to one (BaselineWatch watches the folder).
	grantAccountBaselines(out.Detector.Function, out.Stores, s.BaselineKey, true)
	// The sweep judges each member against its own baseline file.
	grantAccountBaselines(out.Reconciler.Function, out.Stores, s.BaselineKey, false)
	grantHomeSweepRegions(out.Reconciler.Function, Scope{Clusters: s.Clusters}, o.Regions)
	if o.ID != "" && len(o.Accounts) == 0 {
		grantListOrgTree(out.Reconciler.Function, o)
	}
	params := []awscloudformation.CfnStackSet_ParameterProperty{
		{ParameterKey: jsii.String(SpokeParamDetectorRole), ParameterValue: out.Detector.Role.RoleArn()},
		{ParameterKey: jsii.String(SpokeParamReconcileRole), ParameterValue: out.Reconciler.Role.RoleArn()},
		{ParameterKey: jsii.String(SpokeParamExternalID), ParameterValue: jsii.String(o.ExternalID)},
	}
	if out.Reverter != nil {
		grantAssumeMemberRole(out.Reverter.Function, o, config.DefaultMemberRevertRole)
		grantAccountBaselines(out.Reverter.Function, out.Stores, s.BaselineKey, true)
		params = append(params, awscloudformation.CfnStackSet_ParameterProperty{
			ParameterKey: jsii.String(SpokeParamReverterRole), ParameterValue: out.Reverter.Role.RoleArn(),
		})
	}
	m.SpokeTemplate = SynthSpoke(s)
	body, err := jsonString(m.SpokeTemplate)
	if err != nil {
		panic("infra: spoke template: " + err.Error())
	}

	targets := &awscloudformation.CfnStackSet_DeploymentTargetsProperty{}
	props := &awscloudformation.CfnStackSetProps{
		StackSetName: jsii.String(spokeStackSetName(s)),
		Description:  jsii.String("eksdrift spoke: forwards EKS and IAM access events to the security account and holds the roles its functions assume"),
		Capabilities: jsii.Strings("CAPABILITY_NAMED_IAM"),
		// Only this stack changes the StackSet: operations queue instead
		// of failing when two overlap.
		ManagedExecution: map[string]any{"Active": true},
		OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
			RegionConcurrencyType:      jsii.String("PARALLEL"),
			MaxConcurrentPercentage:    jsii.Number(25),
			FailureTolerancePercentage: jsii.Number(10),
		},
		Parameters:   params,
		TemplateBody: jsii.String(body),
		StackInstancesGroup: []awscloudformation.CfnStackSet_StackInstancesProperty{{
			DeploymentTargets: targets,
			Regions:           jsii.Strings(o.SpokeRegions()...),
		}},
	}
	if o.ServiceManaged() {
		props.PermissionModel = jsii.String(permissionsService)
		props.CallAs = jsii.String(o.CallAs)
		props.AutoDeployment = &awscloudformation.CfnStackSet_AutoDeploymentProperty{
			Enabled: jsii.Bool(true), RetainStacksOnAccountRemoval: jsii.Bool(false),
		}
		targets.OrganizationalUnitIds = jsii.Strings(o.Units...)
		if len(o.Accounts) > 0 {
			targets.Accounts = jsii.Strings(o.Accounts...)
			targets.AccountFilterType = jsii.String("INTERSECTION")
		}
	} else {
		props.PermissionModel = jsii.String(permissionsSelf)
		admin := o.AdminRoleARN
		if admin == "" {
			admin = fmt.Sprintf("arn:%s:iam::%s:role/%s", *out.Main.Partition(), s.Account, defaultAdminRole)
		}
		props.AdministrationRoleArn = jsii.String(admin)
		props.ExecutionRoleName = jsii.String(o.ExecutionRoleName)
		targets.Accounts = jsii.Strings(o.Accounts...)
	}
	m.StackSet = awscloudformation.NewCfnStackSet(c, jsii.String("SpokeStackSet"), props)

	m.BusPolicy = awsevents.NewCfnEventBusPolicy(c, jsii.String("MemberEvents"), &awsevents.CfnEventBusPolicyProps{
		EventBusName: jsii.String("default"),
		StatementId:  jsii.String(s.StackName + "-member-events"),
		Statement:    busStatement(out.Main, o),
	})
	return m
}

// busStatement lets the member accounts (the organization's, or the listed
// ones) put events on the default bus, and nobody else.
func busStatement(stack awscdk.Stack, o Organization) map[string]any {
	st := map[string]any{
		"Sid":      "EksDriftMemberEvents",
		"Effect":   "Allow",
		"Action":   "events:PutEvents",
		"Resource": stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("events"), Resource: jsii.String("event-bus"), ResourceName: jsii.String("default")}),
	}
	if len(o.Accounts) > 0 {
		var roots []string
		for _, a := range o.Accounts {
			roots = append(roots, fmt.Sprintf("arn:%s:iam::%s:root", *stack.Partition(), a))
		}
		st["Principal"] = map[string]any{"AWS": roots}
	} else {
		st["Principal"] = "*"
	}
	if o.ID != "" {
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": o.ID}}
	}
	return st
}
