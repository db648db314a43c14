package drift

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// This file enforces the checklist "Adding a kind" in docs/ARCHITECTURE.md:
// every kind in Kinds needs each of the things below, and a kind that
// misses one fails here, naming what is missing. The goldens of other
// packages are read as plain files, so that the domain's tests import no
// adapter.

// kindCase is one drifting change of a kind and what its plan starts from.
type kindCase struct {
	change Change
	// live is the state the plan starts from: the drift, still there.
	live Observation
	// noPlan is why the kind has no plan, when it has none: exactly what
	// Plan answers. Empty means Plan must give operations.
	noPlan string
}

func kindsEvaluator(t *testing.T) *Evaluator {
	t.Helper()
	trust := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/sso-admin"},"Action":"sts:AssumeRole"}]}`)
	boundary := "arn:aws:iam::111122223333:policy/boundary"
	ix, err := NewIndex(&Baseline{
		Version: 1, Mode: ModeRevert, Source: "s3://b/baseline.yaml", VersionID: "v1",
		Clusters: []ClusterBaseline{{
			Name: "prod", Account: acct, Region: "us-west-2", AuthenticationMode: AuthModeAPI,
			AccessEntries: []AccessEntryBaseline{
				{PrincipalARN: "arn:aws:iam::111122223333:role/platform-admin", AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}}},
			},
			PodIdentityAssociations: []PodIdentityAssociation{},
			IdentityProviderConfigs: []IdentityProviderConfig{},
			AwsAuth:                 &AwsAuthBaseline{},
		}},
		IAMRoles: []RoleBaseline{{ARN: "arn:aws:iam::111122223333:role/team/Dev", TrustPolicy: trust,
			ManagedPolicies: []string{}, InlinePolicies: map[string]*PolicyDocument{}, PermissionsBoundary: &boundary}},
		IAMUsers:      []UserBaseline{{ARN: "arn:aws:iam::111122223333:user/ops/deploy", Groups: []string{}}},
		OIDCProviders: []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A deployment that names no trail: tamper with any trail is drift.
	return NewEvaluator(ix).WithDeployment(&Deployment{StackName: "eksdrift"})
}

