package infra

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Scope is what the functions may touch: the clusters and roles the
// baseline declares, as the settings name them. Names become ARNs in the
// stack's own account and region; ARNs are taken as they are.
type Scope struct {
	Clusters, Roles, Users []string
}

// EKS resource types an access change touches, under a cluster. Their ARNs
// end in IDs EKS assigns (a UUID, an association ID), so they are scoped to
// the cluster and no further.
var clusterChildren = []string{"access-entry", "podidentityassociation", "identityproviderconfig"}

// ClusterARNs gives the ARNs (or ARN patterns) of the clusters in scope.
func (s Scope) ClusterARNs(stack awscdk.Stack) []*string {
	var out []*string
	for _, c := range s.Clusters {
		out = append(out, clusterChildARN(stack, c, "cluster", ""))
	}
	return out
}

// EKSResourceARNs gives the clusters in scope and, for each, the patterns
// of its access entries, pod identity associations and identity provider
// configurations.
func (s Scope) EKSResourceARNs(stack awscdk.Stack) []*string {
	var out []*string
	for _, c := range s.Clusters {
		out = append(out, clusterChildARN(stack, c, "cluster", ""))
		for _, kind := range clusterChildren {
			out = append(out, clusterChildARN(stack, c, kind, "/*"))
		}
	}
	return out
}

// RoleARNs gives the ARNs (or ARN patterns) of the roles in scope.
func (s Scope) RoleARNs(stack awscdk.Stack) []*string {
	var out []*string
	for _, r := range s.Roles {
		if strings.HasPrefix(r, "arn:") {
			out = append(out, jsii.String(r))
			continue
		}
		out = append(out, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""),
			Resource: jsii.String("role"), ResourceName: jsii.String(r),
		}))
	}
	return out
}

// UserARNs gives the ARNs (or ARN patterns) of the users in scope.
func (s Scope) UserARNs(stack awscdk.Stack) []*string {
	var out []*string
	for _, u := range s.Users {
		if strings.HasPrefix(u, "arn:") {
			out = append(out, jsii.String(u))
			continue
		}
		out = append(out, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""),
			Resource: jsii.String("user"), ResourceName: jsii.String(u),
		}))
	}
	return out
}

// GroupARNs gives the pattern of the account's groups: RemoveUserFromGroup
// is authorised on the group, which the undeclared membership names.
func (s Scope) GroupARNs(stack awscdk.Stack) []*string {
	return []*string{stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""),
		Resource: jsii.String("group"), ResourceName: jsii.String("*"),
	})}
}

// OIDCProviderARNs gives the pattern of the account's OIDC providers: they
// are account-wide, named by their issuer URL, and not part of any cluster
// or role the settings name.
func (s Scope) OIDCProviderARNs(stack awscdk.Stack) []*string {
	return []*string{stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""),
		Resource: jsii.String("oidc-provider"), ResourceName: jsii.String("*"),
	})}
}

// clusterChildARN gives the ARN of kind under cluster c (a name or a
// cluster ARN), with suffix appended: cluster/prod, access-entry/prod/*.
func clusterChildARN(stack awscdk.Stack, c, kind, suffix string) *string {
	if prefix, name, ok := strings.Cut(c, ":cluster/"); ok && strings.HasPrefix(c, "arn:") {
		return jsii.String(prefix + ":" + kind + "/" + name + suffix)
	}
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("eks"), Resource: jsii.String(kind), ResourceName: jsii.String(c + suffix),
	})
}
