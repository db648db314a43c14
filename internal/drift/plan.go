package drift

import (
	"fmt"
	"slices"
	"strings"
)

// operations, none when it already matches, or why it cannot be done.
// It plans from the live state alone, whatever the event said, so that a
// redelivered or late finding plans nothing once the state is right.
func (e *Evaluator) Plan(c Change, live Observation) (ops []Operation, cannot string) {
	switch r := c.Resource.(type) {
	case *Cluster:
		return nil, "eksdrift never deletes clusters"
	case *BaselineObject:
		return nil, "a write to the baseline is reported, never reverted"
	case *AwsAuth:
		return nil, awsAuthNoRevert
	case *TamperTarget:
		return nil, "tamper is reported, never reverted: the reverter may be what was tampered with"
	case *AuthenticationMode:
		return nil, "the authentication mode cannot be moved back (EKS only moves it towards API)"
	case *AccessEntry, *AccessPolicy, *PodIdentityAssociation, *IdentityProviderConfig:
		ci, ok := e.ix.clusters[clusterKey(c.Event.Account, c.Event.Region, c.Cluster)]
		if !ok {
			return nil, "the cluster is not declared in the baseline"
		}
		op := func(action string, res Resource) Operation {
			return Operation{Action: action, Region: c.Event.Region, Cluster: c.Cluster, Resource: res}
		}
		switch r := r.(type) {
		case *AccessEntry:
			return planEntry(ci, r, live, op)
		case *AccessPolicy:
			return planPolicy(ci, r, live, op)
		case *PodIdentityAssociation:
			return planPod(ci, r, live, op)
		case *IdentityProviderConfig:
			return planIDP(ci, r, live, op)
		}
	case *Role:
		rb, ok := e.ix.Role(c.Event.Account, r.Name)
		if !ok {
			return nil, "the role is not declared in the baseline"
		}
		if !live.Present {
			return nil, "a deleted role cannot be brought back with its identity (role ID); recreate it from the baseline"
		}
		lr, _ := live.Resource.(*Role)
		if rb.TrustPolicy != nil && lr != nil && lr.TrustPolicy != nil && !rb.TrustPolicy.Equal(lr.TrustPolicy) {
			return []Operation{{Action: ActUpdateAssumeRolePolicy, Resource: &TrustPolicy{RoleARN: rb.ARN, RoleName: rb.Name(), Document: rb.TrustPolicy}}}, ""
		}
		return nil, ""
	case *TrustPolicy, *ManagedPolicy, *InlinePolicy, *PermissionsBoundary:
		name := roleNameOf(r)
		rb, ok := e.ix.Role(c.Event.Account, name)
		if !ok {
			return nil, "the role is not declared in the baseline"
		}
		return planRole(rb, r, live)
	case *User:
		return e.planUser(c, r, live)
	case *PermissionSet:
		return nil, "IAM Identity Center owns permission sets: change them there"
	case *OIDCProvider:
		if e.ix.oidc == nil {
			return nil, "the baseline does not manage IAM OIDC providers"
		}
		switch {
		case live.Present && !e.ix.oidc[r.ARN]:
			return []Operation{{Action: ActDeleteOIDCProvider, Resource: &OIDCProvider{ARN: r.ARN}}}, ""
		case !live.Present && e.ix.oidc[r.ARN]:
			return nil, "recreating an OIDC provider needs its client IDs and thumbprints, which the baseline does not hold"
		}
		return nil, ""
	}
	return nil, fmt.Sprintf("eksdrift does not know how to revert a %s", c.Kind())
}

type opFunc func(action string, res Resource) Operation

