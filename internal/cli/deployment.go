package cli

import (
	"fmt"
	"os"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// deploymentUsage is the help of --deployment, shared by the commands that
// judge tamper.
const deploymentUsage = "the JSON `cdk deploy --outputs-file` wrote: eksdrift's own resources, whose changes are judged as tamper"

// loadDeployment reads an outputs file of `cdk deploy --outputs-file`.
func loadDeployment(path string) (*drift.Deployment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("deployment: %w", err)
	}
	d, err := drift.ParseOutputsFile(data)
	if err != nil {
		return nil, fmt.Errorf("deployment %s: %w", path, err)
	}
	return d, nil
}
