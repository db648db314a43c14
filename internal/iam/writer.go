package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// writeAPI is the part of the IAM API the reverter calls.
type writeAPI interface {
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	PutRolePermissionsBoundary(context.Context, *iam.PutRolePermissionsBoundaryInput, ...func(*iam.Options)) (*iam.PutRolePermissionsBoundaryOutput, error)
	DeleteRolePermissionsBoundary(context.Context, *iam.DeleteRolePermissionsBoundaryInput, ...func(*iam.Options)) (*iam.DeleteRolePermissionsBoundaryOutput, error)
	DeleteOpenIDConnectProvider(context.Context, *iam.DeleteOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error)
}

var _ writeAPI = (*iam.Client)(nil)

// Writer applies revert operations to IAM.
type Writer struct{ api writeAPI }

// NewWriter gives a writer that calls IAM with cfg's credentials.
func NewWriter(cfg aws.Config, optFns ...func(*iam.Options)) *Writer {
	return &Writer{api: iam.NewFromConfig(cfg, optFns...)}
}

// Apply makes one operation's call; the call's own error comes back,
// wrapped with what was attempted.
func (w *Writer) Apply(ctx context.Context, op drift.Operation) error {
	var err error
	switch r := op.Resource.(type) {
	case *drift.TrustPolicy:
		if op.Action != drift.ActUpdateAssumeRolePolicy || r.Document == nil {
			return unknown(op)
		}
		_, err = w.api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyDocument: aws.String(r.Document.String())})
	case *drift.ManagedPolicy:
		switch op.Action {
		case drift.ActAttachRolePolicy:
			_, err = w.api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyArn: aws.String(r.PolicyARN)})
		case drift.ActDetachRolePolicy:
			_, err = w.api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyArn: aws.String(r.PolicyARN)})
		default:
			return unknown(op)
		}
	case *drift.InlinePolicy:
		switch op.Action {
		case drift.ActPutRolePolicy:
			if r.Document == nil {
				return unknown(op)
			}
			_, err = w.api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyName: aws.String(r.PolicyName), PolicyDocument: aws.String(r.Document.String())})
		case drift.ActDeleteRolePolicy:
			_, err = w.api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyName: aws.String(r.PolicyName)})
		default:
			return unknown(op)
		}
	case *drift.PermissionsBoundary:
		switch op.Action {
		case drift.ActPutRolePermissionsBoundary:
			_, err = w.api.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(r.RoleName), PermissionsBoundary: aws.String(r.PolicyARN)})
		case drift.ActDeleteRolePermissionsBoundary:
			_, err = w.api.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(r.RoleName)})
		default:
			return unknown(op)
		}
	case *drift.OIDCProvider:
		if op.Action != drift.ActDeleteOIDCProvider {
			return unknown(op)
		}
		_, err = w.api.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(r.ARN)})
	case *drift.User:
		return w.applyUser(ctx, op, r)
	default:
		return unknown(op)
	}
	return settle(op, err, func(err error) error { return fmt.Errorf("iam: %s: %w", op, err) })
}

// settle turns a call's error into the reverter's terms: a removal that
// meets NoSuchEntity is done (a retried call whose first try went through,
// or someone removed it first), and an error that may pass is marked
// drift.ErrTransient, by the SDK's own retry rules (throttling, 5xx,
// connection errors).
func settle(op drift.Operation, err error, wrap func(error) error) error {
	if err == nil {
		return nil
	}
	var nf *types.NoSuchEntityException
	if errors.As(err, &nf) && !op.Grants() {
		return nil
	}
	if retry.NewStandard().IsErrorRetryable(err) {
		return wrap(fmt.Errorf("%w: %w", drift.ErrTransient, err))
	}
	return wrap(err)
}

func unknown(op drift.Operation) error {
	return fmt.Errorf("iam: cannot apply %s to a %T", op.Action, op.Resource)
}
