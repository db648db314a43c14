package drift

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func opStrings(ops []Operation) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = o.String()
	}
	return strings.Join(s, "; ")
}

func TestPlan(t *testing.T) {
	e := testBaseline(t)
	dev := "arn:aws:iam::111122223333:role/dev"
	x := "arn:aws:iam::111122223333:role/x"
	present := func(r Resource) Observation { return Observation{Present: true, Resource: r} }
	absent := Observation{}
	boundary := "arn:aws:iam::111122223333:policy/other"
	tests := []struct {
		name   string
		change Change
		live   Observation
		want   string // operations, "; "-joined
		cannot string
	}{
		{"undeclared entry is deleted", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x}},
			present(&AccessEntry{PrincipalARN: x, Type: EntryStandard}), "eks:DeleteAccessEntry prod " + x, ""},
		{"undeclared entry already gone", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x}},
			absent, "", ""},
		{"deleted declared entry is recreated with its policies", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: dev}},
			absent, "eks:CreateAccessEntry prod " + dev + " groups=dev; eks:AssociateAccessPolicy prod " + dev + "|" + PolicyEdit + " namespace[app,jobs]", ""},
		{"changed groups are set back", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: dev}},
			present(&AccessEntry{PrincipalARN: dev, Type: EntryStandard, KubernetesGroups: []string{"dev", "ops"}}), "eks:UpdateAccessEntry prod " + dev + " groups=dev", ""},
		{"declared entry live as a node entry is left to EKS", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: dev}},
			present(&AccessEntry{PrincipalARN: dev, Type: EntryEC2Linux}), "", "of type EC2_LINUX, which EKS manages"},
		// An UpdateAccessEntry without responseElements names no type; the
		// live entry's type decides, never the event's silence.
		{"undeclared node entry, event without a type, is never deleted", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x}},
			present(&AccessEntry{PrincipalARN: x, Type: EntryEC2Linux, KubernetesGroups: []string{"system:nodes"}}), "", "of type EC2_LINUX"},
		{"undeclared Auto Mode node entry is never deleted", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x, Type: EntryStandard}},
			present(&AccessEntry{PrincipalARN: x, Type: EntryEC2}), "", "of type EC2,"},
		{"undeclared hybrid node entry is never changed", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x}},
			present(&AccessEntry{PrincipalARN: x, Type: EntryHybridLinux}), "", "HYBRID_LINUX"},
		{"undeclared policy is disassociated", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: x, PolicyARN: PolicyClusterAdmin}},
			present(&AccessPolicy{PrincipalARN: x, PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}), "eks:DisassociateAccessPolicy prod " + x + "|" + PolicyClusterAdmin, ""},
		{"widened scope is set back", Change{Event: ev("p"), Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyEdit}},
			present(&AccessPolicy{PrincipalARN: dev, PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeCluster}}), "eks:AssociateAccessPolicy prod " + dev + "|" + PolicyEdit + " namespace[app,jobs]", ""},
		{"pod identity role swapped back", Change{Event: ev("p"), Cluster: "prod", Resource: &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api"}},
			present(&PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: "arn:aws:iam::111122223333:role/r", AssociationID: "a-1"}), "eks:UpdatePodIdentityAssociation prod app/api role=arn:aws:iam::111122223333:role/app-api", ""},
		{"undeclared pod identity deleted by id", Change{Event: ev("p"), Cluster: "prod", Resource: &PodIdentityAssociation{Namespace: "kube-system", ServiceAccount: "x"}},
			present(&PodIdentityAssociation{Namespace: "kube-system", ServiceAccount: "x", RoleARN: "arn:aws:iam::111122223333:role/r", AssociationID: "a-9"}), "eks:DeletePodIdentityAssociation prod kube-system/x", ""},
		{"authentication mode cannot", Change{Event: ev("p"), Cluster: "prod", Resource: &AuthenticationMode{Mode: AuthModeConfigMap}}, present(&AuthenticationMode{Mode: AuthModeConfigMap}), "", "cannot be moved back"},
		{"trust policy set back", Change{Event: ev("p"), Resource: &TrustPolicy{RoleName: "Dev"}},
			present(&TrustPolicy{RoleName: "Dev", Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)}), "iam:UpdateAssumeRolePolicy Dev", ""},
		{"undeclared managed policy detached", Change{Event: ev("p"), Resource: &ManagedPolicy{RoleName: "Dev", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
			present(&ManagedPolicy{RoleName: "Dev", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}), "iam:DetachRolePolicy Dev|arn:aws:iam::aws:policy/AdministratorAccess", ""},
		{"declared managed policy reattached", Change{Event: ev("p"), Resource: &ManagedPolicy{RoleName: "Dev", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
			absent, "iam:AttachRolePolicy Dev|arn:aws:iam::aws:policy/ReadOnlyAccess", ""},
		{"undeclared inline policy deleted", Change{Event: ev("p"), Resource: &InlinePolicy{RoleName: "Dev", PolicyName: "x"}},
			present(&InlinePolicy{RoleName: "Dev", PolicyName: "x"}), "iam:DeleteRolePolicy Dev|x", ""},
		{"boundary put back", Change{Event: ev("p"), Resource: &PermissionsBoundary{RoleName: "Dev"}},
			present(&PermissionsBoundary{RoleName: "Dev", PolicyARN: boundary}), "iam:PutRolePermissionsBoundary Dev", ""},
		{"deleted role cannot", Change{Event: ev("p"), Resource: &Role{Name: "Dev"}}, absent, "", "cannot be brought back"},
		{"undeclared cluster", Change{Event: ev("p"), Cluster: "other", Resource: &AccessEntry{PrincipalARN: x}}, present(&AccessEntry{PrincipalARN: x}), "", "not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, cannot := e.Plan(tt.change, tt.live)
			if got := opStrings(ops); got != tt.want {
				t.Errorf("got ops %q, want %q", got, tt.want)
			}
			if !strings.Contains(cannot, tt.cannot) || (tt.cannot == "" && cannot != "") {
				t.Errorf("got cannot %q, want %q", cannot, tt.cannot)
			}
		})
	}
}

func TestPlanNodeEntriesWithOptIn(t *testing.T) {
	b := &Baseline{Version: 1, Mode: ModeRevert, Clusters: []ClusterBaseline{{Name: "prod", Account: "111122223333", Region: "us-west-2",
		RevertNodeEntries: true, AccessEntries: []AccessEntryBaseline{{PrincipalARN: "arn:aws:iam::111122223333:role/dev", KubernetesGroups: []string{"dev"}}}}}}
	ix, err := NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	x := "arn:aws:iam::111122223333:role/x"
	ops, cannot := NewEvaluator(ix).Plan(Change{Event: ev("p"), Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x}},
		Observation{Present: true, Resource: &AccessEntry{PrincipalARN: x, Type: EntryEC2Linux}})
	if got, want := opStrings(ops), "eks:DeleteAccessEntry prod "+x; got != want || cannot != "" {
		t.Errorf("got %q (%q), want %q", got, cannot, want)
	}
}

