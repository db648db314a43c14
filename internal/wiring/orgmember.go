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
