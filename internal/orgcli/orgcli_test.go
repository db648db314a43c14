package orgcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	awsorg "github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/cli"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
)

const (
	security   = "100000000001"
	externalID = "eksdrift-cli-external-id"
	clusterAdm = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
)

// IAM is enforced: a role that does not exist, or a wrong external ID,
// fails the assume as it does on AWS.
func TestMain(m *testing.M) {
	os.Exit(awstest.MainWith(m, awstest.Options{Account: security, Auth: true}))
}

func account(t *testing.T, id string) aws.Config {
	cfg := awstest.Config(t)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(id, "test", "")
	return cfg
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is the organization: members a and b have the read role and a
// cluster prod (b also a contractor's entry, the drift); broken is an
// ACTIVE member whose spoke was never deployed.
type world struct{ a, b, broken string }

var shared *world

func theWorld(t *testing.T) world {
	t.Helper()
	if shared != nil {
		return *shared
	}
	ctx := context.Background()
	org := awsorg.NewFromConfig(account(t, security))
	// MiniStack has no CreateOrganization: the caller's organization
	// exists once asked about.
	_, err := org.DescribeOrganization(ctx, &awsorg.DescribeOrganizationInput{})
	must(t, err)
	var ids []string
	for _, name := range []string{"team-a", "team-b", "broken"} {
		out, err := org.CreateAccount(ctx, &awsorg.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		must(t, err)
		ids = append(ids, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	w := world{a: ids[0], b: ids[1], broken: ids[2]}
	for _, id := range []string{w.a, w.b} {
		readRole(t, id)
		cluster(t, id, id == w.b)
	}
	shared = &w
	return w
}

func policyOf(actions []string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
	return string(b)
}

// readRole is the spoke's read role: it trusts the security account with
// the external ID, and may make the scan's calls.
func readRole(t *testing.T, id string) {
	t.Helper()
	trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + security + ":root"}, "Action": "sts:AssumeRole",
		"Condition": map[string]any{"StringEquals": map[string]any{"sts:ExternalId": externalID}}}}})
	role(t, id, config.DefaultMemberReadRole, string(trust), policyOf(append(slices.Clone(eks.ScanActions), iam.ScanActions...)))
}

func role(t *testing.T, id, name, trust, perms string) {
	t.Helper()
	c := awsiam.NewFromConfig(account(t, id))
	_, err := c.CreateRole(context.Background(), &awsiam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	var exists *iamtypes.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		// The emulator is this test's own: a role already there is this
		// call's, whose answer it lost before the SDK's retry.
		must(t, err)
	}
	_, err = c.PutRolePolicy(context.Background(), &awsiam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("eksdrift"), PolicyDocument: aws.String(perms)})
	must(t, err)
}

func cluster(t *testing.T, id string, drifted bool) {
	t.Helper()
	ctx := context.Background()
	role(t, id, "eks-cluster", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, policyOf([]string{"ec2:Describe*"}))
	c := awseks.NewFromConfig(account(t, id))
	_, err := c.CreateCluster(ctx, &awseks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::" + id + ":role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
	must(t, err)
	admin := "arn:aws:iam::" + id + ":role/platform-admin"
	_, err = c.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(admin)})
	err = awstest.Created(err)
	must(t, err)
	_, err = c.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(admin),
		PolicyArn: aws.String(clusterAdm), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	must(t, err)
	if drifted {
		_, err = c.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String("arn:aws:iam::" + id + ":role/contractor")})
		err = awstest.Created(err)
		must(t, err)
	}
}

// run runs the command with the security account's credentials.
func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCaptureAcrossAccounts(t *testing.T) {
	w := theWorld(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stderr []string
	}{
		{name: "listed accounts, one without its role", code: cli.ExitPartial,
			args:   []string{"--accounts", w.b + "," + w.a + "," + w.broken, "--external-id", externalID, "-o", filepath.Join(dir, "listed.yaml")},
			stderr: []string{"account " + w.broken + " skipped", "1 of 3 accounts could not be read"}},
		{name: "the organization, external ID from the environment", code: cli.ExitPartial,
			args:   []string{"--organization", "-o", filepath.Join(dir, "org.yaml")},
			env:    map[string]string{config.EnvMemberExternalID: externalID},
			stderr: []string{"account " + w.broken + " skipped"}},
		{name: "a wrong external ID reads nothing", code: cli.ExitError,
			args:   []string{"--accounts", w.a, "--external-id", "not-it", "-o", filepath.Join(dir, "none.yaml")},
			stderr: []string{"account " + w.a + " skipped", "none of the 1 accounts could be read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"baseline", "capture", "--all-clusters", "--region", awstest.Region}, tt.args...)
			code, _, stderr := run(t, tt.env, args...)
			if code != tt.code {
				t.Fatalf("exit: got %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr: got %q, want %q in it", stderr, s)
				}
			}
		})
	}
	for _, f := range []string{"listed.yaml", "org.yaml"} {
		b, err := baseline.LoadFile(filepath.Join(dir, f))
		must(t, err)
		var got []string
		for _, c := range b.Clusters {
			got = append(got, c.Account+"/"+c.Name)
		}
		want := []string{w.a + "/prod", w.b + "/prod"}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got clusters %v, want %v", f, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("with no account read: got %v, want no file", err)
	}
}

