// Package config names the environment variables the functions read and
// parses them once, at start. The CDK stack sets the same names from these
// constants, so the stack and the code cannot disagree.
package config

import (
	"fmt"
	"strings"
	"time"
)

// Environment variables of the detector function.
const (
	EnvBaselineBucket     = "EKSDRIFT_BASELINE_BUCKET"
	EnvBaselineKey        = "EKSDRIFT_BASELINE_KEY"
	EnvBaselineRevalidate = "EKSDRIFT_BASELINE_REVALIDATE" // Go duration, default 60s
	EnvBaselineMaxStale   = "EKSDRIFT_BASELINE_MAX_STALE"  // Go duration, default 15m
	EnvHistoryTable       = "EKSDRIFT_HISTORY_TABLE"
	EnvFindingsTopicARN   = "EKSDRIFT_FINDINGS_TOPIC_ARN"
	EnvMetricsNamespace   = "EKSDRIFT_METRICS_NAMESPACE" // default "eksdrift"
	// EnvReverterRoleARN names the reverter's role: changes it makes come
	// back as CloudTrail events and are recorded as remediation.
	EnvReverterRoleARN = "EKSDRIFT_REVERTER_ROLE_ARN" // optional
	// EnvBaselineHoldDown is how long a new baseline version is held down
	// before it may make the reverter (and the sweep) act on it: time for
	// people to see a baseline change before eksdrift enforces it. The
	// stack sets it on the reverter and the reconcile function from its
	// baselineHoldDown setting. Go duration, default 1h; 0 turns it off.
	EnvBaselineHoldDown = "EKSDRIFT_BASELINE_HOLD_DOWN"
)

// DefaultBaselineHoldDown is EnvBaselineHoldDown's default, and the
// stack's.
const DefaultBaselineHoldDown = time.Hour

// Shared is what the detector, the reverter and the sweep all read: where
// the baseline, the history and the findings topic are, and the reverter's
// role (changes it makes are remediation).
type Shared struct {
	BaselineBucket     string
	BaselineKey        string
	BaselineRevalidate time.Duration
	BaselineMaxStale   time.Duration
	HistoryTable       string
	FindingsTopicARN   string
	MetricsNamespace   string
	ReverterRoleARN    string
	// BaselineHoldDown is EnvBaselineHoldDown: 0 or more.
	BaselineHoldDown time.Duration
}

func (p *parser) shared(getenv func(string) string) Shared {
	c := Shared{
		BaselineBucket:     p.required(getenv, EnvBaselineBucket),
		BaselineKey:        p.required(getenv, EnvBaselineKey),
		BaselineRevalidate: p.duration(getenv, EnvBaselineRevalidate, 60*time.Second),
		BaselineMaxStale:   p.duration(getenv, EnvBaselineMaxStale, 15*time.Minute),
		HistoryTable:       p.required(getenv, EnvHistoryTable),
		FindingsTopicARN:   p.required(getenv, EnvFindingsTopicARN),
		MetricsNamespace:   p.optional(getenv, EnvMetricsNamespace, "eksdrift"),
		ReverterRoleARN:    p.optional(getenv, EnvReverterRoleARN, ""),
		BaselineHoldDown:   p.duration(getenv, EnvBaselineHoldDown, DefaultBaselineHoldDown),
	}
	for _, v := range []struct{ name, val string }{{EnvFindingsTopicARN, c.FindingsTopicARN}, {EnvReverterRoleARN, c.ReverterRoleARN}} {
		if v.val != "" && !strings.HasPrefix(v.val, "arn:") {
			p.errs = append(p.errs, fmt.Sprintf("%s=%q is not an ARN", v.name, v.val))
		}
	}
	return c
}

// Detect is the detector's configuration.
type Detect struct {
	Shared
}

// LoadDetect reads and validates the detector's configuration, naming every
// variable that is missing or wrong.
func LoadDetect(getenv func(string) string) (Detect, error) {
	var p parser
	c := Detect{Shared: p.shared(getenv)}
	return c, p.err()
}

type parser struct{ errs []string }

func (p *parser) required(getenv func(string) string, name string) string {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		p.errs = append(p.errs, name+" is not set")
	}
	return v
}

func (p *parser) optional(getenv func(string) string, name, def string) string {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) duration(getenv func(string) string, name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is not a duration such as 60s or 5m", name, v))
		return def
	}
	return d
}

func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %s", strings.Join(p.errs, "; "))
}
