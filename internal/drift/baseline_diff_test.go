package drift

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	diffAccount = "111122223333"
	diffRole    = "arn:aws:iam::111122223333:role/platform/deploy"
	diffAdmin   = "arn:aws:iam::111122223333:role/Admin"
)

// diffBase is a small baseline with one of everything; tests change a copy.
func diffBase() *Baseline {
	trust, err := ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	if err != nil {
		panic(err)
	}
	boundary := "arn:aws:iam::111122223333:policy/boundary"
	return &Baseline{
		Version: 1,
		Mode:    ModeAlert,
		BreakGlass: []BreakGlass{
			{Principal: diffAdmin, Expires: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Reason: "incident"},
		},
		Clusters: []ClusterBaseline{{
			Name: "prod", Account: diffAccount, Region: "us-west-2",
			AuthenticationMode: AuthModeAPI,
			AccessEntries: []AccessEntryBaseline{{
				PrincipalARN: diffRole, KubernetesGroups: []string{"deployers"},
				AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"apps"}}}},
			}},
			PodIdentityAssociations: []PodIdentityAssociation{{Namespace: "apps", ServiceAccount: "api", RoleARN: "arn:aws:iam::111122223333:role/api"}},
			IdentityProviderConfigs: []IdentityProviderConfig{},
			Approvers:               []string{"U0ALICE"},
		}},
		IAMRoles: []RoleBaseline{{
			ARN:                 diffRole,
			TrustPolicy:         trust,
			ManagedPolicies:     []string{"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"},
			InlinePolicies:      map[string]*PolicyDocument{},
			PermissionsBoundary: &boundary,
		}},
		OIDCProviders: []string{},
	}
}

// clone copies a baseline deeply enough for the tests' changes.
func clone(b *Baseline) *Baseline {
	c := *b
	c.BreakGlass = append([]BreakGlass(nil), b.BreakGlass...)
	c.Clusters = append([]ClusterBaseline(nil), b.Clusters...)
	for i := range c.Clusters {
		cl := &c.Clusters[i]
		cl.AccessEntries = append([]AccessEntryBaseline(nil), cl.AccessEntries...)
		cl.Approvers = append([]string(nil), cl.Approvers...)
		for j := range cl.AccessEntries {
			e := &cl.AccessEntries[j]
			e.AccessPolicies = append([]AccessPolicyBaseline(nil), e.AccessPolicies...)
			e.KubernetesGroups = append([]string(nil), e.KubernetesGroups...)
		}
		if cl.PodIdentityAssociations != nil {
			cl.PodIdentityAssociations = append([]PodIdentityAssociation{}, cl.PodIdentityAssociations...)
		}
	}
	c.IAMRoles = append([]RoleBaseline(nil), b.IAMRoles...)
	for i := range c.IAMRoles {
		r := &c.IAMRoles[i]
		r.ManagedPolicies = append([]string{}, r.ManagedPolicies...)
		m := map[string]*PolicyDocument{}
		for k, v := range r.InlinePolicies {
			m[k] = v
		}
		r.InlinePolicies = m
	}
	return &c
}

