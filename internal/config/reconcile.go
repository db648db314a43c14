package config

import (
	"fmt"
	"strings"
	"time"
)

// Environment variables of the reconcile function (functions/reconcile). It
// also reads the baseline, history, topic, metrics and reverter-role
// variables of the detector, whose path it feeds.
const (
	// EnvCatchUp is "false" to turn the CloudTrail catch-up off (the sweep
	// still runs). Default on.
	EnvCatchUp = "EKSDRIFT_CATCHUP"
	// EnvCatchUpRegions lists, comma-separated, the regions whose EKS
	// events the catch-up looks up, besides the regions of the baseline's
	// clusters. Default: the function's own region (AWS_REGION). IAM events
	// are looked up in us-east-1, where CloudTrail records them.
	EnvCatchUpRegions = "EKSDRIFT_CATCHUP_REGIONS"
	// EnvCatchUpOverlap is how far before the checkpoint a run looks again,
	// for events CloudTrail made visible late. Go duration, default 20m.
	EnvCatchUpOverlap = "EKSDRIFT_CATCHUP_OVERLAP"
	// EnvCatchUpFirstLookback is how far back the first run looks, when no
	// checkpoint exists. Go duration, default 24h; at most 90 days, what
	// LookupEvents keeps (use eksdrift backfill for older history).
	EnvCatchUpFirstLookback = "EKSDRIFT_CATCHUP_FIRST_LOOKBACK"
	// EnvCatchUpInterval is the least time between two LookupEvents calls
	// in one region (CloudTrail allows two a second). Go duration, default
	// 500ms.
	EnvCatchUpInterval = "EKSDRIFT_CATCHUP_INTERVAL"
	// EnvScanConcurrency is how many EKS calls the sweep has in flight.
	// Default 8.
	EnvScanConcurrency = "EKSDRIFT_SCAN_CONCURRENCY"
	// EnvSweepGrace is how long drift the sweep sees first is left to the
	// event path before it may be reverted (default 15m; 0s turns it off).
	EnvSweepGrace = "EKSDRIFT_SWEEP_GRACE"
	// EnvRetryFailedAfter is how long after a failed revert the sweep
	// offers the drift to the reverter again (default 1h).
	EnvRetryFailedAfter = "EKSDRIFT_RETRY_FAILED_AFTER"
)

// The schedule and time limit the stack gives the reconcile function.
const (
	// DefaultReconcileSchedule is the EventBridge schedule expression of
	// the sweep: hourly.
	DefaultReconcileSchedule = "rate(1 hour)"
	// DefaultReconcileTimeout is its Lambda timeout: a full scan of a large
	// account, slowed down by throttling, and 37 LookupEvents calls or more
	// (81 with the tamper calls) at two a second.
	DefaultReconcileTimeout = 10 * time.Minute
)

// Reconcile is the reconcile function's configuration.
type Reconcile struct {
	Shared

	CatchUp              bool
	CatchUpRegions       []string
	CatchUpOverlap       time.Duration
	CatchUpFirstLookback time.Duration
	CatchUpInterval      time.Duration
	ScanConcurrency      int
	SweepGrace           time.Duration
	RetryFailedAfter     time.Duration
}

// maxLookback is how long LookupEvents keeps events.
const maxLookback = 90 * 24 * time.Hour

// LoadReconcile reads and validates the reconcile function's configuration.
func LoadReconcile(getenv func(string) string) (Reconcile, error) {
	var p parser
	c := Reconcile{
		Shared:               p.shared(getenv),
		CatchUp:              !strings.EqualFold(strings.TrimSpace(getenv(EnvCatchUp)), "false"),
		CatchUpOverlap:       p.duration(getenv, EnvCatchUpOverlap, 20*time.Minute),
		CatchUpFirstLookback: p.duration(getenv, EnvCatchUpFirstLookback, 24*time.Hour),
		CatchUpInterval:      p.duration(getenv, EnvCatchUpInterval, 500*time.Millisecond),
		ScanConcurrency:      p.count(getenv, EnvScanConcurrency, 8),
		SweepGrace:           p.duration(getenv, EnvSweepGrace, 15*time.Minute),
		RetryFailedAfter:     p.duration(getenv, EnvRetryFailedAfter, time.Hour),
	}
	if v := strings.TrimSpace(getenv(EnvCatchUp)); v != "" && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is neither true nor false", EnvCatchUp, v))
	}
	for _, r := range strings.Split(p.optional(getenv, EnvCatchUpRegions, getenv("AWS_REGION")), ",") {
		if r = strings.TrimSpace(r); r != "" {
			c.CatchUpRegions = append(c.CatchUpRegions, r)
		}
	}
	if c.CatchUpFirstLookback > maxLookback {
		p.errs = append(p.errs, fmt.Sprintf("%s=%s is longer than the 90 days LookupEvents keeps", EnvCatchUpFirstLookback, c.CatchUpFirstLookback))
	}
	if c.ScanConcurrency < 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s must be at least 1", EnvScanConcurrency))
	}
	return c, p.err()
}
