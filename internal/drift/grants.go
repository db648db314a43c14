package drift

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// The admin-level policies the reverter may not grant unless the stack
// says allowGrantingAdmin: the stack's explicit Deny statements on the
// reverter's role (conditions on iam:PolicyARN, iam:PermissionsBoundary and
// eks:policyArn) and the planner's held-back outcome both come from these
// lists, so that they cannot disagree. A baseline write alone must never
// make eksdrift hand out admin.
//
// ReverterDeniedAccessPolicies holds every access policy the rating table
// (access_policies.go) rates critical at some scope: each lets its holder
// give itself anything else (AmazonEKSEditPolicy impersonates kube-system's
// service accounts, AmazonEKSLoadBalancingClusterPolicy writes mutating
// webhooks). They are denied at every scope, as the admin policies always
// were: the stack's condition keys cannot tell a namespace list that
// reaches kube-system (by a pattern such as "kube-*") from one that does
// not, and a scope can be widened by a later association. The list is
// written out so that a reviewer of the stack reads the names;
// TestReverterDeniesEveryCriticalAccessPolicy walks the table and fails on
// a critical row missing here.
var (
	ReverterDeniedManagedPolicies = []string{
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/IAMFullAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess",
	}
	ReverterDeniedAccessPolicies = []string{
		PolicyClusterAdmin,
		PolicyAdmin,
		PolicyEdit,
		accessPolicyPrefix + "AmazonEKSLoadBalancingClusterPolicy",
	}
)

// ErrTransient marks an error from an AWS call that may pass if the call is
// made again (throttling, a service error, a timeout). The adapters wrap
// such errors with it; the reverter retries them and returns the message
// to its queue when they last.
var ErrTransient = errors.New("transient failure")

// Grants reports whether an operation can give access: creating or
// updating an entry, an association, a policy, a trust policy, or
// changing or removing a permissions boundary. Pure removals do not.
func (o Operation) Grants() bool {
	switch o.Action {
	case ActDeleteAccessEntry, ActDisassociateAccessPolicy, ActDeletePodIdentityAssociation, ActDisassociateIdentityProvider,
		ActDetachRolePolicy, ActDeleteRolePolicy, ActDeleteOIDCProvider,
		ActDeactivateAccessKey, ActDeactivateServiceCredential, ActDeleteLoginProfile, ActDetachUserPolicy,
		ActDeleteUserPolicy, ActRemoveUserFromGroup:
		return false
	}
	return true
}

// GrantsOver reports whether an operation gives access beyond the live
// state it is planned from: Grants, except that setting an entry's groups
// back to a subset of its live groups (same username), or associating a
// policy again with a scope narrower than its live one, only takes away.
func (o Operation) GrantsOver(live Observation) bool {
	if !o.Grants() {
		return false
	}
	switch r := o.Resource.(type) {
	case *AccessEntry:
		lv, _ := live.Resource.(*AccessEntry)
		if o.Action == ActUpdateAccessEntry && live.Present && lv != nil {
			added, _ := setDiff(r.KubernetesGroups, lv.KubernetesGroups)
			return len(added) > 0 || (r.Username != "" && r.Username != lv.Username)
		}
	case *AccessPolicy:
		lv, _ := live.Resource.(*AccessPolicy)
		if o.Action == ActAssociateAccessPolicy && live.Present && lv != nil && lv.PolicyARN == r.PolicyARN {
			return widens(r.Scope, lv.Scope)
		}
	}
	return true
}

// AdminGrant gives the admin-level policy an operation would grant, or ""
// when it grants none of them. A policy matches in every partition, as the
// stack's ArnLike conditions (arn:*:...) do: a baseline for an aws-cn or
// aws-us-gov account must not get past the planner with the same policy.
func AdminGrant(o Operation) string {
	switch r := o.Resource.(type) {
	case *ManagedPolicy:
		if o.Action == ActAttachRolePolicy && deniedInAnyPartition(ReverterDeniedManagedPolicies, r.PolicyARN) {
			return r.PolicyARN
		}
	case *PermissionsBoundary:
		if o.Action == ActPutRolePermissionsBoundary && deniedInAnyPartition(ReverterDeniedManagedPolicies, r.PolicyARN) {
			return r.PolicyARN
		}
	case *User:
		if o.Action == ActPutUserPermissionsBoundary && deniedInAnyPartition(ReverterDeniedManagedPolicies, r.Name) {
			return r.Name
		}
	case *AccessPolicy:
		if o.Action == ActAssociateAccessPolicy && deniedInAnyPartition(ReverterDeniedAccessPolicies, r.PolicyARN) {
			return r.PolicyARN
		}
	}
	return ""
}

// deniedInAnyPartition reports whether arn is one of denied (written in
// the aws partition) in any partition: arn:*:rest, as ArnLike matches it.
func deniedInAnyPartition(denied []string, arn string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return false
	}
	if _, rest, ok = strings.Cut(rest, ":"); !ok {
		return false
	}
	return slices.Contains(denied, "arn:aws:"+rest)
}

// ContainsOperation reports whether ops has an operation that makes the
// same call with the same state as op.
func ContainsOperation(ops []Operation, op Operation) bool {
	want, _ := json.Marshal(op.Resource)
	for _, o := range ops {
		if o.Action != op.Action || o.Region != op.Region || o.Cluster != op.Cluster {
			continue
		}
		if got, _ := json.Marshal(o.Resource); bytes.Equal(got, want) {
			return true
		}
	}
	return false
}
