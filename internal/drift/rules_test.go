package drift

import (
	"strings"
	"testing"
)

// Direct tests of the rules in rules_eks.go and rules_iam.go, branch by
// branch: the replay goldens show them on real events, these pin each
// severity and reason where a change to a rule shows first.

// ruleCase is one change and what its rule must conclude.
type ruleCase struct {
	name     string
	change   Change
	drift    bool
	severity Severity
	op       Op     // the finding's change; the change's own op when empty
	has      string // the reason contains it
	notHas   string // the reason does not contain it
	decision Decision
}

func runRules(t *testing.T, e *Evaluator, tests []ruleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := e.Evaluate(tt.change)
			if f.Drift != tt.drift || f.Severity != tt.severity {
				t.Errorf("got drift %v %s (%s), want drift %v %s", f.Drift, f.Severity, f.SeverityReason, tt.drift, tt.severity)
			}
			wantOp := tt.op
			if wantOp == "" {
				wantOp = tt.change.Op
			}
			if f.Change != wantOp {
				t.Errorf("got change %s, want %s", f.Change, wantOp)
			}
			if !strings.Contains(f.Reason, tt.has) || (tt.notHas != "" && strings.Contains(f.Reason, tt.notHas)) {
				t.Errorf("got reason %q, want it to contain %q and not %q", f.Reason, tt.has, tt.notHas)
			}
			if tt.decision != "" && f.Decision != tt.decision {
				t.Errorf("got decision %s, want %s", f.Decision, tt.decision)
			}
			if !tt.drift && f.Decision != DecisionNone {
				t.Errorf("got decision %s for a compliant change, want none", f.Decision)
			}
		})
	}
}

