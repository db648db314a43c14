package infra

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/sns"
)

// The calls the reverter makes to undo drift (internal/eks and
// internal/iam writers). They are granted on the clusters and roles in
// scope only; nothing else in the account can be changed.
var (
	eksWriteActions = []string{
		"eks:CreateAccessEntry",
		"eks:UpdateAccessEntry",
		"eks:DeleteAccessEntry",
		"eks:AssociateAccessPolicy",
		"eks:DisassociateAccessPolicy",
		"eks:CreatePodIdentityAssociation",
		"eks:UpdatePodIdentityAssociation",
		"eks:DeletePodIdentityAssociation",
		"eks:DisassociateIdentityProviderConfig",
	}
	iamWriteActions = []string{
		"iam:UpdateAssumeRolePolicy",
		"iam:AttachRolePolicy",
		"iam:DetachRolePolicy",
		"iam:PutRolePolicy",
		"iam:DeleteRolePolicy",
		"iam:PutRolePermissionsBoundary",
		"iam:DeleteRolePermissionsBoundary",
	}
	// oidcWriteActions: the OIDC providers are account-wide, not part of a
	// cluster or role; see NewReverter.
	oidcWriteActions = []string{"iam:DeleteOpenIDConnectProvider"}
	// userWriteActions undo a user's drift: keys and service credentials
	// are only deactivated (internal/iam sets Inactive, never Active).
	userWriteActions = []string{
		"iam:UpdateAccessKey",
		"iam:UpdateServiceSpecificCredential",
		"iam:DeleteLoginProfile",
		"iam:DetachUserPolicy",
		"iam:PutUserPolicy",
		"iam:DeleteUserPolicy",
		"iam:PutUserPermissionsBoundary",
		"iam:DeleteUserPermissionsBoundary",
	}
	// groupWriteActions: RemoveUserFromGroup is authorised on the group.
	groupWriteActions = []string{"iam:RemoveUserFromGroup"}
	// eksClusterReadActions: the guardrail that keeps a cluster from losing
	// its last admin lists the cluster's access entries.
	eksClusterReadActions = []string{"eks:ListAccessEntries"}
)

// ReverterMetrics are the counts functions/revert writes.
var ReverterMetrics = []string{metrics.Reverted, metrics.RevertSkipped, metrics.RevertFailed, metrics.DryRuns, metrics.Errors}

// ReverterFilterPolicy lets through the findings the reverter acts on,
// those whose decision is revert or dry-run, and not the outcomes it
// publishes itself, which carry the same attributes.
func ReverterFilterPolicy() map[string][]string {
	return map[string][]string{
		sns.AttrMessageType: {sns.MessageTypeFinding},
		sns.AttrDecision:    {string(drift.DecisionDryRun), string(drift.DecisionRevert)},
	}
}

// ReverterProps configures the reverter.
type ReverterProps struct {
	Stores      *Stores
	Scope       Scope
	BaselineKey string
	Settings    Settings
}

// Reverter is functions/revert: a queue subscribed to the findings topic
// brings it the findings whose decision is revert (or dry-run); it
// re-reads the baseline and the live state and undoes the drift within its
// guardrails. Its reserved concurrency bounds how many reverts run at once,
// and its write access is limited to the clusters and roles in scope.
type Reverter struct {
	*Function
	Inbox *Inbox
}

// reverterTimeout leaves room for a revert's retries (4 attempts, backoff
// doubling from 500 ms) over several operations.
const reverterTimeout = 2 * time.Minute

