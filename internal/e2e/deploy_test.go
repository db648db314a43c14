package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// The sample world of events/: every sample happens in this account, and
// the EKS ones in this region.
const (
	account = "111122223333"
	region  = "us-west-2"
	// stackName is the main stack's name; the IAM forwarder stack is
	// stackName-iam-forwarder, in us-east-1.
	stackName = "eksdrift-e2e"
	// writerRole uploads the baseline: the one principal the bucket lets
	// write it (baselineWriters).
	writerRole = "eksdrift-e2e-baseline-writer"
	// slackSecret holds the webhook URL of the local Slack stand-in; the
	// stack names it by its partial ARN, before it exists.
	slackSecret = "eksdrift-e2e-slack"
	launcher    = "internal/e2e/launcher.py"
)

// scopeClusters, scopeRoles and scopeUsers are the reverter's scope: the
// baseline's clusters, roles and users, named as the baseline names them (with their paths:
// the launcher gives IAM calls the ARN AWS checks, path included).
var (
	scopeClusters = []string{"prod", "staging", "analytics"}
	scopeRoles    = []string{"developers", "platform/platform-admin", "app-api",
		"aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_AdministratorAccess_0123456789abcdef"}
	// scopeUsers are the baseline's iamUsers: revert mode needs them named.
	scopeUsers = []string{"release-bot", "auditor"}
)

// contextFlags are the CDK context the stacks are synthesized with: the
// sample world's account and region, revert mode on the baseline's scope,
// Slack through the secret. Data is retained (the default): with
// retainData=false the buckets' auto-delete custom resource is a Node.js
// function needing @aws-sdk/client-s3, which MiniStack's local executor
// does not provide.
func contextFlags() []string {
	writer := fmt.Sprintf("arn:aws:iam::%s:role/%s", account, writerRole)
	return []string{
		"-c", "stackName=" + stackName,
		"-c", "account=" + account,
		"-c", "region=" + region,
		"-c", "mode=revert",
		"-c", "clusters=" + strings.Join(scopeClusters, ","),
		"-c", "roles=" + strings.Join(scopeRoles, ","),
		"-c", "users=" + strings.Join(scopeUsers, ","),
		"-c", fmt.Sprintf("slackSecretArn=arn:aws:secretsmanager:%s:%s:secret:%s", region, account, slackSecret),
		"-c", `baselineWriters=["` + writer + `"]`,
		// The baseline is uploaded seconds before the scenarios run: with
		// the default hold-down (1h) the deployed reverter would hold back
		// every restore it grants (internal/revert tests the hold-down).
		"-c", "baselineHoldDown=0s",
	}
}

// The paths the harness works in, under build/e2e.
type paths struct {
	root     string // the repository
	work     string // build/e2e
	synth    string // build/e2e/cdk.out: what cdk synth wrote, untouched
	assembly string // build/e2e/deploy.out: the copy that is deployed
	cdk      string // the CDK CLI
}

var p paths

// sources are the aws.* sources the stacks' rules match, which the
// launcher lets PutEvents carry.
var sources []string

// run is the run's state: the emulator's endpoint is in AWS_ENDPOINT_URL
// once TestMain has started it; deploy fills the rest once.
var (
	deployOnce sync.Once
	deployErr  error
	deployed   *stack
	timings    = map[string]time.Duration{}
)

