package iam

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// IAM users: the reader's calls for a user's credentials and permissions
// (read-only), and the writer's, which only take away. An access key or a
// service-specific credential is deactivated, never deleted, and never
// activated: the writer sets Inactive whatever the operation says.

// userAPI is the part of the IAM API the reader calls for users.
type userAPI interface {
	GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListServiceSpecificCredentials(context.Context, *iam.ListServiceSpecificCredentialsInput, ...func(*iam.Options)) (*iam.ListServiceSpecificCredentialsOutput, error)
	ListAttachedUserPolicies(context.Context, *iam.ListAttachedUserPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	GetUserPolicy(context.Context, *iam.GetUserPolicyInput, ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	ListGroupsForUser(context.Context, *iam.ListGroupsForUserInput, ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
}

// userWriteAPI is the part of the IAM API the reverter calls for users.
type userWriteAPI interface {
	UpdateAccessKey(context.Context, *iam.UpdateAccessKeyInput, ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	UpdateServiceSpecificCredential(context.Context, *iam.UpdateServiceSpecificCredentialInput, ...func(*iam.Options)) (*iam.UpdateServiceSpecificCredentialOutput, error)
	DeleteLoginProfile(context.Context, *iam.DeleteLoginProfileInput, ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	DetachUserPolicy(context.Context, *iam.DetachUserPolicyInput, ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	PutUserPolicy(context.Context, *iam.PutUserPolicyInput, ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error)
	DeleteUserPolicy(context.Context, *iam.DeleteUserPolicyInput, ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	RemoveUserFromGroup(context.Context, *iam.RemoveUserFromGroupInput, ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
	PutUserPermissionsBoundary(context.Context, *iam.PutUserPermissionsBoundaryInput, ...func(*iam.Options)) (*iam.PutUserPermissionsBoundaryOutput, error)
	DeleteUserPermissionsBoundary(context.Context, *iam.DeleteUserPermissionsBoundaryInput, ...func(*iam.Options)) (*iam.DeleteUserPermissionsBoundaryOutput, error)
}

var (
	_ userAPI      = (*iam.Client)(nil)
	_ userWriteAPI = (*iam.Client)(nil)
)

// user reads the part of a user the change names; nil when it, or the
// user, is gone. The result keeps the change's user ARN and name.
func (q query) user(ctx context.Context, want *drift.User) (drift.Resource, error) {
	if want.UserName == "" {
		return nil, fmt.Errorf("%s: cannot read a user without a name", q.who)
	}
	api, ok := q.api.(userAPI)
	if !ok {
		return nil, fmt.Errorf("%s: the client cannot read users", q.who)
	}
	name := aws.String(want.UserName)
	got := &drift.User{UserARN: want.UserARN, UserName: want.UserName, Aspect: want.Aspect, Name: want.Name}
	what := want.UserName + " " + want.Aspect
	fail := func(call string, err error) (drift.Resource, error) {
		if notFound(err) {
			return nil, nil
		}
		return nil, q.errorf(call, what, err)
	}
	switch want.Aspect {
	case drift.UserItself, drift.UserBoundary:
		out, err := api.GetUser(ctx, &iam.GetUserInput{UserName: name})
		if err != nil {
			return fail("GetUser", err)
		}
		if want.Aspect == drift.UserItself {
			return got, nil
		}
		if out.User == nil || out.User.PermissionsBoundary == nil || aws.ToString(out.User.PermissionsBoundary.PermissionsBoundaryArn) == "" {
			return nil, nil
		}
		got.Name = aws.ToString(out.User.PermissionsBoundary.PermissionsBoundaryArn)
		return got, nil
	case drift.UserAccessKey:
		p := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fail("ListAccessKeys", err)
			}
			for _, k := range page.AccessKeyMetadata {
				if aws.ToString(k.AccessKeyId) == want.Name {
					got.Status = string(k.Status)
					return got, nil
				}
			}
		}
		return nil, nil
	case drift.UserServiceCredential:
		out, err := api.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: name})
		if err != nil {
			return fail("ListServiceSpecificCredentials", err)
		}
		for _, c := range out.ServiceSpecificCredentials {
			if aws.ToString(c.ServiceSpecificCredentialId) == want.Name {
				got.Status = string(c.Status)
				return got, nil
			}
		}
		return nil, nil
	case drift.UserLoginProfile:
		if _, err := api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: name}); err != nil {
			return fail("GetLoginProfile", err)
		}
		return got, nil
	case drift.UserManagedPolicy:
		p := iam.NewListAttachedUserPoliciesPaginator(api, &iam.ListAttachedUserPoliciesInput{UserName: name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fail("ListAttachedUserPolicies", err)
			}
			for _, a := range page.AttachedPolicies {
				if aws.ToString(a.PolicyArn) == want.Name {
					return got, nil
				}
			}
		}
		return nil, nil
	case drift.UserInlinePolicy:
		out, err := api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: name, PolicyName: aws.String(want.Name)})
		if err != nil {
			return fail("GetUserPolicy", err)
		}
		doc, err := drift.ParsePolicyDocument(aws.ToString(out.PolicyDocument))
		if err != nil {
			return nil, q.errorf("GetUserPolicy", what, fmt.Errorf("PolicyDocument: %w", err))
		}
		got.Document = doc
		return got, nil
	case drift.UserGroup:
		p := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: name})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fail("ListGroupsForUser", err)
			}
			for _, g := range page.Groups {
				if aws.ToString(g.GroupName) == want.Name {
					return got, nil
				}
			}
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%s: cannot read %q of user %s", q.who, want.Aspect, want.UserName)
}

// applyUser makes one user operation's call.
func (w *Writer) applyUser(ctx context.Context, op drift.Operation, r *drift.User) error {
	api, ok := w.api.(userWriteAPI)
	if !ok {
		return fmt.Errorf("iam: the client cannot write users")
	}
	name := aws.String(r.UserName)
	var err error
	switch op.Action {
	case drift.ActDeactivateAccessKey:
		_, err = api.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: name, AccessKeyId: aws.String(r.Name), Status: types.StatusTypeInactive})
	case drift.ActDeactivateServiceCredential:
		_, err = api.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: name,
			ServiceSpecificCredentialId: aws.String(r.Name), Status: types.StatusTypeInactive})
	case drift.ActDeleteLoginProfile:
		_, err = api.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: name})
	case drift.ActDetachUserPolicy:
		_, err = api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: aws.String(r.Name)})
	case drift.ActPutUserPolicy:
		if r.Document == nil {
			return unknown(op)
		}
		_, err = api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String(r.Name), PolicyDocument: aws.String(r.Document.String())})
	case drift.ActDeleteUserPolicy:
		_, err = api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String(r.Name)})
	case drift.ActRemoveUserFromGroup:
		_, err = api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: name, GroupName: aws.String(r.Name)})
	case drift.ActPutUserPermissionsBoundary:
		_, err = api.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: name, PermissionsBoundary: aws.String(r.Name)})
	case drift.ActDeleteUserPermissionsBoundary:
		_, err = api.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: name})
	default:
		return unknown(op)
	}
	return settle(op, err, func(err error) error { return fmt.Errorf("iam: %s: %w", op, err) })
}
