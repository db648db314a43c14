package drift

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAccessPolicyTable checks the table of access policies: every row has a
// rating in both scopes, its rules, a reason and a source; a namespace scope
// never rates higher than the cluster; names are unique; and every policy
// named in a sample under events/ or a shared fixture has a row, so no sample
// is judged by the unknown rating by mistake.
func TestAccessPolicyTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range AccessPolicies() {
		t.Run(p.Name, func(t *testing.T) {
			if seen[p.Name] {
				t.Errorf("got %s twice, want each policy once", p.Name)
			}
			seen[p.Name] = true
			for what, v := range map[string]string{"grants": p.Grants, "rules": p.Rules, "reason": p.Why, "source": p.Source} {
				if strings.TrimSpace(v) == "" {
					t.Errorf("got no %s, want one", what)
				}
			}
			if !strings.HasPrefix(p.Source, accessPolicySource) && p.Source != accessPolicyListed {
				t.Errorf("got source %q, want the user guide's page or the policy list", p.Source)
			}
			if p.Cluster.Rank() == 0 || p.Namespaced.Rank() == 0 {
				t.Errorf("got ratings %q/%q, want two severities", p.Cluster, p.Namespaced)
			}
			if p.Cluster == SeverityInfo || p.Namespaced == SeverityInfo {
				t.Errorf("got info, want at least low: every policy grants something")
			}
			if p.Namespaced.Rank() > p.Cluster.Rank() {
				t.Errorf("got namespace %s above cluster %s, want a namespace scope never to raise a rating", p.Namespaced, p.Cluster)
			}
			if got, ok := lookupAccessPolicy(p.ARN()); !ok || got.Name != p.Name {
				t.Errorf("got %v, %v for %s, want its row", got, ok, p.ARN())
			}
			if _, why := policySeverity(p.ARN(), AccessScope{Type: ScopeCluster}); strings.Contains(why, "unknown access policy ") {
				t.Errorf("got %q, want the table's rating", why)
			}
		})
	}
	if len(seen) < 30 {
		t.Errorf("got %d policies, want the thirty-odd AWS publishes", len(seen))
	}

	name := regexp.MustCompile(`cluster-access-policy/([A-Za-z0-9]+)`)
	var files []string
	for _, pattern := range []string{"../../events/*.json", "drifttest/testdata/*/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("got no samples, want events/*.json")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllSubmatch(data, -1) {
			if accessPolicyByName[string(m[1])] == nil {
				t.Errorf("%s names %s: got no row in the table, want one", f, m[1])
			}
		}
	}
}
