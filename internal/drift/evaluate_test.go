package drift

import (
	"strings"
	"testing"
	"time"
)

const acct = "111122223333"

func testBaseline(t *testing.T) *Evaluator {
	t.Helper()
	trust, err := ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/sso-admin"},"Action":"sts:AssumeRole"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	boundary := "arn:aws:iam::111122223333:policy/boundary"
	b := &Baseline{
		Version: 1,
		Mode:    ModeAlert,
		BreakGlass: []BreakGlass{
			{Principal: "arn:aws:iam::111122223333:role/break-glass", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Reason: "on-call"},
			{Principal: "arn:aws:iam::111122223333:role/old-glass", Expires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
		Clusters: []ClusterBaseline{{
			Name: "prod", Account: acct, Region: "us-west-2", Mode: ModeRevert, AuthenticationMode: AuthModeAPI,
			AccessEntries: []AccessEntryBaseline{
				{PrincipalARN: "arn:aws:iam::111122223333:role/dev", Type: EntryStandard, KubernetesGroups: []string{"dev"},
					AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"app", "jobs"}}}}},
				{PrincipalARN: "arn:aws:iam::111122223333:role/nodes", Type: EntryEC2Linux},
				{PrincipalARN: "arn:aws:iam::111122223333:role/platform-admin", AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}},
			},
			PodIdentityAssociations: []PodIdentityAssociation{{Namespace: "app", ServiceAccount: "api", RoleARN: "arn:aws:iam::111122223333:role/app-api"}},
		}, {
			Name: "lab", Account: acct, Region: "us-west-2", Mode: ModeDryRun, RevertNodeEntries: true,
			AccessEntries: []AccessEntryBaseline{},
		}},
		IAMRoles: []RoleBaseline{
			{ARN: "arn:aws:iam::111122223333:role/team/Dev", Mode: ModeRevert, TrustPolicy: trust, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
				InlinePolicies: map[string]*PolicyDocument{}, PermissionsBoundary: &boundary},
			{ARN: "arn:aws:iam::111122223333:role/loose"},
		},
	}
	ix, err := NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	return NewEvaluator(ix)
}

func ev(actor string) Event {
	return Event{ID: "e1", Time: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC), Name: "Call", Account: acct, Region: "us-west-2",
		Actor: Actor{ARN: actor, Type: "AssumedRole"}}
}

