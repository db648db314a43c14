package arch

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/eksdrift/eksdrift/internal/"

// adapters translate between one outside thing and the domain. They may
// import the domain and nothing else of ours.
var adapters = []string{"baseline", "cloudtrail", "dynamodb", "eks", "iam", "s3", "sns", "sqlite", "slack", "chatbot", "secrets"}

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
			if strings.HasPrefix(p, module) && p != module+"drift" {
				t.Errorf("internal/%s imports %s: an adapter may import only internal/drift", a, p)
			}
		}
	}
}
