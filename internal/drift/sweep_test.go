package drift

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

var sweepAt = time.Date(2026, 10, 14, 12, 0, 0, 0, time.UTC)

// prodState is the live state of cluster prod exactly as testBaseline
// declares it.
func prodState() ClusterState {
	dev := "arn:aws:iam::111122223333:role/dev"
	return ClusterState{
		Name: "prod", Account: acct, Region: "us-west-2", Found: true, AuthenticationMode: AuthModeAPI, ReadAt: sweepAt,
		AccessEntries: []EntryState{
			{AccessEntry: AccessEntry{PrincipalARN: dev, Type: EntryStandard, KubernetesGroups: []string{"dev"}, Username: DefaultUsername(dev)},
				Policies: []AccessPolicy{{PrincipalARN: dev, PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"jobs", "app"}}}}},
			{AccessEntry: AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/nodes", Type: EntryEC2Linux, KubernetesGroups: []string{"system:nodes"}, Username: "system:node:{{EC2PrivateDNSName}}"}},
			{AccessEntry: AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/platform-admin", Type: EntryStandard, KubernetesGroups: []string{}, Username: DefaultUsername("arn:aws:iam::111122223333:role/platform-admin")},
				Policies: []AccessPolicy{{PrincipalARN: "arn:aws:iam::111122223333:role/platform-admin", PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}},
		},
		PodIdentityAssociations: []PodIdentityAssociation{{Namespace: "app", ServiceAccount: "api", RoleARN: "arn:aws:iam::111122223333:role/app-api", AssociationID: "a-1"}},
		IdentityProviderConfigs: []IdentityProviderConfig{},
	}
}

func devRoleState(t *testing.T) RoleState {
	return RoleState{
		ARN: "arn:aws:iam::111122223333:role/team/Dev", Name: "Dev", Account: acct, Found: true, ReadAt: sweepAt,
		TrustPolicy:         doc(t, `{"Version":"2012-10-17","Statement":[{"Sid":"sso","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/sso-admin"},"Action":"sts:AssumeRole"}]}`),
		ManagedPolicies:     []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		InlinePolicies:      map[string]*PolicyDocument{},
		PermissionsBoundary: "arn:aws:iam::111122223333:policy/boundary",
	}
}

// drifts summarises the drift among judgements as "kind change resource".
func drifts(js []Judgement) []string {
	var out []string
	for _, j := range js {
		if j.Finding.Drift {
			out = append(out, string(j.Finding.Kind)+" "+string(j.Finding.Change)+" "+j.Finding.Resource)
		}
	}
	slices.Sort(out)
	return out
}

