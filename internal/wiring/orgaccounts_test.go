package wiring_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsorg "github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// TestOrgAccountsListsTheOUs builds on MiniStack an organization of its own
// whose management account is the security account, moved into the OU the
// deployment names: the sweep's list is the OU's ACTIVE accounts, its
// child OU's too, never the security account, never a closed account or
// one outside the OU.
func TestOrgAccountsListsTheOUs(t *testing.T) {
	const security = "320000000001"
	cfg := asAccount(awstest.Config(t), security)
	api := awsorg.NewFromConfig(cfg)
	ctx := context.Background()
	desc, err := api.DescribeOrganization(ctx, &awsorg.DescribeOrganizationInput{}) // MiniStack makes it on first use
	if err != nil {
		t.Fatal(err)
	}
	org := aws.ToString(desc.Organization.Id)
	roots, err := api.ListRoots(ctx, &awsorg.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	ou := func(parent string) string {
		out, err := api.CreateOrganizationalUnit(ctx, &awsorg.CreateOrganizationalUnitInput{ParentId: &parent, Name: aws.String(awstest.Name(t, "ou"))})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	move := func(id, to string) {
		if _, err := api.MoveAccount(ctx, &awsorg.MoveAccountInput{AccountId: &id, SourceParentId: &root, DestinationParentId: &to}); err != nil {
			t.Fatal(err)
		}
	}
	account := func(parent string) string {
		n := awstest.Name(t, "acct")
		out, err := api.CreateAccount(ctx, &awsorg.CreateAccountInput{AccountName: &n, Email: aws.String(n + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if parent != root {
			move(id, parent)
		}
		return id
	}
	workloads := ou(root)
	prod := ou(workloads)
	move(security, workloads)
	a, b, closed := account(workloads), account(prod), account(prod)
	account(root) // outside the OU
	if _, err := api.CloseAccount(ctx, &awsorg.CloseAccountInput{AccountId: &closed}); err != nil {
		t.Fatal(err)
	}
	got, err := wiring.OrgAccounts(cfg, org, []string{workloads}, security)(ctx)
	want := []string{a, b}
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v, %v, want %v", got, err, want)
	}
	// An organization ID that is not the caller's lists nothing.
	if got, err := wiring.OrgAccounts(cfg, "o-someoneelse", []string{root}, security)(ctx); err != nil || len(got) != 0 {
		t.Errorf("another organization: got %v, %v, want nothing", got, err)
	}
}