func planEntry(ci *clusterIndex, r *AccessEntry, live Observation, op opFunc) ([]Operation, string) {
	if ci.c.AccessEntries == nil {
		return nil, "the baseline does not manage access entries on cluster " + ci.c.Name
	}
	d := ci.entries[r.PrincipalARN]
	lv, _ := live.Resource.(*AccessEntry)
	if why := nodeEntryHeld(ci, live); why != "" {
		return nil, why
	}
	switch {
	case !live.Present && d == nil:
		return nil, ""
	case live.Present && d == nil:
		return []Operation{op(ActDeleteAccessEntry, &AccessEntry{PrincipalARN: r.PrincipalARN})}, ""
	case !live.Present:
		return recreateEntry(d, op), ""
	}
	if lv == nil {
		return nil, ""
	}
	want := declaredEntry(d)
	if lv.Type != "" && lv.Type != want.Type {
		// The type of an entry cannot be changed in place.
		return append([]Operation{op(ActDeleteAccessEntry, &AccessEntry{PrincipalARN: r.PrincipalARN})}, recreateEntry(d, op)...), ""
	}
	if IsNodeEntryType(want.Type) {
		return nil, ""
	}
	groupsDiffer := !SameSet(lv.KubernetesGroups, want.KubernetesGroups)
	userDiffers := want.Username != "" && lv.Username != want.Username
	if groupsDiffer || userDiffers {
		return []Operation{op(ActUpdateAccessEntry, want)}, ""
	}
	return nil, ""
}

// nodeEntryHeld says why a live entry may not be touched: its live type is
// one EKS manages (nodes, Fargate, Auto Mode, hybrid), whatever the event
// or the finding said its type was, unless the cluster opts in with
// revertNodeEntries. An event without a response names no type, and
// reading it as STANDARD would delete a node's entry.
func nodeEntryHeld(ci *clusterIndex, live Observation) string {
	lv, _ := live.Resource.(*AccessEntry)
	if !live.Present || lv == nil || !IsNodeEntryType(lv.Type) || ci.c.RevertNodeEntries {
		return ""
	}
	return "the live access entry of " + lv.PrincipalARN + " is of type " + lv.Type + ", which EKS manages; set revertNodeEntries on cluster " + ci.c.Name + " to opt in"
}

func declaredEntry(d *AccessEntryBaseline) *AccessEntry {
	t := d.Type
	if t == "" {
		t = EntryStandard
	}
	groups := d.KubernetesGroups
	if groups == nil {
		groups = []string{}
	}
	return &AccessEntry{PrincipalARN: d.PrincipalARN, Type: t, KubernetesGroups: groups, Username: d.Username}
}

// recreateEntry creates a declared entry exactly as the baseline says,
// with its policies and their scopes.
func recreateEntry(d *AccessEntryBaseline, op opFunc) []Operation {
	ops := []Operation{op(ActCreateAccessEntry, declaredEntry(d))}
	for _, p := range d.AccessPolicies {
		ops = append(ops, op(ActAssociateAccessPolicy, &AccessPolicy{PrincipalARN: d.PrincipalARN, PolicyARN: p.PolicyARN, Scope: p.Scope}))
	}
	return ops
}

func planPolicy(ci *clusterIndex, r *AccessPolicy, live Observation, op opFunc) ([]Operation, string) {
	if ci.c.AccessEntries == nil {
		return nil, "the baseline does not manage access entries on cluster " + ci.c.Name
	}
	d := ci.policies[r.PrincipalARN+"|"+r.PolicyARN]
	lv, _ := live.Resource.(*AccessPolicy)
	switch {
	case !live.Present && d == nil:
		return nil, ""
	case live.Present && d == nil:
		return []Operation{op(ActDisassociateAccessPolicy, &AccessPolicy{PrincipalARN: r.PrincipalARN, PolicyARN: r.PolicyARN})}, ""
	case !live.Present, lv != nil && !lv.Scope.Equal(d.Scope):
		// Associating again sets the declared scope.
		return []Operation{op(ActAssociateAccessPolicy, &AccessPolicy{PrincipalARN: r.PrincipalARN, PolicyARN: r.PolicyARN, Scope: d.Scope})}, ""
	}
	return nil, ""
}