func TestMain(m *testing.M) {
	if os.Getenv("EKSDRIFT_E2E") == "" {
		// The tests skip themselves (need): they compile in every make test.
		os.Exit(m.Run())
	}
	root, err := awstest.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	p = paths{root: root, work: filepath.Join(root, "build", "e2e")}
	p.synth, p.assembly = filepath.Join(p.work, "cdk.out"), filepath.Join(p.work, "deploy.out")
	p.cdk = filepath.Join(root, ".cdk", "node_modules", ".bin", "cdk")
	if v := os.Getenv("EKSDRIFT_E2E_CDK"); v != "" {
		p.cdk = v
	}
	start := time.Now()
	if sources, err = prepare(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	timings["synth and swap"] = time.Since(start)
	os.Exit(awstest.MainWith(m, awstest.Options{
		Account: account, Region: region, HTTPS: true, Auth: true, Launcher: launcher,
		Env: []string{"EKSDRIFT_E2E_AWS_SOURCES=" + strings.Join(sources, ",")},
		Log: filepath.Join(p.work, "ministack.log"),
	}))
}

// need skips a test unless make e2e runs it, and gives the deployed stack.
func need(t *testing.T) *stack {
	t.Helper()
	if os.Getenv("EKSDRIFT_E2E") == "" {
		t.Skip("deploys the synthesized stacks on MiniStack: run `make e2e`")
	}
	deployOnce.Do(func() {
		start := time.Now()
		deployed, deployErr = deploy(t)
		timings["bootstrap, deploy, world"] = time.Since(start)
	})
	if deployErr != nil {
		t.Fatalf("deploying the stacks: %v", deployErr)
	}
	return deployed
}

// prepare synthesizes into an empty cdk.out, copies it, swaps each
// function asset's arm64 bootstrap for a build of the same function for
// this host, and gives the aws.* sources the stacks' rules match.
func prepare() ([]string, error) {
	if err := synthesize(p.synth, p.assembly); err != nil {
		return nil, err
	}
	return ruleSources(p.synth)
}

// synthesize synthesizes into an empty synth folder with the test's
// context and extra flags, and copies it into assembly with the host's
// bootstraps.
func synthesize(synth, assembly string, extra ...string) error {
	if err := os.RemoveAll(synth); err != nil {
		return err
	}
	if err := os.RemoveAll(assembly); err != nil {
		return err
	}
	if err := os.MkdirAll(p.work, 0o755); err != nil {
		return err
	}
	args := append(append([]string{"synth", "--quiet", "--no-notices", "-o", synth}, contextFlags()...), extra...)
	cmd := exec.Command(p.cdk, args...)
	cmd.Dir = p.root
	cmd.Env = append(os.Environ(), "CDK_DISABLE_VERSION_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cdk synth: %v\n%s", err, out)
	}
	if err := copyDir(synth, assembly); err != nil {
		return fmt.Errorf("copying the cloud assembly: %w", err)
	}
	// The CLI caches asset zips by the asset's hash, which the swap does
	// not change: a cached arm64 zip would be uploaded.
	os.RemoveAll(filepath.Join(assembly, ".cache"))
	return swapBootstraps(assembly)
}

// swapBootstraps finds, in every asset folder of the copy, a bootstrap
// built by make functions (build/<function>/bootstrap, linux/arm64) and
// replaces it with the same function built for this host's architecture.
// Production stays arm64; MiniStack runs provided.al2023 bootstraps as
// host processes and does not check the architecture.
func swapBootstraps(assembly string) error {
	fns, err := os.ReadDir(filepath.Join(p.root, "functions"))
	if err != nil {
		return err
	}
	byHash := map[[32]byte]string{}
	for _, fn := range fns {
		b, err := os.ReadFile(filepath.Join(p.root, "build", fn.Name(), "bootstrap"))
		if err != nil {
			continue // not deployed by these settings, or not built
		}
		byHash[sha256.Sum256(b)] = fn.Name()
	}
	assets, err := filepath.Glob(filepath.Join(assembly, "asset.*", "bootstrap"))
	if err != nil {
		return err
	}
	built := map[string]string{}
	swapped := 0
	for _, a := range assets {
		b, err := os.ReadFile(a)
		if err != nil {
			return err
		}
		fn, ok := byHash[sha256.Sum256(b)]
		if !ok {
			return fmt.Errorf("asset %s: its bootstrap is no build/<function>/bootstrap of make functions: run make functions (make e2e does) first", a)
		}
		host, ok := built[fn]
		if !ok {
			host = filepath.Join(p.work, "bin", fn, "bootstrap")
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc,nethttpomithttp2", "-trimpath", "-ldflags=-s -w", "-o", host, "./functions/"+fn)
			cmd.Dir = p.root
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("building functions/%s for %s: %v\n%s", fn, runtime.GOARCH, err, out)
			}
			built[fn] = host
		}
		if err := copyFile(host, a, 0o755); err != nil {
			return err
		}
		swapped++
	}
	if swapped == 0 {
		return fmt.Errorf("no function asset in %s", assembly)
	}
	return nil
}

// manifest is what the harness reads of the cloud assembly's manifest.json.
type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		Environment string `json:"environment"`
		Properties  struct {
			TemplateFile string `json:"templateFile"`
			StackName    string `json:"stackName"`
		} `json:"properties"`
		Dependencies []string `json:"dependencies"`
	} `json:"artifacts"`
}

// stackArtifact is one stack of the assembly.
type stackArtifact struct {
	ID, Name, Environment, Template string
}

// stacks reads the stacks from dir's manifest.json, never from a glob of
// templates (cdk synth does not delete old ones).
func stacks(dir string) ([]stackArtifact, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s/manifest.json: %w", dir, err)
	}
	var out []stackArtifact
	for id, a := range m.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		name := a.Properties.StackName
		if name == "" {
			name = id
		}
		out = append(out, stackArtifact{ID: id, Name: name, Environment: a.Environment, Template: filepath.Join(dir, a.Properties.TemplateFile)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		return nil, fmt.Errorf("%s/manifest.json lists no stack", dir)
	}
	return out, nil
}

