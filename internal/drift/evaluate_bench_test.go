package drift

import (
	"fmt"
	"testing"
	"time"
)

// benchBaseline declares n access entries (with one policy each) across ten
// clusters, and n/10 roles.
func benchBaseline(b *testing.B, n int) *Evaluator {
	b.Helper()
	base := &Baseline{Version: 1, Mode: ModeRevert}
	perCluster := n / 10
	for c := 0; c < 10; c++ {
		cb := ClusterBaseline{Name: fmt.Sprintf("cluster-%d", c), Account: acct, Region: "us-west-2", AuthenticationMode: AuthModeAPI,
			PodIdentityAssociations: []PodIdentityAssociation{}}
		for i := 0; i < perCluster; i++ {
			cb.AccessEntries = append(cb.AccessEntries, AccessEntryBaseline{
				PrincipalARN: fmt.Sprintf("arn:aws:iam::111122223333:role/team-%d", i), Type: EntryStandard, KubernetesGroups: []string{"dev"},
				AccessPolicies: []AccessPolicyBaseline{{PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"app"}}}},
			})
		}
		base.Clusters = append(base.Clusters, cb)
	}
	for i := 0; i < n/10; i++ {
		base.IAMRoles = append(base.IAMRoles, RoleBaseline{ARN: fmt.Sprintf("arn:aws:iam::111122223333:role/team-%d", i), ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	}
	ix, err := NewIndex(base)
	if err != nil {
		b.Fatal(err)
	}
	return NewEvaluator(ix)
}

// BenchmarkEvaluate measures the cost of judging one change as the baseline
// grows; the target is that 100,000 entries cost at most 1.5x what 100 do.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{100, 10_000, 100_000} {
		e := benchBaseline(b, n)
		event := Event{ID: "e", Time: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC), Account: acct, Region: "us-west-2",
			Actor: Actor{ARN: "arn:aws:iam::111122223333:role/person", Type: "AssumedRole"}}
		changes := []Change{
			{Event: event, Op: OpAdded, Cluster: "cluster-7", Resource: &AccessEntry{PrincipalARN: fmt.Sprintf("arn:aws:iam::111122223333:role/team-%d", n/20), Type: EntryStandard, KubernetesGroups: []string{"dev"}}},
			{Event: event, Op: OpAdded, Cluster: "cluster-3", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/intruder", PolicyARN: PolicyClusterAdmin, Scope: AccessScope{Type: ScopeCluster}}},
			{Event: event, Op: OpRemoved, Cluster: "cluster-5", Resource: &AccessPolicy{PrincipalARN: fmt.Sprintf("arn:aws:iam::111122223333:role/team-%d", n/30), PolicyARN: PolicyEdit}},
			{Event: event, Op: OpAdded, Resource: &ManagedPolicy{RoleName: fmt.Sprintf("team-%d", n/40), PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
		}
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				f := e.Evaluate(changes[i%len(changes)])
				if f.EventID == "" {
					b.Fatal("no finding")
				}
				i++
			}
		})
	}
}
