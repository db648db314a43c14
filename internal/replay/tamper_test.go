package replay_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// loadDeployment reads events/deployment.outputs, the outputs file of the
// deployment the tamper samples are made against.
func loadDeployment(t *testing.T) *drift.Deployment {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(eventsDir, "deployment.outputs"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := drift.ParseOutputsFile(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
