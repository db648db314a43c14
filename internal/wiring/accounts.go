package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// Accounts gives the AWS configuration that reads or acts in one account:
// the home (security) account's own credentials for itself, and for a
// member account the credentials of a role there, assumed with STS and
// the external ID the member roles' trust policies require. Any other
// account is refused with a drift.AccountError before anything is assumed:
// an event naming an account eksdrift does not manage must not make it
// assume roles anywhere.
//
// Credentials come from the SDK's stscreds.AssumeRoleProvider wrapped in
// aws.CredentialsCache, one per (account, role), kept until they expire
// (the cache refreshes them shortly before); it is safe for concurrent use.
type Accounts struct {
	// Home is the account the functions run in.
	Home string
	Org  config.Org
	// OrgMember, when set with Org.OrganizationID, verifies that an
	// account not in Org.Members belongs to the organization; nil refuses
	// every account that is not listed. NewAccounts sets it to
	// OrgMembership when Org.OrganizationID is set.
	OrgMember func(ctx context.Context, account string) (bool, error)
	// Log, when set, says each time a role is assumed and how long it took.
	Log *slog.Logger
	// Now is the clock of the refusals kept (RefusalTTL); time.Now when nil.
	Now func() time.Time

	base    aws.Config
	sts     stscreds.AssumeRoleAPIClient
	session string

	mu    sync.Mutex
	cfgs  map[string]*assumed // account/role
	built map[string]any      // account/role/kind: PerAccount's values

	assumes atomic.Int64
}

// NewAccounts builds the accounts of an organization deployment from the
// home account's configuration. function names the caller ("detect",
// "revert") in the role session's name, so that CloudTrail in the member
// account says which eksdrift function acted.
func NewAccounts(base aws.Config, home string, org config.Org, function string) *Accounts {
	a := &Accounts{
		Home: home, Org: org, base: base, sts: sts.NewFromConfig(base),
		session: "eksdrift-" + function,
		cfgs:    map[string]*assumed{}, built: map[string]any{},
	}
	if org.OrganizationID != "" {
		a.OrgMember = OrgMembership(base, org.OrganizationID)
	}
	return a
}

// HomeAccount asks STS which account the configuration's credentials are
// in: the functions' own account, once at start.
func HomeAccount(ctx context.Context, cfg aws.Config) (string, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("sts: GetCallerIdentity, to learn the home account: %w", err)
	}
	return aws.ToString(out.Account), nil
}

// Assumes counts the AssumeRole calls made so far (cached credentials make
// none).
func (a *Accounts) Assumes() int64 { return a.assumes.Load() }

// RefusalTTL is how long Accounts keeps STS's refusal to let a member's
// role be assumed (AccessDenied, NoSuchEntity: a role not deployed yet, a
// trust policy or external ID that does not match): a burst of events
// naming that account then costs one AssumeRole call, not one each, and a
// role deployed meanwhile is assumed within this time. Throttling, network
// and other errors that may pass are never kept.
const RefusalTTL = 5 * time.Minute

// assumed is one (account, role): its configuration, whose credentials
// cache itself, and STS's last refusal while it holds. mu makes the
// callers of one (account, role) wait for the one call in flight, so that
// concurrent events cost one AssumeRole whatever its answer.
type assumed struct {
	cfg aws.Config

	mu      sync.Mutex
	refusal error
	until   time.Time
}

