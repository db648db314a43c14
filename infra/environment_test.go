package infra

import (
	"reflect"
	"testing"

	"github.com/eksdrift/eksdrift/internal/config"
)

// TestBaselineFunctionsShareTheirEnvironment checks the detector, the
// reverter and the sweep read the same baseline, history, topic and
// namespace: one function writes these for all three.
func TestBaselineFunctionsShareTheirEnvironment(t *testing.T) {
	s := synth(t, caseRevert)
	st := s.stacks
	shared := []string{config.EnvBaselineBucket, config.EnvBaselineKey, config.EnvHistoryTable, config.EnvFindingsTopicARN, config.EnvMetricsNamespace}
	envOf := func(f *Function) map[string]any {
		return props(resource(t, s, f.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	want := envOf(st.Detector.Function)
	for _, f := range []*Function{st.Reverter.Function, st.Reconciler.Function} {
		t.Run(f.Name, func(t *testing.T) {
			got := envOf(f)
			for _, k := range shared {
				if want[k] == nil {
					t.Fatalf("detect %s: got nothing, want a value", k)
				}
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("%s: got %v, want %v (as detect)", k, got[k], want[k])
				}
			}
		})
	}
	t.Run("own setting replacing a shared one", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Errorf("baselineEnvironment with its own %s: got no panic, want one", config.EnvHistoryTable)
			}
		}()
		baselineEnvironment(st.Stores, "baseline.yaml", Settings{}, map[string]string{config.EnvHistoryTable: "other"})
	})
}
