// Package iam is eksdrift's adapter to the IAM API. Reader reads the live
// state of the IAM roles and identity providers that shape who can reach EKS
// clusters, so the detector judges the role as it is now, not as one event
// described it; every call it makes is read-only (Get and List).
//
// Writer, used only by the reverter, makes the calls that undo drift.
package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// api is the part of the IAM API the reader calls.
type api interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
}

var (
	_ api               = (*iam.Client)(nil)
	_ drift.StateReader = (*Reader)(nil)
)

// Reader observes the IAM kinds: roles, trust policies, attached managed
// policies, inline policies, permissions boundaries and OIDC providers. IAM
// is global, so one client serves every change whatever its event's
// region. It reads the account its credentials belong to. It is safe for
// concurrent use.
type Reader struct {
	api api
	now func() time.Time
}

// NewReader gives a reader that calls IAM with cfg's credentials.
func NewReader(cfg aws.Config, optFns ...func(*iam.Options)) *Reader {
	return newReader(iam.NewFromConfig(cfg, optFns...))
}

func newReader(c api) *Reader { return &Reader{api: c, now: time.Now} }

// Observe reads the current state of the resource c touched. A resource that
// is gone, or whose role is gone, is Present false; any other failure is an
// error, because a detector that cannot see must not conclude that nothing
// is there.
func (r *Reader) Observe(ctx context.Context, c drift.Change) (drift.Observation, error) {
	if c.Resource == nil {
		return drift.Observation{}, fmt.Errorf("iam: change of event %s has no resource", c.Event.ID)
	}
	q := query{api: r.api, who: "iam"}
	if c.Event.Account != "" {
		q.who += " " + c.Event.Account
	}
	// Taken before the first call, so the state read is at least this fresh.
	readAt := r.now().UTC()
	var (
		got drift.Resource
		err error
	)
	switch res := c.Resource.(type) {
	case *drift.Role:
		got, err = q.role(ctx, res)
	case *drift.TrustPolicy:
		got, err = q.trustPolicy(ctx, res)
	case *drift.ManagedPolicy:
		got, err = q.managedPolicy(ctx, res)
	case *drift.InlinePolicy:
		got, err = q.inlinePolicy(ctx, res)
	case *drift.PermissionsBoundary:
		got, err = q.boundary(ctx, res)
	case *drift.OIDCProvider:
		got, err = q.oidcProvider(ctx, res)
	case *drift.User:
		got, err = q.user(ctx, res)
	default:
		return drift.Observation{}, fmt.Errorf("iam: cannot observe %s %q: not an IAM kind", c.Kind(), c.Resource.Key())
	}
	if err != nil {
		return drift.Observation{}, err
	}
	return drift.Observation{Present: got != nil, Resource: got, ReadAt: readAt}, nil
}

// query reads one account. Its methods return a nil resource when the thing
// is gone.
type query struct {
	api api
	who string // "iam ACCOUNT", the start of every error
}

func (q query) errorf(call, what string, err error) error {
	return fmt.Errorf("%s: %s %s: %w", q.who, call, what, err)
}

// notFound reports whether IAM says the thing, or its role, does not exist.
func notFound(err error) bool {
	var nf *types.NoSuchEntityException
	return errors.As(err, &nf)
}

func (q query) getRole(ctx context.Context, name string) (*types.Role, error) {
	if name == "" {
		return nil, fmt.Errorf("%s: cannot read a role without a name", q.who)
	}
	out, err := q.api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("GetRole", name, err)
	}
	if out.Role == nil {
		return nil, q.errorf("GetRole", name, errors.New("response has no role"))
	}
	return out.Role, nil
}

// trust parses the role's trust policy, which IAM returns percent-encoded.
func (q query) trust(name string, role *types.Role) (*drift.PolicyDocument, error) {
	text := aws.ToString(role.AssumeRolePolicyDocument)
	if text == "" {
		return nil, nil
	}
	d, err := drift.ParsePolicyDocument(text)
	if err != nil {
		return nil, q.errorf("GetRole", name, fmt.Errorf("AssumeRolePolicyDocument: %w", err))
	}
	return d, nil
}

// The keys of observed resources come from the change, so an observation
// pairs with its change even when IAM spells the role name in another case.

