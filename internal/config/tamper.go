package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// EnvDeployment holds eksdrift's own resources, for the tamper kind: a JSON
// object with the keys of the stack's outputs (StackName, Trail, EksRule,
// DetectorFunction, BaselineBucket, ..., Deployers as comma-separated
// ARNs). The stack sets it on the detector; the names of what cannot be
// referenced without a cycle (the detector's own rules and function) are
// covered by the stack's name, which CloudFormation puts at the start of
// every name it generates.
const EnvDeployment = "EKSDRIFT_DEPLOYMENT"

// EnvHeartbeatRule names the detector's heartbeat rule: its scheduled
// events are heartbeats (optional).
const EnvHeartbeatRule = "EKSDRIFT_HEARTBEAT_RULE"

// EnvFunctionName is the name Lambda gives the running function.
const EnvFunctionName = "AWS_LAMBDA_FUNCTION_NAME"

// Deployment reads EnvDeployment: nil when it is not set (tamper is then not
// judged), an error when it is set but is not such an object or names no
// StackName. The running function's own name is added as the key it is
// given (such as DetectorFunction) when the object does not hold it.
func Deployment(getenv func(string) string, ownKey string) (map[string]string, error) {
	v := strings.TrimSpace(getenv(EnvDeployment))
	if v == "" {
		return nil, nil
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("configuration: %s is not a JSON object of strings: %w", EnvDeployment, err)
	}
	if strings.TrimSpace(out["StackName"]) == "" {
		return nil, fmt.Errorf("configuration: %s has no StackName", EnvDeployment)
	}
	if fn := strings.TrimSpace(getenv(EnvFunctionName)); fn != "" && ownKey != "" && out[ownKey] == "" {
		out[ownKey] = fn
	}
	return out, nil
}
