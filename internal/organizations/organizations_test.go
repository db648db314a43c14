package organizations

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// world makes an organization on MiniStack (its management account is the
// test's own) with two created accounts, and gives their IDs and the
// organization's.
func world(t *testing.T) (cfg aws.Config, org string, accounts []string) {
	t.Helper()
	cfg = awstest.Config(t)
	for _, name := range []string{"team-a", "team-b"} {
		id, created := awstest.Organization(t, cfg, name, 1)
		org, accounts = id, append(accounts, created...)
	}
	return cfg, org, accounts
}

func TestListAndDescribeOnMiniStack(t *testing.T) {
	cfg, org, accounts := world(t)
	c := New(cfg)
	ctx := context.Background()
	listed, err := c.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range accounts {
		i := slices.IndexFunc(listed, func(a Account) bool { return a.ID == id })
		if i < 0 {
			t.Fatalf("ListAccounts: got %v, want %s among them", listed, id)
		}
		if got := listed[i]; got.Organization != org || !got.Active || !strings.HasPrefix(got.Name, "team-") {
			t.Errorf("account %s: got %+v, want active, named, in %s", id, got, org)
		}
		acc, found, err := c.DescribeAccount(ctx, id)
		if err != nil || !found || acc.Organization != org {
			t.Errorf("DescribeAccount %s: got %+v, %v, %v, want found in %s", id, acc, found, err, org)
		}
	}
	if _, found, err := c.DescribeAccount(ctx, "999988887777"); found || err != nil {
		t.Errorf("DescribeAccount of a stranger: got found %v, %v, want not found, no error", found, err)
	}
}

func TestMembershipOnMiniStack(t *testing.T) {
	cfg, org, accounts := world(t)
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	m := &Membership{Client: New(cfg), Organization: org, TTL: time.Minute, Now: func() time.Time { return now }}
	other := &Membership{Client: New(cfg), Organization: "o-someoneelse", TTL: time.Minute}
	ctx := context.Background()
	tests := []struct {
		name    string
		m       *Membership
		account string
		want    bool
	}{
		{name: "a member", m: m, account: accounts[0], want: true},
		{name: "a forged account ID", m: m, account: "123456789012", want: false},
		{name: "a member of this organization asked about another", m: other, account: accounts[1], want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.Member(ctx, tt.account)
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v, want %v", got, err, tt.want)
			}
		})
	}
	calls := m.Calls()
	for range 5 {
		for _, a := range []string{accounts[0], "123456789012"} {
			if _, err := m.Member(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := m.Calls(); got != calls {
		t.Errorf("calls within the TTL: got %d, want %d (yes and no both cached)", got, calls)
	}
	now = now.Add(2 * time.Minute)
	if _, err := m.Member(ctx, "123456789012"); err != nil {
		t.Fatal(err)
	}
	if got := m.Calls(); got != calls+1 {
		t.Errorf("calls after the TTL: got %d, want %d", got, calls+1)
	}
}

// fakeAPI stands in for Organizations where MiniStack does not: its
// ListAccounts ignores paging, and it never gives a foreign ARN or fails.
type fakeAPI struct {
	pages    [][]types.Account
	describe types.Account
	err      error
}

func (f *fakeAPI) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	i := 0
	if in.NextToken != nil {
		i = int(aws.ToString(in.NextToken)[0] - '0')
	}
	out := &organizations.ListAccountsOutput{Accounts: f.pages[i]}
	if i+1 < len(f.pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func (f *fakeAPI) DescribeAccount(context.Context, *organizations.DescribeAccountInput, ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &organizations.DescribeAccountOutput{Account: &f.describe}, nil
}

func (f *fakeAPI) ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	return nil, errors.New("not called")
}

func (f *fakeAPI) ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	return nil, errors.New("not called")
}

func acct(id, arn string, status types.AccountStatus) types.Account {
	return types.Account{Id: aws.String(id), Arn: aws.String(arn), Name: aws.String("n" + id), Status: status}
}

func TestListAccountsPagesAndKeepsActive(t *testing.T) {
	arn := func(id string) string { return "arn:aws:organizations::111111111111:account/o-abc123/" + id }
	f := &fakeAPI{pages: [][]types.Account{
		{acct("222222222222", arn("222222222222"), types.AccountStatusActive), acct("333333333333", arn("333333333333"), types.AccountStatusSuspended)},
		{acct("444444444444", arn("444444444444"), types.AccountStatusActive)},
		{acct("555555555555", arn("555555555555"), types.AccountStatusPendingClosure)},
	}}
	got, err := (&Client{api: f}).ListAccounts(context.Background())
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if want := []string{"222222222222", "444444444444"}; err != nil || !slices.Equal(ids, want) {
		t.Errorf("got %v, %v, want %v", ids, err, want)
	}
}

func TestMembershipRefusesWhatTheARNDoesNotSay(t *testing.T) {
	const id = "222222222222"
	tests := []struct {
		name string
		acc  types.Account
		want bool
	}{
		{name: "this organization", acc: acct(id, "arn:aws:organizations::111111111111:account/o-abc123/"+id, types.AccountStatusActive), want: true},
		{name: "another organization", acc: acct(id, "arn:aws:organizations::111111111111:account/o-abc1234/"+id, types.AccountStatusActive)},
		{name: "the ARN of another account", acc: acct(id, "arn:aws:organizations::111111111111:account/o-abc123/333333333333", types.AccountStatusActive)},
		{name: "the organization ID in another place", acc: acct(id, "arn:aws:organizations::o-abc123:account/o-x/"+id, types.AccountStatusActive)},
		{name: "extra path", acc: acct(id, "arn:aws:organizations::111111111111:account/o-abc123/"+id+"/x", types.AccountStatusActive)},
		{name: "suspended", acc: acct(id, "arn:aws:organizations::111111111111:account/o-abc123/"+id, types.AccountStatusSuspended)},
		{name: "no ARN", acc: types.Account{Id: aws.String(id), Status: types.AccountStatusActive}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &Membership{Client: &Client{api: &fakeAPI{describe: tt.acc}}, Organization: "o-abc123"}
			got, err := m.Member(context.Background(), id)
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v, want %v", got, err, tt.want)
			}
		})
	}
}

func TestMembershipDoesNotCacheErrors(t *testing.T) {
	f := &fakeAPI{err: errors.New("throttled")}
	m := &Membership{Client: &Client{api: f}, Organization: "o-abc123"}
	ctx := context.Background()
	if _, err := m.Member(ctx, "222222222222"); err == nil || !strings.Contains(err.Error(), "DescribeAccount 222222222222") {
		t.Fatalf("got %v, want an error naming the call and the account", err)
	}
	f.err = nil
	f.describe = acct("222222222222", "arn:aws:organizations::111111111111:account/o-abc123/222222222222", types.AccountStatusActive)
	if ok, err := m.Member(ctx, "222222222222"); !ok || err != nil {
		t.Errorf("after the error: got %v, %v, want a member", ok, err)
	}
}