func TestConfirmJudgesNodeEntriesByLiveType(t *testing.T) {
	b := &Baseline{Version: 1, Mode: ModeRevert, Clusters: []ClusterBaseline{{Name: "prod", Account: "111122223333", Region: "us-west-2",
		AccessEntries: []AccessEntryBaseline{{PrincipalARN: "arn:aws:iam::111122223333:role/dev", AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}}}}}}
	ix, err := NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEvaluator(ix)
	x := "arn:aws:iam::111122223333:role/node"
	// UpdateAccessEntry with no response: the event says nothing of the type.
	c := Change{Event: ev("p"), Op: OpModified, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x, KubernetesGroups: []string{"ops"}}}
	f := e.Evaluate(c)
	if f.Decision != DecisionRevert {
		t.Fatalf("got decision %s before confirmation, want revert", f.Decision)
	}
	got := e.Confirm(f, c, Observation{Present: true, Resource: &AccessEntry{PrincipalARN: x, Type: EntryEC2Linux}})
	if got.Decision != DecisionAlert || !strings.Contains(got.Reason, "EC2_LINUX") {
		t.Errorf("got %s (%s), want alert naming the live type", got.Decision, got.Reason)
	}
}

func TestLosesLastAdmin(t *testing.T) {
	a, b := "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"
	del := func(p string) Operation {
		return Operation{Action: ActDeleteAccessEntry, Resource: &AccessEntry{PrincipalARN: p}}
	}
	pol := func(action, p, policy, scope string) Operation {
		return Operation{Action: action, Resource: &AccessPolicy{PrincipalARN: p, PolicyARN: policy, Scope: AccessScope{Type: scope}}}
	}
	tests := []struct {
		name      string
		admins    []string
		ops       []Operation
		wantLoses bool
		wantRead  bool
	}{
		{"delete one of two", []string{a, b}, []Operation{del(a)}, false, true},
		{"delete both", []string{a, b}, []Operation{del(a), del(b)}, true, true},
		{"disassociate one, delete the other", []string{a, b}, []Operation{pol(ActDisassociateAccessPolicy, a, PolicyClusterAdmin, ""), del(b)}, true, true},
		{"narrow the only admin to a namespace", []string{a}, []Operation{pol(ActAssociateAccessPolicy, a, PolicyClusterAdmin, ScopeNamespace)}, true, true},
		{"recreate the only admin with its policy", []string{a}, []Operation{del(a), {Action: ActCreateAccessEntry, Resource: &AccessEntry{PrincipalARN: a}}, pol(ActAssociateAccessPolicy, a, PolicyClusterAdmin, ScopeCluster)}, false, true},
		{"delete an entry on a cluster with no admin", nil, []Operation{del(b)}, true, true},
		{"grant cluster-admin on a cluster with none", nil, []Operation{pol(ActAssociateAccessPolicy, a, PolicyClusterAdmin, ScopeCluster)}, false, true},
		{"other policies are not read", []string{a}, []Operation{pol(ActDisassociateAccessPolicy, a, PolicyEdit, "")}, false, false},
		{"updates are not read", nil, []Operation{{Action: ActUpdateAccessEntry, Resource: &AccessEntry{PrincipalARN: a}}}, false, false},
		{"iam operations are not read", nil, []Operation{{Action: ActDetachRolePolicy, Resource: &ManagedPolicy{RoleName: "a"}}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := false
			loses, now, err := LosesLastAdmin(tt.ops, func() ([]string, error) { read = true; return tt.admins, nil })
			if err != nil {
				t.Fatal(err)
			}
			if loses != tt.wantLoses || read != tt.wantRead {
				t.Errorf("got loses %v read %v, want loses %v read %v", loses, read, tt.wantLoses, tt.wantRead)
			}
			if read && len(now) != len(tt.admins) {
				t.Errorf("got admins now %v, want %v", now, tt.admins)
			}
		})
	}
	t.Run("a failed read is an error, never a pass", func(t *testing.T) {
		loses, _, err := LosesLastAdmin([]Operation{del(a)}, func() ([]string, error) { return nil, errors.New("throttled") })
		if err == nil || loses {
			t.Errorf("got loses %v err %v, want an error", loses, err)
		}
	})
}