// kindCases holds one case for every kind: a kind missing here fails every
// test below.
func kindCases(t *testing.T) map[Kind]kindCase {
	const (
		x    = "arn:aws:iam::111122223333:role/x"
		dev  = "arn:aws:iam::111122223333:role/team/Dev"
		oidc = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
	)
	wild := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)
	admin := doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	eksEvent := ev("arn:aws:iam::111122223333:role/person")
	iamEvent := eksEvent
	iamEvent.Region = "us-east-1"
	present := func(r Resource) Observation { return Observation{Present: true, Resource: r} }
	eks := func(op Op, r Resource) Change { return Change{Event: eksEvent, Op: op, Cluster: "prod", Resource: r} }
	iam := func(op Op, r Resource) Change { return Change{Event: iamEvent, Op: op, Resource: r} }
	entry := &AccessEntry{PrincipalARN: x, Type: EntryStandard}
	policy := &AccessPolicy{PrincipalARN: x, PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}
	pod := &PodIdentityAssociation{Namespace: "kube-system", ServiceAccount: "x", RoleARN: x, AssociationID: "a-1"}
	idp := &IdentityProviderConfig{Name: "corp", Type: "oidc", IssuerURL: "https://issuer.example", ClientID: "c"}
	role := &Role{ARN: dev, Name: "Dev", TrustPolicy: wild}
	trust := &TrustPolicy{RoleARN: dev, RoleName: "Dev", Document: wild}
	managed := &ManagedPolicy{RoleARN: dev, RoleName: "Dev", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}
	inline := &InlinePolicy{RoleARN: dev, RoleName: "Dev", PolicyName: "debug", Document: admin}
	key := &User{UserARN: "arn:aws:iam::111122223333:user/deploy", UserName: "deploy", Aspect: UserAccessKey, Name: "AKIAEXAMPLE", Status: "Active"}
	sso := Change{Event: iamEvent, Op: OpAdded, Resource: &PermissionSet{PermissionSetARN: "arn:aws:sso:::permissionSet/ssoins-1/ps-1", Account: acct, What: "USER:u-1"}}
	sso.Event.Name = "CreateAccountAssignment"
	obj := NewBaselineObject("b", "baseline.yaml")
	obj.VersionID = "v2"
	return map[Kind]kindCase{
		KindCluster: {change: Change{Event: eksEvent, Op: OpAdded, Cluster: "analytics", Resource: &Cluster{Name: "analytics"}},
			noPlan: "eksdrift never deletes clusters"},
		KindAccessEntry:  {change: eks(OpAdded, entry), live: present(entry)},
		KindAccessPolicy: {change: eks(OpAdded, policy), live: present(policy)},
		KindAuthenticationMode: {change: eks(OpModified, &AuthenticationMode{Mode: AuthModeAPIAndConfigMap}),
			noPlan: "the authentication mode cannot be moved back (EKS only moves it towards API)"},
		KindPodIdentity:         {change: eks(OpAdded, pod), live: present(pod)},
		KindIdentityProvider:    {change: eks(OpAdded, idp), live: present(idp)},
		KindRole:                {change: iam(OpAdded, role), live: present(role)},
		KindTrustPolicy:         {change: iam(OpModified, trust), live: present(trust)},
		KindManagedPolicy:       {change: iam(OpAdded, managed), live: present(managed)},
		KindInlinePolicy:        {change: iam(OpAdded, inline), live: present(inline)},
		KindPermissionsBoundary: {change: iam(OpRemoved, &PermissionsBoundary{RoleARN: dev, RoleName: "Dev"}), live: Observation{}},
		KindOIDCProvider:        {change: iam(OpAdded, &OIDCProvider{ARN: oidc}), live: present(&OIDCProvider{ARN: oidc})},
		KindUser:                {change: iam(OpAdded, key), live: present(key)},
		KindPermissionSet:       {change: sso, noPlan: "IAM Identity Center owns permission sets: change them there"},
		KindBaseline: {change: Change{Event: iamEvent, Op: OpAdded, Resource: obj},
			noPlan: "a write to the baseline is reported, never reverted"},
		KindAwsAuth: {change: eks(OpModified, &AwsAuth{MapRoles: []AwsAuthRole{{RoleARN: x, Username: "x", Groups: []string{GroupMasters}}}}),
			noPlan: "the aws-auth ConfigMap is reported, never reverted (alert only)"},
		KindTamper: {change: Change{Event: eksEvent, Op: OpModified, Resource: &TamperTarget{Type: TamperTrail, Name: "any-trail"}},
			noPlan: "tamper is reported, never reverted: the reverter may be what was tampered with"},
	}
}

// forKinds runs check for every kind.
func forKinds(t *testing.T, check func(t *testing.T, k Kind)) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) { check(t, k) })
	}
}

// eachKind runs check for every kind, failing for a kind with no case.
func eachKind(t *testing.T, check func(t *testing.T, k Kind, kc kindCase)) {
	cases := kindCases(t)
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			kc, ok := cases[k]
			if !ok {
				t.Fatalf("got no case for kind %s in kinds_test.go, want one (docs/ARCHITECTURE.md, Adding a kind)", k)
			}
			if got := kc.change.Kind(); got != k {
				t.Fatalf("got a case of kind %s, want %s", got, k)
			}
			check(t, k, kc)
		})
	}
}

func TestEveryKindHasARule(t *testing.T) {
	e := kindsEvaluator(t)
	eachKind(t, func(t *testing.T, k Kind, kc kindCase) {
		f := e.Evaluate(kc.change)
		if f.Reason == "" || f.SeverityReason == "" || f.SeverityReason == "unknown kind of change" {
			t.Errorf("got reason %q (%q), want a rule in rules_*.go that judges the kind", f.Reason, f.SeverityReason)
		}
		if f.Kind != k || !f.Drift {
			t.Errorf("got kind %s drift %v, want %s judged drift", f.Kind, f.Drift, k)
		}
	})
}

func TestEveryKindHasAService(t *testing.T) {
	forKinds(t, func(t *testing.T, k Kind) {
		if s := k.Service(); s != ServiceEKS && s != ServiceIAM && s != ServiceS3 && s != ServiceSSO && !(k == KindTamper && s == ServiceDeployment) {
			t.Errorf("got service %q, want Kind.Service (live.go) to name the service that reads and writes it", s)
		}
	})
}

