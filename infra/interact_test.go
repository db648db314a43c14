package infra

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
)

const (
	testSigningSecret = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:eksdrift/slack-signing"
	testBotToken      = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:eksdrift/slack-bot"
)

// caseInteract is caseRevert's Slack with the interaction endpoint and a
// bot token.
var caseInteract = synthCase{name: "interact", overrides: map[string]any{
	CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxMode: ModeRevert,
	CtxClusters: []any{"prod"}, CtxRoles: []any{"developers"}, CtxUsers: []any{"release-bot"},
	CtxSlackSecretARN:        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:eksdrift/slack-AbCdEf",
	CtxSlackSigningSecretARN: testSigningSecret, CtxSlackBotTokenARN: testBotToken,
}}

// TestInteractEndpoint: -c slackSigningSecretArn adds functions/interact
// behind a function URL (AuthType NONE: Slack signs with its secret, not
// SigV4), outputs the URL, and turns the notifier's buttons on; its role
// reads the two secrets and the baseline object, gets and puts history
// items, and sends to the reverter's queue, nothing else. Without the
// setting none of it is deployed and the notifier has no buttons.
func TestInteractEndpoint(t *testing.T) {
	for _, c := range allCases {
		s := synth(t, c)
		if s.stacks.Interact != nil {
			t.Errorf("%s: got an interaction endpoint, want none without %s", c.name, CtxSlackSigningSecretARN)
		}
		if n := len(resources(mainTemplate(s), "AWS::Lambda::Url")); n != 0 {
			t.Errorf("%s: got %d function URLs, want none", c.name, n)
		}
		if _, ok := envOf(t, s, s.stacks.Notifier.Function)[config.EnvSlackInteractive]; ok {
			t.Errorf("%s: the notifier renders buttons without the endpoint", c.name)
		}
	}
	s := synth(t, caseInteract)
	in := s.stacks.Interact
	if in == nil {
		t.Fatalf("got no endpoint with %s", CtxSlackSigningSecretARN)
	}
	urls := resources(mainTemplate(s), "AWS::Lambda::Url")
	if len(urls) != 1 {
		t.Fatalf("got %d function URLs, want 1", len(urls))
	}
	for _, u := range urls {
		if got := props(u)["AuthType"]; got != "NONE" {
			t.Errorf("AuthType: got %v, want NONE", got)
		}
	}
	outs := *s.main.FindOutputs(jsii.String("SlackInteractionURL"), nil)
	if len(outs) != 1 {
		t.Errorf("got %d SlackInteractionURL outputs, want 1", len(outs))
	}
	vars := envOf(t, s, in.Function)
	for k, want := range map[string]string{config.EnvSlackSigningSecretARN: testSigningSecret, config.EnvSlackBotTokenARN: testBotToken, config.EnvBaselineKey: "baseline.yaml"} {
		if vars[k] != want {
			t.Errorf("%s: got %v, want %s", k, vars[k], want)
		}
	}
	queue := map[string]any{"Ref": logicalID(s.stacks.Main, s.stacks.Reverter.Inbox.Queue)}
	if !reflect.DeepEqual(vars[config.EnvRevertQueueURL], queue) {
		t.Errorf("%s: got %v, want the reverter's queue %v", config.EnvRevertQueueURL, vars[config.EnvRevertQueueURL], queue)
	}
	if n := envOf(t, s, s.stacks.Notifier.Function); n[config.EnvSlackInteractive] != "true" || n[config.EnvHistoryTable] == nil {
		t.Errorf("notifier: got %v, want buttons on and the history table", n)
	}

	allowed := map[string]bool{
		"secretsmanager:GetSecretValue": true, "s3:GetObject": true, "dynamodb:GetItem": true, "dynamodb:PutItem": true,
		"kms:Decrypt": true, "kms:Encrypt": true, "kms:GenerateDataKey": true, "kms:DescribeKey": true,
		"sqs:SendMessage": true, "sqs:GetQueueAttributes": true, "sqs:GetQueueUrl": true,
	}
	var sends, secrets bool
	for _, st := range roleStatements(t, s, in.Role) {
		for _, a := range st.actions {
			switch {
			case strings.HasPrefix(a, "logs:"):
			case !allowed[a]:
				t.Errorf("%s: the endpoint may %s, which it does not call", st.where, a)
			case a == "sqs:SendMessage":
				sends = true
				want := map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, s.stacks.Reverter.Inbox.Queue), "Arn"}}
				if len(st.resources) != 1 || !reflect.DeepEqual(st.resources[0], want) {
					t.Errorf("%s: %s on %v, want the reverter's queue alone", st.where, a, st.resources)
				}
			case a == "secretsmanager:GetSecretValue":
				secrets = true
				for _, r := range st.resources {
					if r, _ := r.(string); !strings.HasPrefix(r, testSigningSecret) && !strings.HasPrefix(r, testBotToken) {
						t.Errorf("%s: reads secret %v, want the signing secret and the bot token alone", st.where, r)
					}
				}
			case strings.HasPrefix(a, "dynamodb:"):
				want := map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, s.stacks.Stores.History), "Arn"}}
				if len(st.resources) != 1 || !reflect.DeepEqual(st.resources[0], want) {
					t.Errorf("%s: %s on %v, want the history table alone", st.where, a, st.resources)
				}
			}
		}
	}
	if !sends || !secrets {
		t.Errorf("the endpoint may send to the reverter (%v) and read its secrets (%v): want both", sends, secrets)
	}
	if !slices.Contains(Functions(s.settings), "interact") {
		t.Error("Functions does not list interact")
	}
	errs := assertions.Annotations_FromStack(s.stacks.Main).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*")))
	for _, e := range *errs {
		//lint:ignore SA1019 FindError returns cxapi.SynthesisMessage, and the CDK's Go binding has no other type for it yet
		t.Errorf("cdk-nag: %s: %v", *e.Id, e.Entry.Data)
	}
}