func mustDoc(t *testing.T, s string) *PolicyDocument {
	t.Helper()
	d, err := ParsePolicyDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDiffBaselines(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, b *Baseline)
		// want is the severity of the most severe delta, "" for no delta;
		// what must appear in that delta.
		want Severity
		what string
	}{
		{"identical", func(*testing.T, *Baseline) {}, "", ""},
		{"only a break-glass reason reworded", func(_ *testing.T, b *Baseline) { b.BreakGlass[0].Reason = "incident 42" }, "", ""},
		{"cluster-admin at cluster scope", func(_ *testing.T, b *Baseline) {
			e := &b.Clusters[0].AccessEntries[0]
			e.AccessPolicies = append(e.AccessPolicies, AccessPolicyBaseline{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}})
		}, SeverityCritical, "cluster-admin on the whole cluster"},
		{"admin policy in a namespace", func(_ *testing.T, b *Baseline) {
			e := &b.Clusters[0].AccessEntries[0]
			e.AccessPolicies = append(e.AccessPolicies, AccessPolicyBaseline{PolicyARN: PolicyAdmin, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"apps"}}})
		}, SeverityCritical, "AmazonEKSAdminPolicy"},
		// Rated from the access policy table, as an event granting it is:
		// Edit on the whole cluster impersonates kube-system's accounts.
		{"scope widened to the cluster", func(_ *testing.T, b *Baseline) {
			b.Clusters[0].AccessEntries[0].AccessPolicies[0].Scope = AccessScope{Type: ScopeCluster}
		}, SeverityCritical, "was namespace[apps]"},
		{"Secrets readable cluster-wide", func(_ *testing.T, b *Baseline) {
			e := &b.Clusters[0].AccessEntries[0]
			e.AccessPolicies = append(e.AccessPolicies, AccessPolicyBaseline{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy", Scope: AccessScope{Type: ScopeCluster}})
		}, SeverityHigh, "AmazonEKSAdminViewPolicy"},
		{"an unknown access policy", func(_ *testing.T, b *Baseline) {
			e := &b.Clusters[0].AccessEntries[0]
			e.AccessPolicies = append(e.AccessPolicies, AccessPolicyBaseline{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSNewPolicy", Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"apps"}}})
		}, SeverityHigh, "AmazonEKSNewPolicy"},
		{"scope narrowed", func(_ *testing.T, b *Baseline) {
			b.Clusters[0].AccessEntries[0].AccessPolicies[0].Scope.Namespaces = nil
		}, SeverityLow, "narrowed"},
		{"system:masters", func(_ *testing.T, b *Baseline) {
			e := &b.Clusters[0].AccessEntries[0]
			e.KubernetesGroups = append(e.KubernetesGroups, "system:masters")
		}, SeverityCritical, "system:masters"},
		{"new entry in system:masters", func(_ *testing.T, b *Baseline) {
			c := &b.Clusters[0]
			c.AccessEntries = append(c.AccessEntries, AccessEntryBaseline{PrincipalARN: "arn:aws:iam::111122223333:role/eve", KubernetesGroups: []string{"system:masters"}})
		}, SeverityCritical, "eve is put in system:masters"},
		{"new cross-account entry", func(_ *testing.T, b *Baseline) {
			c := &b.Clusters[0]
			c.AccessEntries = append(c.AccessEntries, AccessEntryBaseline{PrincipalARN: "arn:aws:iam::999999999999:role/eve"})
		}, SeverityHigh, "another account (999999999999)"},
		{"entry removed", func(_ *testing.T, b *Baseline) { b.Clusters[0].AccessEntries = []AccessEntryBaseline{} }, SeverityLow, "removed"},
		{"access entries no longer managed", func(_ *testing.T, b *Baseline) { b.Clusters[0].AccessEntries = nil }, SeverityHigh, "no longer managed"},
		{"cluster no longer declared", func(_ *testing.T, b *Baseline) { b.Clusters = nil }, SeverityHigh, "out of scope"},
		{"new cluster with cluster-admin", func(_ *testing.T, b *Baseline) {
			b.Clusters = append(b.Clusters, ClusterBaseline{Name: "new", Account: diffAccount, Region: "us-west-2",
				AccessEntries: []AccessEntryBaseline{{PrincipalARN: diffRole, AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}}}})
		}, SeverityCritical, "cluster-admin"},
		{"ConfigMap authentication", func(_ *testing.T, b *Baseline) { b.Clusters[0].AuthenticationMode = AuthModeAPIAndConfigMap }, SeverityHigh, "aws-auth"},
		{"new pod identity association", func(_ *testing.T, b *Baseline) {
			c := &b.Clusters[0]
			c.PodIdentityAssociations = append(c.PodIdentityAssociations, PodIdentityAssociation{Namespace: "kube-system", ServiceAccount: "x", RoleARN: "arn:aws:iam::111122223333:role/x"})
		}, SeverityCritical, "kube-system/x"},
		{"pod identity gets another role", func(_ *testing.T, b *Baseline) {
			b.Clusters[0].PodIdentityAssociations[0].RoleARN = "arn:aws:iam::111122223333:role/Admin"
		}, SeverityCritical, "role/Admin"},
		{"pod identity association removed", func(_ *testing.T, b *Baseline) {
			b.Clusters[0].PodIdentityAssociations = []PodIdentityAssociation{}
		}, SeverityLow, "removed"},
		{"new identity provider", func(_ *testing.T, b *Baseline) {
			b.Clusters[0].IdentityProviderConfigs = []IdentityProviderConfig{{Name: "okta", IssuerURL: "https://evil.example.com"}}
		}, SeverityHigh, "okta"},
		{"mode switched to revert", func(_ *testing.T, b *Baseline) { b.Mode = ModeRevert }, SeverityCritical, "switched to revert"},
		{"cluster mode switched to revert", func(_ *testing.T, b *Baseline) { b.Clusters[0].Mode = ModeRevert }, SeverityCritical, "switched to revert"},
		{"mode switched off revert", func(_ *testing.T, b *Baseline) { b.Mode = ModeRevert }, "", ""}, // see below: prev is revert
		{"new break-glass principal", func(_ *testing.T, b *Baseline) {
			b.BreakGlass = append(b.BreakGlass, BreakGlass{Principal: "arn:aws:iam::111122223333:role/eve", Expires: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)})
		}, SeverityCritical, "new break-glass principal arn:aws:iam::111122223333:role/eve"},
		{"break-glass without expiry", func(_ *testing.T, b *Baseline) { b.BreakGlass[0].Expires = time.Time{} }, SeverityCritical, "no expiry"},
		{"break-glass with an override", func(_ *testing.T, b *Baseline) {
			b.BreakGlass[0].Expires, b.BreakGlass[0].LongExpiry = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), "standing on-call role"
		}, SeverityCritical, "allowLongExpiry"},
		{"break-glass extended", func(_ *testing.T, b *Baseline) {
			b.BreakGlass[0].Expires = time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
		}, SeverityHigh, "extended"},
		{"break-glass shortened", func(_ *testing.T, b *Baseline) {
			b.BreakGlass[0].Expires = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		}, SeverityInfo, "no longer than before"},
		{"break-glass removed", func(_ *testing.T, b *Baseline) { b.BreakGlass = nil }, SeverityLow, "removed"},
		{"AdministratorAccess on a role", func(_ *testing.T, b *Baseline) {
			b.IAMRoles[0].ManagedPolicies = append(b.IAMRoles[0].ManagedPolicies, "arn:aws:iam::aws:policy/AdministratorAccess")
		}, SeverityCritical, "AdministratorAccess"},
		{"IAMFullAccess on a role", func(_ *testing.T, b *Baseline) {
			b.IAMRoles[0].ManagedPolicies = append(b.IAMRoles[0].ManagedPolicies, "arn:aws:iam::aws:policy/IAMFullAccess")
		}, SeverityCritical, "IAMFullAccess"},
		{"PowerUserAccess on a role", func(_ *testing.T, b *Baseline) {
			b.IAMRoles[0].ManagedPolicies = append(b.IAMRoles[0].ManagedPolicies, "arn:aws:iam::aws:policy/PowerUserAccess")
		}, SeverityCritical, "PowerUserAccess"},
		{"other managed policy", func(_ *testing.T, b *Baseline) {
			b.IAMRoles[0].ManagedPolicies = append(b.IAMRoles[0].ManagedPolicies, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
		}, SeverityMedium, "AmazonS3ReadOnlyAccess"},
		{"managed policy detached", func(_ *testing.T, b *Baseline) { b.IAMRoles[0].ManagedPolicies = []string{} }, SeverityLow, "detached"},
		{"admin inline policy", func(t *testing.T, b *Baseline) {
			b.IAMRoles[0].InlinePolicies["x"] = mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
		}, SeverityCritical, "every action"},
		{"trust in another account", func(t *testing.T, b *Baseline) {
			b.IAMRoles[0].TrustPolicy = mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com","AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`)
		}, SeverityCritical, "another account (999999999999)"},
		{"trust in anyone", func(t *testing.T, b *Baseline) {
			b.IAMRoles[0].TrustPolicy = mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)
		}, SeverityCritical, "any AWS principal"},
		{"trust in the same account", func(t *testing.T, b *Baseline) {
			b.IAMRoles[0].TrustPolicy = mustDoc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com","AWS":"arn:aws:iam::111122223333:role/ci"},"Action":"sts:AssumeRole"}]}`)
		}, SeverityMedium, "role/ci"},
		{"trust policy reordered", func(t *testing.T, b *Baseline) {
			b.IAMRoles[0].TrustPolicy = mustDoc(t, `{"Statement":[{"Action":"sts:AssumeRole","Principal":{"Service":["eks.amazonaws.com"]},"Effect":"Allow"}],"Version":"2012-10-17"}`)
		}, "", ""},
		{"permissions boundary lifted", func(_ *testing.T, b *Baseline) { none := ""; b.IAMRoles[0].PermissionsBoundary = &none }, SeverityHigh, "lifted"},
		{"role no longer declared", func(_ *testing.T, b *Baseline) { b.IAMRoles = nil }, SeverityHigh, "out of scope"},
		{"role path and case do not make a new role", func(_ *testing.T, b *Baseline) {
			b.IAMRoles[0].ARN = "arn:aws:iam::111122223333:role/DEPLOY"
		}, "", ""},
		{"new OIDC provider", func(_ *testing.T, b *Baseline) {
			b.OIDCProviders = []string{"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}
		}, SeverityHigh, "githubusercontent"},
		{"OIDC providers no longer managed", func(_ *testing.T, b *Baseline) { b.OIDCProviders = nil }, SeverityHigh, "no longer managed"},
		// Approvers may revert and accept drift into the baseline from Slack.
		{"a new approver", func(_ *testing.T, b *Baseline) {
			b.Clusters[0].Approvers = append(b.Clusters[0].Approvers, "U0MALLORY")
		}, SeverityHigh, "U0MALLORY becomes an approver"},
		{"a new approver group", func(_ *testing.T, b *Baseline) {
			b.Clusters[0].Approvers = append(b.Clusters[0].Approvers, "S0EVERYONE")
		}, SeverityHigh, "user group S0EVERYONE"},
		{"an approver replaced", func(_ *testing.T, b *Baseline) { b.Clusters[0].Approvers = []string{"W0MALLORY"} }, SeverityHigh, "W0MALLORY"},
		{"an approver removed", func(_ *testing.T, b *Baseline) { b.Clusters[0].Approvers = nil }, SeverityLow, "U0ALICE is no longer an approver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := diffBase()
			next := clone(prev)
			tt.change(t, next)
			if tt.name == "mode switched off revert" {
				prev.Mode, next.Mode = ModeRevert, ModeAlert
				tt.want, tt.what = SeverityMedium, "from revert to alert"
			}
			ds := DiffBaselines(prev, next)
			if tt.want == "" {
				if len(ds) != 0 {
					t.Errorf("got deltas %v, want none", ds)
				}
				return
			}
			if len(ds) == 0 {
				t.Fatalf("got no delta, want %s %q", tt.want, tt.what)
			}
			if ds[0].Severity != tt.want {
				t.Errorf("got severity %v (%v), want %v", ds[0].Severity, ds, tt.want)
			}
			if !strings.Contains(ds[0].What, tt.what) {
				t.Errorf("got %q, want it to mention %q", ds[0].What, tt.what)
			}
			for i := 1; i < len(ds); i++ {
				if ds[i].Severity.Rank() > ds[i-1].Severity.Rank() {
					t.Errorf("deltas not most severe first: got %v", ds)
				}
			}
		})
	}
}

