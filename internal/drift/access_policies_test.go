package drift

import (
	"flag"
	"fmt"
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

var updateDocs = flag.Bool("update-docs", false, "rewrite the access policy table in docs/baseline.md")

// TestAccessPolicyTableIsDocumented keeps docs/baseline.md's table of access
// policies generated from the code, so the page cannot drift from the rules.
func TestAccessPolicyTableIsDocumented(t *testing.T) {
	const path, begin, end = "../../docs/baseline.md", "<!-- access-policies:begin -->\n", "<!-- access-policies:end -->"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("got no %q ... %q markers in %s, want them around the table", begin, end, path)
	}
	var b strings.Builder
	b.WriteString("| Policy | Whole cluster | Namespaces | Its rules | Why |\n| --- | --- | --- | --- | --- |\n")
	for _, p := range AccessPolicies() {
		md := strings.NewReplacer("*", `\*`, "|", `\|`)
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, p.Cluster, p.Namespaced, md.Replace(p.Rules), md.Replace(p.Why))
	}
	fmt.Fprintf(&b, "| any other ARN | high | high | unknown | unknown access policy |\n")
	want := b.String()
	if got := doc[i+len(begin) : j]; got != want {
		if *updateDocs {
			if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("got the table in %s:\n%s\nwant (go test ./internal/drift -run TestAccessPolicyTableIsDocumented -update-docs):\n%s", path, got, want)
	}
}
