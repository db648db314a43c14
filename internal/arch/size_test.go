package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Limits on the command's files and functions (tests aside): one file per
// command, so that a reader finds a command by its name and reads it whole.
const (
	maxCommandFileLines = 200
	maxCommandFuncLines = 60
)

// TestCommandStaysSmall keeps internal/cli in files of at most
// maxCommandFileLines lines and functions of at most maxCommandFuncLines.
func TestCommandStaysSmall(t *testing.T) {
	dir := filepath.Join(root, "internal", "cli")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("arch: cannot read %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	read := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		read++
		if n := fset.File(f.Pos()).LineCount(); n > maxCommandFileLines {
			t.Errorf("internal/cli/%s: got %d lines, want at most %d: split it, one file per command", e.Name(), n, maxCommandFileLines)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; n > maxCommandFuncLines {
				t.Errorf("internal/cli/%s: %s: got %d lines, want at most %d", e.Name(), fn.Name.Name, n, maxCommandFuncLines)
			}
		}
	}
	if read == 0 {
		t.Fatalf("arch: no Go files read in %s", dir)
	}
}
