package drifttest_test

import (
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

// TestFixturesLiveOnce keeps one copy of each test input: no two files
// under any testdata folder of the module have the same bytes, goldens
// (what a test writes, under testdata/golden) aside, which may agree by
// chance. A renderer's test reads the shared findings, outcomes and
// digests through this package instead of a copy of its own.
func TestFixturesLiveOnce(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from the package: %v", err)
	}
	seen := map[[sha256.Size]byte][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "build" || name == "cdk.out" || name == "golden") {
				return filepath.SkipDir
			}
			return nil
		}
		if !slices.Contains(strings.Split(filepath.ToSlash(p), "/"), "testdata") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		sum := sha256.Sum256(data)
		seen[sum] = append(seen[sum], filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, paths := range seen {
		if len(paths) > 1 {
			slices.Sort(paths)
			t.Errorf("got %d identical test inputs %v, want one (shared fixtures live in internal/drift/drifttest/testdata)", len(paths), paths)
		}
	}
	if len(seen) == 0 {
		t.Error("got no testdata files at all, want the module's")
	}
}

// TestFixturesDecode reads every shared fixture as what its folder says it
// is, so that a malformed one fails here rather than in a renderer's test.
func TestFixturesDecode(t *testing.T) {
	for _, folder := range drifttest.FixtureFolders {
		for _, fx := range drifttest.Fixtures(t, folder) {
			t.Run(folder+"/"+fx.Name, func(t *testing.T) {
				switch folder {
				case "findings":
					var f drift.Finding
					if err := json.Unmarshal(fx.Data, &f); err != nil || f.EventID == "" || f.Kind == "" {
						t.Errorf("got %+v, %v, want a finding with an event ID and a kind", f.Kind, err)
					}
				case "outcomes":
					o := drifttest.FixtureOutcome(t, fx.Name)
					if o.Result.Result == "" || o.Finding.Kind == "" {
						t.Errorf("got result %q of kind %q, want both", o.Result.Result, o.Finding.Kind)
					}
				case "digests":
					if got := drifttest.DecodeDigest(t, fx.Data); len(got) < 2 {
						t.Errorf("got %d entries, want a burst of at least two", len(got))
					}
				}
			})
		}
	}
	// Every kind has its sample, for every renderer's golden.
	for _, k := range drift.Kinds {
		drifttest.FixtureFinding(t, string(k))
	}
}
