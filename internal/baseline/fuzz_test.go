package baseline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// FuzzParse feeds arbitrary documents to the loader: it must never panic,
// and it either returns a baseline that indexes or an InvalidBaselineError.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../events/*.yaml")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Add([]byte(valid))
	f.Add([]byte(`{"version":1,"clusters":[{"name":"a","account":"111122223333","region":"us-east-1","accessEntries":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ie *drift.InvalidBaselineError
			if !errors.As(err, &ie) && err.Error() == "" {
				t.Fatalf("error without a message: %#v", err)
			}
			return
		}
		if _, err := drift.NewIndex(b); err != nil {
			t.Fatalf("Parse accepted a baseline that does not index: %v", err)
		}
	})
}