func planPod(ci *clusterIndex, r *PodIdentityAssociation, live Observation, op opFunc) ([]Operation, string) {
	if ci.c.PodIdentityAssociations == nil {
		return nil, "the baseline does not manage pod identity associations on cluster " + ci.c.Name
	}
	d := ci.pods[r.Key()]
	lv, _ := live.Resource.(*PodIdentityAssociation)
	switch {
	case !live.Present && d == nil:
		return nil, ""
	case live.Present && d == nil:
		id := r.AssociationID
		if lv != nil && lv.AssociationID != "" {
			id = lv.AssociationID
		}
		return []Operation{op(ActDeletePodIdentityAssociation, &PodIdentityAssociation{Namespace: r.Namespace, ServiceAccount: r.ServiceAccount, AssociationID: id})}, ""
	case !live.Present:
		want := declaredPod(*d)
		return []Operation{op(ActCreatePodIdentityAssociation, &want)}, ""
	case lv != nil && ((lv.TargetRoleARN != "" && d.TargetRoleARN == "") || (lv.Policy != nil && d.Policy == nil)):
		return nil, "an update cannot take a target role or a session policy away (EKS documents no way, and an empty value is ignored); " +
			"delete the association and create it from the baseline"
	case lv != nil && !samePod(lv, d):
		// An update sets every field the baseline declares, so that a
		// removed or changed target role or session policy comes back too.
		want := declaredPod(*d)
		want.AssociationID = lv.AssociationID
		return []Operation{op(ActUpdatePodIdentityAssociation, &want)}, ""
	}
	return nil, ""
}

// samePod reports whether a live association is the declared one.
func samePod(live, d *PodIdentityAssociation) bool {
	return live.RoleARN == d.RoleARN && live.TargetRoleARN == d.TargetRoleARN && live.Policy.Equal(d.Policy) &&
		live.SessionTagsDisabled() == d.SessionTagsDisabled()
}

func planIDP(ci *clusterIndex, r *IdentityProviderConfig, live Observation, op opFunc) ([]Operation, string) {
	if ci.c.IdentityProviderConfigs == nil {
		return nil, "the baseline does not manage identity provider configs on cluster " + ci.c.Name
	}
	d := ci.idps[r.Name]
	switch {
	case live.Present && d == nil:
		return []Operation{op(ActDisassociateIdentityProvider, &IdentityProviderConfig{Name: r.Name, Type: "oidc"})}, ""
	case !live.Present && d != nil:
		return nil, "recreating an identity provider config needs its claims and client settings, which the baseline does not hold"
	}
	return nil, ""
}

