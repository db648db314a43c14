package infra

import (
	"fmt"

	"github.com/eksdrift/eksdrift/internal/config"
)

// baselineEnvironment is the environment of every function that judges
// against the baseline (detect, revert, reconcile): where the baseline is,
// the history, the findings topic and the metrics namespace, written once so
// that the three cannot disagree. own adds the function's own settings; one
// that would replace a shared setting is a mistake in the stack's code.
func baselineEnvironment(st *Stores, baselineKey string, s Settings, own map[string]string) map[string]string {
	env := map[string]string{
		config.EnvBaselineBucket:   *st.Baselines.BucketName(),
		config.EnvBaselineKey:      baselineKey,
		config.EnvHistoryTable:     *st.History.TableName(),
		config.EnvFindingsTopicARN: *st.Findings.TopicArn(),
		config.EnvMetricsNamespace: s.MetricsNamespace,
	}
	for k, v := range own {
		if _, shared := env[k]; shared {
			panic(fmt.Sprintf("infra: %s is in every baseline function's environment; a function may not set its own", k))
		}
		env[k] = v
	}
	return env
}
