package drift

import (
	"strings"
)

// The calls a revert can make. Their names are the API actions, so an
// operation reads as what CloudTrail will show, and the reverter's IAM
// policy lists exactly these.
const (
	ActCreateAccessEntry             = "eks:CreateAccessEntry"
	ActUpdateAccessEntry             = "eks:UpdateAccessEntry"
	ActDeleteAccessEntry             = "eks:DeleteAccessEntry"
	ActAssociateAccessPolicy         = "eks:AssociateAccessPolicy"
	ActDisassociateAccessPolicy      = "eks:DisassociateAccessPolicy"
	ActCreatePodIdentityAssociation  = "eks:CreatePodIdentityAssociation"
	ActUpdatePodIdentityAssociation  = "eks:UpdatePodIdentityAssociation"
	ActDeletePodIdentityAssociation  = "eks:DeletePodIdentityAssociation"
	ActDisassociateIdentityProvider  = "eks:DisassociateIdentityProviderConfig"
	ActUpdateAssumeRolePolicy        = "iam:UpdateAssumeRolePolicy"
	ActAttachRolePolicy              = "iam:AttachRolePolicy"
	ActDetachRolePolicy              = "iam:DetachRolePolicy"
	ActPutRolePolicy                 = "iam:PutRolePolicy"
	ActDeleteRolePolicy              = "iam:DeleteRolePolicy"
	ActPutRolePermissionsBoundary    = "iam:PutRolePermissionsBoundary"
	ActDeleteRolePermissionsBoundary = "iam:DeleteRolePermissionsBoundary"
	ActDeleteOIDCProvider            = "iam:DeleteOpenIDConnectProvider"
)

// RevertActions lists every action a revert may call.
var RevertActions = []string{
	ActCreateAccessEntry, ActUpdateAccessEntry, ActDeleteAccessEntry, ActAssociateAccessPolicy,
	ActDisassociateAccessPolicy, ActCreatePodIdentityAssociation, ActUpdatePodIdentityAssociation,
	ActDeletePodIdentityAssociation, ActDisassociateIdentityProvider, ActUpdateAssumeRolePolicy,
	ActAttachRolePolicy, ActDetachRolePolicy, ActPutRolePolicy, ActDeleteRolePolicy,
	ActPutRolePermissionsBoundary, ActDeleteRolePermissionsBoundary, ActDeleteOIDCProvider,
}

// Operation is one call that moves a resource back to the baseline.
// Resource is the state to create or set, or what to remove.
type Operation struct {
	Action   string
	Region   string // EKS operations: the cluster's region
	Cluster  string
	Resource Resource
}

// IsEKS reports whether the operation is an EKS call.
func (o Operation) IsEKS() bool { return strings.HasPrefix(o.Action, "eks:") }

// String reads as the call: "eks:DeleteAccessEntry prod arn:aws:iam::...:role/x".
func (o Operation) String() string {
	target := o.Resource.Key()
	switch r := o.Resource.(type) {
	case *AccessPolicy:
		if r.Scope.Type != "" {
			target += " " + scopeString(r.Scope)
		}
	case *AccessEntry:
		if o.Action != ActDeleteAccessEntry && len(r.KubernetesGroups) > 0 {
			target += " groups=" + strings.Join(r.KubernetesGroups, ",")
		}
	case *PodIdentityAssociation:
		if r.RoleARN != "" && o.Action != ActDeletePodIdentityAssociation {
			target += " role=" + r.RoleARN
		}
	}
	if o.Cluster != "" {
		return o.Action + " " + o.Cluster + " " + target
	}
	return o.Action + " " + target
}

// Plan says how to move a resource's live state back to the baseline: the