// NewReverter makes the reverter and its inbox. Its asset,
// build/revert/bootstrap, must exist.
func NewReverter(scope constructs.Construct, id string, props ReverterProps) *Reverter {
	st, s := props.Stores, props.Settings
	f := NewFunction(scope, id, FunctionProps{
		Name:        "revert",
		Description: "eksdrift reverter: undoes drift on the baseline's clusters and roles",
		AssetsDir:   s.AssetsDir,
		Environment: baselineEnvironment(st, props.BaselineKey, s, map[string]string{
			config.EnvBaselineHoldDown:   s.BaselineHoldDown.String(),
			config.EnvAllowGrantingAdmin: strconv.FormatBool(s.AllowGrantingAdmin),
		}),
		Timeout:             reverterTimeout,
		ReservedConcurrency: s.ReverterConcurrency,
		LogRetentionDays:    s.LogRetentionDays,
		Retain:              s.RetainData,
	})
	// The reverter names itself in its outcomes by its role.
	f.Fn.AddEnvironment(jsii.String(config.EnvReverterRoleARN), f.Role.RoleArn(), nil)
	stack := awscdk.Stack_Of(f.Construct)
	grantBaselineRead(f.Role, st.Baselines.ArnForObjects(jsii.String(props.BaselineKey)), st.Key)
	// The hold-down reads when the baseline version in force was stored,
	// and the version before it (wiring.PreviousBaseline): without
	// these, every grant would be held back.
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings(baselineVersionActions.list),
		Resources:  &[]*string{st.Baselines.BucketArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{"s3:prefix": props.BaselineKey}},
	}))
	f.Role.AddToPrincipalPolicy(allow([]string{baselineVersionActions.get}, []*string{st.Baselines.ArnForObjects(jsii.String(props.BaselineKey))}))
	grantHistoryWrite(f.Role, st.History.TableArn(), st.Key)
	// Its circuit breaker counts the recent reverts of a cluster (or of the
	// account's roles) in the history, through the table's indexes.
	f.Role.AddToPrincipalPolicy(allow([]string{"dynamodb:Query"}, []*string{
		st.History.TableArn(), awscdk.Fn_Join(jsii.String(""), &[]*string{st.History.TableArn(), jsii.String("/index/*")}),
	}))
	suppress(f.Role, "AwsSolutions-IAM5",
		"Query on the history table's own indexes (byCluster, byPrincipal, byActor, byDay), which the circuit breaker reads: table/NAME/index/* reaches no other table.",
		`/^Resource::<.*History[0-9A-F]{8}\.Arn>\/index\/\*$/`)
	grantPublish(f.Role, st.Findings.TopicArn(), st.Key)
	grantLiveStateRead(f.Role, stack, props.Scope)
	f.Role.AddToPrincipalPolicy(allow(eksClusterReadActions, props.Scope.ClusterARNs(stack)))
	f.Role.AddToPrincipalPolicy(allow(eksWriteActions, props.Scope.EKSResourceARNs(stack)))
	f.Role.AddToPrincipalPolicy(allow(iamWriteActions, props.Scope.RoleARNs(stack)))
	f.Role.AddToPrincipalPolicy(allow(userWriteActions, props.Scope.UserARNs(stack)))
	// A user is taken out of a group the baseline does not declare for it;
	// the call adds no one (drift.Operation.Grants).
	f.Role.AddToPrincipalPolicy(allow(groupWriteActions, props.Scope.GroupARNs(stack)))
	suppress(f.Role, "AwsSolutions-IAM5",
		"iam:RemoveUserFromGroup is authorised on the group, and the group a user was added to is the drift: any "+
			"group of this account may be it. The call only takes a user out of a group.",
		`/^Resource::arn:.+:iam::.+:group\/\*$/`)
	// Re-creating a declared pod identity association passes its role to
	// EKS Pod Identity, and to nothing else.
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("iam:PassRole"),
		Resources:  jsii.Strings(derefAll(props.Scope.RoleARNs(stack))...),
		Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "pods.eks.amazonaws.com"}},
	}))
	// An undeclared OIDC provider is deleted (drift.ActDeleteOIDCProvider).
	f.Role.AddToPrincipalPolicy(allow(oidcWriteActions, props.Scope.OIDCProviderARNs(stack)))
	suppress(f.Role, "AwsSolutions-IAM5",
		"iam:DeleteOpenIDConnectProvider undoes an OIDC provider created against a baseline that lists the account's "+
			"providers (oidcProviders); providers are named by their issuer URL, any one of them may be the drift, and "+
			"oidc-provider/* reaches this account's providers and nothing else.",
		`/^Resource::arn:.+:iam::.+:oidc-provider\/\*$/`)
	suppressScopeWildcards(f.Role, props.Scope)
	for _, st := range reverterDenies(stack, props.Scope, s.AllowGrantingAdmin) {
		f.Role.AddToPrincipalPolicy(st)
	}

	r := &Reverter{Function: f}
	r.Inbox = newInbox(f, reverterTimeout, InboxProps{
		Topic:        st.Findings,
		FilterPolicy: ReverterFilterPolicy(),
		BatchSize:    5,
		// Reserved concurrency and the queue's maximum concurrency agree, so
		// the queue never invokes more than may run and nothing is throttled
		// back into the queue.
		MaxConcurrency:  s.ReverterConcurrency,
		MaxReceiveCount: 5,
	})
	return r
}

