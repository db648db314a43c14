package wiring_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsorg "github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/organizations"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// newOrganization makes (or finds) cfg's organization and one account in it.
func newOrganization(t *testing.T, cfg aws.Config) (org, account string) {
	t.Helper()
	org, accounts := awstest.Organization(t, cfg, "member", 1)
	return org, accounts[0]
}

// An organization deployment whose members are not listed (the StackSet
// deploys to OUs) admits an account only if Organizations says it is one
// of the organization's: an event naming any other account, or an account
// of another organization, makes eksdrift assume nothing.
func TestAccountsAdmitOrganizationMembers(t *testing.T) {
	base := awstest.Config(t)
	org, member := newOrganization(t, base)
	other := base.Copy()
	other.Credentials = credentials.NewStaticCredentialsProvider("111111111111", "test", "")
	_, stranger := newOrganization(t, other)

	a := wiring.NewAccounts(base, home, config.Org{ReadRole: "eksdrift-read", ExternalID: "xid-1", OrganizationID: org}, "detect")
	ctx := context.Background()
	if _, err := a.Config(ctx, member, "eksdrift-read"); err != nil {
		t.Fatalf("member %s of %s: got %v, want admitted", member, org, err)
	}
	tests := []struct{ name, account string }{
		{name: "a forged account ID", account: "123456789012"},
		{name: "an account of another organization", account: stranger},
		{name: "the member again with a space", account: member + " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second answer comes from the cache
				_, err := a.Config(ctx, tt.account, "eksdrift-read")
				var ae *drift.AccountError
				if !errors.As(err, &ae) || !ae.Refused {
					t.Fatalf("got %v, want a refusal", err)
				}
			}
		})
	}
	if n := a.Assumes(); n != 1 {
		t.Errorf("assumes: got %d, want 1 (the member only)", n)
	}
}

// An account that leaves the organization (closed: SUSPENDED) must stop
// being acted on: its
// cached "yes" lasts at most the membership TTL, and then neither the
// cached credentials of its role nor the readers built from them are
// handed out again. The organization is MiniStack's own; the clock is the
// test's, so the TTL passes without waiting.
func TestAccountThatLeavesTheOrganizationIsRefusedAfterTheTTL(t *testing.T) {
	base := awstest.Config(t)
	org, leaver := newOrganization(t, base)
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	m := &organizations.Membership{Client: organizations.New(base), Organization: org, TTL: time.Minute, Now: func() time.Time { return now }}
	a := wiring.NewAccounts(base, home, config.Org{ReadRole: "eksdrift-read", ExternalID: "xid-1", OrganizationID: org}, "detect")
	a.OrgMember = m.Member
	readers := wiring.PerAccount(a, "eksdrift-read", "read", func(c aws.Config) aws.Config { return c })
	scanners := wiring.MemberScanners(wiring.MemberConfigs(a, "eksdrift-read", 10), 4)
	if _, err := readers(ctx, leaver); err != nil {
		t.Fatalf("member %s: got %v, want admitted", leaver, err)
	}
	if _, err := scanners(ctx, leaver); err != nil {
		t.Fatalf("member %s's scanner: got %v, want it built", leaver, err)
	}
	// MiniStack does not serve RemoveAccountFromOrganization ("not
	// implemented"); CloseAccount leaves the account SUSPENDED, which
	// DescribeAccount then says, as AWS does for a closed account.
	if _, err := awsorg.NewFromConfig(base).CloseAccount(ctx, &awsorg.CloseAccountInput{AccountId: aws.String(leaver)}); err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	now = now.Add(30 * time.Second)
	if _, err := readers(ctx, leaver); err != nil {
		t.Fatalf("within the TTL: got %v, want the cached answer", err)
	}
	now = now.Add(time.Minute)
	for _, try := range []struct {
		name string
		call func() error
	}{
		{"the readers built for it", func() error { _, err := readers(ctx, leaver); return err }},
		{"the sweep's scanner built for it", func() error { _, err := scanners(ctx, leaver); return err }},
		{"its role's cached credentials", func() error { _, err := a.Config(ctx, leaver, "eksdrift-read"); return err }},
		{"its revert role, never assumed", func() error { _, err := a.Config(ctx, leaver, "eksdrift-revert"); return err }},
	} {
		t.Run(try.name, func(t *testing.T) {
			var ae *drift.AccountError
			if err := try.call(); !errors.As(err, &ae) || !ae.Refused {
				t.Errorf("after the TTL: got %v, want a refusal", err)
			}
		})
	}
	if n := a.Assumes(); n != 1 {
		t.Errorf("assumes: got %d, want 1 (before it left)", n)
	}
}
