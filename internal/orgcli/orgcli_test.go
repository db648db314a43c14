package orgcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

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

// TestPlanPerAccount: plan --per-account judges each account against the
// shared baseline merged with its own <account>.yaml, as the functions
// merge baselines/<account>.yaml: from a folder or from S3, an account with
// no file judged against the shared file alone.
func TestPlanPerAccount(t *testing.T) {
	w := theWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	base := filepath.Join(dir, "baseline.yaml")
	must(t, os.WriteFile(base, []byte("version: 1\nmode: alert\n"), 0o644))
	files := filepath.Join(dir, "baselines")
	must(t, os.MkdirAll(files, 0o755))
	for _, id := range []string{w.a, w.b, "999999999999"} {
		must(t, os.WriteFile(filepath.Join(files, id+".yaml"), []byte("version: 1\nclusters:\n"+clusterYAML(id)), 0o644))
	}
	must(t, os.WriteFile(filepath.Join(files, "README.md"), []byte("not a baseline\n"), 0o644))
	onlyB := filepath.Join(dir, "only-b")
	must(t, os.MkdirAll(onlyB, 0o755))
	must(t, os.WriteFile(filepath.Join(onlyB, w.b+".yaml"), []byte("version: 1\nclusters:\n"+clusterYAML(w.b)), 0o644))

	s3c := awss3.NewFromConfig(account(t, security))
	bucket := awstest.Name(t, "config")
	_, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)
	put := func(key, body string) {
		_, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
		must(t, err)
	}
	put("baseline.yaml", "version: 1\nmode: alert\n")
	put("baselines/"+w.b+".yaml", "version: 1\nclusters:\n"+clusterYAML(w.b))

	tests := []struct {
		name           string
		baseline, from string
		code           int
		clusters       map[string]int // clusters planned, by account
		drift          map[string]int
	}{
		{name: "a folder with both accounts' files", baseline: base, from: files, code: cli.ExitDrift,
			clusters: map[string]int{w.a: 1, w.b: 1}, drift: map[string]int{w.a: 0, w.b: 1}},
		{name: "a folder without a's file: a gets the shared file alone", baseline: base, from: onlyB, code: cli.ExitDrift,
			clusters: map[string]int{w.a: 0, w.b: 1}, drift: map[string]int{w.a: 0, w.b: 1}},
		{name: "an S3 prefix, as deployed", baseline: "s3://" + bucket + "/baseline.yaml", from: "s3://" + bucket + "/baselines", code: cli.ExitDrift,
			clusters: map[string]int{w.a: 0, w.b: 1}, drift: map[string]int{w.a: 0, w.b: 1}},
		{name: "no --per-account: the shared file alone", baseline: base, code: 0,
			clusters: map[string]int{w.a: 0, w.b: 0}, drift: map[string]int{w.a: 0, w.b: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"plan", "--baseline", tt.baseline, "--accounts", w.a + "," + w.b, "--external-id", externalID, "--output", "json"}
			if tt.from != "" {
				args = append(args, "--per-account", tt.from)
			}
			code, out, stderr := run(t, nil, args...)
			if code != tt.code {
				t.Fatalf("exit: got %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			var p cli.AccountsPlan
			must(t, json.Unmarshal([]byte(out), &p))
			clusters, drifts := map[string]int{}, map[string]int{}
			for _, r := range p.Accounts {
				clusters[r.Account], drifts[r.Account] = r.Scanned.Clusters, len(r.Drift)
				if tt.clusters[r.Account] > 0 && !strings.Contains(r.Baseline.Source, r.Account+".yaml") {
					t.Errorf("%s's baseline source: got %q, want its file named", r.Account, r.Baseline.Source)
				}
			}
			if !maps.Equal(clusters, tt.clusters) || !maps.Equal(drifts, tt.drift) {
				t.Errorf("clusters, drift by account: got %v %v, want %v %v", clusters, drifts, tt.clusters, tt.drift)
			}
		})
	}
	code, _, stderr := run(t, nil, "plan", "--baseline", base, "--accounts", w.a, "--external-id", externalID, "--per-account", files)
	if code != 0 || !strings.Contains(stderr, "999999999999.yaml: account 999999999999 is not planned") {
		t.Errorf("a file of an account not planned: got %d, %q, want 0 and the file named", code, stderr)
	}

	// Without --accounts, the credentials' own account gets its file.
	must(t, os.WriteFile(filepath.Join(files, security+".yaml"), []byte("version: 1\nclusters:\n"+clusterYAML(security)), 0o644))
	_, out, stderr := run(t, nil, "plan", "--baseline", base, "--per-account", files, "--output", "json")
	var r cli.PlanReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("plan of the caller's account: %v; stderr:\n%s", err, stderr)
	}
	// The security account has no cluster: its file's prod is looked for,
	// and not found.
	if r.Account != security || !slices.Equal(r.NotFound, []string{awstest.Region + "/prod"}) || !strings.Contains(r.Baseline.Source, security+".yaml") {
		t.Errorf("plan of the caller's account: got %s, not found %v, %q, want %s, its file's prod and its file", r.Account, r.NotFound, r.Baseline.Source, security)
	}
}