// reverterDenies are the explicit denies on the reverter's role. Whoever
// writes the baseline decides what the reverter restores; these keep a
// baseline from making the reverter hand out administrator access, even
// if another policy attached to the role later allowed it:
//
//   - iam:AttachRolePolicy (iam:PolicyARN) and
//     iam:PutRolePermissionsBoundary (iam:PermissionsBoundary) with a
//     policy of drift.ReverterDeniedManagedPolicies (as a boundary,
//     AdministratorAccess lifts the boundary);
//   - eks:AssociateAccessPolicy with a policy of
//     drift.ReverterDeniedAccessPolicies (every access policy the rating
//     table calls critical: cluster-admin, admin, edit, Auto Mode load
//     balancing), at every scope;
//   - iam:PutRolePolicy on any role outside the roles setting: its grant
//     is on those roles already, the deny keeps it so. Unlike the other
//     two it holds with allowGrantingAdmin too, which is about what the
//     reverter may grant, not where.
//
// All but the last go with allowGrantingAdmin=true. The policy ARNs match in
// every partition (arn:*:...).
func reverterDenies(stack awscdk.Stack, scope Scope, allowGrantingAdmin bool) []awsiam.PolicyStatement {
	deny := func(sid string, actions []string, props awsiam.PolicyStatementProps) awsiam.PolicyStatement {
		props.Sid, props.Effect, props.Actions = jsii.String(sid), awsiam.Effect_DENY, jsii.Strings(actions...)
		return awsiam.NewPolicyStatement(&props)
	}
	roles, users := scope.RoleARNs(stack), scope.UserARNs(stack)
	out := []awsiam.PolicyStatement{
		deny("DenyInlinePoliciesOutsideTheRoles", []string{drift.ActPutRolePolicy}, awsiam.PolicyStatementProps{NotResources: &roles}),
		deny("DenyInlinePoliciesOutsideTheUsers", []string{drift.ActPutUserPolicy}, awsiam.PolicyStatementProps{NotResources: &users}),
	}
	if allowGrantingAdmin {
		return out
	}
	return append(out,
		deny("DenyAttachingAdministratorPolicies", []string{drift.ActAttachRolePolicy}, awsiam.PolicyStatementProps{
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnLike": map[string]any{"iam:PolicyARN": anyPartition(drift.ReverterDeniedManagedPolicies)}},
		}),
		// PutRolePermissionsBoundary carries the new boundary in
		// iam:PermissionsBoundary; it has no iam:PolicyARN, so a condition
		// on that key would never hold.
		deny("DenyAdministratorPoliciesAsBoundaries", []string{drift.ActPutRolePermissionsBoundary, drift.ActPutUserPermissionsBoundary}, awsiam.PolicyStatementProps{
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnLike": map[string]any{"iam:PermissionsBoundary": anyPartition(drift.ReverterDeniedManagedPolicies)}},
		}),
		deny("DenyGrantingClusterAdmin", []string{drift.ActAssociateAccessPolicy}, awsiam.PolicyStatementProps{
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnLike": map[string]any{"eks:policyArn": anyPartition(drift.ReverterDeniedAccessPolicies)}},
		}),
	)
}

// anyPartition turns arn:aws:... into arn:*:..., for ArnLike.
func anyPartition(arns []string) []string {
	out := make([]string, len(arns))
	for i, a := range arns {
		out[i] = "arn:*:" + strings.TrimPrefix(a, "arn:aws:")
	}
	return out
}

func derefAll(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