func TestEveryKindHasAPlanOrAReasonForNone(t *testing.T) {
	e := kindsEvaluator(t)
	eachKind(t, func(t *testing.T, k Kind, kc kindCase) {
		ops, cannot := e.Plan(kc.change, kc.live)
		if kc.noPlan != "" {
			if len(ops) > 0 || cannot != kc.noPlan {
				t.Errorf("got %v, %q, want no operations because %q", ops, cannot, kc.noPlan)
			}
			return
		}
		if len(ops) == 0 {
			t.Fatalf("got no operations (%q), want a plan in plan.go, or a reason for none in this table", cannot)
		}
		for _, op := range ops {
			if op.IsEKS() != (k.Service() == ServiceEKS) {
				t.Errorf("got %s for a kind of service %s, want the kind's own service", op, k.Service())
			}
			if !slices.Contains(RevertActions, op.Action) {
				t.Errorf("got action %s, want one of RevertActions (the reverter's IAM policy lists them)", op.Action)
			}
		}
		if _, again := e.Plan(kc.change, kc.live); again != cannot {
			t.Errorf("got %q, then %q: want Plan deterministic", cannot, again)
		}
	})
}

func TestEveryKindRoundTripsThroughChangeOf(t *testing.T) {
	e := kindsEvaluator(t)
	eachKind(t, func(t *testing.T, k Kind, kc kindCase) {
		f := e.Evaluate(kc.change)
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		var back Finding
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		c, err := ChangeOf(back)
		if err != nil {
			t.Fatalf("got %v, want DecodeResource (change.go) to read the kind back", err)
		}
		if c.Kind() != k || c.Resource.Key() != kc.change.Resource.Key() || c.Cluster != kc.change.Cluster || !c.Event.Time.Equal(kc.change.Event.Time) {
			t.Errorf("got %s %q on %q at %s, want %s %q on %q at %s", c.Kind(), c.Resource.Key(), c.Cluster, c.Event.Time,
				k, kc.change.Resource.Key(), kc.change.Cluster, kc.change.Event.Time)
		}
		if g := e.Evaluate(c); g.Drift != f.Drift || g.Severity != f.Severity || g.Decision != f.Decision {
			t.Errorf("re-judged: got %v/%s/%s, want %v/%s/%s", g.Drift, g.Severity, g.Decision, f.Drift, f.Severity, f.Decision)
		}
	})
}

// kindsIn gives, for each kind, the files under dir (matching pattern) in
// which find finds it.
func kindsIn(t *testing.T, pattern string, find func(t *testing.T, name string, data []byte) []Kind) map[Kind][]string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("got %d files for %s (%v), want some", len(files), pattern, err)
	}
	out := map[Kind][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range find(t, f, data) {
			out[k] = append(out[k], filepath.Base(f))
		}
	}
	return out
}

func TestEveryKindHasASample(t *testing.T) {
	// A replay golden is named after its sample under events/ and lists
	// the kinds of its findings.
	samples := kindsIn(t, filepath.Join("..", "replay", "testdata", "golden", "*.json"), func(t *testing.T, name string, data []byte) []Kind {
		var g struct {
			Findings []struct {
				Kind Kind `json:"kind"`
			} `json:"findings"`
		}
		if err := json.Unmarshal(data, &g); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join("..", "..", "events", filepath.Base(name))); err != nil {
			t.Errorf("got golden %s with no sample: %v", name, err)
		}
		var ks []Kind
		for _, f := range g.Findings {
			ks = append(ks, f.Kind)
		}
		return ks
	})
	forKinds(t, func(t *testing.T, k Kind) {
		if len(samples[k]) == 0 {
			t.Errorf("got no sample under events/ whose replay golden has a %s finding, want one (then go test ./internal/replay -update)", k)
		}
	})
}

// notified finds the kinds a notification golden names the way both
// transports title a finding: "prod: access-entry added" (Slack's text),
// "· access-entry added ·" (Chatbot's title).
func notified(t *testing.T, name string, data []byte) []Kind {
	var ks []Kind
	for _, k := range Kinds {
		re := regexp.MustCompile(`(?:: |· )` + regexp.QuoteMeta(string(k)) + ` (?:added|removed|modified)\b`)
		if re.Match(data) {
			ks = append(ks, k)
		}
	}
	return ks
}

