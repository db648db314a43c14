package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
)

// The grants below are written out action by action instead of CDK's
// grant helpers: those add wildcard actions (s3:GetObject*, s3:List*,
// kms:GenerateDataKey*, kms:ReEncrypt*), and a function's role says exactly
// which calls it makes.

// Read-only calls the live-state readers make (internal/eks, internal/iam).
var (
	eksReadActions = []string{
		"eks:DescribeCluster",
		"eks:DescribeAccessEntry",
		"eks:ListAssociatedAccessPolicies",
		"eks:ListPodIdentityAssociations",
		"eks:DescribePodIdentityAssociation",
		"eks:DescribeIdentityProviderConfig",
	}
	iamRoleReadActions = []string{
		"iam:GetRole",
		"iam:ListAttachedRolePolicies",
		"iam:GetRolePolicy",
	}
	iamOIDCReadActions = []string{"iam:GetOpenIDConnectProvider"}
	iamUserReadActions = []string{
		"iam:GetUser",
		"iam:ListAccessKeys",
		"iam:GetLoginProfile",
		"iam:ListServiceSpecificCredentials",
		"iam:ListAttachedUserPolicies",
		"iam:GetUserPolicy",
		"iam:ListGroupsForUser",
	}
)

func allow(actions []string, resources []*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	})
}

// grantLiveStateRead lets role read the live state of the clusters and
// roles in scope: what the detector confirms drift with, and what the
// reverter reads too. The sweep reads more (the scanners' lists): see
// NewReconciler.
func grantLiveStateRead(role awsiam.IRole, stack awscdk.Stack, scope Scope) {
	role.AddToPrincipalPolicy(allow(eksReadActions, scope.EKSResourceARNs(stack)))
	role.AddToPrincipalPolicy(allow(iamRoleReadActions, scope.RoleARNs(stack)))
	role.AddToPrincipalPolicy(allow(iamOIDCReadActions, scope.OIDCProviderARNs(stack)))
	role.AddToPrincipalPolicy(allow(iamUserReadActions, scope.UserARNs(stack)))
}

// grantKey lets role use key for the named calls, only through service
// (s3, dynamodb, sns) in the stack's region: the role cannot use the key
// directly.
func grantKey(role awsiam.IRole, key awskms.IKey, service string, actions ...string) {
	stack := awscdk.Stack_Of(role)
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(actions...),
		Resources: &[]*string{key.KeyArn()},
		Conditions: &map[string]any{"StringEquals": map[string]any{
			"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(service + "."), stack.Region(), jsii.String("."), stack.UrlSuffix()}),
		}},
	}))
}

// grantPublish lets role publish to an encrypted topic.
func grantPublish(role awsiam.IRole, topicARN *string, key awskms.IKey) {
	role.AddToPrincipalPolicy(allow([]string{"sns:Publish"}, []*string{topicARN}))
	grantKey(role, key, "sns", "kms:GenerateDataKey", "kms:Decrypt")
}

// historyWriteActions are the calls internal/dynamodb's Record, Get and
// MarkNotified make.
var historyWriteActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}

// grantHistoryWrite lets role record findings in the history table.
func grantHistoryWrite(role awsiam.IRole, tableARN *string, key awskms.IKey) {
	role.AddToPrincipalPolicy(allow(historyWriteActions, []*string{tableARN}))
	grantKey(role, key, "dynamodb", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
}

// grantBaselineRead lets role read the one baseline object.
func grantBaselineRead(role awsiam.IRole, objectARN *string, key awskms.IKey) {
	role.AddToPrincipalPolicy(allow([]string{"s3:GetObject"}, []*string{objectARN}))
	grantKey(role, key, "s3", "kms:Decrypt")
}

// suppressScopeWildcards gives cdk-nag the reason for each wildcard in a
// role's resources that comes from the scope.
func suppressScopeWildcards(role awsiam.IRole, scope Scope) {
	suppress(role, "AwsSolutions-IAM5",
		"Access entries, pod identity associations and identity provider configurations are named by IDs EKS "+
			"assigns (a UUID, an association ID), unknown until they exist; the pattern is the cluster's own, "+
			"cluster/NAME becomes access-entry/NAME/*, and reaches no other cluster.",
		`/^Resource::arn:.+:eks:.+:(access-entry|podidentityassociation|identityproviderconfig)\/[^/]+\/\*$/`)
	suppress(role, "AwsSolutions-IAM5",
		"OIDC providers are account-wide and named by their issuer URL; the baseline judges every one created or "+
			"deleted in the account, so the live-state read covers oidc-provider/* of this account only.",
		`/^Resource::arn:.+:iam::.+:oidc-provider\/\*$/`)
	if hasPattern(scope.Clusters) {
		suppress(role, "AwsSolutions-IAM5",
			"The clusters context names clusters by pattern (\"*\" is every cluster of this account and region): "+
				"the scope is what the deployer wrote; name the baseline's clusters to narrow it.",
			`/^Resource::arn:.+:eks:.+:cluster\/.*\*.*$/`)
	}
	if hasPattern(scope.Users) {
		suppress(role, "AwsSolutions-IAM5",
			"The users context names users by pattern (\"*\" is every user of this account): the scope is what "+
				"the deployer wrote; name the baseline's users to narrow it.",
			`/^Resource::arn:.+:iam::.+:user\/.*\*.*$/`)
	}
	if hasPattern(scope.Roles) {
		suppress(role, "AwsSolutions-IAM5",
			"The roles context names roles by pattern (\"*\" is every role of this account): the scope is what "+
				"the deployer wrote; name the baseline's roles to narrow it.",
			`/^Resource::arn:.+:iam::.+:role\/.*\*.*$/`)
	}
}

func hasPattern(names []string) bool {
	for _, n := range names {
		for _, r := range n {
			if r == '*' {
				return true
			}
		}
	}
	return false
}