func TestDiffBaselinesFirstVersion(t *testing.T) {
	next := diffBase()
	next.Clusters[0].AccessEntries[0].AccessPolicies = []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}
	ds := DiffBaselines(nil, next)
	if len(ds) == 0 || ds[0].Severity != SeverityCritical {
		t.Fatalf("got %v, want a critical delta first: with no previous version everything is new", ds)
	}
	var grantsAdmin, newGlass bool
	for _, d := range ds {
		grantsAdmin = grantsAdmin || strings.Contains(d.What, "cluster-admin on the whole cluster")
		newGlass = newGlass || strings.Contains(d.What, "new break-glass principal "+diffAdmin)
	}
	if !grantsAdmin || !newGlass {
		t.Errorf("got %v, want the cluster-admin grant and the break-glass principal", ds)
	}
}

func baselineChange(op Op) Change {
	o := NewBaselineObject("eksdrift-baselines", "baseline.yaml")
	o.VersionID = "v2"
	return Change{
		Event: Event{
			ID: "b1", Time: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Name: "PutObject", Source: "s3.amazonaws.com",
			Account: diffAccount, Region: "us-west-2", Actor: Actor{ARN: "arn:aws:iam::111122223333:role/ci", SessionName: "build-7"},
		},
		Op:       op,
		Resource: o,
	}
}

