package drift

import "slices"

// users says what next's IAM users may hold that prev's did not. A user
// behind an access entry reaches the cluster with its credentials, so a
// version that declares a new access key, console password, group or
// policy for one grants access as surely as one that adds an access entry.
func (d *differ) users(prev, next []UserBaseline) {
	const all = "iamUsers"
	d.unmanaged(all, "IAM users", prev != nil, next != nil)
	old := map[string]*UserBaseline{}
	for i := range prev {
		old[roleIndexKey(prev[i].Account(), prev[i].Name())] = &prev[i]
	}
	seen := map[string]bool{}
	for i := range next {
		u := &next[i]
		k := roleIndexKey(u.Account(), u.Name())
		seen[k] = true
		p := old[k]
		if p == nil {
			d.add(SeverityMedium, OpAdded, u.ARN, "user is newly declared: what it may hold is what this version says")
			p = &UserBaseline{ARN: u.ARN}
		}
		d.user(p, u)
	}
	for i := range prev {
		if k := roleIndexKey(prev[i].Account(), prev[i].Name()); !seen[k] {
			seen[k] = true
			d.add(SeverityHigh, OpRemoved, prev[i].ARN, "user is no longer declared: changes to it are out of scope, never judged")
		}
	}
}

func (d *differ) user(p, u *UserBaseline) {
	where := u.ARN
	d.mode(where, "the user", p.Mode, u.Mode)
	// Policies and boundary are judged as a role's are.
	d.role(&RoleBaseline{ARN: u.ARN, Mode: u.Mode, ManagedPolicies: p.ManagedPolicies, InlinePolicies: p.InlinePolicies, PermissionsBoundary: p.PermissionsBoundary},
		&RoleBaseline{ARN: u.ARN, Mode: u.Mode, ManagedPolicies: u.ManagedPolicies, InlinePolicies: u.InlinePolicies, PermissionsBoundary: u.PermissionsBoundary})
	d.unmanaged(where, "groups", p.Groups != nil, u.Groups != nil)
	added, removed := setDiff(u.Groups, p.Groups)
	for _, g := range added {
		d.add(SeverityMedium, OpAdded, where, "user is put in group %s: it gets the group's policies", g)
	}
	for _, g := range removed {
		d.add(SeverityLow, OpRemoved, where, "user is taken out of group %s", g)
	}
	for _, k := range u.AccessKeys {
		if !slices.Contains(p.AccessKeys, k) {
			d.add(SeverityHigh, OpAdded, where, "access key %s may exist: a long-term credential that reaches what the user can", k)
		}
	}
	for _, k := range p.AccessKeys {
		if !slices.Contains(u.AccessKeys, k) {
			d.add(SeverityLow, OpRemoved, where, "access key %s may no longer exist", k)
		}
	}
	for _, k := range u.ServiceCredentials {
		if !slices.Contains(p.ServiceCredentials, k) {
			d.add(SeverityMedium, OpAdded, where, "service-specific credential %s may exist", k)
		}
	}
	for _, k := range p.ServiceCredentials {
		if !slices.Contains(u.ServiceCredentials, k) {
			d.add(SeverityLow, OpRemoved, where, "service-specific credential %s may no longer exist", k)
		}
	}
	switch {
	case u.ConsoleAccess && !p.ConsoleAccess:
		d.add(SeverityMedium, OpAdded, where, "user may have a console password")
	case !u.ConsoleAccess && p.ConsoleAccess:
		d.add(SeverityLow, OpRemoved, where, "user may no longer have a console password")
	}
}