func rulesEvaluator(t *testing.T) *Evaluator {
	t.Helper()
	trust := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/sso-admin"},"Action":"sts:AssumeRole"}]}`)
	boundary, noBoundary := "arn:aws:iam::111122223333:policy/boundary", ""
	ix, err := NewIndex(&Baseline{
		Version: 1, Mode: ModeRevert,
		Clusters: []ClusterBaseline{{
			Name: "prod", Account: acct, Region: "us-west-2", AuthenticationMode: AuthModeAPI,
			AccessEntries: []AccessEntryBaseline{
				{PrincipalARN: "arn:aws:iam::111122223333:role/dev", KubernetesGroups: []string{"dev"}, Username: "dev",
					AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"app", "jobs"}}}}},
				{PrincipalARN: "arn:aws:iam::111122223333:role/nodes", Type: EntryEC2Linux},
				{PrincipalARN: "arn:aws:iam::111122223333:role/platform-admin", AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}},
			},
			PodIdentityAssociations: []PodIdentityAssociation{{Namespace: "app", ServiceAccount: "api", RoleARN: "arn:aws:iam::111122223333:role/app-api"}},
			IdentityProviderConfigs: []IdentityProviderConfig{{Name: "corp", Type: "oidc", IssuerURL: "https://corp.example", ClientID: "k8s"}},
		}, {
			// Manages nothing but its existence.
			Name: "open", Account: acct, Region: "us-west-2",
		}, {
			Name: "legacy", Account: acct, Region: "us-west-2", AuthenticationMode: AuthModeAPIAndConfigMap, AccessEntries: []AccessEntryBaseline{},
		}},
		IAMRoles: []RoleBaseline{
			{ARN: "arn:aws:iam::111122223333:role/team/Dev", TrustPolicy: trust, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
				InlinePolicies:      map[string]*PolicyDocument{"logs": doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`)},
				PermissionsBoundary: &boundary},
			{ARN: "arn:aws:iam::111122223333:role/unbounded", PermissionsBoundary: &noBoundary},
			{ARN: "arn:aws:iam::111122223333:role/loose"},
		},
		OIDCProviders: []string{"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return NewEvaluator(ix)
}

func TestEKSRules(t *testing.T) {
	const (
		dev    = "arn:aws:iam::111122223333:role/dev"
		x      = "arn:aws:iam::111122223333:role/x"
		person = "arn:aws:iam::111122223333:role/person"
	)
	at := func(cluster string, op Op, r Resource) Change {
		return Change{Event: ev(person), Op: op, Cluster: cluster, Resource: r}
	}
	prod := func(op Op, r Resource) Change { return at("prod", op, r) }
	ns := func(n ...string) AccessScope { return AccessScope{Type: ScopeNamespace, Namespaces: n} }
	cluster := AccessScope{Type: ScopeCluster}
	byService := prod(OpAdded, &AccessEntry{PrincipalARN: x})
	byService.Event.Actor = Actor{ARN: "eks.amazonaws.com", Type: "AWSService", InvokedBy: "eks.amazonaws.com"}
	runRules(t, rulesEvaluator(t), []ruleCase{
		// cluster
		{name: "cluster: a declared cluster", change: prod(OpAdded, &Cluster{Name: "prod"}), severity: SeverityInfo, has: "is declared in the baseline"},
		{name: "cluster: an undeclared cluster deleted", change: at("shadow", OpRemoved, &Cluster{Name: "shadow"}), severity: SeverityInfo, has: "is not declared"},
		{name: "cluster: an undeclared cluster created is never deleted", change: at("shadow", OpAdded, &Cluster{Name: "shadow"}),
			drift: true, severity: SeverityMedium, has: "not reverted: eksdrift never deletes clusters", decision: DecisionAlert},

		// access entry
		{name: "entry: cluster that does not manage entries", change: at("open", OpAdded, &AccessEntry{PrincipalARN: x}), severity: SeverityInfo, has: "does not manage access entries"},
		{name: "entry: undeclared, with groups", change: prod(OpAdded, &AccessEntry{PrincipalARN: x, KubernetesGroups: []string{"ops"}}),
			drift: true, severity: SeverityMedium, has: "is not declared", decision: DecisionRevert},
		{name: "entry: undeclared node entry is not reverted without the opt-in", change: prod(OpAdded, &AccessEntry{PrincipalARN: x, Type: EntryFargateLinux}),
			drift: true, severity: SeverityMedium, has: "revertNodeEntries", decision: DecisionAlert},
		{name: "entry: the declared type changed", change: prod(OpModified, &AccessEntry{PrincipalARN: dev, Type: EntryEC2Linux}),
			drift: true, severity: SeverityHigh, has: "type EC2_LINUX, want STANDARD", decision: DecisionAlert},
		{name: "entry: groups removed", change: prod(OpModified, &AccessEntry{PrincipalARN: dev, KubernetesGroups: []string{}}),
			drift: true, severity: SeverityHigh, has: "removes groups dev", decision: DecisionRevert},
		{name: "entry: system:masters added", change: prod(OpModified, &AccessEntry{PrincipalARN: dev, KubernetesGroups: []string{"dev", systemMasters}}),
			drift: true, severity: SeverityCritical, has: "adds groups system:masters"},
		{name: "entry: username changed", change: prod(OpModified, &AccessEntry{PrincipalARN: dev, KubernetesGroups: []string{"dev"}, Username: "root"}),
			drift: true, severity: SeverityMedium, has: `username "root", want "dev"`},
		{name: "entry: a created entry that differs is a modification", change: prod(OpAdded, &AccessEntry{PrincipalARN: dev, Username: "root"}),
			drift: true, severity: SeverityMedium, op: OpModified, has: "differs from the baseline"},
		{name: "entry: node entries' groups are EKS's", change: prod(OpModified, &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/nodes", KubernetesGroups: []string{"system:nodes"}, Username: "system:node:{{EC2PrivateDNSName}}"}),
			severity: SeverityInfo, has: "matches the baseline"},
		{name: "entry: made by an AWS service is never reverted", change: byService,
			drift: true, severity: SeverityMedium, has: "made by the AWS service eks.amazonaws.com", decision: DecisionAlert},

		// access policy
		{name: "policy: cluster that does not manage entries", change: at("open", OpAdded, &AccessPolicy{PrincipalARN: x, PolicyARN: PolicyView, Scope: cluster}),
			severity: SeverityInfo, has: "does not manage access entries"},
		{name: "policy: declared one disassociated", change: prod(OpRemoved, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyEdit}),
			drift: true, severity: SeverityHigh, has: "was disassociated"},
		{name: "policy: undeclared one disassociated", change: prod(OpRemoved, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyAdmin}),
			severity: SeverityInfo, has: "towards the baseline"},
		{name: "policy: for a principal with no entry", change: prod(OpAdded, &AccessPolicy{PrincipalARN: x, PolicyARN: PolicyView, Scope: cluster}),
			drift: true, severity: SeverityLow, has: "has no declared access entry"},
		{name: "policy: admin on the whole cluster", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyAdmin, Scope: cluster}),
			drift: true, severity: SeverityCritical, has: "is not declared for " + dev},
		{name: "policy: admin in namespaces", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyAdmin, Scope: ns("app")}),
			drift: true, severity: SeverityHigh},
		{name: "policy: cluster-admin in namespaces", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyClusterAdmin, Scope: ns("app")}),
			drift: true, severity: SeverityHigh},
		{name: "policy: admin view reads Secrets cluster-wide", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy", Scope: cluster}),
			drift: true, severity: SeverityHigh},
		{name: "policy: a policy eksdrift does not know", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSNewPolicy", Scope: ns("app")}),
			drift: true, severity: SeverityHigh},
		{name: "policy: declared, namespaces reordered", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyEdit, Scope: ns("jobs", "app")}),
			severity: SeverityInfo, has: "matches the baseline"},
		{name: "policy: widened to another namespace", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyEdit, Scope: ns("app", "jobs", "kube-system")}),
			drift: true, severity: SeverityCritical, op: OpModified, has: "want namespace[app,jobs]"},
		{name: "policy: narrowed", change: prod(OpAdded, &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyEdit, Scope: ns("app")}),
			drift: true, severity: SeverityHigh, op: OpModified, has: "has scope namespace[app]"},

		// authentication mode
		{name: "auth: cluster that does not manage it", change: at("open", OpModified, &AuthenticationMode{Mode: AuthModeConfigMap}), severity: SeverityInfo, has: "does not manage the authentication mode"},
		{name: "auth: matches", change: prod(OpModified, &AuthenticationMode{Mode: AuthModeAPI}), severity: SeverityInfo, has: "matches the baseline"},
		{name: "auth: the aws-auth ConfigMap turned on", change: prod(OpModified, &AuthenticationMode{Mode: AuthModeAPIAndConfigMap}),
			drift: true, severity: SeverityHigh, has: "cannot be moved back", decision: DecisionAlert},
		{name: "auth: moved towards API where the baseline keeps the ConfigMap", change: at("legacy", OpModified, &AuthenticationMode{Mode: AuthModeAPI}),
			drift: true, severity: SeverityMedium, has: "want API_AND_CONFIG_MAP"},

		// pod identity
		{name: "pod: cluster that does not manage them", change: at("open", OpAdded, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "x", RoleARN: x}),
			severity: SeverityInfo, has: "does not manage pod identity associations"},
		{name: "pod: undeclared one deleted", change: prod(OpRemoved, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "x"}), severity: SeverityInfo, has: "towards the baseline"},
		{name: "pod: declared one deleted", change: prod(OpRemoved, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api"}),
			drift: true, severity: SeverityHigh, has: "was deleted"},
		{name: "pod: undeclared", change: prod(OpAdded, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "x", RoleARN: x}),
			drift: true, severity: SeverityMedium, has: "declares no association"},
		{name: "pod: undeclared in kube-system", change: prod(OpAdded, &PodIdentityAssociation{Namespace: "kube-system", ServiceAccount: "x", RoleARN: x}),
			drift: true, severity: SeverityHigh},
		{name: "pod: another role", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: x}),
			drift: true, severity: SeverityHigh, has: "want arn:aws:iam::111122223333:role/app-api"},
		{name: "pod: matches", change: prod(OpAdded, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: "arn:aws:iam::111122223333:role/app-api"}),
			severity: SeverityInfo, has: "matches the baseline"},

		// identity provider config
		{name: "idp: cluster that does not manage them", change: at("open", OpAdded, &IdentityProviderConfig{Name: "evil"}), severity: SeverityInfo, has: "does not manage identity provider configs"},
		{name: "idp: undeclared one disassociated", change: prod(OpRemoved, &IdentityProviderConfig{Name: "old"}), severity: SeverityInfo, has: "towards the baseline"},
		{name: "idp: declared one disassociated", change: prod(OpRemoved, &IdentityProviderConfig{Name: "corp"}), drift: true, severity: SeverityHigh, has: "was disassociated"},
		{name: "idp: undeclared", change: prod(OpAdded, &IdentityProviderConfig{Name: "evil", IssuerURL: "https://evil.example"}),
			drift: true, severity: SeverityHigh, has: "(https://evil.example) is not declared"},
		{name: "idp: another issuer", change: prod(OpAdded, &IdentityProviderConfig{Name: "corp", IssuerURL: "https://evil.example", ClientID: "k8s"}),
			drift: true, severity: SeverityHigh, op: OpModified, has: "want https://corp.example"},
		{name: "idp: another client", change: prod(OpAdded, &IdentityProviderConfig{Name: "corp", IssuerURL: "https://corp.example", ClientID: "other"}),
			drift: true, severity: SeverityHigh, op: OpModified},
		{name: "idp: matches", change: prod(OpAdded, &IdentityProviderConfig{Name: "corp", IssuerURL: "https://corp.example", ClientID: "k8s"}), severity: SeverityInfo, has: "matches the baseline"},
	})
}

func TestIAMRules(t *testing.T) {
	const (
		devARN = "arn:aws:iam::111122223333:role/team/Dev"
		person = "arn:aws:iam::111122223333:role/person"
		oidc   = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
	)
	iam := func(op Op, r Resource) Change {
		e := ev(person)
		e.Region = "us-east-1"
		return Change{Event: e, Op: op, Resource: r}
	}
	trust := func(s string) *PolicyDocument {
		return doc(t, `{"Version":"2012-10-17","Statement":[`+s+`]}`)
	}
	declaredTrust := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/sso-admin"},"Action":"sts:AssumeRole"}`
	tp := func(s string) *TrustPolicy { return &TrustPolicy{RoleARN: devARN, RoleName: "Dev", Document: trust(s)} }
	mp := func(role, arn string) *ManagedPolicy { return &ManagedPolicy{RoleName: role, PolicyARN: arn} }
	ip := func(role, name string, d *PolicyDocument) *InlinePolicy {
		return &InlinePolicy{RoleName: role, PolicyName: name, Document: d}
	}
	logs := trust(`{"Effect":"Allow","Action":"logs:*","Resource":"*"}`)
	everything := trust(`{"Effect":"Allow","Action":"*","Resource":"*"}`)
	runRules(t, rulesEvaluator(t), []ruleCase{
		// role
		{name: "role: undeclared", change: iam(OpAdded, &Role{Name: "shadow"}), severity: SeverityInfo, has: "out of scope"},
		{name: "role: declared, created with its trust", change: iam(OpAdded, &Role{Name: "dev", TrustPolicy: trust(declaredTrust)}), severity: SeverityInfo, has: "is declared in the baseline"},
		{name: "role: deleted is never reverted", change: iam(OpRemoved, &Role{Name: "Dev"}),
			drift: true, severity: SeverityHigh, has: "recreate it from the baseline", decision: DecisionAlert},
		{name: "role: created with another trust", change: iam(OpAdded, &Role{Name: "Dev", TrustPolicy: trust(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)}),
			drift: true, severity: SeverityCritical, op: OpModified, has: "trusts AWS:*", decision: DecisionRevert},

		// trust policy
		{name: "trust: a role whose trust is not managed", change: iam(OpModified, &TrustPolicy{RoleName: "loose", Document: trust(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)}),
			severity: SeverityInfo, has: "does not manage the trust policy"},
		{name: "trust: equal", change: iam(OpModified, tp(declaredTrust)), severity: SeverityInfo, has: "matches the baseline"},
		{name: "trust: another account", change: iam(OpModified, tp(declaredTrust+`,{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}`)),
			drift: true, severity: SeverityCritical, has: "trusts AWS:arn:aws:iam::444455556666:root"},
		{name: "trust: a new identity provider", change: iam(OpModified, tp(declaredTrust+`,{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/evil.example"},"Action":"sts:AssumeRoleWithWebIdentity"}`)),
			drift: true, severity: SeverityHigh},
		{name: "trust: a new principal of the account", change: iam(OpModified, tp(declaredTrust+`,{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/other"},"Action":"sts:AssumeRole"}`)),
			drift: true, severity: SeverityHigh},
		{name: "trust: a service", change: iam(OpModified, tp(declaredTrust+`,{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)),
			drift: true, severity: SeverityHigh, has: "trusts Service:ec2.amazonaws.com"},
		{name: "trust: a principal dropped", change: iam(OpModified, tp(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/other"},"Action":"sts:AssumeRole"}`)),
			drift: true, severity: SeverityHigh, has: "no longer trusts AWS:arn:aws:iam::111122223333:role/sso-admin"},
		{name: "trust: only the actions differ", change: iam(OpModified, tp(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/sso-admin"},"Action":["sts:AssumeRole","sts:TagSession"]}`)),
			drift: true, severity: SeverityMedium, notHas: "; trusts"},

		// managed policy
		{name: "managed: a role whose policies are not managed", change: iam(OpAdded, mp("loose", "arn:aws:iam::aws:policy/AdministratorAccess")), severity: SeverityInfo, has: "does not manage the managed policies"},
		{name: "managed: declared one detached", change: iam(OpRemoved, mp("Dev", "arn:aws:iam::aws:policy/ReadOnlyAccess")), drift: true, severity: SeverityHigh, has: "was detached"},
		{name: "managed: undeclared one detached", change: iam(OpRemoved, mp("Dev", "arn:aws:iam::aws:policy/PowerUserAccess")), severity: SeverityInfo, has: "towards the baseline"},
		{name: "managed: declared one attached", change: iam(OpAdded, mp("Dev", "arn:aws:iam::aws:policy/ReadOnlyAccess")), severity: SeverityInfo, has: "is declared for"},
		{name: "managed: AdministratorAccess", change: iam(OpAdded, mp("Dev", "arn:aws:iam::aws:policy/AdministratorAccess")),
			drift: true, severity: SeverityCritical, has: "is not declared for " + devARN},
		{name: "managed: IAMFullAccess", change: iam(OpAdded, mp("Dev", "arn:aws:iam::aws:policy/IAMFullAccess")), drift: true, severity: SeverityCritical},
		{name: "managed: another policy", change: iam(OpAdded, mp("Dev", "arn:aws:iam::111122223333:policy/custom")), drift: true, severity: SeverityMedium},

		// inline policy
		{name: "inline: a role whose inline policies are not managed", change: iam(OpAdded, ip("loose", "x", everything)), severity: SeverityInfo, has: "does not manage the inline policies"},
		{name: "inline: declared one deleted", change: iam(OpRemoved, ip("Dev", "logs", nil)), drift: true, severity: SeverityHigh, has: "was deleted"},
		{name: "inline: undeclared one deleted", change: iam(OpRemoved, ip("Dev", "debug", nil)), severity: SeverityInfo, has: "towards the baseline"},
		{name: "inline: declared, equal", change: iam(OpAdded, ip("Dev", "logs", logs)), severity: SeverityInfo, has: "matches the baseline"},
		{name: "inline: declared, rewritten", change: iam(OpAdded, ip("Dev", "logs", trust(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`))),
			drift: true, severity: SeverityMedium, op: OpModified, has: "differs from the baseline"},
		{name: "inline: undeclared admin", change: iam(OpAdded, ip("Dev", "debug", everything)), drift: true, severity: SeverityCritical, has: "is not declared for"},

		// permissions boundary
		{name: "boundary: a role whose boundary is not managed", change: iam(OpRemoved, &PermissionsBoundary{RoleName: "loose"}), severity: SeverityInfo, has: "does not manage the permissions boundary"},
		{name: "boundary: matches", change: iam(OpModified, &PermissionsBoundary{RoleName: "Dev", PolicyARN: "arn:aws:iam::111122223333:policy/boundary"}), severity: SeverityInfo, has: "matches the baseline"},
		{name: "boundary: lifted", change: iam(OpRemoved, &PermissionsBoundary{RoleName: "Dev"}), drift: true, severity: SeverityHigh, has: "was removed"},
		{name: "boundary: replaced", change: iam(OpModified, &PermissionsBoundary{RoleName: "Dev", PolicyARN: "arn:aws:iam::111122223333:policy/other"}),
			drift: true, severity: SeverityHigh, has: "want arn:aws:iam::111122223333:policy/boundary"},
		{name: "boundary: set where the baseline declares none", change: iam(OpAdded, &PermissionsBoundary{RoleName: "unbounded", PolicyARN: "arn:aws:iam::111122223333:policy/other"}),
			drift: true, severity: SeverityMedium, has: "the baseline declares none"},
		{name: "boundary: none, as declared", change: iam(OpRemoved, &PermissionsBoundary{RoleName: "unbounded"}), severity: SeverityInfo, has: "matches the baseline"},

		// OIDC provider
		{name: "oidc: declared one deleted", change: iam(OpRemoved, &OIDCProvider{ARN: oidc}), drift: true, severity: SeverityHigh, has: "was deleted"},
		{name: "oidc: undeclared one deleted", change: iam(OpRemoved, &OIDCProvider{ARN: "arn:aws:iam::111122223333:oidc-provider/old.example"}), severity: SeverityInfo, has: "towards the baseline"},
		{name: "oidc: declared one created", change: iam(OpAdded, &OIDCProvider{ARN: oidc}), severity: SeverityInfo, has: "is declared"},
		{name: "oidc: undeclared, named by its URL", change: iam(OpAdded, &OIDCProvider{ARN: "arn:aws:iam::111122223333:oidc-provider/evil.example", URL: "https://evil.example"}),
			drift: true, severity: SeverityHigh, has: "OIDC provider https://evil.example is not declared"},
	})
}

func TestIAMRulesWithoutOIDCProviders(t *testing.T) {
	runRules(t, testBaseline(t), []ruleCase{
		{name: "oidc: not managed", change: Change{Event: ev("arn:aws:iam::111122223333:role/person"), Op: OpAdded, Resource: &OIDCProvider{ARN: "arn:aws:iam::111122223333:oidc-provider/x"}},
			severity: SeverityInfo, has: "does not manage IAM OIDC providers"},
	})
}

func TestPolicySeverity(t *testing.T) {
	const prefix = "arn:aws:eks::aws:cluster-access-policy/"
	cluster := AccessScope{Type: ScopeCluster}
	ns := func(n ...string) AccessScope { return AccessScope{Type: ScopeNamespace, Namespaces: n} }
	tests := []struct {
		name   string
		policy string
		scope  AccessScope
		want   Severity
		has    string
	}{
		{"cluster-admin, cluster", PolicyClusterAdmin, cluster, SeverityCritical, "cluster-admin (AmazonEKSClusterAdminPolicy) on the whole cluster"},
		{"cluster-admin, namespaces", PolicyClusterAdmin, ns("a", "b"), SeverityHigh, "in namespaces a, b"},
		{"admin writes RBAC: critical on the cluster, any case", PolicyAdmin, AccessScope{Type: "CLUSTER"}, SeverityCritical, "writes Roles and RoleBindings"},
		{"admin, namespace", PolicyAdmin, ns("a"), SeverityHigh, "in namespaces a"},
		{"edit impersonates service accounts", PolicyEdit, cluster, SeverityCritical, "edit (AmazonEKSEditPolicy) on the whole cluster: impersonates"},
		{"edit, namespace", PolicyEdit, ns("a"), SeverityHigh, "in namespaces a"},
		{"view", PolicyView, ns("a"), SeverityLow, "read-only view"},
		{"admin view reads Secrets cluster-wide", prefix + "AmazonEKSAdminViewPolicy", cluster, SeverityHigh, "Secrets"},
		{"admin view, namespace", prefix + "AmazonEKSAdminViewPolicy", ns("a"), SeverityMedium, "in namespaces a"},
		{"secret reader, cluster", prefix + "AmazonEKSSecretReaderPolicy", cluster, SeverityHigh, "reads every Secret"},
		{"auto mode webhooks: critical", prefix + "AmazonEKSLoadBalancingClusterPolicy", cluster, SeverityCritical, "mutating webhook"},
		{"auto mode leases only: low", prefix + "AmazonEKSBlockStoragePolicy", cluster, SeverityLow, "leases"},
		{"hybrid nodes: low", prefix + "AmazonEKSHybridPolicy", cluster, SeverityLow, "lists nodes"},
		{"another partition", "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", cluster, SeverityCritical, "cluster-admin"},
		{"unpublished rules: high in a namespace too", prefix + "AmazonEMRJobPolicy", ns("emr"), SeverityHigh, "rules are not published"},
		{"unknown policy", prefix + "AmazonEKSBrandNewPolicy", ns("a"), SeverityHigh, "unknown access policy AmazonEKSBrandNewPolicy"},
		{"a lookalike in another case is unknown", prefix + "amazoneksviewpolicy", ns("a"), SeverityHigh, "unknown access policy"},
		{"a lookalike with a path is unknown", prefix + "x/AmazonEKSViewPolicy", cluster, SeverityHigh, "unknown access policy"},
		{"a lookalike in another account is unknown", "arn:aws:eks::111122223333:cluster-access-policy/AmazonEKSViewPolicy", cluster, SeverityHigh, "unknown access policy"},
		{"an unknown partition is unknown", "arn:evil:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", cluster, SeverityHigh, "unknown access policy"},
		{"a scope type EKS does not define is judged as the cluster", PolicyEdit, AccessScope{Type: "Namespace ", Namespaces: []string{"a"}}, SeverityCritical, "on the whole cluster"},
		{"kube-system is judged as the cluster", PolicyEdit, ns("app", "kube-system"), SeverityCritical, "kube-system among them"},
		{"a pattern reaching kube-system is judged as the cluster", PolicyAdmin, ns("kube-*"), SeverityCritical, "kube-system among them"},
		{"the * pattern is judged as the cluster", PolicyAdmin, ns("*"), SeverityCritical, "kube-system among them"},
		{"a pattern that cannot reach kube-system", PolicyAdmin, ns("dev-*"), SeverityHigh, "in namespaces dev-*"},
		{"a namespace scope with no namespace is judged as the cluster", PolicyAdmin, AccessScope{Type: ScopeNamespace}, SeverityCritical, "on the whole cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := policySeverity(tt.policy, tt.scope)
			if got != tt.want || !strings.Contains(why, tt.has) {
				t.Errorf("got %s (%s), want %s (%s)", got, why, tt.want, tt.has)
			}
		})
	}
}

func TestWidens(t *testing.T) {
	ns := func(n ...string) AccessScope { return AccessScope{Type: ScopeNamespace, Namespaces: n} }
	cluster := AccessScope{Type: ScopeCluster}
	tests := []struct {
		name      string
		got, want AccessScope
		widens    bool
	}{
		{"cluster where cluster is granted", cluster, cluster, false},
		{"namespaces where cluster is granted", ns("a"), cluster, false},
		{"cluster where namespaces are granted", cluster, ns("a"), true},
		{"a namespace more", ns("a", "b"), ns("a"), true},
		{"a namespace fewer", ns("a"), ns("a", "b"), false},
		{"the same, reordered", ns("b", "a"), ns("a", "b"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := widens(tt.got, tt.want); got != tt.widens {
				t.Errorf("got %v, want %v", got, tt.widens)
			}
		})
	}
}
