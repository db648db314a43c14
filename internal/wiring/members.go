package wiring

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// ConfigFor gives the SDK configuration that reaches a member account (in
// region, when set).
type ConfigFor func(ctx context.Context, account, region string) (aws.Config, error)

// MemberConfigs gives, for each member account, its configuration through
// role roleName from accounts (assumed once per account and role, cached
// and refreshed before they expire, strangers refused: the detector's and
// reverter's Accounts) and a token bucket of its own: at most callRate
// calls a second (bursts of as many) across all the clients built from it,
// so one busy account cannot eat another's EKS or IAM limits. The base
// configuration keeps its adaptive retries: a throttled call still waits
// and retries, and every attempt takes a token.
func MemberConfigs(accounts *Accounts, roleName string, callRate int) ConfigFor {
	var mu sync.Mutex
	limiters := map[string]*rate.Limiter{}
	return func(ctx context.Context, account, region string) (aws.Config, error) {
		cfg, err := accounts.Config(ctx, account, roleName)
		if err != nil {
			return aws.Config{}, err
		}
		mu.Lock()
		l, ok := limiters[account]
		if !ok {
			l = rate.NewLimiter(rate.Limit(callRate), max(callRate, 1))
			limiters[account] = l
		}
		mu.Unlock()
		cfg = Throttled(cfg, l)
		if region != "" {
			cfg.Region = region
		}
		return cfg, nil
	}
}

// Throttled gives cfg with every call (each attempt, after the SDK's retry
// step) waiting for a token of limiter.
func Throttled(cfg aws.Config, limiter *rate.Limiter) aws.Config {
	cfg = cfg.Copy()
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("eksdriftAccountRate",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := limiter.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("account call budget: %w", err)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	})
	return cfg
}

// MemberScanners gives the sweep's scanner of each member account, built
// once per account from configFor: its credentials are checked first, so a
// member whose role cannot be assumed is reported as such, not as every
// cluster failing. ekscalls bounds the EKS calls in flight per account.
// configFor is asked on every call, a built scanner's too, so that an
// account that has left the organization since (Accounts' membership
// check, after its TTL) is refused, not swept with the credentials it had.
func MemberScanners(configFor ConfigFor, eksCalls int) func(ctx context.Context, account string) (*scan.Scanner, error) {
	var mu sync.Mutex
	built := map[string]*scan.Scanner{}
	return func(ctx context.Context, account string) (*scan.Scanner, error) {
		cfg, err := configFor(ctx, account, "")
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", account, err)
		}
		mu.Lock()
		s, ok := built[account]
		mu.Unlock()
		if ok {
			return s, nil
		}
		if cfg.Credentials != nil {
			if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
				return nil, fmt.Errorf("account %s: no credentials: %w", account, err)
			}
		}
		is := iam.NewScanner(cfg, 0)
		s = &scan.Scanner{EKS: eks.NewScanner(cfg, eksCalls), IAM: is, UserScanner: is, Parallel: max(eksCalls/2, 2)}
		mu.Lock()
		built[account] = s
		mu.Unlock()
		return s, nil
	}
}