func doc(t *testing.T, s string) *PolicyDocument {
	t.Helper()
	d, err := ParsePolicyDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEvaluate(t *testing.T) {
	e := testBaseline(t)
	person := "arn:aws:iam::111122223333:role/person"
	tests := []struct {
		name      string
		change    Change
		drift     bool
		severity  Severity
		decision  Decision
		reasonHas string
	}{
		{"undeclared cluster is out of scope",
			Change{Event: ev(person), Op: OpAdded, Cluster: "other", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}},
			false, SeverityInfo, DecisionNone, "not declared in the baseline; out of scope"},
		{"same cluster name in another region is out of scope",
			Change{Event: func() Event { e := ev(person); e.Region = "eu-west-1"; return e }(), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}},
			false, SeverityInfo, DecisionNone, "out of scope"},
		{"new undeclared cluster is drift, never reverted",
			Change{Event: ev(person), Op: OpAdded, Cluster: "shadow", Resource: &Cluster{Name: "shadow"}},
			true, SeverityMedium, DecisionAlert, ""},
		{"declared entry matches",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/dev", Type: EntryStandard, KubernetesGroups: []string{"dev"}}},
			false, SeverityInfo, DecisionNone, "matches"},
		{"undeclared entry in revert mode",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x", KubernetesGroups: []string{}}},
			true, SeverityMedium, DecisionRevert, "not declared"},
		{"system:masters is critical",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x", KubernetesGroups: []string{"system:masters"}}},
			true, SeverityCritical, DecisionRevert, ""},
		{"groups added to declared entry",
			Change{Event: ev(person), Op: OpModified, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/dev", KubernetesGroups: []string{"dev", "ops"}}},
			true, SeverityHigh, DecisionRevert, "adds groups ops"},
		{"update without groups says nothing about them",
			Change{Event: ev(person), Op: OpModified, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/dev"}},
			false, SeverityInfo, DecisionNone, ""},
		{"cross-account entry is high",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::444455556666:role/vendor"}},
			true, SeverityHigh, DecisionRevert, ""},
		{"deleting declared entry is high",
			Change{Event: ev(person), Op: OpRemoved, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/dev"}},
			true, SeverityHigh, DecisionRevert, "was deleted"},
		{"deleting undeclared entry moves towards the baseline",
			Change{Event: ev(person), Op: OpRemoved, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}},
			false, SeverityInfo, DecisionNone, "towards the baseline"},
		{"node entry not reverted without opt-in",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/other-nodes", Type: EntryEC2Linux}},
			true, SeverityMedium, DecisionAlert, "revertNodeEntries"},
		{"node entry with opt-in follows the cluster mode",
			Change{Event: ev(person), Op: OpAdded, Cluster: "lab", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/other-nodes", Type: EntryFargateLinux}},
			true, SeverityMedium, DecisionDryRun, ""},
		{"AWS service actor never reverted",
			Change{Event: Event{ID: "e", Account: acct, Region: "us-west-2", Actor: Actor{ARN: "eks.amazonaws.com", Type: "AWSService", InvokedBy: "eks.amazonaws.com"}}, Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}},
			true, SeverityMedium, DecisionAlert, "AWS service eks.amazonaws.com"},
		{"cluster-admin at cluster scope is critical",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/x", PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}},
			true, SeverityCritical, DecisionRevert, "has no declared access entry"},
		{"view policy is low",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/dev", PolicyARN: PolicyView, Scope: AccessScope{Type: ScopeCluster}}},
			true, SeverityLow, DecisionRevert, "is not declared for"},
		{"same scope, namespaces in another order",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/dev", PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"jobs", "app"}}}},
			false, SeverityInfo, DecisionNone, "matches"},
		{"scope widened to cluster",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/dev", PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeCluster}}},
			true, SeverityCritical, DecisionRevert, "want namespace[app,jobs]"},
		{"scope narrowed breaks access",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/dev", PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"app"}}}},
			true, SeverityHigh, DecisionRevert, ""},
		{"authentication mode never reverted",
			Change{Event: ev(person), Op: OpModified, Cluster: "prod", Resource: &AuthenticationMode{Mode: AuthModeAPIAndConfigMap}},
			true, SeverityHigh, DecisionAlert, "cannot be moved back"},
		{"authentication mode not managed",
			Change{Event: ev(person), Op: OpModified, Cluster: "lab", Resource: &AuthenticationMode{Mode: AuthModeAPIAndConfigMap}},
			false, SeverityInfo, DecisionNone, "does not manage"},
		{"pod identity not managed where the list is absent",
			Change{Event: ev(person), Op: OpAdded, Cluster: "lab", Resource: &PodIdentityAssociation{Namespace: "a", ServiceAccount: "b", RoleARN: "arn:aws:iam::111122223333:role/r"}},
			false, SeverityInfo, DecisionNone, "does not manage pod identity"},
		{"pod identity in kube-system is high",
			Change{Event: ev(person), Op: OpAdded, Cluster: "prod", Resource: &PodIdentityAssociation{Namespace: "kube-system", ServiceAccount: "x", RoleARN: "arn:aws:iam::111122223333:role/r"}},
			true, SeverityHigh, DecisionRevert, ""},
		{"pod identity role swapped",
			Change{Event: ev(person), Op: OpModified, Cluster: "prod", Resource: &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: "arn:aws:iam::111122223333:role/r"}},
			true, SeverityHigh, DecisionRevert, "want arn:aws:iam::111122223333:role/app-api"},
		{"active break-glass",
			Change{Event: ev("arn:aws:iam::111122223333:role/break-glass"), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}},
			true, SeverityMedium, DecisionBreakGlass, "on-call"},
		{"expired break-glass no longer protects",
			Change{Event: ev("arn:aws:iam::111122223333:role/old-glass"), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}},
			true, SeverityMedium, DecisionRevert, "expired at 2026-01-01T00:00:00Z"},
		{"undeclared role is out of scope",
			Change{Event: ev(person), Op: OpAdded, Resource: &ManagedPolicy{RoleName: "other", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
			false, SeverityInfo, DecisionNone, "out of scope"},
		{"role names match whatever their case and path",
			Change{Event: ev(person), Op: OpAdded, Resource: &ManagedPolicy{RoleName: "dev", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
			true, SeverityCritical, DecisionRevert, "AdministratorAccess"},
		{"a role that declares nothing managed",
			Change{Event: ev(person), Op: OpAdded, Resource: &ManagedPolicy{RoleName: "loose", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
			false, SeverityInfo, DecisionNone, "does not manage"},
		{"detaching a declared policy",
			Change{Event: ev(person), Op: OpRemoved, Resource: &ManagedPolicy{RoleName: "Dev", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			true, SeverityHigh, DecisionRevert, "was detached"},
		{"trust opened to anyone",
			Change{Event: ev(person), Op: OpModified, Resource: &TrustPolicy{RoleName: "Dev", Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)}},
			true, SeverityCritical, DecisionRevert, "trusts AWS:*"},
		{"trust opened to another account",
			Change{Event: ev(person), Op: OpModified, Resource: &TrustPolicy{RoleName: "Dev", Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/sso-admin","444455556666"]},"Action":"sts:AssumeRole"}]}`)}},
			true, SeverityCritical, DecisionRevert, "444455556666"},
		{"trust with a condition added",
			Change{Event: ev(person), Op: OpModified, Resource: &TrustPolicy{RoleName: "Dev", Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/sso-admin"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}},
			true, SeverityMedium, DecisionRevert, ""},
		{"inline admin policy is critical",
			Change{Event: ev(person), Op: OpAdded, Resource: &InlinePolicy{RoleName: "Dev", PolicyName: "x", Document: doc(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)}},
			true, SeverityCritical, DecisionRevert, ""},
		{"boundary removed is high",
			Change{Event: ev(person), Op: OpRemoved, Resource: &PermissionsBoundary{RoleName: "Dev"}},
			true, SeverityHigh, DecisionRevert, "was removed"},
		{"boundary set as declared",
			Change{Event: ev(person), Op: OpAdded, Resource: &PermissionsBoundary{RoleName: "Dev", PolicyARN: "arn:aws:iam::111122223333:policy/boundary"}},
			false, SeverityInfo, DecisionNone, ""},
		{"deleted role is never reverted",
			Change{Event: ev(person), Op: OpRemoved, Resource: &Role{Name: "Dev"}},
			true, SeverityHigh, DecisionAlert, "cannot be brought back"},
		{"OIDC providers not managed",
			Change{Event: ev(person), Op: OpAdded, Resource: &OIDCProvider{ARN: "arn:aws:iam::111122223333:oidc-provider/x"}},
			false, SeverityInfo, DecisionNone, "does not manage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := e.Evaluate(tt.change)
			if f.Drift != tt.drift || f.Severity != tt.severity || f.Decision != tt.decision {
				t.Errorf("got drift=%v severity=%s decision=%s, want drift=%v severity=%s decision=%s\nreason: %s (%s)",
					f.Drift, f.Severity, f.Decision, tt.drift, tt.severity, tt.decision, f.Reason, f.SeverityReason)
			}
			if !strings.Contains(f.Reason, tt.reasonHas) {
				t.Errorf("reason %q does not say %q", f.Reason, tt.reasonHas)
			}
			if f.SeverityReason == "" {
				t.Errorf("got no severity reason")
			}
		})
	}
}

func TestEvaluateFindingFields(t *testing.T) {
	e := testBaseline(t)
	f := e.Evaluate(Change{Event: ev("arn:aws:iam::111122223333:role/person"), Op: OpAdded, Resource: &ManagedPolicy{RoleARN: "arn:aws:iam::111122223333:role/dev", RoleName: "dev", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}})
	if f.Principal != "arn:aws:iam::111122223333:role/team/Dev" {
		t.Errorf("principal: got %q, want the declared role ARN with its path", f.Principal)
	}
	if string(f.Before) != "null" || !strings.Contains(string(f.After), "AdministratorAccess") {
		t.Errorf("before/after: got %s / %s", f.Before, f.After)
	}
	if !strings.Contains(string(f.Expected), "ReadOnlyAccess") {
		t.Errorf("expected: got %s, want the declared policies", f.Expected)
	}
	r := e.Evaluate(Change{Event: ev("x"), Op: OpRemoved, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/dev"}})
	if string(r.After) != "null" || !strings.Contains(string(r.Before), "role/dev") {
		t.Errorf("removal before/after: got %s / %s", r.Before, r.After)
	}
	if r.ID() == f.ID() {
		t.Errorf("two resources of one event share the ID %q", r.ID())
	}
}

func TestNewIndexRejectsDuplicates(t *testing.T) {
	tests := []struct {
		name  string
		b     Baseline
		field string
	}{
		{"cluster twice", Baseline{Clusters: []ClusterBaseline{{Name: "a", Account: acct, Region: "r"}, {Name: "a", Account: acct, Region: "r"}}}, "clusters[1]"},
		{"entry twice", Baseline{Clusters: []ClusterBaseline{{Name: "a", Account: acct, Region: "r", AccessEntries: []AccessEntryBaseline{{PrincipalARN: "p"}, {PrincipalARN: "p"}}}}}, "clusters[0].accessEntries[1].principalArn"},
		{"role twice by case", Baseline{IAMRoles: []RoleBaseline{{ARN: "arn:aws:iam::111122223333:role/a/X"}, {ARN: "arn:aws:iam::111122223333:role/x"}}}, "iamRoles[1].arn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewIndex(&tt.b)
			ie, ok := err.(*InvalidBaselineError)
			if !ok {
				t.Fatalf("got %v, want an InvalidBaselineError", err)
			}
			if ie.Field != tt.field {
				t.Errorf("field: got %q, want %q", ie.Field, tt.field)
			}
		})
	}
}

func TestBreakGlassMatchesAsIAMDoes(t *testing.T) {
	e := testBaseline(t) // break-glass: arn:aws:iam::111122223333:role/break-glass
	x := "arn:aws:iam::111122223333:role/x"
	tests := []struct {
		name  string
		actor string
		want  Decision
	}{
		{"exact", "arn:aws:iam::111122223333:role/break-glass", DecisionBreakGlass},
		{"other case", "arn:aws:iam::111122223333:role/Break-Glass", DecisionBreakGlass},
		{"with a path", "arn:aws:iam::111122223333:role/ops/break-glass", DecisionBreakGlass},
		{"assumed-role session", "arn:aws:sts::111122223333:assumed-role/BREAK-GLASS/alice", DecisionBreakGlass},
		{"same name in another account", "arn:aws:iam::999988887777:role/break-glass", DecisionRevert},
		{"a user of the same name", "arn:aws:iam::111122223333:user/break-glass", DecisionRevert},
		{"a longer name", "arn:aws:iam::111122223333:role/break-glass-2", DecisionRevert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Change{Event: ev(tt.actor), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x, Type: EntryStandard}}
			if got := e.Evaluate(c).Decision; got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestIdentityKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"arn:aws:iam::1:role/A", "arn:aws:iam::1:role/p/q/a"},
		{"arn:aws:iam::1:user/Bob", "arn:aws:iam::1:user/team/bob"},
		{"arn:aws:sts::1:assumed-role/Ops/s", "arn:aws:iam::1:role/ops"},
	}
	for _, tt := range tests {
		if IdentityKey(tt.a) != IdentityKey(tt.b) {
			t.Errorf("got %q != %q, want one identity", IdentityKey(tt.a), IdentityKey(tt.b))
		}
	}
	differ := []struct{ a, b string }{
		{"arn:aws:iam::1:role/a", "arn:aws:iam::2:role/a"},
		{"arn:aws:iam::1:role/a", "arn:aws:iam::1:user/a"},
		{"arn:aws:iam::1:root", "arn:aws:iam::1:role/root"},
		{"arn:aws-cn:iam::1:role/a", "arn:aws:iam::1:role/a"},
	}
	for _, tt := range differ {
		if IdentityKey(tt.a) == IdentityKey(tt.b) {
			t.Errorf("got one identity %q for %s and %s, want two", IdentityKey(tt.a), tt.a, tt.b)
		}
	}
}

func TestRevertModeNeedsADeclaredClusterAdmin(t *testing.T) {
	x := "arn:aws:iam::111122223333:role/x"
	build := func(policies []AccessPolicyBaseline) *Evaluator {
		b := &Baseline{Version: 1, Mode: ModeRevert, Clusters: []ClusterBaseline{{Name: "c", Account: acct, Region: "us-west-2",
			AccessEntries: []AccessEntryBaseline{{PrincipalARN: "arn:aws:iam::111122223333:role/admin", AccessPolicies: policies}}}}}
		ix, err := NewIndex(b)
		if err != nil {
			t.Fatal(err)
		}
		return NewEvaluator(ix)
	}
	c := Change{Event: ev("arn:aws:iam::111122223333:role/person"), Op: OpAdded, Cluster: "c", Resource: &AccessEntry{PrincipalARN: x, Type: EntryStandard}}
	tests := []struct {
		name     string
		policies []AccessPolicyBaseline
		want     Decision
	}{
		{"no cluster-admin", nil, DecisionAlert},
		{"cluster-admin on a namespace only", []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"a"}}}}, DecisionAlert},
		{"cluster-admin on the cluster", []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}, DecisionRevert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := build(tt.policies).Evaluate(c)
			if f.Decision != tt.want {
				t.Errorf("got %s, want %s (%s)", f.Decision, tt.want, f.Reason)
			}
			if tt.want == DecisionAlert && !strings.Contains(f.Reason, "needs a declared cluster-admin") {
				t.Errorf("got reason %q, want it to say a cluster-admin must be declared", f.Reason)
			}
		})
	}
}

// A shared baseline's break-glass entry names a principal, and a principal
// lives in one account. In an organization the actor of a member's event
// is that event's word: a change in account B that claims to be made by
// account A's break-glass role must not be excused in B, where A's role
// cannot act (EKS and IAM calls are made by principals of the account they
// change). Cluster prod is declared in both accounts.
func TestBreakGlassExcusesOnlyItsOwnAccount(t *testing.T) {
	const a, b = "111122223333", "222233334444"
	glass := "arn:aws:iam::" + a + ":role/break-glass"
	cluster := func(account string) ClusterBaseline {
		return ClusterBaseline{Name: "prod", Account: account, Region: "us-west-2", Mode: ModeRevert,
			AccessEntries: []AccessEntryBaseline{{PrincipalARN: "arn:aws:iam::" + account + ":role/admin",
				AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}}},
			AwsAuth: &AwsAuthBaseline{MapRoles: []AwsAuthRole{}, MapUsers: []AwsAuthUser{}, MapAccounts: []string{}}}
	}
	ix, err := NewIndex(&Baseline{Version: 1, Mode: ModeAlert,
		BreakGlass: []BreakGlass{{Principal: glass, Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Reason: "on-call"}},
		Clusters:   []ClusterBaseline{cluster(a), cluster(b)}})
	if err != nil {
		t.Fatal(err)
	}
	e := NewEvaluator(ix)
	tests := []struct {
		name, account, actor string
		resource             Resource // an access entry when nil
		want                 Decision
		reason               string
	}{
		{name: "A's break-glass role in A", account: a, actor: glass, want: DecisionBreakGlass, reason: "made by break-glass actor " + glass},
		{name: "A's break-glass session in A", account: a, actor: "arn:aws:sts::" + a + ":assumed-role/break-glass/bob", want: DecisionBreakGlass},
		{name: "A's break-glass role claimed in B", account: b, actor: glass, want: DecisionRevert,
			reason: "the break-glass entry for " + glass + " is in account " + a + " and does not excuse changes in account " + b},
		{name: "B's role of the same name in B", account: b, actor: "arn:aws:iam::" + b + ":role/break-glass", want: DecisionRevert},
		{name: "A's break-glass role writing B's aws-auth (Kubernetes lets another account's role in)", account: b, actor: glass,
			resource: &AwsAuth{MapRoles: []AwsAuthRole{{RoleARN: "arn:aws:iam::" + b + ":role/x", Username: "x", Groups: []string{"viewers"}}}},
			want:     DecisionBreakGlass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := ev(tt.actor)
			event.Account = tt.account
			var res Resource = &AccessEntry{PrincipalARN: "arn:aws:iam::" + tt.account + ":role/x", Type: EntryStandard}
			if tt.resource != nil {
				res = tt.resource
			}
			op := OpAdded
			if res.Kind() == KindAwsAuth {
				op = OpModified
			}
			f := e.Evaluate(Change{Event: event, Op: op, Cluster: "prod", Resource: res})
			if f.Decision != tt.want || !strings.Contains(f.Reason, tt.reason) {
				t.Errorf("got %s (%s), want %s saying %q", f.Decision, f.Reason, tt.want, tt.reason)
			}
		})
	}
}
