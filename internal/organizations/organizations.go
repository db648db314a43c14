// Package organizations is eksdrift's adapter to AWS Organizations: which
// accounts an organization has (for `eksdrift baseline capture` and `plan`
// with --organization) and whether one account belongs to it (for the
// functions, which admit an unlisted account only if it does). Every call
// is read-only and made from the management or delegated administrator
// account.
package organizations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// api is the Organizations calls eksdrift makes (treeAPI: tree.go).
type api interface {
	treeAPI
	ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	DescribeAccount(context.Context, *organizations.DescribeAccountInput, ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
}

var _ api = (*organizations.Client)(nil)

// Actions are the IAM actions the client calls.
var Actions = []string{"organizations:ListAccounts", "organizations:DescribeAccount"}

// Account is one account of the organization.
type Account struct {
	ID   string
	Name string
	// Organization is the organization's ID (o-...), read from the
	// account's ARN.
	Organization string
	Active       bool
}

// Client reads the organization. It is safe for concurrent use.
type Client struct {
	api api
}

// New gives a client that calls Organizations with cfg's credentials.
func New(cfg aws.Config, optFns ...func(*organizations.Options)) *Client {
	return &Client{api: organizations.NewFromConfig(cfg, optFns...)}
}

// ListAccounts gives the organization's ACTIVE accounts, every page read,
// in the order Organizations gives them. Suspended and closing accounts are
// left out: nothing can be read there.
func (c *Client) ListAccounts(ctx context.Context) ([]Account, error) {
	var out []Account
	in := &organizations.ListAccountsInput{}
	for n := 1; ; n++ {
		page, err := c.api.ListAccounts(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("organizations: ListAccounts (page %d): %w", n, err)
		}
		for _, a := range page.Accounts {
			acc := accountOf(a)
			if acc.Active && acc.ID != "" {
				out = append(out, acc)
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// DescribeAccount gives one account; found is false when Organizations
// says the organization has no such account.
func (c *Client) DescribeAccount(ctx context.Context, id string) (acc Account, found bool, err error) {
	out, err := c.api.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
	var nf *types.AccountNotFoundException
	if errors.As(err, &nf) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("organizations: DescribeAccount %s: %w", id, err)
	}
	if out.Account == nil {
		return Account{}, false, fmt.Errorf("organizations: DescribeAccount %s: no account in the answer", id)
	}
	return accountOf(*out.Account), true, nil
}

func accountOf(a types.Account) Account {
	org, id, _ := ParseAccountARN(aws.ToString(a.Arn))
	if id != aws.ToString(a.Id) {
		// An ARN that names another account says nothing about this one.
		org = ""
	}
	return Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Organization: org, Active: a.State == types.AccountStateActive || (a.State == "" && a.Status == types.AccountStatusActive)}
}

// ParseAccountARN reads arn:PARTITION:organizations::MANAGEMENT:account/o-ORG/ACCOUNT
// into the organization and account IDs; ok is false for any other shape.
func ParseAccountARN(arn string) (org, account string, ok bool) {
	return parseARN(arn, "account")
}

// parseARN reads arn:PARTITION:organizations::MANAGEMENT:KIND/o-ORG/ID.
func parseARN(arn, kind string) (org, id string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "organizations" || parts[3] != "" {
		return "", "", false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != kind || !strings.HasPrefix(res[1], "o-") || len(res[1]) < 3 || res[2] == "" {
		return "", "", false
	}
	return res[1], res[2], true
}

// DefaultTTL is how long Membership keeps an answer: long enough that a
// burst of events costs one call, short enough that an account that left
// the organization stops being admitted within the hour.
const DefaultTTL = 15 * time.Minute

// maxCached bounds Membership's answers: events naming made-up accounts
// must not grow a function's memory without end.
const maxCached = 4096

// Membership says whether an account belongs to one organization, from
// DescribeAccount, keeping each answer (yes or no; not errors) for TTL.
// It is safe for concurrent use.
type Membership struct {
	Client       *Client
	Organization string
	TTL          time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu     sync.Mutex
	cached map[string]answer
	calls  int
}

type answer struct {
	member bool
	until  time.Time
}

// Calls counts the DescribeAccount calls made (cached answers make none).
func (m *Membership) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

// Member reports whether account is an ACTIVE account of the organization:
// DescribeAccount found it, and its ARN names this organization and this
// account.
func (m *Membership) Member(ctx context.Context, account string) (bool, error) {
	now := m.now()
	m.mu.Lock()
	if a, ok := m.cached[account]; ok && now.Before(a.until) {
		m.mu.Unlock()
		return a.member, nil
	}
	m.calls++
	m.mu.Unlock()
	acc, found, err := m.Client.DescribeAccount(ctx, account)
	if err != nil {
		return false, err
	}
	member := found && acc.Active && acc.ID == account && acc.Organization == m.Organization && m.Organization != ""
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cached == nil || len(m.cached) >= maxCached {
		m.cached = m.prune(now)
	}
	ttl := m.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	m.cached[account] = answer{member: member, until: now.Add(ttl)}
	return member, nil
}

// prune keeps the answers that have not expired, or none if they all
// still hold and the cache is full.
func (m *Membership) prune(now time.Time) map[string]answer {
	kept := map[string]answer{}
	for k, a := range m.cached {
		if now.Before(a.until) {
			kept[k] = a
		}
	}
	if len(kept) >= maxCached {
		return map[string]answer{}
	}
	return kept
}

func (m *Membership) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}
