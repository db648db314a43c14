package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// repoRoot is the module root, seen from this package's directory (where
// go test runs).
const repoRoot = ".."

func TestMain(m *testing.M) {
	// JSII_RUNTIME_PACKAGE_CACHE_ROOT (keeps jsii's unpacked packages
	// between runs, ~8 s) and JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION
	// must be in the environment before the test binary starts: the jsii
	// runtime starts its node process in the CDK packages' init. make test
	// sets both.
	if err := buildMissingAssets(); err != nil {
		fmt.Fprintln(os.Stderr, "infra tests:", err)
		os.Exit(1)
	}
	var err error
	outRoot, err = os.MkdirTemp("", "eksdrift-cdk-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "infra tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	jsii.Close() // ends the node child and removes its jsii-runtime.* folder
	os.RemoveAll(outRoot)
	os.Exit(code)
}

// buildMissingAssets builds build/<fn>/bootstrap for each function the
// stack can deploy, only when it is missing: synthesis needs the folder,
// and the tests read the template, not the binary, so one left by an
// earlier build will do. `make build` builds them the same way.
func buildMissingAssets() error {
	for _, fn := range Functions(Settings{Mode: ModeRevert, SecurityHub: true, SlackSigningSecretARN: "interact"}) {
		out := filepath.Join("build", fn, "bootstrap")
		if _, err := os.Stat(filepath.Join(repoRoot, out)); err == nil {
			continue
		}
		fmt.Fprintf(os.Stderr, "infra tests: building %s, the stack's asset\n", out)
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc,nethttpomithttp2", "-trimpath", "-ldflags=-s -w", "-o", out, "./functions/"+fn)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %w", fn, err)
		}
	}
	return nil
}

// cdkContext is cdk.json's context: the tests synthesize what `cdk synth`
// does, feature flags and defaults included.
var cdkContext = sync.OnceValues(func() (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	return doc.Context, nil
})

// synthesized is one synthesis of the app, shared by the tests that read it.
type synthesized struct {
	settings Settings
	stacks   *Stacks
	outdir   string
	// templates by stack name, as JSON.
	templates map[string]map[string]any
	main      assertions.Template
	forwarder assertions.Template
}

// A case is a context over cdk.json's, and the CLI's environment.
type synthCase struct {
	name      string
	overrides map[string]any
	env       Env
}

var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthesized{}
	// outRoot holds every synthesis's output; TestMain removes it.
	outRoot string
)

// synth synthesizes a case once and returns it for every test that asks.
func synth(t *testing.T, c synthCase) *synthesized {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if s, ok := synthCache[c.name]; ok {
		return s
	}
	base, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	ctx := map[string]any{}
	for k, v := range base {
		ctx[k] = v
	}
	// cdk.json names no baseline writer, on purpose: every case gets
	// testWriter unless it names its own.
	ctx[CtxBaselineWriters] = []any{testWriter}
	for k, v := range c.overrides {
		ctx[k] = v
	}
	settings, err := ReadSettings(func(k string) any { return ctx[k] }, c.env, filepath.Join(repoRoot, "build"))
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if err := CheckAssets(settings); err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	outdir := filepath.Join(outRoot, c.name)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	stacks := NewStacks(app, settings)
	CheckNag(app)
	s := &synthesized{settings: settings, stacks: stacks, outdir: outdir, templates: map[string]map[string]any{}}
	s.main = assertions.Template_FromStack(stacks.Main, nil)
	s.templates[*stacks.Main.StackName()] = *s.main.ToJSON()
	if stacks.Forwarder != nil {
		s.forwarder = assertions.Template_FromStack(stacks.Forwarder, nil)
		s.templates[*stacks.Forwarder.StackName()] = *s.forwarder.ToJSON()
	}
	if stacks.Members != nil {
		// The spoke's template, as the StackSet deploys it, beside the
		// others: the template-wide tests and cfn-lint read it too.
		s.templates[spokeTemplateName] = stacks.Members.SpokeTemplate
		b, err := json.MarshalIndent(stacks.Members.SpokeTemplate, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(outdir, spokeTemplateName+".template.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	synthCache[c.name] = s
	return s
}

// The cases the tests share.
var (
	// caseDefault is cdk.json as it is: environment-agnostic, alert mode,
	// every cluster and role of the account, a trail, data retained.
	caseDefault = synthCase{name: "default"}
	// casePinned is a deployment in eu-west-1 whose account has a trail,
	// scoped to named clusters and roles, sweeping on a cron: the
	// forwarder stack is added.
	casePinned = synthCase{name: "pinned-eu-west-1", overrides: map[string]any{
		CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxExistingTrail: "true", CtxReconcileSchedule: "cron(15 * * * ? *)",
		CtxAccountAliases: map[string]any{"111122223333": "payments-prod"},
		CtxClusters:       "prod,arn:aws:eks:eu-west-1:111122223333:cluster/staging",
		CtxRoles:          `["developers","arn:aws:iam::111122223333:role/team/app-api"]`,
	}}
	// caseUSEast1 is a deployment in us-east-1, where IAM's events arrive
	// directly: no forwarder.
	caseUSEast1 = synthCase{name: "pinned-us-east-1", env: Env{Account: "111122223333", Region: "us-east-1"}}
	// caseRevert deploys the reverter too, deletes data on destroy, mails
	// alarms and posts to Slack.
	caseRevert = synthCase{name: "revert", overrides: map[string]any{
		CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxMode: ModeRevert,
		CtxClusters:   []any{"prod", "arn:aws:eks:eu-west-1:111122223333:cluster/staging"},
		CtxRoles:      []any{"developers", "arn:aws:iam::111122223333:role/team/app-api"},
		CtxUsers:      []any{"release-bot", "arn:aws:iam::111122223333:user/ops/auditor"},
		CtxRetainData: false, CtxAlarmEmail: "oncall@example.com", CtxReverterConcurrency: "3",
		CtxSlackSecretARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:eksdrift/slack-AbCdEf",
	}}
	// caseRevertAdmin is caseRevert with allowGrantingAdmin=true, two
	// writers, data retained and no hold-down.
	caseRevertAdmin = synthCase{name: "revert-allow-admin", overrides: map[string]any{
		CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxMode: ModeRevert,
		CtxClusters: []any{"prod"}, CtxRoles: []any{"developers"}, CtxUsers: []any{"release-bot"},
		CtxAllowGrantingAdmin: "true", CtxBaselineHoldDown: "0s",
		CtxBaselineWriters: []any{testWriter, "arn:aws:iam::111122223333:user/break-glass"},
	}}
	allCases = []synthCase{caseDefault, casePinned, caseUSEast1, caseRevert, caseRevertAdmin, caseOrg, caseOrgRevert, caseMembers}
)

// testWriter is the baseline writer of the cases that name none: a role
// with a path, as aws:PrincipalArn spells it for the role's sessions.
const testWriter = "arn:aws:iam::111122223333:role/platform/baseline-admins"

var ()

// check runs an assertion that panics on failure (CDK's assertions throw)
// and reports the failure on t instead of ending the test binary.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}