func TestEveryKindHasSlackAndChatbotGoldens(t *testing.T) {
	for _, transport := range []string{"slack", "chatbot"} {
		t.Run(transport, func(t *testing.T) {
			goldens := kindsIn(t, filepath.Join("..", transport, "testdata", "golden", "findings-*.json"), notified)
			forKinds(t, func(t *testing.T, k Kind) {
				if len(goldens[k]) == 0 {
					t.Errorf("got no %s golden titled for a %s finding, want internal/drift/drifttest/testdata/findings/%s.json and its golden (go test ./internal/%s -run TestGolden -update)",
						transport, k, k, transport)
				}
			})
		})
	}
}

// The goldens found above are about the kind they name, not a passing
// mention: each shared finding input (drifttest's testdata, which every
// renderer's goldens are made from) is named after its kind.
func TestFindingInputsAreNamedForTheirKind(t *testing.T) {
	inputs := kindsIn(t, filepath.Join("drifttest", "testdata", "findings", "*.json"), func(t *testing.T, name string, data []byte) []Kind {
		var f Finding
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return []Kind{f.Kind}
	})
	for k, names := range inputs {
		for _, n := range names {
			if !strings.HasPrefix(n, string(k)) {
				t.Errorf("got input %s of kind %s, want its name to start with its kind", n, k)
			}
		}
	}
}

// notSwept says why the sweep does not read a kind; every other kind must
// come out of a sweep of a cluster or a role that has one of everything,
// and be covered by the sweep's scope, so that drift of it fixed outside
// eksdrift is resolved.
var notSwept = map[Kind]string{
	KindCluster:      "the sweep reads the declared clusters; a cluster's creation is seen only as an event",
	KindOIDCProvider: "the sweep reads clusters and roles, not the account's OIDC providers",
	KindBaseline:     "the baseline is what the sweep judges against, not something it reads",
	KindPermissionSet: "the sweep reads clusters and roles; Identity Center's permission sets are seen only as events " +
		"(the roles they become are swept as roles)",
	KindAwsAuth: "the sweep reads EKS and IAM; the aws-auth ConfigMap is in the Kubernetes API, which eksdrift reads only to confirm a patch",
	KindTamper:  "tamper is a call, seen only as an event; the heartbeat and eksdrift status watch the deployment itself",
}

func TestEveryKindIsSweptOrSaysWhyNot(t *testing.T) {
	e := kindsEvaluator(t)
	at := time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC)
	x := "arn:aws:iam::111122223333:role/x"
	cs := ClusterState{Name: "prod", Account: acct, Region: "us-west-2", Found: true, AuthenticationMode: AuthModeAPI,
		AccessEntries: []EntryState{{AccessEntry: AccessEntry{PrincipalARN: x, Type: EntryStandard},
			Policies: []AccessPolicy{{PrincipalARN: x, PolicyARN: PolicyView, Scope: AccessScope{Type: ScopeCluster}}}},
			{AccessEntry: AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:user/intruder", Type: EntryStandard}}},
		PodIdentityAssociations: []PodIdentityAssociation{{Namespace: "app", ServiceAccount: "x", RoleARN: x}},
		IdentityProviderConfigs: []IdentityProviderConfig{{Name: "corp"}}}
	rs := RoleState{ARN: "arn:aws:iam::111122223333:role/team/Dev", Name: "Dev", Account: acct, Found: true,
		TrustPolicy:     doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`),
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, InlinePolicies: map[string]*PolicyDocument{"debug": nil}}
	var scope SweepScope
	scope.AddCluster(cs)
	scope.AddRole(rs)
	swept := map[Kind]Finding{}
	for _, j := range append(e.SweepCluster(at, cs), e.SweepRole(at, rs)...) {
		swept[j.Finding.Kind] = j.Finding
	}
	forKinds(t, func(t *testing.T, k Kind) {
		f, ok := swept[k]
		if why := notSwept[k]; why != "" {
			if ok {
				t.Errorf("got a sweep finding of %s, want none: the table says %q", k, why)
			}
			return
		}
		if !ok {
			t.Fatalf("got no sweep finding of %s, want sweep.go to judge it, or a reason in notSwept", k)
		}
		if !scope.Covers(f) {
			t.Errorf("got a sweep finding the scope does not cover, want SweepScope (reconcile.go) to cover %s", k)
		}
		if f.EventSource != k.Service().EventSource() {
			t.Errorf("got event source %s, want %s", f.EventSource, k.Service().EventSource())
		}
	})
}