// TestPlanPerAccountRefusesBadFiles: an account file that cannot be merged
// as the functions merge it stops the plan before any account is read,
// naming the file and what is wrong with it.
func TestPlanPerAccountRefusesBadFiles(t *testing.T) {
	w := theWorld(t)
	ctx := context.Background()
	s3c := awss3.NewFromConfig(account(t, security))
	bucket := awstest.Name(t, "config")
	_, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)})
	must(t, err)
	_, err = s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("baselines/" + w.a + ".yaml"),
		Body: strings.NewReader("version: 1\nclusters:\n" + clusterYAML(w.b))})
	must(t, err)
	glass := "breakGlass:\n  - {principal: arn:aws:iam::" + w.a + ":role/me, expires: \"2099-01-01T00:00:00Z\", allowLongExpiry: {reason: x}}\n"
	tests := []struct {
		name   string
		shared string            // the shared file's clusters
		files  map[string]string // the folder's files
		from   string            // --per-account when not the folder
		want   []string          // in stderr
	}{
		{name: "another account's cluster", files: map[string]string{w.a + ".yaml": "version: 1\nclusters:\n" + clusterYAML(w.b)},
			want: []string{w.a + ".yaml", "cluster prod is in account " + w.b + ", not " + w.a}},
		{name: "breakGlass", files: map[string]string{w.a + ".yaml": "version: 1\n" + glass},
			want: []string{w.a + ".yaml", "may not declare breakGlass"}},
		{name: "declared in both files", shared: clusterYAML(w.a), files: map[string]string{w.a + ".yaml": "version: 1\nclusters:\n" + clusterYAML(w.a)},
			want: []string{w.a + ".yaml", "declared twice"}},
		{name: "an invalid file", files: map[string]string{w.a + ".yaml": "version: 1\nclusters: ["},
			want: []string{w.a + ".yaml"}},
		{name: "a name that is not an account ID", files: map[string]string{"12345.yaml": "version: 1\n"},
			want: []string{"12345.yaml: not an account file"}},
		{name: "a name with a path in it", files: map[string]string{"..111122223333.yaml": "version: 1\n"},
			want: []string{"..111122223333.yaml: not an account file"}},
		{name: ".yml, which the functions never read", files: map[string]string{w.a + ".yml": "version: 1\n"},
			want: []string{w.a + ".yml: not an account file"}},
		{name: "a missing folder", from: filepath.Join(t.TempDir(), "none"), want: []string{"--per-account", "no such file"}},
		{name: "an S3 file of another account's cluster", from: "s3://" + bucket + "/baselines",
			want: []string{"s3://" + bucket + "/baselines/" + w.a + ".yaml", "is in account " + w.b + ", not " + w.a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			base := filepath.Join(dir, "baseline.yaml")
			shared := "version: 1\nmode: alert\n"
			if tt.shared != "" {
				shared += "clusters:\n" + tt.shared
			}
			must(t, os.WriteFile(base, []byte(shared), 0o644))
			files := filepath.Join(dir, "baselines")
			must(t, os.MkdirAll(files, 0o755))
			for name, body := range tt.files {
				must(t, os.WriteFile(filepath.Join(files, name), []byte(body), 0o644))
			}
			from := files
			if tt.from != "" {
				from = tt.from
			}
			code, out, stderr := run(t, nil, "plan", "--baseline", base, "--accounts", w.a+","+w.b, "--external-id", externalID, "--per-account", from)
			if code != cli.ExitError || out != "" {
				t.Errorf("got exit %d and %q, want %d and no plan", code, out, cli.ExitError)
			}
			for _, s := range append(tt.want, "nothing planned") {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr: got %q, want %q in it", stderr, s)
				}
			}
		})
	}
}
