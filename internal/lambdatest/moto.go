package lambdatest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// MotoMain is Main for a function that calls Security Hub: moto's server
// instead of MiniStack (awstest.MotoMain), and the bootstraps Build made
// removed at the end.
func MotoMain(m *testing.M) int {
	code := awstest.MotoMain(m)
	buildMu.Lock()
	defer buildMu.Unlock()
	for _, p := range built {
		os.RemoveAll(filepath.Dir(p))
	}
	return code
}
