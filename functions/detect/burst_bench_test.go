package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// BenchmarkBurstUnderRIE delivers the burst (10,000 deliveries by default,
// EKSDRIFT_BURST_EVENTS otherwise; 20% redeliveries, shuffled) to 8 real
// bootstraps, each under its own runtime emulator (one execution
// environment each), and checks it as TestBurstRecordsAndPublishesOnce
// does. It reports events/s and the counts. make bench runs it:
//
//	go test ./functions/detect -run '^$' -bench BurstUnderRIE -benchtime 1x
func BenchmarkBurstUnderRIE(b *testing.B) {
	const functions, dupPct, seed = 8, 20, 12
	total := burstSize(b, 10000)
	for b.Loop() {
		b.StopTimer()
		w := newBurstWorld(b)
		bootstrap := lambdatest.Build(b, "./functions/detect")
		fns := make([]*lambdatest.Function, functions)
		for i := range fns {
			fns[i] = lambdatest.Start(b, bootstrap, w.Env)
		}
		burst := newBurst(b, seed, total, dupPct)
		b.StartTimer()
		took, errs := burst.run(functions, func(worker int, event []byte) error {
			if r := fns[worker].Invoke(b, event); r.Error != "" {
				return errorString(r.Error)
			}
			return nil
		})
		b.StopTimer()
		for i, err := range errs {
			if i < 5 {
				b.Errorf("invocation failed: %v", err)
			}
		}
		s := burst.stats()
		c := w.settle(b, s.findings)
		burst.check(b, c)
		logs := make([]string, len(fns))
		for i, f := range fns {
			logs[i] = f.Logs()
		}
		ignored := ignoredInLogs(logs)
		for id, want := range burst.ignored {
			if got := ignored[id]; got != want {
				b.Errorf("ignored event %s: got reason %q, want %q", id, got, want)
			}
		}
		for _, tt := range []struct {
			metric string
			want   int
		}{{metrics.Duplicates, s.duplicateFindings}, {metrics.EventsIgnored, s.ignoredDeliveries}, {metrics.Errors, 0}} {
			if got := emfSumOf(logs, tt.metric); got != float64(tt.want) {
				b.Errorf("%s metric: got %v, want %d", tt.metric, got, tt.want)
			}
		}
		b.ReportMetric(float64(len(burst.deliveries))/took.Seconds(), "events/s")
		b.ReportMetric(float64(burst.distinct), "distinct")
		b.ReportMetric(float64(len(burst.deliveries)-burst.distinct), "redeliveries")
		b.ReportMetric(float64(len(c.recorded)), "recorded")
		b.ReportMetric(float64(sum(c.published)), "published")
		b.ReportMetric(float64(sum(c.people)), "to-people")
		b.ReportMetric(float64(len(burst.ignored)), "ignored")
		b.Logf("%d deliveries to %d functions under the RIE in %v", len(burst.deliveries), functions, took.Round(time.Millisecond))
		b.StartTimer()
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// ignoredInLogs gives, by event id, the reason the functions' JSON log lines
// gave for ignoring an event.
func ignoredInLogs(logs []string) map[string]string {
	got := map[string]string{}
	for _, out := range logs {
		for _, line := range strings.Split(out, "\n") {
			if !strings.Contains(line, `"event ignored"`) {
				continue
			}
			var l struct {
				EventID string `json:"eventId"`
				Reason  string `json:"reason"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.EventID != "" {
				got[l.EventID] = l.Reason
			}
		}
	}
	return got
}
