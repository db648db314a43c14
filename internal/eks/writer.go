package eks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// writeAPI is the part of the EKS API the reverter calls.
type writeAPI interface {
	CreateAccessEntry(context.Context, *eks.CreateAccessEntryInput, ...func(*eks.Options)) (*eks.CreateAccessEntryOutput, error)
	UpdateAccessEntry(context.Context, *eks.UpdateAccessEntryInput, ...func(*eks.Options)) (*eks.UpdateAccessEntryOutput, error)
	DeleteAccessEntry(context.Context, *eks.DeleteAccessEntryInput, ...func(*eks.Options)) (*eks.DeleteAccessEntryOutput, error)
	AssociateAccessPolicy(context.Context, *eks.AssociateAccessPolicyInput, ...func(*eks.Options)) (*eks.AssociateAccessPolicyOutput, error)
	DisassociateAccessPolicy(context.Context, *eks.DisassociateAccessPolicyInput, ...func(*eks.Options)) (*eks.DisassociateAccessPolicyOutput, error)
	CreatePodIdentityAssociation(context.Context, *eks.CreatePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.CreatePodIdentityAssociationOutput, error)
	UpdatePodIdentityAssociation(context.Context, *eks.UpdatePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.UpdatePodIdentityAssociationOutput, error)
	DeletePodIdentityAssociation(context.Context, *eks.DeletePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.DeletePodIdentityAssociationOutput, error)
	DisassociateIdentityProviderConfig(context.Context, *eks.DisassociateIdentityProviderConfigInput, ...func(*eks.Options)) (*eks.DisassociateIdentityProviderConfigOutput, error)
	ListAccessEntries(context.Context, *eks.ListAccessEntriesInput, ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error)
	ListAssociatedAccessPolicies(context.Context, *eks.ListAssociatedAccessPoliciesInput, ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error)
}

var _ writeAPI = (*eks.Client)(nil)

// Writer applies revert operations to EKS, in each operation's region. It
// is safe for concurrent use.
type Writer struct {
	newClient func(region string) writeAPI
	mu        sync.Mutex
	clients   map[string]writeAPI
}

// NewWriter gives a writer that calls EKS with cfg's credentials.
func NewWriter(cfg aws.Config, optFns ...func(*eks.Options)) *Writer {
	return &Writer{clients: map[string]writeAPI{}, newClient: func(region string) writeAPI {
		opts := append([]func(*eks.Options){func(o *eks.Options) { o.Region = region }}, optFns...)
		return eks.NewFromConfig(cfg, opts...)
	}}
}

func (w *Writer) client(region string) writeAPI {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.clients[region]
	if !ok {
		c = w.newClient(region)
		w.clients[region] = c
	}
	return c
}

