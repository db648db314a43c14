// Command notify is the notifier Lambda function: it takes the findings
// topic's messages (findings, and the outcomes of reverts), from the topic
// itself or in batches from a queue subscribed to it, and tells people:
// a Block Kit message to a Slack incoming webhook, and a custom
// notification to the topic AWS Chatbot subscribes to. A burst about one
// cluster becomes one digest. The use case is internal/notify;
// docs/alerts.md describes the messages, the configuration and the filter
// policy.
//
// main only wires: configuration is read and checked once, clients are
// built once per execution environment, and lambda.Start takes over.
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/lambdamain"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/notify"
	"github.com/eksdrift/eksdrift/internal/secrets"
	"github.com/eksdrift/eksdrift/internal/slack"
	"github.com/eksdrift/eksdrift/internal/sns"
)

func main() { lambdamain.Start("notify", build) }

// build wires the notifier from the environment and returns the handler.
func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (func(context.Context, json.RawMessage) (any, error), error) {
	cfg, err := config.LoadNotify(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.Load(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	set := &metrics.Set{}
	n := &notify.Notifier{
		DigestThreshold: cfg.DigestThreshold,
		DigestWindow:    cfg.DigestWindow,
		Margin:          2 * time.Second,
		PartialBatch:    cfg.ReportBatchItemFailures,
		Metrics:         set,
		Log:             log,
	}
	if cfg.SlackWebhookSecretARN != "" {
		secret := secrets.New(secretsmanager.NewFromConfig(awsCfg), cfg.SlackWebhookSecretARN, cfg.SecretCacheTTL)
		secret.OnStale = func(err error) {
			log.Warn("slack webhook: Secrets Manager unavailable, using the cached URL", "secret", cfg.SlackWebhookSecretARN, "error", err)
		}
		n.Slack = slack.NewClient(secret)
	}
	if cfg.SlackInteractive {
		// Buttons on drift messages; snoozes pressed on them are read from
		// the history table.
		n.Buttons = slack.Buttons{On: true, Accept: cfg.SlackAccept}
		n.Snoozes = dynamodb.New(awsddb.NewFromConfig(awsCfg), cfg.HistoryTable)
	}
	// Keys checked by config; the names are cleaned where they are shown.
	n.Accounts = cfg.AccountAliases
	if cfg.ChatbotTopicARN != "" {
		n.Chatbot = sns.NewPublisher(awssns.NewFromConfig(awsCfg), cfg.ChatbotTopicARN)
	}
	return func(ctx context.Context, event json.RawMessage) (any, error) {
		resp, err := n.Handle(ctx, event)
		if err != nil {
			log.ErrorContext(ctx, "notify: messages not delivered", "error", err)
		}
		if ferr := set.Flush(os.Stdout, cfg.MetricsNamespace, "notify", time.Now()); ferr != nil {
			log.WarnContext(ctx, "metrics not written", "error", ferr)
		}
		return resp, err
	}, nil
}
