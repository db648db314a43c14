package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsorg "github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// Organization makes (or finds) the organization cfg's account manages on
// MiniStack, which keeps one per caller account, and n new accounts in it
// (named after prefix). It gives the organization's ID and the accounts.
func Organization(t testing.TB, cfg aws.Config, prefix string, n int) (org string, accounts []string) {
	t.Helper()
	ctx := context.Background()
	api := awsorg.NewFromConfig(cfg)
	out, err := api.DescribeOrganization(ctx, &awsorg.DescribeOrganizationInput{})
	if err != nil {
		if _, err := api.CreateOrganization(ctx, &awsorg.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); Created(err) != nil {
			t.Fatalf("awstest: CreateOrganization: %v", err)
		}
		if out, err = api.DescribeOrganization(ctx, &awsorg.DescribeOrganizationInput{}); err != nil {
			t.Fatalf("awstest: DescribeOrganization: %v", err)
		}
	}
	for range n {
		name := Name(t, prefix)
		ca, err := api.CreateAccount(ctx, &awsorg.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatalf("awstest: CreateAccount %s: %v", name, err)
		}
		accounts = append(accounts, aws.ToString(ca.CreateAccountStatus.AccountId))
	}
	return aws.ToString(out.Organization.Id), accounts
}
