package arch

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/imports.golden from the code")

const root = "../.."

// TestLayering applies every rule of the table to the module as it is: each
// package has a layer, the domain and the vocabulary use the standard
// library, adapters never import each other and call at most one AWS
// service that no other adapter calls, use cases call none, and test
// support is imported only by tests.
func TestLayering(t *testing.T) {
	_, graph := loadGraph(t, root)
	if len(graph) < len(table)/2 {
		t.Fatalf("arch: read %d packages under %s, want about %d: is the root right?", len(graph), root, len(table))
	}
	got := check(graph, table)
	for _, v := range got {
		if _, known := knownViolations[v]; !known {
			t.Error(v)
		}
	}
	for v, why := range knownViolations {
		if !slices.Contains(got, v) {
			t.Errorf("known violation no longer occurs (%s): delete it from knownViolations: %s", why, v)
		}
	}
}

// TestRulesCatchBreaches feeds the rules small graphs, each with one breach,
// so that a rule that stopped seeing its breach fails here and not in review.
func TestRulesCatchBreaches(t *testing.T) {
	const sdk = "github.com/aws/aws-sdk-go-v2/service/"
	tbl := map[string]place{
		"internal/drift":   {layer: domain},
		"internal/notice":  {layer: vocabulary},
		"internal/eks":     {layer: adapter, service: "eks"},
		"internal/sns":     {layer: adapter, service: "sns"},
		"internal/slack":   {layer: adapter},
		"internal/detect":  {layer: useCase},
		"internal/awstest": {layer: testSupport},
		"cmd/eksdrift":     {layer: wiring},
	}
	clean := func() map[string]pkg {
		return map[string]pkg{
			"internal/drift":   {imports: []string{"fmt"}},
			"internal/notice":  {imports: []string{"internal/drift", "strings"}},
			"internal/eks":     {imports: []string{"internal/drift", sdk + "eks", sdk + "eks/types"}},
			"internal/sns":     {imports: []string{"internal/drift", "internal/notice", sdk + "sns"}},
			"internal/slack":   {imports: []string{"internal/notice", "github.com/slack-go/slack"}},
			"internal/detect":  {imports: []string{"internal/drift", "internal/notice", "log/slog"}},
			"internal/awstest": {imports: []string{"internal/eks", sdk + "eks"}},
			"cmd/eksdrift":     {imports: []string{"internal/detect", "internal/eks", sdk + "sns", sdk + "sts"}},
		}
	}
	if got := check(clean(), tbl); len(got) != 0 {
		t.Fatalf("a clean graph: got %v, want no breach", got)
	}
	tests := []struct {
		name   string
		change func(g map[string]pkg, tbl map[string]place)
		want   []string
	}{
		{"package missing from the table", func(g map[string]pkg, _ map[string]place) {
			g["internal/routing"] = pkg{}
		}, []string{"internal/routing has no layer: add it to internal/arch's table"}},
		{"table entry with no directory", func(_ map[string]pkg, tbl map[string]place) {
			tbl["internal/gone"] = place{layer: adapter}
		}, []string{"internal/gone is in the table (adapter) but no package is there"}},
		{"domain imports a library", func(g map[string]pkg, _ map[string]place) {
			g["internal/drift"] = pkg{imports: []string{"github.com/goccy/go-yaml"}}
		}, []string{"internal/drift (domain) imports github.com/goccy/go-yaml: a domain uses the standard library only"}},
		{"domain imports an adapter", func(g map[string]pkg, _ map[string]place) {
			g["internal/drift"] = pkg{imports: []string{"internal/eks"}}
		}, []string{"internal/drift (domain) imports internal/eks (adapter): the domain layer may import only []"}},
		{"vocabulary imports an adapter", func(g map[string]pkg, _ map[string]place) {
			g["internal/notice"] = pkg{imports: []string{"internal/slack"}}
		}, []string{"internal/notice (vocabulary) imports internal/slack (adapter): the vocabulary layer may import only [domain]"}},
		{"adapter imports an adapter", func(g map[string]pkg, _ map[string]place) {
			g["internal/slack"] = pkg{imports: []string{"internal/sns"}}
		}, []string{"internal/slack imports internal/sns: adapters never import each other"}},
		{"adapter imports a use case", func(g map[string]pkg, _ map[string]place) {
			g["internal/slack"] = pkg{imports: []string{"internal/detect"}}
		}, []string{"internal/slack (adapter) imports internal/detect (use case): the adapter layer may import only [domain vocabulary]"}},
		{"adapter calls another adapter's service", func(g map[string]pkg, _ map[string]place) {
			g["internal/slack"] = pkg{imports: []string{sdk + "sns", sdk + "sns/types"}}
		}, []string{"internal/slack imports github.com/aws/aws-sdk-go-v2/service/sns, the service of internal/sns"}},
		{"adapter calls a second service", func(g map[string]pkg, _ map[string]place) {
			g["internal/eks"] = pkg{imports: []string{sdk + "eks", sdk + "iam"}}
		}, []string{"internal/eks imports github.com/aws/aws-sdk-go-v2/service/iam, a service the table gives to no adapter"}},
		{"two adapters given one service", func(_ map[string]pkg, tbl map[string]place) {
			tbl["internal/slack"] = place{layer: adapter, service: "sns"}
		}, []string{
			"AWS service sns is given to both internal/slack and internal/sns: one adapter per service",
			"internal/slack is given AWS service sns in the table but does not import it",
			"internal/sns imports github.com/aws/aws-sdk-go-v2/service/sns, the service of internal/slack",
		}},
		{"adapter without its service", func(g map[string]pkg, _ map[string]place) {
			g["internal/eks"] = pkg{imports: []string{"internal/drift"}}
		}, []string{"internal/eks is given AWS service eks in the table but does not import it"}},
		{"use case calls AWS", func(g map[string]pkg, _ map[string]place) {
			g["internal/detect"] = pkg{imports: []string{sdk + "dynamodb"}}
		}, []string{"internal/detect (use case) imports github.com/aws/aws-sdk-go-v2/service/dynamodb: only adapters call AWS services"}},
		{"use case imports the SDK", func(g map[string]pkg, _ map[string]place) {
			g["internal/detect"] = pkg{imports: []string{"github.com/aws/aws-sdk-go-v2/aws"}}
		}, []string{"internal/detect (use case) imports github.com/aws/aws-sdk-go-v2/aws: a use case declares interfaces, the wiring builds AWS clients"}},
		{"use case reads Lambda's event types", func(g map[string]pkg, _ map[string]place) {
			g["internal/detect"] = pkg{imports: []string{"github.com/aws/aws-lambda-go/events"}}
		}, nil},
		{"use case imports the wiring", func(g map[string]pkg, _ map[string]place) {
			g["internal/detect"] = pkg{imports: []string{"cmd/eksdrift"}}
		}, []string{"internal/detect (use case) imports cmd/eksdrift (wiring): the use case layer may import only [domain vocabulary adapter use case]"}},
		{"test support outside tests", func(g map[string]pkg, _ map[string]place) {
			g["cmd/eksdrift"] = pkg{imports: []string{"internal/awstest"}}
		}, []string{"cmd/eksdrift imports internal/awstest outside its tests: test support is for _test.go files only"}},
		{"extra import allowed with a reason", func(g map[string]pkg, tbl map[string]place) {
			g["internal/notice"] = pkg{imports: []string{"internal/eks"}}
			tbl["internal/notice"] = place{layer: vocabulary, alsoImports: []string{"internal/eks"}, why: "a test"}
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, tb := clean(), map[string]place{}
			for k, v := range tbl {
				tb[k] = v
			}
			tt.change(g, tb)
			if got := check(g, tb); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEveryExceptionHasAReason keeps the table's exceptions explained.
func TestEveryExceptionHasAReason(t *testing.T) {
	for path, p := range table {
		if len(p.alsoImports) > 0 && strings.TrimSpace(p.why) == "" {
			t.Errorf("%s may also import %v, with no reason given", path, p.alsoImports)
		}
		if p.service != "" && p.layer != adapter {
			t.Errorf("%s is given AWS service %s but is a %s: only adapters own a service", path, p.service, p.layer)
		}
	}
}

// TestImportGraph writes the import graph that docs/ARCHITECTURE.md shows
// and compares it with testdata/imports.golden, so the map cannot drift
// from the code: refresh it with -update and review the diff.
func TestImportGraph(t *testing.T) {
	_, graph := loadGraph(t, root)
	got := renderGraph(graph, table)
	const golden = "testdata/imports.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("arch: cannot read %s (run with -update to write it): %v", golden, err)
	}
	if got != string(want) {
		t.Errorf("the import graph changed; run go test ./internal/arch -run TestImportGraph -update and review the diff\ngot:\n%s\nwant:\n%s", got, want)
	}
}

// renderGraph writes each package under its layer, with the packages of
// ours it imports and the AWS services it calls.
func renderGraph(graph map[string]pkg, table map[string]place) string {
	var b strings.Builder
	b.WriteString("# The import graph of eksdrift: every package under its layer (internal/arch's\n")
	b.WriteString("# table), the packages of the module it imports (tests aside), and the AWS\n")
	b.WriteString("# services it calls. Generated; refresh with\n")
	b.WriteString("#   go test ./internal/arch -run TestImportGraph -update\n")
	paths := make([]string, 0, len(graph))
	for p := range graph {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, l := range layerOrder {
		fmt.Fprintf(&b, "\n## %s\n", l)
		for _, path := range paths {
			if table[path].layer != l {
				continue
			}
			var deps, services []string
			for _, imp := range graph[path].imports {
				if _, mine := graph[imp]; mine {
					deps = append(deps, imp)
				} else if s := serviceOf(imp); s != "" && !slices.Contains(services, s) {
					services = append(services, s)
				}
			}
			b.WriteString(path)
			if len(deps) > 0 {
				b.WriteString(" -> " + strings.Join(deps, ", "))
			}
			if len(services) > 0 {
				b.WriteString("  [aws: " + strings.Join(services, ", ") + "]")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
