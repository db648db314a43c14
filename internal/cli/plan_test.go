package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

var updatePlan = flag.Bool("update-plan", false, "rewrite testdata/plan.golden")

const planBaseline = `version: 1
mode: alert
clusters:
  - name: prod
    account: "111122223333"
    region: us-west-2
    mode: revert
    authenticationMode: API
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:role/developers
        kubernetesGroups: [dev]
        accessPolicies:
          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
            accessScope: {type: namespace, namespaces: [app]}
      - principalArn: arn:aws:iam::111122223333:role/platform-admin
        accessPolicies:
          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
            accessScope: {type: cluster}
  - name: retired
    account: "111122223333"
    region: us-west-2
    accessEntries: []
iamRoles:
  - arn: arn:aws:iam::111122223333:role/developers
    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
`

// TestPlanReport judges a live state with six kinds of drift and writes the
// plan; testdata/plan.golden is the text people read
// (go test -run TestPlanReport -update-plan rewrites it).
func TestPlanReport(t *testing.T) {
	b, err := baseline.Parse("baseline.yaml", []byte(planBaseline))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := drift.NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	dev, contractor := "arn:aws:iam::111122223333:role/developers", "arn:aws:iam::111122223333:role/contractor"
	at := time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	clusters := []drift.ClusterState{
		{Name: "prod", Account: "111122223333", Region: "us-west-2", Found: true, AuthenticationMode: drift.AuthModeAPIAndConfigMap, ReadAt: at,
			AccessEntries: []drift.EntryState{
				{AccessEntry: drift.AccessEntry{PrincipalARN: dev, Type: drift.EntryStandard, KubernetesGroups: []string{"dev", "ops"}}},
				{AccessEntry: drift.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/platform-admin", Type: drift.EntryStandard, KubernetesGroups: []string{}},
					Policies: []drift.AccessPolicy{{PrincipalARN: "arn:aws:iam::111122223333:role/platform-admin", PolicyARN: drift.PolicyClusterAdmin, Scope: drift.AccessScope{Type: drift.ScopeCluster}}}},
				{AccessEntry: drift.AccessEntry{PrincipalARN: contractor, Type: drift.EntryStandard},
					Policies: []drift.AccessPolicy{{PrincipalARN: contractor, PolicyARN: drift.PolicyClusterAdmin, Scope: drift.AccessScope{Type: drift.ScopeCluster}}}},
			},
			PodIdentityAssociations: []drift.PodIdentityAssociation{}, IdentityProviderConfigs: []drift.IdentityProviderConfig{}},
		{Name: "retired", Account: "111122223333", Region: "us-west-2"},
	}
	roles := []drift.RoleState{{ARN: dev, Name: "developers", Account: "111122223333", Found: true,
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"}, InlinePolicies: map[string]*drift.PolicyDocument{}}}
	r := buildPlan(drift.NewEvaluator(ix), at, clusters, roles, nil)
	r.Account = "111122223333"

	var kinds []string
	for _, it := range r.Drift {
		kinds = append(kinds, string(it.Finding.Change)+" "+string(it.Finding.Kind))
	}
	want := []string{"modified authentication-mode", "modified access-entry", "added access-entry", "added access-policy", "removed access-policy", "added iam-managed-policy"}
	if !slices.Equal(kinds, want) {
		t.Errorf("got drift %q, want %q", kinds, want)
	}
	if r.Summary.Drift != 6 || r.Summary.CannotRevert != 1 || r.Summary.Operations != 4 || !slices.Equal(r.NotFound, []string{"us-west-2/retired"}) {
		t.Errorf("got summary %+v, not found %v", r.Summary, r.NotFound)
	}
	for _, it := range r.Drift {
		if it.Finding.Kind == drift.KindAccessPolicy && it.Finding.Change == drift.OpAdded && len(it.Operations) != 0 {
			t.Errorf("the contractor's policy goes with its entry: got operations %q", it.Operations)
		}
	}

	var buf bytes.Buffer
	if err := writePlan(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "plan.golden")
	if *updatePlan {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantText, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(wantText) {
		t.Errorf("got\n%s\nwant (%s)\n%s", got, golden, wantText)
	}
}

func TestPlanAndCaptureUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"plan without baseline", []string{"plan"}, "--baseline is required"},
		{"plan output", []string{"plan", "--baseline", sampleBaseline, "--output", "yaml"}, "--output must be table or json"},
		{"plan s3 without key", []string{"plan", "--baseline", "s3://bucket"}, "want s3://bucket/key"},
		{"capture without clusters", []string{"baseline", "capture"}, "either --cluster (one or more) or --all-clusters"},
		{"capture with both", []string{"baseline", "capture", "--cluster", "prod", "--all-clusters"}, "either --cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, stateEnv(t), tc.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("got exit %d, stderr %q, want %d and %q", r.code, r.stderr, ExitUsage, tc.want)
			}
		})
	}
	if r := run(t, stateEnv(t), "plan", "--baseline", "no-such-file.yaml"); r.code != ExitError || !strings.Contains(r.stderr, "no-such-file.yaml") {
		t.Errorf("a baseline that cannot be read: got exit %d, %q", r.code, r.stderr)
	}
}