func TestInteractSettings(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		says string
	}{
		{"signing secret without the webhook", map[string]any{CtxSlackSigningSecretARN: testSigningSecret}, "needs " + CtxSlackSecretARN},
		{"bot token without the signing secret", map[string]any{CtxSlackSecretARN: testSigningSecret, CtxSlackBotTokenARN: testBotToken}, "needs " + CtxSlackSigningSecretARN},
		{"a signing secret that is no ARN", map[string]any{CtxSlackSecretARN: testSigningSecret, CtxSlackSigningSecretARN: "hunter2"}, "is not a Secrets Manager secret ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := readSettings(tt.ctx, Env{}); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %v, want an error saying %q", err, tt.says)
			}
		})
	}
}

// envOf gives a function's environment variables as the template has them.
func envOf(t *testing.T, s *synthesized, f *Function) map[string]any {
	t.Helper()
	env, _ := props(resource(t, s, f.Fn))["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	return vars
}

// caseInteractAccept is caseInteract with Accept into baseline wired.
var caseInteractAccept = synthCase{name: "interact-accept", overrides: func() map[string]any {
	m := map[string]any{CtxSlackAccept: "true"}
	for k, v := range caseInteract.overrides {
		m[k] = v
	}
	return m
}()}

// TestInteractAccept: -c slackAccept=true makes the endpoint a baseline
// writer, and nothing more: its role may read and put the baseline object
// alone (no other key, no delete), the bucket policy's deny and the key
// policy's denies exempt it, the function and the notifier are told (the
// button is rendered). Without the setting the role cannot write the
// baseline: no grant, no exemption, no button.
func TestInteractAccept(t *testing.T) {
	object := func(s *synthesized) map[string]any {
		return map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, s.stacks.Stores.Baselines), "Arn"}}, "/baseline.yaml"}}}
	}
	anyObject := func(s *synthesized) map[string]any {
		return map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, s.stacks.Stores.Baselines), "Arn"}}, "/*"}}}
	}
	viaS3 := map[string]any{"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::eksdrift-storesbaselines-0123456789ab"}
	for _, tt := range []struct {
		c      synthCase
		writes bool
	}{{caseInteract, false}, {caseInteractAccept, true}} {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			in, main := s.stacks.Interact, s.stacks.Main
			role := roleRef(main, in.Role)

			var puts [][]any
			for _, st := range roleStatements(t, s, in.Role) {
				for _, a := range st.actions {
					switch {
					case a == "s3:PutObject" || a == "s3:GetObjectVersion":
						puts = append(puts, st.resources)
					case strings.HasPrefix(a, "s3:") && a != "s3:GetObject":
						t.Errorf("%s: the endpoint may %s, which it does not call", st.where, a)
					}
				}
			}
			switch {
			case !tt.writes && len(puts) != 0:
				t.Errorf("got s3:PutObject/GetObjectVersion on %v, want none without %s", puts, CtxSlackAccept)
			case tt.writes && len(puts) == 0:
				t.Errorf("got no s3:PutObject, want it on the baseline object with %s", CtxSlackAccept)
			}
			for _, rs := range puts {
				if len(rs) != 1 || !reflect.DeepEqual(rs[0], object(s)) {
					t.Errorf("got the baseline write on %v, want %v alone", rs, object(s))
				}
			}

			bucket := resourcePolicy(t, s, main, "AWS::S3::BucketPolicy", "Bucket", s.stacks.Stores.Baselines)
			for _, action := range []string{"s3:PutObject", "s3:DeleteObjectVersion"} {
				if got := !denied(t, bucket, request{action: action, principal: role, resource: anyObject(s)}); got != tt.writes {
					t.Errorf("%s by the endpoint's role: got exempt from the bucket policy's deny %v, want %v", action, got, tt.writes)
				}
			}
			keyStmts := statementsOf("key", props(resource(t, s, s.stacks.Stores.Key))["KeyPolicy"])
			if got := !denied(t, keyStmts, request{action: "kms:GenerateDataKey", principal: role, resource: "*", keys: viaS3}); got != tt.writes {
				t.Errorf("kms:GenerateDataKey through S3 by the endpoint's role: got exempt from the key policy's denies %v, want %v", got, tt.writes)
			}
			var keyAllows bool
			for _, st := range keyStmts {
				if st.raw["Sid"] == "BaselineWritersEncryptThroughS3" {
					p, _ := st.raw["Principal"].(map[string]any)
					keyAllows = slices.ContainsFunc(asList(p["AWS"]), func(v any) bool { return reflect.DeepEqual(v, role) })
				}
			}
			if keyAllows != tt.writes {
				t.Errorf("the key policy lets the endpoint's role make data keys through S3: got %v, want %v", keyAllows, tt.writes)
			}
			// The settings' writers (who are also the default deployers,
			// tamper.go) stay the ones named: the endpoint is no deployer.
			if !reflect.DeepEqual(s.settings.BaselineWriters, []string{testWriter}) {
				t.Errorf("settings' writers: got %v, want %v", s.settings.BaselineWriters, []string{testWriter})
			}

			want := map[bool]string{true: "true", false: ""}[tt.writes]
			for name, f := range map[string]*Function{"endpoint": in.Function, "notifier": s.stacks.Notifier.Function} {
				if got, _ := envOf(t, s, f)[config.EnvSlackAccept].(string); got != want {
					t.Errorf("%s: %s got %q, want %q", name, config.EnvSlackAccept, got, want)
				}
			}
			errs := assertions.Annotations_FromStack(main).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*")))
			for _, e := range *errs {
				//lint:ignore SA1019 FindError returns cxapi.SynthesisMessage, and the CDK's Go binding has no other type for it yet
				t.Errorf("cdk-nag: %s: %v", *e.Id, e.Entry.Data)
			}
			// The key and the bucket policy name the role, which the role's
			// own policy names back: cfn-lint finds a cycle (E3004) if the
			// role were not made first, apart from its policy.
			lint := filepath.Join(repoRoot, ".venv", "bin", "cfn-lint")
			out, err := exec.Command(lint, "--format", "parseable", "--non-zero-exit-code", "error", "--", filepath.Join(s.outdir, *main.StackName()+".template.json")).CombinedOutput()
			if err != nil {
				t.Errorf("cfn-lint: %v\n%s", err, out)
			}
		})
	}
}

func TestInteractAcceptNeedsTheEndpoint(t *testing.T) {
	ctx := map[string]any{CtxSlackAccept: "true", CtxBaselineWriters: []any{testWriter}}
	if _, err := readSettings(ctx, Env{}); err == nil || !strings.Contains(err.Error(), CtxSlackAccept+" needs "+CtxSlackSigningSecretARN) {
		t.Errorf("got %v, want an error saying %s needs %s", err, CtxSlackAccept, CtxSlackSigningSecretARN)
	}
}