func TestCapturePerAccount(t *testing.T) {
	w := theWorld(t)
	dir := filepath.Join(t.TempDir(), "baselines")
	code, _, stderr := run(t, nil, "baseline", "capture", "--all-clusters", "--region", awstest.Region,
		"--accounts", w.a+","+w.b, "--external-id", externalID, "--per-account", dir)
	if code != 0 {
		t.Fatalf("exit: got %d, want 0; stderr:\n%s", code, stderr)
	}
	for _, id := range []string{w.a, w.b} {
		b, err := baseline.LoadFile(filepath.Join(dir, id+".yaml"))
		must(t, err)
		if len(b.Clusters) != 1 || b.Clusters[0].Account != id || len(b.BreakGlass) != 0 {
			t.Errorf("%s.yaml: got %+v, want its own cluster prod only, no breakGlass", id, b.Clusters)
		}
	}
}

func TestPlanAcrossAccounts(t *testing.T) {
	w := theWorld(t)
	base := filepath.Join(t.TempDir(), "baseline.yaml")
	must(t, os.WriteFile(base, []byte("version: 1\nmode: alert\nclusters:\n"+clusterYAML(w.a)+clusterYAML(w.b)), 0o644))

	code, out, stderr := run(t, nil, "plan", "--baseline", base, "--accounts", strings.Join([]string{w.a, w.b, w.broken}, ","),
		"--external-id", externalID, "--output", "json")
	if code != cli.ExitDrift {
		t.Fatalf("exit: got %d, want %d (drift in b); stderr:\n%s", code, cli.ExitDrift, stderr)
	}
	var p cli.AccountsPlan
	must(t, json.Unmarshal([]byte(out), &p))
	drifts := map[string]int{}
	for _, r := range p.Accounts {
		drifts[r.Account] = len(r.Drift)
	}
	if drifts[w.a] != 0 || drifts[w.b] != 1 || len(drifts) != 2 {
		t.Errorf("drift by account: got %v, want none in %s and the contractor in %s", drifts, w.a, w.b)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Account != w.broken {
		t.Errorf("skipped: got %+v, want %s", p.Skipped, w.broken)
	}
	if !strings.Contains(stderr, "account "+w.broken+" skipped") {
		t.Errorf("stderr: got %q, want the skipped account named", stderr)
	}

	code, _, stderr = run(t, nil, "plan", "--baseline", base, "--accounts", w.a+","+w.broken, "--external-id", externalID)
	if code != cli.ExitPartial {
		t.Errorf("no drift, one account unread: got %d, want %d; stderr:\n%s", code, cli.ExitPartial, stderr)
	}
}

// clusterYAML declares cluster prod of an account with its cluster-admin
// only.
func clusterYAML(id string) string {
	return fmt.Sprintf(`  - name: prod
    account: "%s"
    region: %s
    accessEntries:
      - principalArn: arn:aws:iam::%s:role/platform-admin
        accessPolicies:
          - {policyArn: %s, accessScope: {type: cluster}}
`, id, awstest.Region, id, clusterAdm)
}

func TestHostileFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an account ID that is a path", []string{"--accounts", "../111122223333"}, "is not a 12-digit account ID"},
		{"an account ID with a wildcard", []string{"--accounts", "*"}, "is not a 12-digit account ID"},
		{"a role name that is a path", []string{"--accounts", "111122223333", "--role-name", "x/../admin"}, "is not an IAM role name"},
		{"both ways of naming accounts", []string{"--accounts", "111122223333", "--organization"}, "not both"},
		{"per-account without accounts", []string{"--per-account", "out"}, "--per-account needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"baseline", "capture", "--all-clusters", "--region", awstest.Region}, tt.args...)
			code, _, stderr := run(t, nil, args...)
			if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("got %d, %q, want %d and %q", code, stderr, cli.ExitUsage, tt.want)
			}
		})
	}
}
