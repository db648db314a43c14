package revert

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
)

// These tests run the reverter against MiniStack's EKS and IAM: drift is
// made with the SDK, findings come from the real evaluator, and the
// reverter's reads and writes are the real adapters. The history, with the
// reverter's leases and breaker counts, is the DynamoDB store on MiniStack,
// as deployed; the publisher records outcomes.

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	account   = "111122223333"
	region    = "us-west-2"
	admin     = "arn:aws:iam::111122223333:role/platform/platform-admin"
	developer = "arn:aws:iam::111122223333:role/developers"
	intruder  = "arn:aws:iam::111122223333:role/contractor"
	breakRole = "arn:aws:iam::111122223333:role/break-glass"
	oldGlass  = "arn:aws:iam::111122223333:role/old-glass"
	person    = "arn:aws:iam::111122223333:role/person"
	selfRole  = "arn:aws:iam::111122223333:role/eksdrift-revert"

	clusterAdmin = drift.PolicyClusterAdmin
	edit         = drift.PolicyEdit
	trustDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
	inlineDoc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:DescribeCluster","Resource":"*"}]}`
)

type outbox struct{ outcomes []drift.Outcome }

func (o *outbox) PublishOutcome(_ context.Context, out drift.Outcome) error {
	o.outcomes = append(o.outcomes, out)
	return nil
}

// env is one test's account: a cluster and a role of its own, a baseline
// that declares them, and a reverter wired to MiniStack.
type env struct {
	t        *testing.T
	cluster  string
	role     string // role name
	roleARN  string
	eksc     *awseks.Client
	iamc     *awsiam.Client
	ix       *drift.Index
	rev      *Reverter
	out      *outbox
	history  *dynamodb.Store
	writer   *eks.Writer
	baseYAML string
}

type options struct {
	mode     string // cluster and role mode
	extra    string // more YAML under the cluster
	noAdmins bool   // the declared cluster-admin is missing from the live state
}

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	ctx := context.Background()
	if o.mode == "" {
		o.mode = "revert"
	}
	cfg := awstest.Config(t)
	e := &env{t: t, cluster: awstest.Name(t, "c"), role: awstest.Name(t, "team"), out: &outbox{}}
	e.roleARN = "arn:aws:iam::111122223333:role/" + e.role
	e.eksc = awseks.NewFromConfig(cfg, func(op *awseks.Options) { op.Region = region })
	e.iamc = awsiam.NewFromConfig(cfg)
	_, err := e.eksc.CreateCluster(ctx, &awseks.CreateClusterInput{Name: aws.String(e.cluster), RoleArn: aws.String("arn:aws:iam::111122223333:role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig: &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi,
			BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
	must(t, awstest.Created(err))
	// The live state starts as the baseline says.
	if !o.noAdmins {
		e.createEntry(admin, nil)
		e.associate(admin, clusterAdmin, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster})
	}
	e.createEntry(developer, []string{"dev"})
	e.associate(developer, edit, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"app"}})
	_, err = e.iamc.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(e.role), AssumeRolePolicyDocument: aws.String(trustDoc),
		PermissionsBoundary: aws.String("arn:aws:iam::111122223333:policy/boundary")})
	must(t, awstest.Created(err))
	_, err = e.iamc.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String(e.role), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	must(t, err)
	_, err = e.iamc.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String(e.role), PolicyName: aws.String("describe"), PolicyDocument: aws.String(inlineDoc)})
	must(t, err)

	// Mode revert needs a declared cluster-admin; noAdmins leaves it out of
	// the live state only.
	adminYAML := fmt.Sprintf(`
      - principalArn: %s
        accessPolicies:
          - {policyArn: %s, accessScope: {type: cluster}}`, admin, clusterAdmin)
	e.baseYAML = fmt.Sprintf(`version: 1
mode: alert
breakGlass:
  - {principal: %s, expires: "%s", reason: on-call}
  - {principal: %s, expires: "2020-01-01T00:00:00Z"}
clusters:
  - name: %s
    account: "%s"
    region: %s
    mode: %s
    authenticationMode: API
    accessEntries:%s
      - principalArn: %s
        kubernetesGroups: [dev]
        accessPolicies:
          - {policyArn: %s, accessScope: {type: namespace, namespaces: [app]}}
%s
iamRoles:
  - arn: %s
    mode: %s
    trustPolicy: %s
    managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
    inlinePolicies:
      describe: %s
    permissionsBoundary: arn:aws:iam::111122223333:policy/boundary
`, breakRole, time.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339), oldGlass, e.cluster, account, region, o.mode, adminYAML, developer, edit, o.extra, e.roleARN, o.mode, trustDoc, inlineDoc)
	b, err := baseline.Parse("test.yaml", []byte(e.baseYAML))
	must(t, err)
	e.ix, err = drift.NewIndex(b)
	must(t, err)
	table := awstest.Name(t, "h")
	ddbc := awsddb.NewFromConfig(cfg)
	must(t, dynamodb.CreateTable(ctx, ddbc, table))
	e.history = dynamodb.New(ddbc, table)
	e.writer = eks.NewWriter(cfg)
	now := time.Date(2026, 10, 14, 12, 0, 0, 0, time.UTC)
	e.rev = &Reverter{
		Baseline:  func(context.Context) (*drift.Index, error) { return e.ix, nil },
		EKS:       eks.NewReader(cfg),
		IAM:       iam.NewReader(cfg),
		EKSWriter: e.writer,
		IAMWriter: iam.NewWriter(cfg),
		Admins:    e.writer,
		History:   e.history,
		Leases:    e.history,
		Publisher: e.out,
		// The hold-down has its own test; here every baseline version has
		// long been in force.
		Versions: func(context.Context, *drift.Index) (time.Time, *drift.Index, error) {
			return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil, nil
		},
		AllowGrantingAdmin: true,
		Log:                slog.New(slog.NewTextHandler(io.Discard, nil)),
		By:                 selfRole,
		// The breaker has its own test; here it must not get in the way.
		BreakerLimit: 100,
		Now:          func() time.Time { now = now.Add(time.Second); return now },
		Sleep:        func(context.Context, time.Duration) error { return nil },
	}
	return e
}

