package detect

import (
	"context"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// scheduled is the event EventBridge sends for a scheduled rule.
func scheduled(source, rule string) []byte {
	return []byte(`{"version":"0","id":"hb-1","detail-type":"Scheduled Event","source":"` + source + `","account":"111122223333",
		"time":"2026-10-14T09:59:58Z","region":"us-west-2","resources":["arn:aws:events:us-west-2:111122223333:rule/` + rule + `"],"detail":{}}`)
}

func TestHeartbeat(t *testing.T) {
	tests := []struct {
		name, rule string
		event      []byte
		heartbeat  bool
	}{
		{"the heartbeat rule", "eksdrift-heartbeat", scheduled("aws.events", "eksdrift-heartbeat"), true},
		{"another scheduled rule", "eksdrift-heartbeat", scheduled("aws.events", "nightly-report"), false},
		{"a custom source", "eksdrift-heartbeat", scheduled("custom.events", "eksdrift-heartbeat"), false},
		{"no heartbeat rule configured", "", scheduled("aws.events", "eksdrift-heartbeat"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, store := newDetector(t, states{}, out)
			d.HeartbeatRule = tt.rule
			if err := d.Handle(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			all, _ := store.Query(context.Background(), drift.HistoryQuery{})
			if !tt.heartbeat {
				if len(all) != 0 || len(out.sent) != 0 || d.Metrics.Get(metrics.Heartbeats) != 0 {
					t.Errorf("got %d records, %d messages, %v heartbeats, want none", len(all), len(out.sent), d.Metrics.Get(metrics.Heartbeats))
				}
				return
			}
			if len(all) != 1 || len(out.sent) != 1 {
				t.Fatalf("got %d records and %d messages, want 1 and 1", len(all), len(out.sent))
			}
			f := all[0]
			if !drift.IsHeartbeat(f) || f.Drift || f.Decision != drift.DecisionNone || f.NotifiedAt == nil {
				t.Errorf("got %+v, want a published heartbeat that is not drift", f)
			}
			if got := d.Metrics.Get(metrics.Heartbeats); got != 1 {
				t.Errorf("heartbeats: got %v, want 1", got)
			}
			// Scheduled at 09:59:58, handled at 10:00:00 (the test's clock).
			if got := d.Metrics.Get(metrics.HeartbeatRoundTrip); got != 2 {
				t.Errorf("round trip: got %v s, want 2 s", got)
			}
		})
	}
}
