package detect

import (
	"context"
	"errors"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

func sampleDeployment(t *testing.T) *drift.Deployment {
	t.Helper()
	d, err := drift.ParseOutputsFile(sample(t, "deployment.outputs"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTamperIsJudgedWithoutTheBaseline: the attacker who disables the
// detector's rule may have broken the baseline first; the tamper finding
// is recorded and published all the same, and no live state is read (the
// state reader here fails every call).
func TestTamperIsJudgedWithoutTheBaseline(t *testing.T) {
	tests := []struct {
		name     string
		sample   string
		drift    bool
		severity drift.Severity
	}{
		{"the detector's rule disabled", "events-disable-rule-detector.json", true, drift.SeverityCritical},
		{"the trail stopped", "cloudtrail-stop-logging.json", true, drift.SeverityCritical},
		{"a policy on the detector's role", "iam-put-role-policy-detector-role.json", true, drift.SeverityCritical},
		{"concurrency 0 on the detector", "lambda-put-function-concurrency-zero.json", true, drift.SeverityCritical},
		{"a redeploy through CloudFormation", "lambda-update-function-configuration-redeploy.json", false, drift.SeverityInfo},
		{"UpdateStack by a deployer", "cloudformation-update-stack-by-deployer.json", false, drift.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, store := newDetector(t, states{}, out)
			d.Baseline = func(context.Context) (*drift.Index, error) { return nil, errors.New("access denied") }
			d.Deployment = sampleDeployment(t)
			if err := d.Handle(context.Background(), sample(t, tt.sample)); err != nil {
				t.Fatal(err)
			}
			all, _ := store.Query(context.Background(), drift.HistoryQuery{})
			if len(all) != 1 || len(out.sent) != 1 {
				t.Fatalf("got %d records and %d messages, want 1 and 1", len(all), len(out.sent))
			}
			f := all[0]
			if f.Kind != drift.KindTamper || f.Drift != tt.drift || f.Severity != tt.severity {
				t.Errorf("got kind %s drift %v severity %s, want tamper drift %v severity %s (%s)", f.Kind, f.Drift, f.Severity, tt.drift, tt.severity, f.Reason)
			}
			want := 0.0
			if tt.drift {
				want = 1
			}
			if got := d.Metrics.Get(metrics.Tamper); got != want {
				t.Errorf("tamper metric: got %v, want %v", got, want)
			}
		})
	}
}

// TestTamperOnOtherResourcesIsIgnored: a tamper call on a trail that is not
// eksdrift's is neither recorded nor published.
func TestTamperOnOtherResourcesIsIgnored(t *testing.T) {
	out := &outbox{}
	d, store := newDetector(t, states{}, out)
	d.Deployment = sampleDeployment(t)
	if err := d.Handle(context.Background(), sample(t, "cloudtrail-delete-trail-other.json")); err != nil {
		t.Fatal(err)
	}
	all, _ := store.Query(context.Background(), drift.HistoryQuery{})
	if len(all) != 0 || len(out.sent) != 0 {
		t.Errorf("got %d records and %d messages, want none", len(all), len(out.sent))
	}
	if got := d.Metrics.Get(metrics.EventsIgnored); got != 1 {
		t.Errorf("ignored metric: got %v, want 1", got)
	}
}
