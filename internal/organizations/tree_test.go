package organizations

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

func ids(accounts []Account) []string {
	out := []string{}
	for _, a := range accounts {
		out = append(out, a.ID)
	}
	return out
}

// TestAccountsUnderOnMiniStack builds, in an organization of its own (a
// management account no other test uses), root > security, apps > apps/prod,
// with accounts in each, one of them closed (SUSPENDED), and checks which
// accounts each parent gives.
func TestAccountsUnderOnMiniStack(t *testing.T) {
	cfg := awstest.Config(t)
	cfg.Credentials = credentials.NewStaticCredentialsProvider("310000000001", "test", "")
	api := organizations.NewFromConfig(cfg)
	ctx := context.Background()
	// MiniStack makes the caller's organization on first use.
	desc, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	org := aws.ToString(desc.Organization.Id)
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 {
		t.Fatalf("ListRoots: got %v, %v, want one root", roots, err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	ou := func(parent, name string) string {
		out, err := api.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: &parent, Name: aws.String(name)})
		if err != nil {
			t.Fatalf("CreateOrganizationalUnit %s: %v", name, err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	account := func(name, parent string) string {
		out, err := api.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatalf("CreateAccount %s: %v", name, err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if parent != root {
			if _, err := api.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: &id, SourceParentId: &root, DestinationParentId: &parent}); err != nil {
				t.Fatalf("MoveAccount %s: %v", name, err)
			}
		}
		return id
	}
	security, apps := ou(root, "security"), ou(root, "apps")
	prod := ou(apps, "prod")
	sec := account("sec", security)
	app := account("app", apps)
	web := account("web", prod)
	closed := account("closed", prod)
	loose := account("loose", root)
	if _, err := api.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: &closed}); err != nil {
		t.Fatalf("CloseAccount: %v", err)
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	tests := []struct {
		name    string
		parents []string
		want    []string
	}{
		{name: "an OU and its children, the closed account left out", parents: []string{apps}, want: sorted(app, web)},
		{name: "a child OU alone", parents: []string{prod}, want: []string{web}},
		{name: "two OUs, one inside the other: each account once", parents: []string{prod, apps, security}, want: sorted(sec, app, web)},
		{name: "the root: the whole organization", parents: []string{root}, want: sorted("310000000001", sec, app, web, loose)},
	}
	c := New(cfg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.AccountsUnder(ctx, org, tt.parents)
			if err != nil || !slices.Equal(ids(got), tt.want) {
				t.Errorf("got %v, %v, want %v", ids(got), err, tt.want)
			}
		})
	}
	t.Run("another organization's ID", func(t *testing.T) {
		got, err := c.AccountsUnder(ctx, "o-someoneelse", []string{root})
		if err != nil || len(got) != 0 {
			t.Errorf("got %v, %v, want no account", ids(got), err)
		}
	})
	t.Run("an OU that does not exist", func(t *testing.T) {
		got, err := c.AccountsUnder(ctx, org, []string{"ou-zzzz-zzzzzzzz", prod})
		// MiniStack lists nothing under an unknown parent (AWS answers
		// ParentNotFoundException); either way the other parent is listed.
		if !slices.Equal(ids(got), []string{web}) {
			t.Errorf("got %v, %v, want %v", ids(got), err, []string{web})
		}
	})
}

// treeFake stands in for Organizations where MiniStack does not: its lists
// ignore paging, and it never gives a foreign ARN, a loop or an error.
type treeFake struct {
	accounts map[string][][]types.Account // parent: pages
	units    map[string][]string
	fail     map[string]error
	calls    int
}

func (f *treeFake) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	f.calls++
	p := aws.ToString(in.ParentId)
	if err := f.fail[p]; err != nil {
		return nil, err
	}
	pages := f.accounts[p]
	if len(pages) == 0 {
		return &organizations.ListAccountsForParentOutput{}, nil
	}
	i := 0
	if in.NextToken != nil {
		i = int(aws.ToString(in.NextToken)[0] - '0')
	}
	out := &organizations.ListAccountsForParentOutput{Accounts: pages[i]}
	if i+1 < len(pages) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func (f *treeFake) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	f.calls++
	p := aws.ToString(in.ParentId)
	units := f.units[p]
	// One OU per page, to page through them.
	i := 0
	if in.NextToken != nil {
		i = int(aws.ToString(in.NextToken)[0] - '0')
	}
	if i >= len(units) {
		return &organizations.ListOrganizationalUnitsForParentOutput{}, nil
	}
	org := "o-abc123"
	if strings.HasPrefix(units[i], "ou-evil") {
		org = "o-evil123"
	}
	out := &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: []types.OrganizationalUnit{{
		Id: aws.String(units[i]), Arn: aws.String("arn:aws:organizations::111111111111:ou/" + org + "/" + units[i])}}}
	if i+1 < len(units) {
		out.NextToken = aws.String(string(rune('0' + i + 1)))
	}
	return out, nil
}

