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
	u := userQuery{api: api, name: aws.String(want.UserName), what: want.UserName + " " + want.Aspect,
		got: &drift.User{UserARN: want.UserARN, UserName: want.UserName, Aspect: want.Aspect, Name: want.Name}}
	var found bool
	var call string
	var err error
	switch want.Aspect {
	case drift.UserItself, drift.UserBoundary:
		call = "GetUser"
		found, err = u.itself(ctx)
	case drift.UserAccessKey:
		call = "ListAccessKeys"
		found, err = u.accessKey(ctx)
	case drift.UserServiceCredential:
		call = "ListServiceSpecificCredentials"
		found, err = u.serviceCredential(ctx)
	case drift.UserLoginProfile:
		call = "GetLoginProfile"
		_, err = api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: u.name})
		found = err == nil
	case drift.UserManagedPolicy:
		call = "ListAttachedUserPolicies"
		found, err = u.managedPolicy(ctx)
	case drift.UserInlinePolicy:
		call = "GetUserPolicy"
		found, err = u.inlinePolicy(ctx)
	case drift.UserGroup:
		call = "ListGroupsForUser"
		found, err = u.group(ctx)
	default:
		return nil, fmt.Errorf("%s: cannot read %q of user %s", q.who, want.Aspect, want.UserName)
	}
	switch {
	case notFound(err):
		return nil, nil
	case err != nil:
		return nil, q.errorf(call, u.what, err)
	case !found:
		return nil, nil
	}
	return u.got, nil
}

// userQuery reads one part of one user into got; each method reports
// whether it is there.
type userQuery struct {
	api  userAPI
	name *string
	what string
	got  *drift.User
}

func (u userQuery) itself(ctx context.Context) (bool, error) {
	out, err := u.api.GetUser(ctx, &iam.GetUserInput{UserName: u.name})
	if err != nil || u.got.Aspect == drift.UserItself {
		return err == nil, err
	}
	if out.User == nil || out.User.PermissionsBoundary == nil || aws.ToString(out.User.PermissionsBoundary.PermissionsBoundaryArn) == "" {
		return false, nil
	}
	u.got.Name = aws.ToString(out.User.PermissionsBoundary.PermissionsBoundaryArn)
	return true, nil
}

func (u userQuery) accessKey(ctx context.Context) (bool, error) {
	p := iam.NewListAccessKeysPaginator(u.api, &iam.ListAccessKeysInput{UserName: u.name})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, err
		}
		for _, k := range page.AccessKeyMetadata {
			if aws.ToString(k.AccessKeyId) == u.got.Name {
				u.got.Status = string(k.Status)
				return true, nil
			}
		}
	}
	return false, nil
}

// serviceCredential pages by hand: the SDK has no paginator for
// ListServiceSpecificCredentials, which IAM pages (Marker, IsTruncated); a
// credential past the first page must not read as gone.
func (u userQuery) serviceCredential(ctx context.Context) (bool, error) {
	in := &iam.ListServiceSpecificCredentialsInput{UserName: u.name}
	for {
		out, err := u.api.ListServiceSpecificCredentials(ctx, in)
		if err != nil {
			return false, err
		}
		for _, c := range out.ServiceSpecificCredentials {
			if aws.ToString(c.ServiceSpecificCredentialId) == u.got.Name {
				u.got.Status = string(c.Status)
				return true, nil
			}
		}
		next := aws.ToString(out.Marker)
		if !out.IsTruncated || next == "" || next == aws.ToString(in.Marker) {
			return false, nil
		}
		in = &iam.ListServiceSpecificCredentialsInput{UserName: u.name, Marker: aws.String(next)}
	}
}

func (u userQuery) managedPolicy(ctx context.Context) (bool, error) {
	p := iam.NewListAttachedUserPoliciesPaginator(u.api, &iam.ListAttachedUserPoliciesInput{UserName: u.name})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, err
		}
		for _, a := range page.AttachedPolicies {
			if aws.ToString(a.PolicyArn) == u.got.Name {
				return true, nil
			}
		}
	}
	return false, nil
}

func (u userQuery) inlinePolicy(ctx context.Context) (bool, error) {
	out, err := u.api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: u.name, PolicyName: aws.String(u.got.Name)})
	if err != nil {
		return false, err
	}
	doc, err := drift.ParsePolicyDocument(aws.ToString(out.PolicyDocument))
	if err != nil {
		return false, fmt.Errorf("PolicyDocument: %w", err)
	}
	u.got.Document = doc
	return true, nil
}

func (u userQuery) group(ctx context.Context) (bool, error) {
	p := iam.NewListGroupsForUserPaginator(u.api, &iam.ListGroupsForUserInput{UserName: u.name})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, err
		}
		for _, g := range page.Groups {
			if aws.ToString(g.GroupName) == u.got.Name {
				return true, nil
			}
		}
	}
	return false, nil
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
