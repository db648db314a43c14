package config

import (
	"fmt"
	"strings"
	"time"
)

// Environment variables of the reverter function (functions/revert). It
// also reads the baseline, history, topic and metrics variables of the
// detector, and EnvReverterRoleARN to name itself in outcomes.
const (
	// EnvBreakerLimit reverts on one cluster (or one account's roles)
	// within EnvBreakerWindow open the circuit breaker. Default 5.
	EnvBreakerLimit  = "EKSDRIFT_REVERT_BREAKER_LIMIT"
	EnvBreakerWindow = "EKSDRIFT_REVERT_BREAKER_WINDOW" // Go duration, default 10m
	// EnvRevertAttempts is how many times an operation is tried. Default 4.
	EnvRevertAttempts = "EKSDRIFT_REVERT_ATTEMPTS"
	// EnvRevertBackoff is the first wait between tries, doubled each time.
	EnvRevertBackoff = "EKSDRIFT_REVERT_BACKOFF" // Go duration, default 500ms
)

// Revert is the reverter's configuration.
type Revert struct {
	BaselineBucket     string
	BaselineKey        string
	BaselineRevalidate time.Duration
	BaselineMaxStale   time.Duration
	HistoryTable       string
	FindingsTopicARN   string
	MetricsNamespace   string
	RoleARN            string
	BreakerLimit       int
	BreakerWindow      time.Duration
	Attempts           int
	Backoff            time.Duration
}

// LoadRevert reads and validates the reverter's configuration.
func LoadRevert(getenv func(string) string) (Revert, error) {
	var p parser
	c := Revert{
		BaselineBucket:     p.required(getenv, EnvBaselineBucket),
		BaselineKey:        p.required(getenv, EnvBaselineKey),
		BaselineRevalidate: p.duration(getenv, EnvBaselineRevalidate, 60*time.Second),
		BaselineMaxStale:   p.duration(getenv, EnvBaselineMaxStale, 15*time.Minute),
		HistoryTable:       p.required(getenv, EnvHistoryTable),
		FindingsTopicARN:   p.required(getenv, EnvFindingsTopicARN),
		MetricsNamespace:   p.optional(getenv, EnvMetricsNamespace, "eksdrift"),
		RoleARN:            p.optional(getenv, EnvReverterRoleARN, ""),
		BreakerLimit:       p.count(getenv, EnvBreakerLimit, 5),
		BreakerWindow:      p.duration(getenv, EnvBreakerWindow, 10*time.Minute),
		Attempts:           p.count(getenv, EnvRevertAttempts, 4),
		Backoff:            p.duration(getenv, EnvRevertBackoff, 500*time.Millisecond),
	}
	if c.Attempts < 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s must be at least 1", EnvRevertAttempts))
	}
	if c.BreakerLimit < 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s must be at least 1", EnvBreakerLimit))
	}
	for _, v := range []struct{ name, val string }{{EnvFindingsTopicARN, c.FindingsTopicARN}, {EnvReverterRoleARN, c.RoleARN}} {
		if v.val != "" && !strings.HasPrefix(v.val, "arn:") {
			p.errs = append(p.errs, fmt.Sprintf("%s=%q is not an ARN", v.name, v.val))
		}
	}
	return c, p.err()
}
