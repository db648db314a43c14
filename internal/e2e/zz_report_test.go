package e2e

import (
	"os"
	"testing"
)

// TestZReport prints what the run measured. It runs last: Go runs the
// tests of a package in the order of their files' names.
func TestZReport(t *testing.T) {
	if os.Getenv("EKSDRIFT_E2E") == "" {
		t.Skip("run `make e2e`")
	}
	t.Log("\n" + latencies.report())
}
