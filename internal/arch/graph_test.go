package arch

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const awsService = "github.com/aws/aws-sdk-go-v2/service/"

// pkg is what the rules read of one package: the imports of its files
// other than tests (a test may import anything).
type pkg struct {
	imports []string
}

// loadGraph reads every package under the module root as `go list ./...`
// sees it: build constraints applied, directories named testdata or
// starting with "." or "_" skipped, symbolic links not followed, and the
// build output left out. Paths are relative to the root.
func loadGraph(t *testing.T, root string) (module string, graph map[string]pkg) {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("arch: cannot read the module's go.mod: %v", err)
	}
	for line := range strings.SplitSeq(string(mod), "\n") {
		if m, ok := strings.CutPrefix(line, "module "); ok {
			module = strings.TrimSpace(m)
		}
	}
	graph = map[string]pkg{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
			name == "testdata" || name == "vendor" || name == "node_modules" || name == "cdk.out" || name == "build") {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(path, 0)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("arch: cannot read package %s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, path)
		graph[filepath.ToSlash(rel)] = pkg{imports: ours(module, p.Imports)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return module, graph
}

// ours writes the module's own import paths relative to the module root,
// and leaves every other path as it is.
func ours(module string, imports []string) []string {
	out := make([]string, 0, len(imports))
	for _, p := range imports {
		if rel, ok := strings.CutPrefix(p, module+"/"); ok {
			p = rel
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isStandard reports whether an import path is the standard library's: its
// first element has no dot, where every other module path's has one. Paths
// of ours are relative here, so they are told apart by the graph.
func isStandard(path string, graph map[string]pkg) bool {
	if _, mine := graph[path]; mine {
		return false
	}
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// serviceOf names the AWS service an import path belongs to
// (".../service/eks/types" is "eks"), or "" for any other path.
func serviceOf(path string) string {
	rest, ok := strings.CutPrefix(path, awsService)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// mayImport is, for each layer, the layers of ours its packages may import.
var mayImport = map[layer][]layer{
	domain:      {},
	vocabulary:  {domain},
	adapter:     {domain, vocabulary},
	useCase:     {domain, vocabulary, adapter, useCase},
	wiring:      {domain, vocabulary, adapter, useCase, wiring},
	testSupport: {domain, vocabulary, adapter, useCase, wiring, testSupport},
}

// check returns every breach of the layering in graph under table, one
// sentence each, sorted.
func check(graph map[string]pkg, table map[string]place) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	owner := map[string]string{} // the first, in path order, given each service
	rows := make([]string, 0, len(table))
	for path := range table {
		rows = append(rows, path)
	}
	slices.Sort(rows)
	for _, path := range rows {
		p := table[path]
		if _, ok := graph[path]; !ok {
			add("%s is in the table (%s) but no package is there", path, p.layer)
		}
		if p.service == "" {
			continue
		}
		if o, taken := owner[p.service]; taken {
			add("AWS service %s is given to both %s and %s: one adapter per service", p.service, o, path)
			continue
		}
		owner[p.service] = path
	}
	for path, p := range graph {
		row, ok := table[path]
		if !ok {
			add("%s has no layer: add it to internal/arch's table", path)
			continue
		}
		out = append(out, checkImports(path, row, p, graph, table, owner)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkImports applies the rules of row's layer to one package.
func checkImports(path string, row place, p pkg, graph map[string]pkg, table map[string]place, owner map[string]string) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	services := map[string]bool{}
	for _, imp := range p.imports {
		dep, mine := table[imp]
		_, inGraph := graph[imp]
		switch {
		case mine && dep.layer == testSupport && row.layer != testSupport:
			add("%s imports %s outside its tests: test support is for _test.go files only", path, imp)
		case mine && slices.Contains(row.alsoImports, imp):
		case mine && row.layer == adapter && dep.layer == adapter:
			add("%s imports %s: adapters never import each other", path, imp)
		case mine && !slices.Contains(mayImport[row.layer], dep.layer):
			add("%s (%s) imports %s (%s): the %s layer may import only %v", path, row.layer, imp, dep.layer, row.layer, mayImport[row.layer])
		case mine || inGraph:
		case isStandard(imp, graph):
		case row.layer == domain || row.layer == vocabulary:
			add("%s (%s) imports %s: a %s uses the standard library only", path, row.layer, imp, row.layer)
		case serviceOf(imp) != "":
			services[serviceOf(imp)] = true
			out = append(out, checkService(path, row, imp, owner)...)
		case row.layer == useCase && strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2"):
			add("%s (use case) imports %s: a use case declares interfaces, the wiring builds AWS clients", path, imp)
		}
	}
	if row.layer == adapter && row.service != "" && !services[row.service] {
		add("%s is given AWS service %s in the table but does not import it", path, row.service)
	}
	return out
}

// checkService applies the one-service rules to one import of an AWS service.
func checkService(path string, row place, imp string, owner map[string]string) []string {
	s := serviceOf(imp)
	switch {
	case row.layer == wiring || row.layer == testSupport:
		return nil
	case row.layer != adapter:
		return []string{fmt.Sprintf("%s (%s) imports %s: only adapters call AWS services", path, row.layer, imp)}
	case owner[s] == path:
		return nil
	case owner[s] != "":
		return []string{fmt.Sprintf("%s imports %s, the service of %s", path, awsService+s, owner[s])}
	}
	return []string{fmt.Sprintf("%s imports %s, a service the table gives to no adapter", path, awsService+s)}
}