func (f *treeFake) ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	return nil, errors.New("not called")
}

func (f *treeFake) DescribeAccount(context.Context, *organizations.DescribeAccountInput, ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	return nil, errors.New("not called")
}

func TestAccountsUnderRefusesWhatTheARNsDoNotSay(t *testing.T) {
	arn := func(org, id string) string { return "arn:aws:organizations::111111111111:account/" + org + "/" + id }
	a := func(id, org string, status types.AccountStatus) types.Account { return acct(id, arn(org, id), status) }
	f := &treeFake{
		accounts: map[string][][]types.Account{
			"ou-ab12-aaaaaaaa": {
				{a("222222222222", "o-abc123", types.AccountStatusActive), a("333333333333", "o-abc123", types.AccountStatusSuspended)},
				{a("444444444444", "o-other123", types.AccountStatusActive)}, // listed in our OU, ARN of another organization
				{acct("555555555555", arn("o-abc123", "666666666666"), types.AccountStatusActive)},
				{a("777777777777", "o-abc123", types.AccountStatusActive)},
			},
			"ou-ab12-bbbbbbbb": {{a("888888888888", "o-abc123", types.AccountStatusActive), a("222222222222", "o-abc123", types.AccountStatusActive)}},
			"ou-evil-cccccccc": {{a("999999999999", "o-abc123", types.AccountStatusActive)}},
			"ou-ab12-dddddddd": {{a("101010101010", "o-abc123", types.AccountStatusActive)}},
		},
		units: map[string][]string{
			"ou-ab12-aaaaaaaa": {"ou-ab12-bbbbbbbb", "ou-evil-cccccccc", "ou-ab12-dddddddd"},
			// A child naming its ancestor: walked once.
			"ou-ab12-bbbbbbbb": {"ou-ab12-aaaaaaaa"},
		},
		fail: map[string]error{"ou-ab12-dddddddd": errors.New("TooManyRequestsException")},
	}
	got, err := (&Client{api: f}).AccountsUnder(context.Background(), "o-abc123", []string{"ou-ab12-aaaaaaaa"})
	if want := []string{"222222222222", "777777777777", "888888888888"}; !slices.Equal(ids(got), want) {
		t.Errorf("got %v, want %v (every page, ACTIVE, this organization's ARN naming the account, each once)", ids(got), want)
	}
	if err == nil || !strings.Contains(err.Error(), "ListAccountsForParent ou-ab12-dddddddd") || !strings.Contains(err.Error(), "TooManyRequestsException") {
		t.Errorf("got %v, want the failed parent named, with why", err)
	}
}

func TestAccountsUnderEndsOnAnEndlessTree(t *testing.T) {
	// Every OU has a new child: the walk stops at maxParents.
	f := &endless{}
	_, err := (&Client{api: f}).AccountsUnder(context.Background(), "o-abc123", []string{"ou-ab12-00000000"})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("got %v, want an error saying the walk was cut", err)
	}
	if f.n > 2*maxParents+2 {
		t.Errorf("calls: got %d, want at most %d", f.n, 2*maxParents+2)
	}
}

type endless struct {
	treeFake
	n int
}

func (f *endless) ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	f.n++
	return &organizations.ListAccountsForParentOutput{}, nil
}

func (f *endless) ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	f.n++
	id := "ou-ab12-" + strings.Repeat("0", 4) + string(rune('a'+f.n%26)) + strings.Repeat("x", 3) + itoa(f.n)
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: []types.OrganizationalUnit{{
		Id: aws.String(id), Arn: aws.String("arn:aws:organizations::111111111111:ou/o-abc123/" + id)}}}, nil
}

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