func (e *env) createEntry(principal string, groups []string) {
	e.t.Helper()
	_, err := e.eksc.CreateAccessEntry(context.Background(), &awseks.CreateAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(principal), KubernetesGroups: groups})
	must(e.t, awstest.Created(err))
}

func (e *env) associate(principal, policy string, scope ekstypes.AccessScope) {
	e.t.Helper()
	_, err := e.eksc.AssociateAccessPolicy(context.Background(), &awseks.AssociateAccessPolicyInput{ClusterName: aws.String(e.cluster),
		PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy), AccessScope: &scope})
	must(e.t, err)
}

var eventN int

// finding judges a change the way the detector does, with the actor as
// the one who made it.
func (e *env) finding(actor string, op drift.Op, res drift.Resource) drift.Finding {
	eventN++
	ev := drift.Event{ID: fmt.Sprintf("ev-%d-%d", time.Now().UnixNano(), eventN), Time: time.Date(2026, 10, 14, 11, 0, 0, 0, time.UTC),
		Name: "Call", Account: account, Region: region, Actor: drift.Actor{ARN: actor, Type: "AssumedRole"}}
	c := drift.Change{Event: ev, Op: op, Resource: res}
	if res.Kind() == drift.KindAccessEntry || res.Kind() == drift.KindAccessPolicy || res.Kind() == drift.KindPodIdentity {
		c.Cluster = e.cluster
	} else {
		c.Event.Region, c.Event.Source = "us-east-1", "iam.amazonaws.com"
	}
	return drift.NewEvaluator(e.ix).Evaluate(c)
}

// record stores a finding as the detector does before it publishes it.
func (e *env) record(f drift.Finding) {
	e.t.Helper()
	if _, found, err := e.history.Get(context.Background(), f.ID()); err != nil || found {
		must(e.t, err)
		return
	}
	_, err := e.history.Record(context.Background(), []drift.Finding{f})
	must(e.t, err)
}

func (e *env) handle(f drift.Finding) drift.RevertOutcome {
	e.t.Helper()
	e.record(f)
	n := len(e.out.outcomes)
	must(e.t, e.rev.Handle(context.Background(), f))
	if len(e.out.outcomes) != n+1 {
		e.t.Fatalf("got %d outcomes published, want one more than %d", len(e.out.outcomes), n)
	}
	o := e.out.outcomes[n].Result
	stored, _, err := e.history.Get(context.Background(), f.ID())
	must(e.t, err)
	if stored.Outcome == nil || stored.Outcome.Result != o.Result {
		e.t.Errorf("history outcome: got %+v, want %s", stored.Outcome, o.Result)
	}
	return o
}

// entries gives the cluster's live access entries with their policies, as
// "principal policy scope" lines.
func (e *env) entries() string {
	e.t.Helper()
	ctx := context.Background()
	out, err := e.eksc.ListAccessEntries(ctx, &awseks.ListAccessEntriesInput{ClusterName: aws.String(e.cluster)})
	must(e.t, err)
	var lines []string
	for _, p := range out.AccessEntries {
		d, err := e.eksc.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(p)})
		must(e.t, err)
		lines = append(lines, fmt.Sprintf("%s groups=%s", short(p), strings.Join(d.AccessEntry.KubernetesGroups, ",")))
		pols, err := e.eksc.ListAssociatedAccessPolicies(ctx, &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(p)})
		must(e.t, err)
		for _, ap := range pols.AssociatedAccessPolicies {
			lines = append(lines, fmt.Sprintf("%s %s %s%v", short(p), short(aws.ToString(ap.PolicyArn)), ap.AccessScope.Type, ap.AccessScope.Namespaces))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// baselineEntries is what entries() must show when the cluster matches the
// baseline.
func baselineEntries(admins bool) string {
	lines := []string{
		short(developer) + " groups=dev",
		short(developer) + " " + short(edit) + " namespace[app]",
	}
	if admins {
		lines = append(lines, short(admin)+" groups=", short(admin)+" "+short(clusterAdmin)+" cluster[]")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func short(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func accessEntryInput(cluster, principal, typ string) *awseks.CreateAccessEntryInput {
	return &awseks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), Type: aws.String(typ)}
}
