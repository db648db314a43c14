package drift

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ParseOutputsFile reads the outputs file `cdk deploy --outputs-file FILE`
// writes ({"StackName": {"OutputKey": "value", ...}, ...}) and gives the
// deployment of its eksdrift stack: the one stack with a StackName output
// (the IAM forwarder stack has none).
func ParseOutputsFile(data []byte) (*Deployment, error) {
	var stacks map[string]map[string]any
	if err := json.Unmarshal(data, &stacks); err != nil {
		return nil, fmt.Errorf("not the outputs file of cdk deploy --outputs-file: %w", err)
	}
	var found []string
	for name, outs := range stacks {
		if _, ok := outs["StackName"]; ok {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	if len(found) != 1 {
		return nil, fmt.Errorf("got %d stacks with a StackName output (%s), want 1: is it the outputs of an eksdrift deployment?",
			len(found), strings.Join(found, ", "))
	}
	outputs := map[string]string{}
	for k, v := range stacks[found[0]] {
		if s, ok := v.(string); ok {
			outputs[k] = s
		}
	}
	return DeploymentFromOutputs(outputs)
}
