package securityhub_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

// The tests run against moto's server (MiniStack serves no Security Hub).
func TestMain(m *testing.M) { os.Exit(awstest.MotoMain(m)) }

// motoAccount is moto's default account, the caller's.
const motoAccount = "123456789012"

func client(t *testing.T) *sh.Client {
	t.Helper()
	c := sh.NewFromConfig(awstest.Config(t))
	if _, err := c.EnableSecurityHub(context.Background(), &sh.EnableSecurityHubInput{}); err != nil {
		var already *types.ResourceConflictException
		if !errors.As(err, &already) {
			t.Fatalf("EnableSecurityHub: %v", err)
		}
	}
	return c
}

// TestImportPagesAndUpdates imports more findings than one request takes,
// then one of them again, resolved: Security Hub holds one finding per Id,
// with the later state.
func TestImportPagesAndUpdates(t *testing.T) {
	c := client(t)
	p := securityhub.Product{Account: motoAccount, Region: awstest.Region}
	var fs []types.AwsSecurityFinding
	base := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for i := range 150 {
		f := drifttest.SampleFinding(i)
		f.Drift, f.Cluster, f.Resource = true, "imp", fmt.Sprintf("%s-%d", awstest.Name(t, "r"), i)
		f.EventTime = base
		fs = append(fs, securityhub.Finding(p, f, base))
	}
	if err := securityhub.New(c).Import(context.Background(), fs); err != nil {
		t.Fatal(err)
	}
	resolved := fs[7]
	resolved.Compliance = &types.Compliance{Status: types.ComplianceStatusPassed}
	resolved.RecordState = types.RecordStateArchived
	resolved.UpdatedAt = aws.String(base.Add(time.Minute).Format(time.RFC3339))
	if err := securityhub.New(c).Import(context.Background(), []types.AwsSecurityFinding{resolved}); err != nil {
		t.Fatal(err)
	}
	got := findings(t, c, aws.ToString(fs[0].Id), aws.ToString(fs[149].Id), aws.ToString(resolved.Id))
	if len(got) != 3 {
		t.Fatalf("got %d findings for 3 Ids, want 3", len(got))
	}
	for _, f := range got {
		if aws.ToString(f.Id) != aws.ToString(resolved.Id) {
			continue
		}
		if f.Compliance.Status != types.ComplianceStatusPassed || f.RecordState != types.RecordStateArchived {
			t.Errorf("re-imported finding: got %v %v, want PASSED ARCHIVED", f.Compliance.Status, f.RecordState)
		}
	}
}

// findings reads back the findings with these Ids. moto ignores GetFindings'
// filters, so every page is read and the Ids picked here.
func findings(t *testing.T, c *sh.Client, ids ...string) []types.AwsSecurityFinding {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var got []types.AwsSecurityFinding
	p := sh.NewGetFindingsPaginator(c, &sh.GetFindingsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		for _, f := range out.Findings {
			if want[aws.ToString(f.Id)] {
				got = append(got, f)
			}
		}
	}
	return got
}
