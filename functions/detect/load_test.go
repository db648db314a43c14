package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/metrics"
)

// These tests run the detector's handler in-process: newHandler, the wiring
// the bootstrap runs (the real internal/detect use case with the real S3,
// DynamoDB, EKS, IAM and SNS adapters), against MiniStack through the SDK.
// Each goroutine has its own handler, as each of Lambda's concurrent
// invocations has its own execution environment.

// handler is one in-process execution environment.
type handler struct {
	invoke  func(context.Context, json.RawMessage) error
	metrics *bytes.Buffer // its EMF lines
}

// inProcess builds n handlers on w, logging to log.
func inProcess(t testing.TB, w *burstWorld, n int, log *slog.Logger) []*handler {
	t.Helper()
	// The SDK reads its settings from the process's environment.
	for k, v := range w.Env {
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, v)
		}
	}
	getenv := func(k string) string { return w.Env[k] }
	hs := make([]*handler, n)
	for i := range hs {
		hs[i] = &handler{metrics: &bytes.Buffer{}}
		h, err := newHandler(context.Background(), getenv, log, hs[i].metrics)
		must(t, err)
		hs[i].invoke = h
	}
	return hs
}

// emfSum adds up one metric over the handlers' EMF lines.
func emfSum(hs []*handler, name string) float64 {
	outs := make([]string, len(hs))
	for i, h := range hs {
		outs[i] = h.metrics.String()
	}
	return emfSumOf(outs, name)
}

// emfSumOf adds up one metric over the EMF lines in outs.
func emfSumOf(outs []string, name string) float64 {
	var sum float64
	for _, out := range outs {
		for _, line := range strings.Split(out, "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			v, _ := m[name].(float64)
			sum += v
		}
	}
	return sum
}

// TestConcurrentDeliveriesPublishOnce delivers one event to five
// invocations at the same instant (released together by a barrier), ten
// times over: each event must be recorded once and published once.
func TestConcurrentDeliveriesPublishOnce(t *testing.T) {
	w := newBurstWorld(t)
	const racers, rounds = 5, 10
	hs := inProcess(t, w, racers, slog.New(slog.DiscardHandler))
	event := sample(t, "eks-create-access-entry-undeclared-role.json")
	id := eventIDOf(t, event)
	b := &burst{findings: map[string][]string{}}
	for round := range rounds {
		body := withID(event, id, 900000+round)
		b.findings[eventIDOf(t, body)] = []string{findingID(t, body, "access-entry", contractor)}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, h := range hs {
			wg.Go(func() {
				<-start
				if err := h.invoke(context.Background(), body); err != nil {
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
	c := w.settle(t, rounds)
	b.check(t, c)
	if got, want := emfSum(hs, metrics.Duplicates), float64(rounds*(racers-1)); got != want {
		t.Errorf("Duplicates metric: got %v, want %v", got, want)
	}
}

func eventIDOf(t testing.TB, event []byte) string {
	t.Helper()
	var e struct {
		Detail struct {
			EventID string `json:"eventID"`
		} `json:"detail"`
	}
	must(t, json.Unmarshal(event, &e))
	return e.Detail.EventID
}

// burstSize is the burst's number of deliveries: EKSDRIFT_BURST_EVENTS, or
// def.
func burstSize(t testing.TB, def int) int {
	t.Helper()
	v := os.Getenv("EKSDRIFT_BURST_EVENTS")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 10 {
		t.Fatalf("EKSDRIFT_BURST_EVENTS=%q: want a number of events, at least 10", v)
	}
	return n
}

// defaultBurst is the burst make test delivers; EKSDRIFT_BURST_EVENTS sets
// another size (make bench delivers 10,000).
const defaultBurst = 2000

// TestBurstRecordsAndPublishesOnce delivers a burst (20% redeliveries, in
// shuffled order) from 12 concurrent in-process invocations. Every distinct
// finding is recorded once and published once, drift reaches people once,
// every ignored event is dropped with its reason, and redeliveries count as
// duplicates.
func TestBurstRecordsAndPublishesOnce(t *testing.T) {
	const workers, dupPct, seed = 12, 20, 12
	total := burstSize(t, defaultBurst)
	w := newBurstWorld(t)
	log := newCounting()
	hs := inProcess(t, w, workers, slog.New(log))
	b := newBurst(t, seed, total, dupPct)
	took, errs := b.run(workers, func(worker int, event []byte) error {
		return hs[worker].invoke(context.Background(), event)
	})
	for i, err := range errs {
		if i < 5 {
			t.Errorf("invocation failed: %v", err)
		}
	}
	s := b.stats()
	t.Logf("burst delivered in %v, %d invocations failed", took.Round(time.Millisecond), len(errs))
	c := w.settle(t, s.findings)
	b.check(t, c)
	for id, want := range b.ignored {
		if got, ok := log.ignored[id]; !ok || got != want {
			t.Errorf("ignored event %s: got reason %q (logged %v), want %q", id, got, ok, want)
		}
	}
	for _, tt := range []struct {
		metric string
		want   int
	}{
		{metrics.Duplicates, s.duplicateFindings},
		{metrics.EventsIgnored, s.ignoredDeliveries},
		{metrics.Errors, 0},
	} {
		if got := emfSum(hs, tt.metric); got != float64(tt.want) {
			t.Errorf("%s metric: got %v, want %d", tt.metric, got, tt.want)
		}
	}
	t.Logf("%d deliveries (%d distinct events, %d redeliveries) from %d workers in %v: %.0f events/s; "+
		"%d findings recorded (%d drift), %d published, %d to people, %d events ignored, %d duplicate findings",
		len(b.deliveries), b.distinct, len(b.deliveries)-b.distinct, workers, took.Round(time.Millisecond),
		float64(len(b.deliveries))/took.Seconds(), len(c.recorded), len(c.drift), sum(c.published), sum(c.people),
		len(b.ignored), s.duplicateFindings)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
