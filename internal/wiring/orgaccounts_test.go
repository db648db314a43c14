package wiring_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsorg "github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/reconcile"
	"github.com/eksdrift/eksdrift/internal/sqlite"
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

// TestSweepOfAnOUOnlyDeployment runs the sweep with no member listed, as
// the stack configures an OU-only deployment: the accounts come from
// Organizations (OrgAccounts), each is admitted through DescribeAccount and
// read through its read role, all on MiniStack.
func TestSweepOfAnOUOnlyDeployment(t *testing.T) {
	const security = "330000000001"
	base := asAccount(awstest.Config(t), security)
	base.Region = "us-west-2"
	api := awsorg.NewFromConfig(base)
	ctx := context.Background()
	desc, err := api.DescribeOrganization(ctx, &awsorg.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	org := aws.ToString(desc.Organization.Id)
	roots, err := api.ListRoots(ctx, &awsorg.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	unit, err := api.CreateOrganizationalUnit(ctx, &awsorg.CreateOrganizationalUnitInput{ParentId: &root, Name: aws.String("workloads")})
	if err != nil {
		t.Fatal(err)
	}
	ou := aws.ToString(unit.OrganizationalUnit.Id)
	role := awstest.Name(t, "eksdrift-read")
	var members []string
	for i, intruder := range []bool{true, false} {
		n := awstest.Name(t, fmt.Sprintf("m%d", i))
		out, err := api.CreateAccount(ctx, &awsorg.CreateAccountInput{AccountName: &n, Email: aws.String(n + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if _, err := api.MoveAccount(ctx, &awsorg.MoveAccountInput{AccountId: &id, SourceParentId: &root, DestinationParentId: &ou}); err != nil {
			t.Fatal(err)
		}
		sweptMember(t, base, id, role, false, intruder)
		members = append(members, id)
	}
	var doc strings.Builder
	doc.WriteString("version: 1\nmode: alert\nclusters:\n")
	for _, acct := range members {
		fmt.Fprintf(&doc, "  - {name: prod, account: %q, region: us-west-2, authenticationMode: API, accessEntries: [{principalArn: \"arn:aws:iam::%s:role/admin\"}]}\n", acct, acct)
	}
	ix, err := baseline.Index("org.yaml", []byte(doc.String()))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	baselineOf := func(context.Context) (*drift.Index, error) { return ix, nil }
	accounts := wiring.NewAccounts(base, security, config.Org{OrganizationID: org, Units: []string{ou}, ExternalID: "xid-1"}, "reconcile")
	r := &reconcile.Reconciler{
		Baseline:    baselineOf,
		History:     store,
		Detector:    &detect.Detector{Baseline: baselineOf, History: store, Publisher: nopPublisher{}, Metrics: &metrics.Set{}, Log: slog.New(slog.DiscardHandler)},
		Grace:       -1,
		ListMembers: wiring.OrgAccounts(base, org, []string{ou}, security),
		ScannerFor:  wiring.MemberScanners(wiring.MemberConfigs(accounts, role, 50), 4),
	}
	rep, err := r.Sweep(ctx, time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC))
	if err != nil || rep.Accounts != 2 || rep.Clusters != 2 || rep.Recorded != 1 || len(rep.Unread) != 0 {
		t.Errorf("got %+v, %v, want both OU accounts' clusters read, the one intruder recorded", rep, err)
	}
}
