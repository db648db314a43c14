package arch

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/eksdrift/eksdrift/internal/"

// adapters translate between one outside thing and the domain. They may
// import the domain, the shared words of notifications, and nothing else
// of ours.
var adapters = []string{"baseline", "cloudtrail", "dynamodb", "eks", "iam", "s3", "sns", "sqlite", "slack", "chatbot", "secrets", "lookup"}

// shared are the packages of ours an adapter may import: the domain, and
// notice, which says what a finding means to a person so that every channel
// says it the same way. Neither is an adapter.
var shared = []string{module + "drift", module + "notice"}

// imports lists the non-test imports of a package directory.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out = append(out, p)
		}
	}
	return out
}

func TestDomainImportsNothingFromAWS(t *testing.T) {
	for _, p := range imports(t, "../drift") {
		if strings.Contains(p, "aws") || strings.HasPrefix(p, "github.com/") {
			t.Errorf("internal/drift imports %s: the domain uses the standard library only", p)
		}
	}
}

func TestAdaptersDoNotImportEachOther(t *testing.T) {
	for _, a := range adapters {
		for _, p := range imports(t, "../"+a) {
			if strings.HasPrefix(p, module) && !slices.Contains(shared, p) {
				t.Errorf("internal/%s imports %s: an adapter may import only internal/drift and internal/notice", a, p)
			}
		}
	}
}

// TestNoticeImportsOnlyTheDomain keeps notice a vocabulary: words about the
// domain's types, from the standard library, with no adapter, AWS SDK or
// chat library behind them.
func TestNoticeImportsOnlyTheDomain(t *testing.T) {
	got := imports(t, "../notice")
	if len(got) == 0 {
		t.Fatal("internal/notice: no Go files, or no imports read")
	}
	for _, p := range got {
		if p != module+"drift" && !isStandard(p) {
			t.Errorf("internal/notice imports %s: it may import only the standard library and internal/drift", p)
		}
	}
}

// isStandard reports whether an import path is the standard library's: its
// first element has no dot, where every other module path's has one.
func isStandard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