func TestJudgeBaselineWrite(t *testing.T) {
	escalated := clone(diffBase())
	escalated.VersionID = "v2"
	escalated.Clusters[0].AccessEntries[0].AccessPolicies = append(escalated.Clusters[0].AccessEntries[0].AccessPolicies,
		AccessPolicyBaseline{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}})
	narrowed := clone(diffBase())
	narrowed.Clusters[0].AccessEntries = []AccessEntryBaseline{}
	// A break-glass principal in the previous version does not make the
	// write any less worth reporting.
	glass := clone(diffBase())
	glass.BreakGlass = append(glass.BreakGlass, BreakGlass{Principal: "arn:aws:iam::111122223333:role/ci"})
	tests := []struct {
		name     string
		op       Op
		v        BaselineVersions
		drift    bool
		severity Severity
		why      string
	}{
		{"identical", OpModified, BaselineVersions{Previous: diffBase(), Next: diffBase()}, false, SeverityInfo, "compliant"},
		{"grants cluster-admin", OpModified, BaselineVersions{Previous: diffBase(), Next: escalated}, true, SeverityCritical, "cluster-admin"},
		{"narrows", OpModified, BaselineVersions{Previous: diffBase(), Next: narrowed}, true, SeverityLow, "removed"},
		{"break-glass writer", OpModified, BaselineVersions{Previous: glass, Next: escalated}, true, SeverityCritical, "cluster-admin"},
		{"deleted", OpRemoved, BaselineVersions{Previous: diffBase()}, true, SeverityCritical, BaselineUnreadable},
		{"invalid new version", OpModified, BaselineVersions{Previous: diffBase(), NextErr: errors.New("invalid baseline: breakGlass[0].expires: more than 30 days away")}, true, SeverityCritical, BaselineUnreadable},
		{"unreadable previous version", OpModified, BaselineVersions{PreviousErr: errors.New("access denied"), Next: escalated}, true, SeverityCritical, "new break-glass principal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := JudgeBaselineWrite(baselineChange(tt.op), tt.v)
			if f.Drift != tt.drift || f.Severity != tt.severity {
				t.Errorf("got drift %v severity %v, want %v %v (%s)", f.Drift, f.Severity, tt.drift, tt.severity, f.Reason)
			}
			if !strings.Contains(f.SeverityReason, tt.why) {
				t.Errorf("got severity reason %q, want it to mention %q", f.SeverityReason, tt.why)
			}
			wantDecision := DecisionAlert
			if !tt.drift {
				wantDecision = DecisionNone
			}
			if f.Decision != wantDecision {
				t.Errorf("got decision %v, want %v: a baseline write is never reverted", f.Decision, wantDecision)
			}
			if f.Kind != KindBaseline || f.Resource != "s3://eksdrift-baselines/baseline.yaml" || f.Cluster != "" {
				t.Errorf("got kind %v resource %v cluster %q, want baseline s3://eksdrift-baselines/baseline.yaml none", f.Kind, f.Resource, f.Cluster)
			}
			if f.Actor != "arn:aws:iam::111122223333:role/ci" || f.ActorSession != "build-7" {
				t.Errorf("got actor %v %v, want the writer", f.Actor, f.ActorSession)
			}
			if !strings.Contains(f.Reason, "written by arn:aws:iam::111122223333:role/ci") {
				t.Errorf("got reason %q, want it to name the writer", f.Reason)
			}
		})
	}
	t.Run("the diff is in after", func(t *testing.T) {
		f := JudgeBaselineWrite(baselineChange(OpModified), BaselineVersions{Previous: diffBase(), Next: escalated})
		var o BaselineObject
		if err := json.Unmarshal(f.After, &o); err != nil {
			t.Fatal(err)
		}
		if len(o.Diff) != 1 || o.Diff[0].Severity != SeverityCritical || o.VersionID != "v2" {
			t.Errorf("got %+v, want version v2 with one critical delta", o)
		}
		if f.BaselineVersion != "v2" {
			t.Errorf("got baselineVersion %q, want v2", f.BaselineVersion)
		}
	})
}

func TestEvaluateBaselineWriteWithoutVersions(t *testing.T) {
	ix, err := NewIndex(diffBase())
	if err != nil {
		t.Fatal(err)
	}
	// A break-glass actor's write is still reported, and nothing reverts it.
	ix.Baseline.Mode = ModeRevert
	c := baselineChange(OpModified)
	c.Event.Actor.ARN = diffAdmin
	for _, tt := range []struct {
		name     string
		op       Op
		severity Severity
		why      string
	}{
		{"written", OpModified, SeverityHigh, "not known here"},
		{"deleted", OpRemoved, SeverityCritical, BaselineUnreadable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.Op = tt.op
			f := NewEvaluator(ix).Evaluate(c)
			if !f.Drift || f.Severity != tt.severity || f.Decision != DecisionAlert {
				t.Errorf("got drift %v severity %v decision %v, want true %v alert", f.Drift, f.Severity, f.Decision, tt.severity)
			}
			if !strings.Contains(f.SeverityReason, tt.why) {
				t.Errorf("got %q, want it to mention %q", f.SeverityReason, tt.why)
			}
		})
	}
}