// Config gives the configuration for account through the role named role.
// It fetches the credentials before it returns, so that a role that cannot
// be assumed is a *drift.AccountError here rather than a failure of the
// first call made with them; an STS error that may pass (throttling, a
// service error) wraps drift.ErrTransient instead. A refusal is kept for
// RefusalTTL: until then the same *drift.AccountError (with STS's words) is
// returned without asking STS again.
func (a *Accounts) Config(ctx context.Context, account, role string) (aws.Config, error) {
	if account == a.Home {
		return a.base, nil
	}
	if err := a.admit(ctx, account); err != nil {
		return aws.Config{}, err
	}
	key := account + "/" + role
	a.mu.Lock()
	m, ok := a.cfgs[key]
	if !ok {
		cfg := a.base.Copy()
		arn := "arn:" + partitionOf(a.base.Region) + ":iam::" + account + ":role/" + role
		cfg.Credentials = aws.NewCredentialsCache(&countingProvider{
			a: a, account: account, role: role,
			inner: stscreds.NewAssumeRoleProvider(a.sts, arn, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = a.session
				if a.Org.ExternalID != "" {
					o.ExternalID = aws.String(a.Org.ExternalID)
				}
			}),
		})
		m = &assumed{cfg: cfg}
		a.cfgs[key] = m
	}
	a.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refusal != nil && a.now().Before(m.until) {
		return aws.Config{}, &drift.AccountError{Account: account, Role: role, Err: m.refusal}
	}
	if _, err := m.cfg.Credentials.Retrieve(ctx); err != nil {
		if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
			return aws.Config{}, fmt.Errorf("sts: assuming %s in account %s: %w: %w", role, account, drift.ErrTransient, err)
		}
		if isRefusal(err) {
			m.refusal, m.until = err, a.now().Add(RefusalTTL)
		}
		return aws.Config{}, &drift.AccountError{Account: account, Role: role, Err: err}
	}
	m.refusal = nil
	return m.cfg, nil
}

// refusalCodes are the errors of AssumeRole that say the role may not be
// assumed by eksdrift, as it is: they do not pass by trying again soon.
var refusalCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true,
	"NoSuchEntity": true, "NoSuchEntityException": true,
}

// isRefusal reports whether err is STS refusing the role (refusalCodes),
// not a failure to reach it.
func isRefusal(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && refusalCodes[ae.ErrorCode()]
}

func (a *Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// admit refuses an account that is neither listed nor, with an
// organization set, verified as one of its members.
func (a *Accounts) admit(ctx context.Context, account string) error {
	if a.Org.IsMember(account) {
		return nil
	}
	if a.Org.OrganizationID != "" && a.OrgMember != nil && isAccountID(account) {
		ok, err := a.OrgMember(ctx, account)
		if err != nil {
			return fmt.Errorf("organizations: is %s a member of %s: %w", account, a.Org.OrganizationID, err)
		}
		if ok {
			return nil
		}
	}
	return &drift.AccountError{Account: account, Refused: true}
}

// PerAccount gives, per account, a value built once from that account's
// configuration through role (readers, writers): built on first use, kept
// for the life of the function; the credentials inside refresh themselves.
// Each call still checks that the account is admitted and its role
// assumable (cheap once the credentials are cached).
func PerAccount[T any](a *Accounts, role, kind string, build func(aws.Config) T) func(ctx context.Context, account string) (T, error) {
	return func(ctx context.Context, account string) (T, error) {
		var zero T
		cfg, err := a.Config(ctx, account, role)
		if err != nil {
			return zero, err
		}
		key := account + "/" + role + "/" + kind
		a.mu.Lock()
		defer a.mu.Unlock()
		if v, ok := a.built[key]; ok {
			return v.(T), nil
		}
		v := build(cfg)
		a.built[key] = v
		return v, nil
	}
}

// countingProvider counts and logs the AssumeRole calls the cache makes.
type countingProvider struct {
	a             *Accounts
	account, role string
	inner         aws.CredentialsProvider
}

func (p *countingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	start := time.Now()
	c, err := p.inner.Retrieve(ctx)
	p.a.assumes.Add(1)
	if p.a.Log != nil {
		if err != nil {
			p.a.Log.WarnContext(ctx, "member role not assumed", "account", p.account, "role", p.role, "error", err)
		} else {
			p.a.Log.InfoContext(ctx, "member role assumed", "account", p.account, "role", p.role,
				"ms", time.Since(start).Milliseconds(), "expires", c.Expires)
		}
	}
	return c, err
}

func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// RegionsOf is the deployment's regions as detect and revert enforce them
// (drift.RegionSet): EKSDRIFT_REGIONS, the function's own region, and
// IAM's us-east-1 for IAM's changes. With EKSDRIFT_REGIONS unset nothing is
// checked.
func RegionsOf(org config.Org, home string) drift.RegionSet {
	return drift.RegionSet{Regions: org.Regions, Home: home, Global: routing.IAMRegion}
}
