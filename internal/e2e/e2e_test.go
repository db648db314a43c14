package e2e

import "testing"

// TestEndToEnd runs the scenarios of issues 13 and 16 in order on one deployment:
// each leaves the account as the baseline declares it for the next, and
// the one that breaks the baseline comes last.
func TestEndToEnd(t *testing.T) {
	need(t)
	for _, sc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"1 samples through EventBridge", samplesScenario},
		{"2 revert mode", revertScenario},
		{"3 least privilege by denial", privilegeScenario},
		{"4 poisoned event", poisonScenario},
		{"5 reconcile sweep", reconcileScenario},
		{"6 latency", latencyScenario},
		{"7a tamper: the detector's rule disabled", tamperRuleScenario},
		{"7b tamper: the heartbeat stopped", heartbeatScenario},
		{"7c tamper: the baseline bucket's policy replaced", tamperBucketScenario},
		{"7d a redeploy is not tamper", redeployScenario},
		{"4 unreadable baseline", badBaselineScenario},
	} {
		if !t.Run(sc.name, sc.run) && sc.name[0] == '1' {
			// Nothing after makes sense if the samples do not go through.
			return
		}
	}
	t.Log("\n" + latencies.report())
}