// template is what the harness reads of a CloudFormation template.
type template struct {
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
		Metadata   struct {
			Path string `json:"aws:cdk:path"`
		} `json:"Metadata"`
	} `json:"Resources"`
}

func readTemplate(path string) (*template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// ruleSources gives the aws.* sources the stacks' EventBridge rules match:
// what the launcher lets PutEvents carry in CloudTrail's stead.
func ruleSources(dir string) ([]string, error) {
	sts, err := stacks(dir)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, s := range sts {
		t, err := readTemplate(s.Template)
		if err != nil {
			return nil, err
		}
		for _, r := range t.Resources {
			if r.Type != "AWS::Events::Rule" {
				continue
			}
			var props struct {
				EventPattern struct {
					Source []string `json:"source"`
				} `json:"EventPattern"`
			}
			if err := json.Unmarshal(r.Properties, &props); err != nil {
				continue
			}
			for _, src := range props.EventPattern.Source {
				if strings.HasPrefix(src, "aws.") {
					set[src] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no EventBridge rule in %s matches an aws.* source", dir)
	}
	return out, nil
}

// cdkCLI runs the CDK CLI on the deployed copy of the assembly, as the
// account's root, against the emulator.
func cdkCLI(ctx context.Context, args ...string) error {
	return cdkOn(ctx, p.assembly, args...)
}

// cdkOn runs the CDK CLI on a cloud assembly.
func cdkOn(ctx context.Context, assembly string, args ...string) error {
	cmd := exec.CommandContext(ctx, p.cdk, append(args, "--app", assembly, "--no-notices", "--ci")...)
	// Not the checkout: from there, cdk bootstrap re-synthesizes into cdk.out.
	cmd.Dir = p.work
	cmd.Env = append(os.Environ(), "CDK_DISABLE_VERSION_CHECK=1", "AWS_DEFAULT_REGION="+region)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cdk %s: %v\n%s", strings.Join(args, " "), err, tail(out.String(), 6000))
	}
	return nil
}

// deployAll bootstraps every environment the manifest names and deploys
// every stack it lists.
func deployAll(ctx context.Context) ([]stackArtifact, error) {
	sts, err := stacks(p.assembly)
	if err != nil {
		return nil, err
	}
	envs := map[string]bool{}
	var names []string
	for _, s := range sts {
		envs[s.Environment] = true
		names = append(names, s.Name)
	}
	bootstrap := []string{"bootstrap"}
	for e := range envs {
		bootstrap = append(bootstrap, e)
	}
	start := time.Now()
	if err := cdkCLI(ctx, bootstrap...); err != nil {
		return nil, err
	}
	timings["cdk bootstrap"] = time.Since(start)
	start = time.Now()
	if err := cdkCLI(ctx, append([]string{"deploy", "--require-approval", "never", "--exclusively"}, names...)...); err != nil {
		return nil, err
	}
	timings["cdk deploy"] = time.Since(start)
	return sts, nil
}

// stackResources maps each resource's CDK path to its physical ID.
func stackResources(ctx context.Context, cfg aws.Config, s stackArtifact) (map[string]string, map[string]string, error) {
	t, err := readTemplate(s.Template)
	if err != nil {
		return nil, nil, err
	}
	region := s.Environment[strings.LastIndex(s.Environment, "/")+1:]
	cfn := awscfn.NewFromConfig(cfg, func(o *awscfn.Options) { o.Region = region })
	out, err := cfn.DescribeStackResources(ctx, &awscfn.DescribeStackResourcesInput{StackName: aws.String(s.Name)})
	if err != nil {
		return nil, nil, fmt.Errorf("stack %s: %w", s.Name, err)
	}
	byPath := map[string]string{}
	for _, r := range out.StackResources {
		if res, ok := t.Resources[aws.ToString(r.LogicalResourceId)]; ok && res.Metadata.Path != "" {
			byPath[strings.TrimPrefix(res.Metadata.Path, s.Name+"/")] = aws.ToString(r.PhysicalResourceId)
		}
	}
	desc, err := cfn.DescribeStacks(ctx, &awscfn.DescribeStacksInput{StackName: aws.String(s.Name)})
	if err != nil || len(desc.Stacks) == 0 {
		return nil, nil, fmt.Errorf("stack %s: outputs: %v", s.Name, err)
	}
	outputs := map[string]string{}
	for _, o := range desc.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return byPath, outputs, nil
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyFile(path, target, info.Mode().Perm())
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
