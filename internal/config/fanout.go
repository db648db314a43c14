package config

import (
	"fmt"
	"strings"
	"time"
)

// Environment variables of the sweep's fan-out over member accounts
// (functions/reconcile).
const (
	// EnvSweepAccountConcurrency is how many accounts the sweep reads at
	// once (targets: an account in a region, or its roles). Default 16.
	EnvSweepAccountConcurrency = "EKSDRIFT_SWEEP_ACCOUNT_CONCURRENCY"
	// EnvMemberCallRate is the most EKS and IAM calls a second the sweep
	// makes in one member account (a token bucket per account, bursts of
	// as many). Default 20.
	EnvMemberCallRate = "EKSDRIFT_MEMBER_CALL_RATE"
	// EnvSweepMargin is how long before the invocation's deadline the
	// sweep stops starting targets and saves where it stopped, for the
	// next invocation to resume. Go duration, default 1m.
	EnvSweepMargin = "EKSDRIFT_SWEEP_MARGIN"
)

// Fanout is how the sweep spreads over member accounts.
type Fanout struct {
	Org
	AccountConcurrency int
	CallRate           int
	Margin             time.Duration
}

// LoadFanout reads the organization settings and the fan-out's.
func LoadFanout(getenv func(string) string) (Fanout, error) {
	org, err := LoadOrg(getenv)
	var p parser
	if err != nil {
		p.errs = append(p.errs, strings.TrimPrefix(err.Error(), "configuration: "))
	}
	f := Fanout{
		Org:                org,
		AccountConcurrency: p.count(getenv, EnvSweepAccountConcurrency, 16),
		CallRate:           p.count(getenv, EnvMemberCallRate, 20),
		Margin:             p.duration(getenv, EnvSweepMargin, time.Minute),
	}
	if f.AccountConcurrency < 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s must be at least 1", EnvSweepAccountConcurrency))
	}
	if f.CallRate < 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s must be at least 1", EnvMemberCallRate))
	}
	return f, p.err()
}