// Apply makes one operation's call. It is the operation's own error that
// comes back, wrapped with what was attempted, so the reverter can decide
// to retry.
func (w *Writer) Apply(ctx context.Context, op drift.Operation) error {
	if op.Region == "" || op.Cluster == "" {
		return fmt.Errorf("eks: %s: no region or cluster", op)
	}
	c := w.client(op.Region)
	cluster := aws.String(op.Cluster)
	var err error
	switch r := op.Resource.(type) {
	case *drift.AccessEntry:
		switch op.Action {
		case drift.ActCreateAccessEntry:
			in := &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(r.PrincipalARN), KubernetesGroups: r.KubernetesGroups, Type: aws.String(r.Type)}
			if r.Username != "" {
				in.Username = aws.String(r.Username)
			}
			_, err = c.CreateAccessEntry(ctx, in)
		case drift.ActUpdateAccessEntry:
			in := &eks.UpdateAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(r.PrincipalARN), KubernetesGroups: r.KubernetesGroups}
			if r.Username != "" {
				in.Username = aws.String(r.Username)
			}
			_, err = c.UpdateAccessEntry(ctx, in)
		case drift.ActDeleteAccessEntry:
			_, err = c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: cluster, PrincipalArn: aws.String(r.PrincipalARN)})
		default:
			return unknown(op)
		}
	case *drift.AccessPolicy:
		switch op.Action {
		case drift.ActAssociateAccessPolicy:
			_, err = c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: aws.String(r.PrincipalARN),
				PolicyArn: aws.String(r.PolicyARN), AccessScope: &types.AccessScope{Type: types.AccessScopeType(strings.ToLower(r.Scope.Type)), Namespaces: r.Scope.Namespaces}})
		case drift.ActDisassociateAccessPolicy:
			_, err = c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: aws.String(r.PrincipalARN), PolicyArn: aws.String(r.PolicyARN)})
		default:
			return unknown(op)
		}
	case *drift.PodIdentityAssociation:
		switch op.Action {
		case drift.ActCreatePodIdentityAssociation:
			in := &eks.CreatePodIdentityAssociationInput{ClusterName: cluster, Namespace: aws.String(r.Namespace),
				ServiceAccount: aws.String(r.ServiceAccount), RoleArn: aws.String(r.RoleARN), DisableSessionTags: aws.Bool(r.SessionTagsDisabled())}
			if r.TargetRoleARN != "" {
				in.TargetRoleArn = aws.String(r.TargetRoleARN)
			}
			if r.Policy != nil {
				in.Policy = aws.String(policyText(r.Policy))
			}
			_, err = c.CreatePodIdentityAssociation(ctx, in)
		case drift.ActUpdatePodIdentityAssociation:
			// Every declared field is set, so that the association ends as
			// the baseline declares it whatever it was. An empty target role
			// or policy is not sent: EKS documents no way to remove them by
			// update, and the plan never asks for it.
			in := &eks.UpdatePodIdentityAssociationInput{ClusterName: cluster, AssociationId: aws.String(r.AssociationID),
				RoleArn: aws.String(r.RoleARN), DisableSessionTags: aws.Bool(r.SessionTagsDisabled())}
			if r.TargetRoleARN != "" {
				in.TargetRoleArn = aws.String(r.TargetRoleARN)
			}
			if r.Policy != nil {
				in.Policy = aws.String(policyText(r.Policy))
			}
			_, err = c.UpdatePodIdentityAssociation(ctx, in)
		case drift.ActDeletePodIdentityAssociation:
			_, err = c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: cluster, AssociationId: aws.String(r.AssociationID)})
		default:
			return unknown(op)
		}
	case *drift.IdentityProviderConfig:
		if op.Action != drift.ActDisassociateIdentityProvider {
			return unknown(op)
		}
		_, err = c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{ClusterName: cluster,
			IdentityProviderConfig: &types.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String(r.Name)}})
	default:
		return unknown(op)
	}
	return settle(op, err, func(err error) error { return fmt.Errorf("eks %s: %s: %w", op.Region, op, err) })
}

// settle turns a call's error into the reverter's terms: a removal that
// meets "not found" is done (a retried call whose first try went through,
// or someone removed it first), and an error that may pass is marked
// drift.ErrTransient, by the SDK's own retry rules (throttling, 5xx,
// connection errors).
func settle(op drift.Operation, err error, wrap func(error) error) error {
	if err == nil {
		return nil
	}
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) && !op.Grants() {
		return nil
	}
	if retry.NewStandard().IsErrorRetryable(err) {
		return wrap(fmt.Errorf("%w: %w", drift.ErrTransient, err))
	}
	return wrap(err)
}

func unknown(op drift.Operation) error {
	return fmt.Errorf("eks: cannot apply %s to a %T", op.Action, op.Resource)
}

// ClusterAdmins lists the principals that hold AmazonEKSClusterAdminPolicy
// on the whole cluster, paging through every entry: the reverter refuses
// to remove the last one.
func (w *Writer) ClusterAdmins(ctx context.Context, region, cluster string) ([]string, error) {
	c := w.client(region)
	var admins []string
	p := eks.NewListAccessEntriesPaginator(c, &eks.ListAccessEntriesInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("eks %s/%s: ListAccessEntries: %w", region, cluster, err)
		}
		for _, principal := range page.AccessEntries {
			pp := eks.NewListAssociatedAccessPoliciesPaginator(c, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
			for pp.HasMorePages() {
				pol, err := pp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("eks %s/%s: ListAssociatedAccessPolicies %s: %w", region, cluster, principal, err)
				}
				for _, ap := range pol.AssociatedAccessPolicies {
					if aws.ToString(ap.PolicyArn) == drift.PolicyClusterAdmin && ap.AccessScope != nil && ap.AccessScope.Type == types.AccessScopeTypeCluster {
						admins = append(admins, principal)
					}
				}
			}
		}
	}
	slices.Sort(admins)
	return slices.Compact(admins), nil
}

// policyText is a session policy as the baseline wrote it, "" for none.
func policyText(d *drift.PolicyDocument) string {
	if d == nil {
		return ""
	}
	b, err := json.Marshal(d.Original())
	if err != nil {
		// The canonical form means the same.
		return d.String()
	}
	return string(b)
}
