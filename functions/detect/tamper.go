package main

import (
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// deployment reads eksdrift's own resources from the environment, for the
// tamper kind; nil when the stack set none.
func deployment(getenv func(string) string) (*drift.Deployment, error) {
	outputs, err := config.Deployment(getenv, "DetectorFunction")
	if err != nil || outputs == nil {
		return nil, err
	}
	return drift.DeploymentFromOutputs(outputs)
}