func TestSweepCluster(t *testing.T) {
	e := testBaseline(t)
	dev := "arn:aws:iam::111122223333:role/dev"
	x := "arn:aws:iam::111122223333:role/x"
	tests := []struct {
		name   string
		mutate func(*ClusterState)
		want   []string
	}{
		{"as declared", func(*ClusterState) {}, nil},
		{"undeclared entry with a policy", func(c *ClusterState) {
			c.AccessEntries = append(c.AccessEntries, EntryState{AccessEntry: AccessEntry{PrincipalARN: x, Type: EntryStandard},
				Policies: []AccessPolicy{{PrincipalARN: x, PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}})
		}, []string{"access-entry added " + x, "access-policy added " + x + "|" + PolicyClusterAdmin}},
		{"declared entry gone takes its policy", func(c *ClusterState) { c.AccessEntries = c.AccessEntries[1:] },
			[]string{"access-entry removed " + dev, "access-policy removed " + dev + "|" + PolicyEdit}},
		{"groups changed", func(c *ClusterState) { c.AccessEntries[0].KubernetesGroups = []string{"dev", "ops"} },
			[]string{"access-entry modified " + dev}},
		{"scope widened", func(c *ClusterState) { c.AccessEntries[0].Policies[0].Scope = AccessScope{Type: ScopeCluster} },
			[]string{"access-policy modified " + dev + "|" + PolicyEdit}},
		{"declared policy disassociated", func(c *ClusterState) { c.AccessEntries[0].Policies = nil },
			[]string{"access-policy removed " + dev + "|" + PolicyEdit}},
		{"node entry's groups are EKS's", func(c *ClusterState) { c.AccessEntries[1].KubernetesGroups = []string{"x"} }, nil},
		{"authentication mode", func(c *ClusterState) { c.AuthenticationMode = AuthModeAPIAndConfigMap },
			[]string{"authentication-mode modified authenticationMode"}},
		{"pod identity role changed", func(c *ClusterState) { c.PodIdentityAssociations[0].RoleARN = x },
			[]string{"pod-identity-association modified app/api"}},
		{"pod identity gone", func(c *ClusterState) { c.PodIdentityAssociations = []PodIdentityAssociation{} },
			[]string{"pod-identity-association removed app/api"}},
		{"pod identities not read are not judged", func(c *ClusterState) { c.PodIdentityAssociations = nil }, nil},
		{"identity providers are not managed on prod", func(c *ClusterState) {
			c.IdentityProviderConfigs = []IdentityProviderConfig{{Name: "okta", Type: "oidc", IssuerURL: "https://okta"}}
		}, nil},
		{"cluster not found says nothing", func(c *ClusterState) { c.Found = false; c.AccessEntries = nil }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := prodState()
			tc.mutate(&cs)
			got := drifts(e.SweepCluster(sweepAt, cs))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got drift %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSweepFindings(t *testing.T) {
	e := testBaseline(t)
	x := "arn:aws:iam::111122223333:role/x"
	cs := prodState()
	cs.AccessEntries = append(cs.AccessEntries, EntryState{AccessEntry: AccessEntry{PrincipalARN: x, Type: EntryStandard}})
	var f Finding
	var j Judgement
	for _, jj := range e.SweepCluster(sweepAt, cs) {
		if jj.Finding.Drift {
			f, j = jj.Finding, jj
		}
	}
	if f.DetectedBy != DetectedBySweep || f.EventName != SweepEventName || !f.EventTime.Equal(sweepAt) || f.Actor != "" {
		t.Errorf("got detectedBy %q eventName %q time %v actor %q, want a sweep finding at %v with no actor", f.DetectedBy, f.EventName, f.EventTime, f.Actor, sweepAt)
	}
	if f.Decision != DecisionRevert || f.Severity != SeverityMedium {
		t.Errorf("got decision %s severity %s, want revert (prod's mode) and medium", f.Decision, f.Severity)
	}
	if f.Live == nil || !f.Live.Present || !f.Live.Drift {
		t.Errorf("live state not recorded: %+v", f.Live)
	}
	if !strings.HasPrefix(f.EventID, "sweep-") || f.EventID != SweepEventID(sweepAt, string(KindAccessEntry), acct+"/us-west-2/prod", x) {
		t.Errorf("got event id %q, want the stable sweep id", f.EventID)
	}
	// The reverter rebuilds the change from the finding alone.
	c, err := ChangeOf(f)
	if err != nil {
		t.Fatal(err)
	}
	ops, cannot := e.Plan(c, j.Live)
	if cannot != "" || opStrings(ops) != "eks:DeleteAccessEntry prod "+x {
		t.Errorf("got plan %q (cannot %q), want the entry deleted", opStrings(ops), cannot)
	}
	idOf := func(js []Judgement) string {
		for _, j := range js {
			if j.Finding.Drift {
				return j.Finding.ID()
			}
		}
		return ""
	}
	if idOf(e.SweepCluster(sweepAt, cs)) != f.ID() || idOf(e.SweepCluster(sweepAt.Add(time.Hour), cs)) == f.ID() {
		t.Error("sweep ids must be stable within a run and differ between runs")
	}
}

func TestSweepRole(t *testing.T) {
	e := testBaseline(t)
	tests := []struct {
		name   string
		mutate func(*RoleState)
		want   []string
	}{
		{"as declared (Sid and path do not matter)", func(*RoleState) {}, nil},
		{"trust opened to another account", func(r *RoleState) {
			r.TrustPolicy = doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}]}`)
		}, []string{"iam-trust-policy modified Dev"}},
		{"admin attached, declared detached", func(r *RoleState) { r.ManagedPolicies = []string{"arn:aws:iam::aws:policy/AdministratorAccess"} },
			[]string{"iam-managed-policy added Dev|arn:aws:iam::aws:policy/AdministratorAccess", "iam-managed-policy removed Dev|arn:aws:iam::aws:policy/ReadOnlyAccess"}},
		{"inline policy where none may be", func(r *RoleState) {
			r.InlinePolicies = map[string]*PolicyDocument{"all": doc(t, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
		}, []string{"iam-inline-policy added Dev|all"}},
		{"boundary removed", func(r *RoleState) { r.PermissionsBoundary = "" }, []string{"iam-permissions-boundary removed Dev"}},
		{"role deleted", func(r *RoleState) { *r = RoleState{ARN: r.ARN, Name: r.Name, Account: acct} }, []string{"iam-role removed Dev"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := devRoleState(t)
			tc.mutate(&rs)
			got := drifts(e.SweepRole(sweepAt, rs))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got drift %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCaptureJudgesClean(t *testing.T) {
	cs := prodState()
	x := "arn:aws:iam::111122223333:role/x"
	cs.AccessEntries = append(cs.AccessEntries, EntryState{AccessEntry: AccessEntry{PrincipalARN: x, Type: EntryStandard, Username: "custom"},
		Policies: []AccessPolicy{{PrincipalARN: x, PolicyARN: PolicyView, Scope: AccessScope{Type: "Namespace", Namespaces: []string{"b", "a"}}}}})
	rs := devRoleState(t)
	gone := RoleState{ARN: "arn:aws:iam::111122223333:role/gone", Name: "gone", Account: acct}
	b := Capture([]ClusterState{cs, {Name: "missing", Account: acct, Region: "us-west-2"}}, []RoleState{rs, gone}, nil)
	if len(b.Clusters) != 1 || len(b.IAMRoles) != 1 {
		t.Fatalf("got %d clusters and %d roles, want what was found: 1 and 1", len(b.Clusters), len(b.IAMRoles))
	}
	entries := b.Clusters[0].AccessEntries
	if got := entries[0]; got.Username != "" || got.PrincipalARN != "arn:aws:iam::111122223333:role/dev" {
		t.Errorf("got first entry %+v, want dev with EKS's default username left out", got)
	}
	if got := entries[1]; got.Type != EntryEC2Linux || got.KubernetesGroups != nil || got.Username != "" {
		t.Errorf("got node entry %+v, want its type only", got)
	}
	if got := entries[3]; got.Username != "custom" || got.AccessPolicies[0].Scope.Type != ScopeNamespace || !slices.Equal(got.AccessPolicies[0].Scope.Namespaces, []string{"a", "b"}) {
		t.Errorf("got %+v, want the custom username and a sorted namespace scope", got)
	}
	if b.IAMRoles[0].PermissionsBoundary == nil || b.Clusters[0].IdentityProviderConfigs == nil {
		t.Error("every kind read must be managed in the captured baseline")
	}
	ix, err := NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	ce := NewEvaluator(ix)
	if d := append(drifts(ce.SweepCluster(sweepAt, cs)), drifts(ce.SweepRole(sweepAt, rs))...); len(d) != 0 {
		t.Errorf("the state a baseline was captured from drifts from it: %q", d)
	}
	if !strings.Contains(string(mustJSON(t, b.IAMRoles[0].TrustPolicy.Original())), `"Sid":"sso"`) {
		t.Error("the captured trust policy lost its Sid")
	}
}

func TestDefaultUsername(t *testing.T) {
	for _, tc := range []struct{ principal, want string }{
		{"arn:aws:iam::111122223333:role/team/dev", "arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}"},
		{"arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/bob"},
		{"not-an-arn", ""},
	} {
		if got := DefaultUsername(tc.principal); got != tc.want {
			t.Errorf("DefaultUsername(%q): got %q, want %q", tc.principal, got, tc.want)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
