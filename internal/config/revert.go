package config

import (
	"fmt"
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
	// EnvAllowGrantingAdmin is "true" when the stack was deployed with
	// allowGrantingAdmin=true: its role may then attach the policies of
	// drift.ReverterDeniedManagedPolicies and associate those of
	// drift.ReverterDeniedAccessPolicies. Default false: the stack denies
	// those calls, and the reverter should not plan them.
	EnvAllowGrantingAdmin = "EKSDRIFT_ALLOW_GRANTING_ADMIN"
)

// Revert is the reverter's configuration.
type Revert struct {
	Shared
	BreakerLimit  int
	BreakerWindow time.Duration
	Attempts      int
	Backoff       time.Duration
	// AllowGrantingAdmin is EnvAllowGrantingAdmin.
	AllowGrantingAdmin bool
}

// LoadRevert reads and validates the reverter's configuration.
func LoadRevert(getenv func(string) string) (Revert, error) {
	var p parser
	c := Revert{
		Shared:             p.shared(getenv),
		BreakerLimit:       p.count(getenv, EnvBreakerLimit, 5),
		BreakerWindow:      p.duration(getenv, EnvBreakerWindow, 10*time.Minute),
		Attempts:           p.count(getenv, EnvRevertAttempts, 4),
		Backoff:            p.duration(getenv, EnvRevertBackoff, 500*time.Millisecond),
		AllowGrantingAdmin: p.boolean(getenv, EnvAllowGrantingAdmin),
	}
	if c.Attempts < 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s must be at least 1", EnvRevertAttempts))
	}
	if c.BreakerLimit < 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s must be at least 1", EnvBreakerLimit))
	}
	return c, p.err()
}