func planRole(rb *RoleBaseline, r Resource, live Observation) ([]Operation, string) {
	one := func(action string, res Resource) ([]Operation, string) {
		return []Operation{{Action: action, Resource: res}}, ""
	}
	name := rb.Name()
	switch r := r.(type) {
	case *TrustPolicy:
		if rb.TrustPolicy == nil {
			return nil, "the baseline does not manage the trust policy of " + rb.ARN
		}
		if !live.Present {
			return nil, "the role no longer exists"
		}
		if lv, _ := live.Resource.(*TrustPolicy); lv != nil && !rb.TrustPolicy.Equal(lv.Document) {
			return one(ActUpdateAssumeRolePolicy, &TrustPolicy{RoleARN: rb.ARN, RoleName: name, Document: rb.TrustPolicy})
		}
	case *ManagedPolicy:
		if rb.ManagedPolicies == nil {
			return nil, "the baseline does not manage the managed policies of " + rb.ARN
		}
		declared := slices.Contains(rb.ManagedPolicies, r.PolicyARN)
		switch {
		case live.Present && !declared:
			return one(ActDetachRolePolicy, &ManagedPolicy{RoleARN: rb.ARN, RoleName: name, PolicyARN: r.PolicyARN})
		case !live.Present && declared:
			return one(ActAttachRolePolicy, &ManagedPolicy{RoleARN: rb.ARN, RoleName: name, PolicyARN: r.PolicyARN})
		}
	case *InlinePolicy:
		if rb.InlinePolicies == nil {
			return nil, "the baseline does not manage the inline policies of " + rb.ARN
		}
		d, declared := rb.InlinePolicies[r.PolicyName]
		lv, _ := live.Resource.(*InlinePolicy)
		switch {
		case live.Present && !declared:
			return one(ActDeleteRolePolicy, &InlinePolicy{RoleARN: rb.ARN, RoleName: name, PolicyName: r.PolicyName})
		case declared && (!live.Present || lv == nil || !d.Equal(lv.Document)):
			return one(ActPutRolePolicy, &InlinePolicy{RoleARN: rb.ARN, RoleName: name, PolicyName: r.PolicyName, Document: d})
		}
	case *PermissionsBoundary:
		if rb.PermissionsBoundary == nil {
			return nil, "the baseline does not manage the permissions boundary of " + rb.ARN
		}
		want, got := *rb.PermissionsBoundary, ""
		if lv, _ := live.Resource.(*PermissionsBoundary); live.Present && lv != nil {
			got = lv.PolicyARN
		}
		switch {
		case want == "" && got != "":
			return one(ActDeleteRolePermissionsBoundary, &PermissionsBoundary{RoleARN: rb.ARN, RoleName: name})
		case want != "" && got != want:
			return one(ActPutRolePermissionsBoundary, &PermissionsBoundary{RoleARN: rb.ARN, RoleName: name, PolicyARN: want})
		}
	}
	return nil, ""
}

// LosesLastAdmin is the last-cluster-admin rule: it reports whether ops,
// run on a cluster, would leave no principal holding cluster-admin on the
// whole cluster, and gives those who hold it now. admins reads them from
// the live cluster; it is called only when ops touch an admin's grant (they
// delete an access entry or change an AmazonEKSClusterAdminPolicy
// association), so a plan that touches none costs no read and never loses
// an admin. The reverter refuses any plan that loses the last one, and
// any plan that removes access from a cluster that has none.
func LosesLastAdmin(ops []Operation, admins func() ([]string, error)) (loses bool, now []string, err error) {
	if !touchesAdmin(ops) {
		return false, nil, nil
	}
	if now, err = admins(); err != nil {
		return false, nil, err
	}
	return len(adminsAfter(now, ops)) == 0, now, nil
}

// touchesAdmin reports whether ops can take cluster-admin from anyone.
func touchesAdmin(ops []Operation) bool {
	for _, o := range ops {
		switch r := o.Resource.(type) {
		case *AccessEntry:
			if o.Action == ActDeleteAccessEntry {
				return true
			}
		case *AccessPolicy:
			if r.PolicyARN == PolicyClusterAdmin {
				return true
			}
		}
	}
	return false
}

// adminsAfter gives the principals that hold cluster-admin on the whole
// cluster once ops have run, from those that hold it now.
func adminsAfter(admins []string, ops []Operation) []string {
	set := map[string]bool{}
	for _, a := range admins {
		set[a] = true
	}
	for _, o := range ops {
		switch r := o.Resource.(type) {
		case *AccessEntry:
			if o.Action == ActDeleteAccessEntry {
				delete(set, r.PrincipalARN)
			}
		case *AccessPolicy:
			if r.PolicyARN != PolicyClusterAdmin {
				continue
			}
			switch {
			case o.Action == ActDisassociateAccessPolicy:
				delete(set, r.PrincipalARN)
			case o.Action == ActAssociateAccessPolicy && strings.EqualFold(r.Scope.Type, ScopeCluster):
				set[r.PrincipalARN] = true
			case o.Action == ActAssociateAccessPolicy:
				delete(set, r.PrincipalARN)
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// ChangeOf rebuilds the change behind a finding from its public fields, so
