// Command interact is the interaction endpoint Slack's buttons post to,
// behind a Lambda function URL: internal/interact verifies each request
// (Slack's signature, its age, no replay), checks that the person is an
// approver of the finding's cluster in the baseline, and snoozes, asks the
// reverter to revert (an approval in the history and a request on the
// reverter's queue), or, with the stack setting slackAccept
// (EKSDRIFT_SLACK_ACCEPT=true), accepts into the baseline through
// internal/accept. The stack deploys it
// only with slackSigningSecretArn; docs/alerts.md tells how to set up the
// Slack app.
//
// main only wires: configuration is read and checked once, clients are
// built once per execution environment, and lambda.Start takes over.
package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/accept"
	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/interact"
	"github.com/eksdrift/eksdrift/internal/lambdamain"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/secrets"
	"github.com/eksdrift/eksdrift/internal/slack"
	"github.com/eksdrift/eksdrift/internal/sqs"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

func main() { lambdamain.Start("interact", build) }

type handler func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error)

func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (handler, error) {
	cfg, err := config.LoadInteract(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.Load(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	sm := secretsmanager.NewFromConfig(awsCfg)
	signing := secrets.New(sm, cfg.SlackSigningSecretARN, cfg.SecretCacheTTL)
	signing.OnStale = func(err error) {
		log.Warn("slack signing secret: Secrets Manager unavailable, using the cached value", "secret", cfg.SlackSigningSecretARN, "error", err)
	}
	history := dynamodb.New(awsddb.NewFromConfig(awsCfg), cfg.HistoryTable)
	source := wiring.BaselineSource(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale)
	h := &interact.Handler{
		Secret:         signing.Value,
		Requests:       history,
		History:        history,
		Baseline:       wiring.Baseline(source, &metrics.Set{}, log),
		Responder:      slack.NewResponder(),
		ResponseOrigin: cfg.SlackTestOrigin, // "" in every deployment: Slack's own
		ApprovalTTL:    cfg.ApprovalTTL,
		Log:            log,
	}
	if err := members(ctx, getenv, awsCfg, cfg, h, log); err != nil {
		return nil, err
	}
	// Accept into baseline only with the stack setting slackAccept, which
	// also makes this function's role a baseline writer (infra/interact.go)
	// and the notifier render the button. Without it the handler refuses
	// Accept, and the role could not write the baseline anyway.
	if cfg.SlackAccept {
		h.Acceptor = acceptor{wiring.Accepter(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, history)}
	}
	if cfg.RevertQueueURL != "" {
		h.Reverter = sqs.New(awssqs.NewFromConfig(awsCfg), cfg.RevertQueueURL)
	}
	if cfg.SlackBotTokenARN != "" {
		g := slack.NewGroups(secrets.New(sm, cfg.SlackBotTokenARN, cfg.SecretCacheTTL).Value)
		if cfg.SlackTestOrigin != "" {
			g.APIURL = cfg.SlackTestOrigin + "api/"
		}
		h.Groups = g
	}
	return h.Handle, nil
}

// acceptor gives internal/interact internal/accept's Accepter in the
// endpoint's terms: the same four fields.
type acceptor struct{ a *accept.Accepter }

func (a acceptor) Accept(ctx context.Context, f drift.Finding, approver string, at time.Time) (interact.AcceptResult, error) {
	r, err := a.a.Accept(ctx, f, approver, at)
	return interact.AcceptResult{Written: r.Written, Pending: r.Pending, Version: r.Version, Why: r.Why}, err
}

// members wires an organization deployment (config.Org), as the detector
// does: a finding's approvers are those of its own account's baseline, the
// shared file merged with baselines/<account>.yaml. Without members it
// changes nothing.
func members(ctx context.Context, getenv func(string) string, awsCfg aws.Config, cfg config.Interact, h *interact.Handler, log *slog.Logger) error {
	org, err := config.LoadOrg(getenv)
	if err != nil || !org.AdmitsMembers() {
		return err
	}
	home, err := wiring.HomeAccount(ctx, awsCfg)
	if err != nil {
		return err
	}
	accounts := wiring.NewAccounts(awsCfg, home, org, "interact")
	h.BaselineFor = wiring.NewAccountBaselines(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale,
		h.Baseline, accounts.Manages, &metrics.Set{}, log).For
	return nil
}
