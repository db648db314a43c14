package wiring

import (
	"context"
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

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
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

	base    aws.Config
	sts     stscreds.AssumeRoleAPIClient
	session string

	mu    sync.Mutex
	cfgs  map[string]aws.Config // account/role
	built map[string]any        // account/role/kind: PerAccount's values

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
		cfgs:    map[string]aws.Config{}, built: map[string]any{},
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

// Config gives the configuration for account through the role named role.
// It fetches the credentials before it returns, so that a role that cannot
// be assumed is a *drift.AccountError here rather than a failure of the
// first call made with them; an STS error that may pass (throttling, a
// service error) wraps drift.ErrTransient instead.
func (a *Accounts) Config(ctx context.Context, account, role string) (aws.Config, error) {
	if account == a.Home {
		return a.base, nil
	}
	if err := a.admit(ctx, account); err != nil {
		return aws.Config{}, err
	}
	key := account + "/" + role
	a.mu.Lock()
	cfg, ok := a.cfgs[key]
	if !ok {
		cfg = a.base.Copy()
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
		a.cfgs[key] = cfg
	}
	a.mu.Unlock()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
			return aws.Config{}, fmt.Errorf("sts: assuming %s in account %s: %w: %w", role, account, drift.ErrTransient, err)
		}
		return aws.Config{}, &drift.AccountError{Account: account, Role: role, Err: err}
	}
	return cfg, nil
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
