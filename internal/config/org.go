package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Environment variables of an organization deployment: the member accounts
// the security account's functions reach through a role in each, and the
// regions they cover. The names are shared by the spoke stack, the
// detector and reverter (per-account credentials) and the sweep's fan-out.
const (
	// EnvMemberAccounts lists, comma-separated, the 12-digit member
	// accounts. Unset: eksdrift watches only its own account.
	EnvMemberAccounts = "EKSDRIFT_MEMBER_ACCOUNTS"
	// EnvMemberReadRole is the name (not the ARN) of the read-only role the
	// spoke stack creates in every member account. Required with members.
	EnvMemberReadRole = "EKSDRIFT_MEMBER_READ_ROLE"
	// EnvMemberExternalID is the external ID the member roles' trust
	// policies require. Optional.
	EnvMemberExternalID = "EKSDRIFT_MEMBER_EXTERNAL_ID"
	// EnvRegions lists, comma-separated, the regions whose clusters are
	// swept in each account. Unset: every region the baseline declares.
	EnvRegions = "EKSDRIFT_REGIONS"
)

// Org is the organization part of a function's configuration. Its zero
// value (no members) is a single-account deployment.
type Org struct {
	MemberAccounts []string
	MemberReadRole string
	ExternalID     string
	Regions        []string
}

// Enabled tells whether member accounts are configured.
func (o Org) Enabled() bool { return len(o.MemberAccounts) > 0 }

var (
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
	// roleName is IAM's rule for a role name (no path).
	roleName = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	// externalID is STS's rule for an external ID.
	externalID = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// LoadOrg reads and validates the organization settings: every account is
// 12 digits (listed once), the role is a role name, every region looks like
// one. These values end up in ARNs and STS calls, so nothing else passes.
func LoadOrg(getenv func(string) string) (Org, error) {
	var errs []string
	var o Org
	for _, a := range list(getenv(EnvMemberAccounts)) {
		if !accountID.MatchString(a) {
			errs = append(errs, fmt.Sprintf("%s: %q is not a 12-digit account ID", EnvMemberAccounts, a))
			continue
		}
		if !slices.Contains(o.MemberAccounts, a) {
			o.MemberAccounts = append(o.MemberAccounts, a)
		}
	}
	o.MemberReadRole = strings.TrimSpace(getenv(EnvMemberReadRole))
	switch {
	case o.MemberReadRole == "" && len(o.MemberAccounts) > 0:
		errs = append(errs, fmt.Sprintf("%s is required when %s is set", EnvMemberReadRole, EnvMemberAccounts))
	case o.MemberReadRole != "" && !roleName.MatchString(o.MemberReadRole):
		errs = append(errs, fmt.Sprintf("%s=%q is not an IAM role name (no path, no ARN)", EnvMemberReadRole, o.MemberReadRole))
	}
	o.ExternalID = strings.TrimSpace(getenv(EnvMemberExternalID))
	if o.ExternalID != "" && (len(o.ExternalID) < 2 || len(o.ExternalID) > 1224 || !externalID.MatchString(o.ExternalID)) {
		errs = append(errs, fmt.Sprintf("%s is not a valid external ID (2 to 1224 of A-Z a-z 0-9 +=,.@:/-)", EnvMemberExternalID))
	}
	for _, r := range list(getenv(EnvRegions)) {
		if !regionRe.MatchString(r) {
			errs = append(errs, fmt.Sprintf("%s: %q is not a region name", EnvRegions, r))
			continue
		}
		if !slices.Contains(o.Regions, r) {
			o.Regions = append(o.Regions, r)
		}
	}
	if len(errs) > 0 {
		return Org{}, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return o, nil
}

func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

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
