package drift

import (
	"strings"
	"testing"
)

// Direct tests of the IAM user rule and plan (rules_iamuser.go) and of
// Identity Center (rules_sso.go).

const (
	userAdmin = "arn:aws:iam::111122223333:user/ops/admin-user"
	userDev   = "arn:aws:iam::111122223333:user/dev-user"
)

func usersEvaluator(t *testing.T) *Evaluator {
	t.Helper()
	none := ""
	ix, err := NewIndex(&Baseline{
		Version: 1, Mode: ModeRevert,
		Clusters: []ClusterBaseline{{
			Name: "prod", Account: acct, Region: "us-west-2",
			AccessEntries: []AccessEntryBaseline{
				{PrincipalARN: userAdmin, AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}},
				{PrincipalARN: userDev},
			},
		}},
		IAMRoles: []RoleBaseline{{ARN: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123", ManagedPolicies: []string{}}},
		IAMUsers: []UserBaseline{
			{ARN: userAdmin, AccessKeys: []string{"AKIAKNOWN"}, ManagedPolicies: []string{}, InlinePolicies: map[string]*PolicyDocument{},
				Groups: []string{"readers"}, PermissionsBoundary: &none},
			{ARN: userDev, ConsoleAccess: true, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return NewEvaluator(ix)
}

func TestUserRules(t *testing.T) {
	e := usersEvaluator(t)
	admin := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	u := func(op Op, name, aspect, id string) Change {
		return Change{Event: ev("arn:aws:iam::111122223333:role/person"), Op: op,
			Resource: &User{UserARN: "arn:aws:iam::111122223333:user/" + name, UserName: name, Aspect: aspect, Name: id}}
	}
	inline := u(OpAdded, "admin-user", UserInlinePolicy, "debug")
	inline.Resource.(*User).Document = admin
	runRules(t, e, []ruleCase{
		{name: "new access key of a cluster-admin user is high", change: u(OpAdded, "admin-user", UserAccessKey, "AKIANEW"),
			drift: true, severity: SeverityHigh, has: "access key AKIANEW of " + userAdmin + " is not declared", decision: DecisionRevert},
		{name: "new access key of another user is medium", change: u(OpAdded, "dev-user", UserAccessKey, "AKIANEW"),
			drift: true, severity: SeverityMedium, has: "is not declared", decision: DecisionRevert},
		{name: "declared access key", change: u(OpAdded, "admin-user", UserAccessKey, "AKIAKNOWN"), severity: SeverityInfo, has: "is declared"},
		{name: "deleted access key", change: u(OpRemoved, "admin-user", UserAccessKey, "AKIANEW"), severity: SeverityInfo, has: "towards the baseline"},
		{name: "service credential", change: u(OpAdded, "admin-user", UserServiceCredential, "ACCA1"), drift: true, severity: SeverityHigh, has: "service-specific credential ACCA1"},
		{name: "login profile without consoleAccess", change: u(OpAdded, "admin-user", UserLoginProfile, ""), drift: true, severity: SeverityHigh,
			has: "does not declare consoleAccess", decision: DecisionRevert},
		{name: "login profile with consoleAccess", change: u(OpAdded, "dev-user", UserLoginProfile, ""), severity: SeverityInfo, has: "consoleAccess"},
		{name: "password changed with consoleAccess is reported, not reverted", change: u(OpModified, "dev-user", UserLoginProfile, ""),
			drift: true, severity: SeverityMedium, has: "a password cannot be restored", decision: DecisionAlert},
		{name: "AdministratorAccess attached", change: u(OpAdded, "dev-user", UserManagedPolicy, "arn:aws:iam::aws:policy/AdministratorAccess"),
			drift: true, severity: SeverityCritical, has: "is not declared for " + userDev},
		{name: "declared managed policy", change: u(OpAdded, "dev-user", UserManagedPolicy, "arn:aws:iam::aws:policy/ReadOnlyAccess"), severity: SeverityInfo, has: "is declared"},
		{name: "admin inline policy", change: inline, drift: true, severity: SeverityCritical, has: "inline policy debug is not declared"},
		{name: "inline policies not managed", change: u(OpAdded, "dev-user", UserInlinePolicy, "x"), severity: SeverityInfo, has: "does not manage the inline policies"},
		{name: "undeclared group", change: u(OpAdded, "admin-user", UserGroup, "admins"), drift: true, severity: SeverityHigh, has: "added to group admins"},
		{name: "declared group", change: u(OpAdded, "admin-user", UserGroup, "readers"), severity: SeverityInfo, has: "group readers is declared"},
		{name: "boundary where none is declared", change: u(OpAdded, "admin-user", UserBoundary, "arn:aws:iam::111122223333:policy/b"),
			drift: true, severity: SeverityHigh, has: "the baseline declares none"},
		{name: "undeclared user is out of scope", change: u(OpAdded, "someone", UserAccessKey, "AKIA1"), severity: SeverityInfo, has: "out of scope"},
	})
}

func TestUserSweptBehindAnEntry(t *testing.T) {
	e := usersEvaluator(t)
	c := Change{Event: ev("sweep"), Op: OpAdded, Cluster: "prod",
		Resource: &User{UserARN: "arn:aws:iam::111122223333:user/intruder", UserName: "intruder", Aspect: UserItself}}
	f := e.Evaluate(c)
	if !f.Drift || f.Decision != DecisionAlert || !strings.Contains(f.Reason, "not declared under iamUsers") {
		t.Errorf("got drift %v %s %q, want undeclared user behind an entry reported, never reverted", f.Drift, f.Decision, f.Reason)
	}
	c.Resource = &User{UserARN: userDev, UserName: "dev-user", Aspect: UserItself}
	if f := e.Evaluate(c); f.Drift {
		t.Errorf("got drift for a declared user: %q, want compliant", f.Reason)
	}
}

func TestUserPlan(t *testing.T) {
	e := usersEvaluator(t)
	present := func(r *User) Observation { return Observation{Present: true, Resource: r} }
	key := &User{UserARN: "arn:aws:iam::111122223333:user/admin-user", UserName: "admin-user", Aspect: UserAccessKey, Name: "AKIANEW", Status: "Active"}
	tests := []struct {
		name   string
		r      *User
		op     Op
		live   Observation
		want   string // the one operation, "" for none
		cannot string
	}{
		{name: "active undeclared key is deactivated", r: key, op: OpAdded, live: present(key), want: "iam:UpdateAccessKey admin-user|access-key|AKIANEW"},
		{name: "inactive key needs nothing", r: key, op: OpAdded, live: present(&User{Aspect: UserAccessKey, Name: "AKIANEW", Status: "Inactive"})},
		{name: "deleted key needs nothing", r: key, op: OpAdded, live: Observation{}},
		{name: "login profile deleted", r: &User{UserName: "admin-user", Aspect: UserLoginProfile}, op: OpAdded,
			live: present(&User{Aspect: UserLoginProfile}), want: "iam:DeleteLoginProfile admin-user|login-profile"},
		{name: "password change not reverted", r: &User{UserName: "dev-user", Aspect: UserLoginProfile}, op: OpModified,
			live: present(&User{Aspect: UserLoginProfile}), cannot: "a password cannot be restored"},
		{name: "group removed", r: &User{UserName: "admin-user", Aspect: UserGroup, Name: "admins"}, op: OpAdded,
			live: present(&User{Aspect: UserGroup, Name: "admins"}), want: "iam:RemoveUserFromGroup admin-user|group|admins"},
		{name: "undeclared boundary deleted", r: &User{UserName: "admin-user", Aspect: UserBoundary, Name: "arn:aws:iam::111122223333:policy/b"}, op: OpAdded,
			live: present(&User{Aspect: UserBoundary, Name: "arn:aws:iam::111122223333:policy/b"}), want: "iam:DeleteUserPermissionsBoundary admin-user|permissions-boundary"},
		// The writer only takes away from users: what the baseline grants and
		// the user lost is said, not silently left (plan printed "nothing to
		// call" for it).
		{name: "declared group left", r: &User{UserName: "admin-user", Aspect: UserGroup, Name: "readers"}, op: OpRemoved, live: Observation{},
			cannot: "eksdrift never adds a user to a group: add it back if it is still wanted"},
		{name: "declared managed policy detached", r: &User{UserName: "dev-user", Aspect: UserManagedPolicy, Name: "arn:aws:iam::aws:policy/ReadOnlyAccess"}, op: OpRemoved,
			live: Observation{}, cannot: "eksdrift never attaches a policy to a user: attach it again if it is still wanted"},
		{name: "user itself", r: &User{UserName: "intruder", Aspect: UserItself}, op: OpAdded, live: present(&User{Aspect: UserItself}),
			cannot: "the user is not declared in the baseline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, cannot := e.Plan(Change{Event: ev("x"), Op: tt.op, Resource: tt.r}, tt.live)
			got := ""
			if len(ops) == 1 {
				got = ops[0].String()
			}
			if len(ops) > 1 || got != tt.want || cannot != tt.cannot {
				t.Errorf("got %v, %q, want %q, %q", ops, cannot, tt.want, tt.cannot)
			}
			for _, o := range ops {
				if r := o.Resource.(*User); o.Action == ActDeactivateAccessKey && r.Status != "Inactive" {
					t.Errorf("got status %q, want Inactive: a key is never reactivated", r.Status)
				}
				if o.Grants() != (o.Action == ActDeleteUserPermissionsBoundary) {
					t.Errorf("got %s granting %v, want only lifting a boundary to count as granting", o, o.Grants())
				}
			}
		})
	}
}

func TestSSOManagedRoleNeverReverted(t *testing.T) {
	e := usersEvaluator(t)
	policy := func(actor Actor) Change {
		ev := ev(actor.ARN)
		ev.Actor = actor
		return Change{Event: ev, Op: OpAdded, Resource: &ManagedPolicy{RoleName: "AWSReservedSSO_Admin_0123", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
	}
	bySSO := e.Evaluate(policy(Actor{ARN: "arn:aws:iam::111122223333:role/aws-service-role/sso.amazonaws.com/AWSServiceRoleForSSO", Type: "AssumedRole", InvokedBy: "sso.amazonaws.com"}))
	if !bySSO.Drift || bySSO.Decision != DecisionAlert || !strings.Contains(bySSO.Reason, "managed by IAM Identity Center") {
		t.Errorf("got %v %s %q, want drift reported and not reverted", bySSO.Drift, bySSO.Decision, bySSO.Reason)
	}
	for _, who := range []string{"arn:aws:iam::111122223333:role/person",
		// A role anyone can create where Identity Center is not in use: the
		// name alone is no proof.
		"arn:aws:iam::111122223333:role/AWSServiceRoleForSSO"} {
		byPerson := e.Evaluate(policy(Actor{ARN: who, Type: "AssumedRole"}))
		if byPerson.Decision != DecisionRevert {
			t.Errorf("%s: got %s %q, want its change to an Identity Center role reverted like any other", who, byPerson.Decision, byPerson.Reason)
		}
	}
}

func TestPermissionSetRule(t *testing.T) {
	e := usersEvaluator(t)
	ps := func(name, account, what string) Change {
		ev := ev("arn:aws:iam::999999999999:role/sso-admin")
		ev.Name = name
		return Change{Event: ev, Op: OpAdded, Resource: &PermissionSet{PermissionSetARN: "arn:aws:sso:::permissionSet/ssoins-1/ps-1", Account: account, What: what}}
	}
	runRules(t, e, []ruleCase{
		{name: "assignment in a baseline account", change: ps("CreateAccountAssignment", acct, "USER:u-1"), drift: true, severity: SeverityHigh,
			has: "account 111122223333", decision: DecisionAlert},
		{name: "assignment elsewhere", change: ps("CreateAccountAssignment", "444455556666", "USER:u-1"), severity: SeverityInfo, has: "out of scope"},
		{name: "admin policy on the set", change: ps("AttachManagedPolicyToPermissionSet", "", "arn:aws:iam::aws:policy/AdministratorAccess"),
			drift: true, severity: SeverityCritical, has: "permission set arn:aws:sso:::permissionSet/ssoins-1/ps-1", decision: DecisionAlert},
	})
}
