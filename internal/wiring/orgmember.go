package wiring

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/organizations"
)

// OrgMembership backs Accounts.OrgMember with Organizations: an account is
// a member of org if DescribeAccount, called with cfg's credentials (the
// security account, the organization's delegated administrator), finds it
// ACTIVE with an ARN that names org and that account. Answers, yes and no,
// are kept for organizations.DefaultTTL, so a burst of events naming one
// account, or a made-up one, costs one call; errors are not kept.
func OrgMembership(cfg aws.Config, org string) func(ctx context.Context, account string) (bool, error) {
	m := &organizations.Membership{Client: organizations.New(cfg), Organization: org, TTL: organizations.DefaultTTL}
	return m.Member
}

// OrgAccounts lists, for the sweep of a deployment that names OUs rather
// than accounts, the ACTIVE accounts of org under units (recursively; a
// root is the whole organization), through Organizations with cfg's
// credentials: never home, the security account, which is no member. It is
// called once per sweep, so that an account that joins an OU is swept from
// the next run. An error comes with the accounts listed before it.
func OrgAccounts(cfg aws.Config, org string, units []string, home string) func(ctx context.Context) ([]string, error) {
	c := organizations.New(cfg)
	return func(ctx context.Context) ([]string, error) {
		accounts, err := c.AccountsUnder(ctx, org, units)
		var out []string
		for _, a := range accounts {
			if a.ID != home {
				out = append(out, a.ID)
			}
		}
		return out, err
	}
}
