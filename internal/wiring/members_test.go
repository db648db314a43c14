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
	"github.com/aws/aws-sdk-go-v2/credentials"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/time/rate"

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

// asAccount is cfg with the credentials of account's root on MiniStack,
// which keeps accounts apart by their 12-digit access key.
func asAccount(cfg aws.Config, account string) aws.Config {
	cfg = cfg.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(account, "test", "")
	return cfg
}

// member builds, in account, the read role the spoke stack would create
// (unless noRole) and a cluster prod in us-west-2 whose access entries are
// an admin and, when intruder, an undeclared one.
func sweptMember(t *testing.T, base aws.Config, account, role string, noRole, intruder bool) {
	t.Helper()
	ctx := t.Context()
	cfg := asAccount(base, account)
	if !noRole {
		_, err := awsiam.NewFromConfig(cfg).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(role),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
	}
	ek := awseks.NewFromConfig(cfg, func(o *awseks.Options) { o.Region = "us-west-2" })
	if _, err := ek.CreateCluster(ctx, &awseks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::" + account + ":role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	principals := []string{"arn:aws:iam::" + account + ":role/admin"}
	if intruder {
		principals = append(principals, "arn:aws:iam::"+account+":role/intruder")
	}
	for _, p := range principals {
		if _, err := ek.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(p)}); awstest.Created(err) != nil {
			t.Fatal(err)
		}
	}
}

// TestSweepFansOutOverMemberAccounts runs the fan-out with the real
// adapters on MiniStack: the security account assumes the read role of
// each member (sts:AssumeRole lands the session in the role's account), two
// members are swept, and a member without the role is reported and
// skipped without stopping the others.
func TestSweepFansOutOverMemberAccounts(t *testing.T) {
	base := awstest.Config(t)
	base.Region = "us-west-2"
	role := awstest.Name(t, "eksdrift-read")
	a, b, missing := "210000000001", "210000000002", "210000000003"
	sweptMember(t, base, a, role, false, true)
	sweptMember(t, base, b, role, false, false)
	sweptMember(t, base, missing, role, true, false)

	var doc strings.Builder
	doc.WriteString("version: 1\nmode: alert\nclusters:\n")
	for _, acct := range []string{a, b, missing} {
		fmt.Fprintf(&doc, "  - {name: prod, account: %q, region: us-west-2, authenticationMode: API, accessEntries: [{principalArn: \"arn:aws:iam::%s:role/admin\"}]}\n", acct, acct)
	}
	// A user declared in each readable member, deleted since: the member's
	// scanner reads users too (GetUser answers NoSuchEntity: a user gone
	// takes its access with it, and is no drift).
	doc.WriteString("iamUsers:\n")
	for _, acct := range []string{a, b} {
		fmt.Fprintf(&doc, "  - {arn: \"arn:aws:iam::%s:user/ghost\"}\n", acct)
	}
	ix, err := baseline.Index("org.yaml", []byte(doc.String()))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	baselineOf := func(context.Context) (*drift.Index, error) { return ix, nil }
	r := &reconcile.Reconciler{
		Baseline:   baselineOf,
		History:    store,
		Detector:   &detect.Detector{Baseline: baselineOf, History: store, Publisher: nopPublisher{}, Metrics: &metrics.Set{}, Log: slog.New(slog.DiscardHandler)},
		Grace:      -1,
		Members:    []string{a, b, missing},
		ScannerFor: wiring.MemberScanners(refusing(wiring.MemberConfigs(wiring.NewAccounts(base, "000000000000", config.Org{Members: []string{a, b, missing}}, "reconcile"), role, 50), missing, role), 4),
	}
	rep, err := r.Sweep(t.Context(), time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC))
	t.Logf("report: %+v, error: %v", rep, err)
	if err == nil {
		t.Error("got no error, want the member without a role reported")
	}
	if rep.Clusters != 2 || rep.Users != 2 || rep.Recorded != 1 || rep.Drift != 1 {
		t.Errorf("got %d clusters and %d users read, %d drift, %d recorded; want both readable members' clusters and users, and the one intruder recorded",
			rep.Clusters, rep.Users, rep.Drift, rep.Recorded)
	}
	if len(rep.Unread) == 0 || !slices.ContainsFunc(rep.Unread, func(u reconcile.Unread) bool {
		return u.Account == missing && u.What == "credentials" && strings.Contains(u.Why, role)
	}) {
		t.Errorf("got unread %+v, want account %s's credentials, naming the role", rep.Unread, missing)
	}
	for _, u := range rep.Unread {
		if u.Account != missing {
			t.Errorf("got %+v unread, want only account %s", u, missing)
		}
	}
	all, err := store.Query(t.Context(), drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Account != a || all[0].Resource != "arn:aws:iam::"+a+":role/intruder" {
		t.Errorf("got findings %+v, want one: the intruder in account %s", all, a)
	}
}

// refusing stands in for STS refusing to assume the role of account, which
// does not exist there: MiniStack's AssumeRole does not check that the role
// exists (nor, without AUTH, its trust policy), so this one answer is
// AWS's, as the SDK's AssumeRole provider reports it. Every other account
// gets configFor's real credentials.
func refusing(configFor wiring.ConfigFor, account, role string) wiring.ConfigFor {
	return func(ctx context.Context, acct, region string) (aws.Config, error) {
		cfg, err := configFor(ctx, acct, region)
		if err != nil || acct != account {
			return cfg, err
		}
		cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, fmt.Errorf("failed to refresh cached credentials, operation error STS: AssumeRole, api error AccessDenied: "+
				"User: arn:aws:sts::000000000000:assumed-role/reconcile/fn is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::%s:role/%s", account, role)
		})
		return cfg, nil
	}
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, drift.Finding) error { return nil }

// TestThrottledKeepsToItsBudget checks the per-account token bucket: at 5
// calls a second, with bursts of one, six calls take at least a second.
func TestThrottledKeepsToItsBudget(t *testing.T) {
	cfg := wiring.Throttled(awstest.Config(t), rate.NewLimiter(5, 1))
	client := sts.NewFromConfig(cfg)
	start := time.Now()
	for range 6 {
		if _, err := client.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := time.Since(start); got < time.Second {
		t.Errorf("got six calls in %v, want at least 1s at 5 a second", got)
	}
	// The budget is the account's: a config built without it is not slowed.
	start = time.Now()
	plain := sts.NewFromConfig(awstest.Config(t))
	for range 6 {
		if _, err := plain.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := time.Since(start); got >= time.Second {
		t.Errorf("got six unthrottled calls in %v, want well under 1s", got)
	}
}