func (q query) role(ctx context.Context, want *drift.Role) (drift.Resource, error) {
	role, err := q.getRole(ctx, want.Name)
	if role == nil || err != nil {
		return nil, err
	}
	doc, err := q.trust(want.Name, role)
	if err != nil {
		return nil, err
	}
	return &drift.Role{ARN: aws.ToString(role.Arn), Name: want.Name, TrustPolicy: doc}, nil
}

func (q query) trustPolicy(ctx context.Context, want *drift.TrustPolicy) (drift.Resource, error) {
	role, err := q.getRole(ctx, want.RoleName)
	if role == nil || err != nil {
		return nil, err
	}
	doc, err := q.trust(want.RoleName, role)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, q.errorf("GetRole", want.RoleName, errors.New("response has no AssumeRolePolicyDocument"))
	}
	return &drift.TrustPolicy{RoleARN: aws.ToString(role.Arn), RoleName: want.RoleName, Document: doc}, nil
}

func (q query) boundary(ctx context.Context, want *drift.PermissionsBoundary) (drift.Resource, error) {
	role, err := q.getRole(ctx, want.RoleName)
	if role == nil || err != nil {
		return nil, err
	}
	b := role.PermissionsBoundary
	if b == nil || aws.ToString(b.PermissionsBoundaryArn) == "" {
		return nil, nil
	}
	return &drift.PermissionsBoundary{RoleARN: aws.ToString(role.Arn), RoleName: want.RoleName, PolicyARN: aws.ToString(b.PermissionsBoundaryArn)}, nil
}

// managedPolicy keeps the change's role ARN: ListAttachedRolePolicies does
// not say it, and a GetRole only for that would double the calls.
func (q query) managedPolicy(ctx context.Context, want *drift.ManagedPolicy) (drift.Resource, error) {
	if want.RoleName == "" {
		return nil, fmt.Errorf("%s: cannot read a role without a name", q.who)
	}
	p := iam.NewListAttachedRolePoliciesPaginator(q.api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(want.RoleName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if notFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, q.errorf("ListAttachedRolePolicies", want.RoleName, err)
		}
		for _, a := range page.AttachedPolicies {
			if aws.ToString(a.PolicyArn) == want.PolicyARN {
				return &drift.ManagedPolicy{RoleARN: want.RoleARN, RoleName: want.RoleName, PolicyARN: want.PolicyARN}, nil
			}
		}
	}
	return nil, nil
}

// inlinePolicy keeps the change's role ARN, which GetRolePolicy does not say.
func (q query) inlinePolicy(ctx context.Context, want *drift.InlinePolicy) (drift.Resource, error) {
	what := want.RoleName + " " + want.PolicyName
	if want.RoleName == "" || want.PolicyName == "" {
		return nil, fmt.Errorf("%s: cannot read inline policy %q of role %q: a name is missing", q.who, want.PolicyName, want.RoleName)
	}
	out, err := q.api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(want.RoleName), PolicyName: aws.String(want.PolicyName)})
	if notFound(err) {
		// Either the policy or its role is gone.
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("GetRolePolicy", what, err)
	}
	// Percent-encoded, like the trust policy.
	doc, err := drift.ParsePolicyDocument(aws.ToString(out.PolicyDocument))
	if err != nil {
		return nil, q.errorf("GetRolePolicy", what, fmt.Errorf("PolicyDocument: %w", err))
	}
	return &drift.InlinePolicy{RoleARN: want.RoleARN, RoleName: want.RoleName, PolicyName: want.PolicyName, Document: doc}, nil
}

func (q query) oidcProvider(ctx context.Context, want *drift.OIDCProvider) (drift.Resource, error) {
	if want.ARN == "" {
		return nil, fmt.Errorf("%s: cannot read an OIDC provider without its ARN", q.who)
	}
	out, err := q.api.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(want.ARN)})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("GetOpenIDConnectProvider", want.ARN, err)
	}
	return &drift.OIDCProvider{ARN: want.ARN, URL: issuerURL(aws.ToString(out.Url))}, nil
}

// issuerURL gives the provider's URL as CreateOpenIDConnectProvider takes it,
// and so as its CloudTrail event says it: IAM returns it without the scheme.
func issuerURL(u string) string {
	if u == "" || strings.Contains(u, "://") {
		return u
	}
	return "https://" + u
}
