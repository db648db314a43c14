package infra

import (
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