func TestChangeOfRoundTrips(t *testing.T) {
	e := testBaseline(t)
	changes := []Change{
		{Event: ev("p"), Op: OpAdded, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/x", PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}},
		{Event: ev("p"), Op: OpRemoved, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/dev"}},
		{Event: ev("p"), Op: OpModified, Resource: &TrustPolicy{RoleName: "Dev", Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)}},
	}
	for _, c := range changes {
		f := e.Evaluate(c)
		b, _ := json.Marshal(f)
		var back Finding
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		got, err := ChangeOf(back)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind() != c.Kind() || got.Resource.Key() != c.Resource.Key() || got.Cluster != c.Cluster || !got.Event.Time.Equal(c.Event.Time) {
			t.Errorf("got %+v, want %+v", got, c)
		}
		if g := e.Evaluate(got); g.Drift != f.Drift || g.Severity != f.Severity {
			t.Errorf("re-evaluated: got %s/%s, want %s/%s", g.Severity, g.Decision, f.Severity, f.Decision)
		}
	}
}

func TestRemediatorsAreNeverReverted(t *testing.T) {
	e := testBaseline(t).WithRemediators("arn:aws:iam::111122223333:role/eksdrift-revert")
	f := e.Evaluate(Change{Event: ev("arn:aws:iam::111122223333:role/eksdrift-revert"), Op: OpAdded, Cluster: "prod",
		Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}})
	if f.Decision != DecisionRemediation || !strings.Contains(f.Reason, "remediation") {
		t.Errorf("got %s: %s", f.Decision, f.Reason)
	}
}
