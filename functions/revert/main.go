// Command revert is the reverter Lambda function. The findings topic
// delivers, through an SQS queue, the findings whose decision is revert or
// dry-run; for each, internal/revert re-reads the baseline and the live
// state, checks its guardrails, undoes the drift, and records and publishes
// the outcome.
//
// main only wires: configuration is read and checked once, clients are built
// once per execution environment, and lambda.Start takes over.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lambdamain"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/revert"
	"github.com/eksdrift/eksdrift/internal/sns"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

func main() { lambdamain.Start("revert", build) }

type handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (handler, error) {
	cfg, err := config.LoadRevert(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.Load(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	set := &metrics.Set{}
	source := wiring.BaselineSource(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale)
	eksWriter := eks.NewWriter(awsCfg)
	by := cfg.ReverterRoleARN
	if fn := getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		by = fn + " (" + cfg.ReverterRoleARN + ")"
	}
	history := dynamodb.New(awsdynamodb.NewFromConfig(awsCfg), cfg.HistoryTable)
	r := &revert.Reverter{
		Baseline:           wiring.Baseline(source, set, log),
		EKS:                eks.NewReader(awsCfg),
		IAM:                iam.NewReader(awsCfg),
		EKSWriter:          eksWriter,
		IAMWriter:          iam.NewWriter(awsCfg),
		Admins:             eksWriter,
		History:            history,
		Leases:             history,
		Approvals:          history,
		Versions:           wiring.PreviousBaseline(awsCfg, cfg.BaselineBucket, cfg.BaselineKey).Of,
		HoldDown:           holdDownOf(cfg.BaselineHoldDown),
		AllowGrantingAdmin: cfg.AllowGrantingAdmin,
		Publisher:          sns.NewPublisher(awssns.NewFromConfig(awsCfg), cfg.FindingsTopicARN),
		Log:                log,
		Metrics:            set,
		By:                 by,
		BreakerLimit:       cfg.BreakerLimit,
		BreakerWindow:      cfg.BreakerWindow,
		Attempts:           cfg.Attempts,
		Backoff:            cfg.Backoff,
	}
	if err := members(ctx, getenv, awsCfg, cfg.Shared, r, set, log); err != nil { // members.go
		return nil, err
	}
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, m := range ev.Records {
			if req, ok := requestOf(m.Body); ok {
				// A revert asked for with Slack's button: only names; the
				// reverter reads the approval and the finding itself.
				if err := r.HandleApproved(ctx, req); err != nil {
					set.Add(metrics.Errors, 1)
					log.ErrorContext(ctx, "approved revert not handled: it will be retried", "messageId", m.MessageId, "error", err)
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				}
				continue
			}
			f, err := findingOf(m.Body)
			if errors.Is(err, errOutcome) {
				// The reverter's own outcome, come back through the topic:
				// nothing to do, and nothing to retry.
				log.InfoContext(ctx, "outcome message ignored", "messageId", m.MessageId)
				continue
			}
			if err == nil {
				err = r.Handle(ctx, f)
			}
			if err != nil {
				set.Add(metrics.Errors, 1)
				log.ErrorContext(ctx, "message not handled: it will be retried, then kept in the dead-letter queue", "messageId", m.MessageId, "error", err)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		if err := set.Flush(os.Stdout, cfg.MetricsNamespace, "revert", time.Now()); err != nil {
			log.WarnContext(ctx, "metrics not written", "error", err)
		}
		return resp, nil
	}, nil
}

var errOutcome = errors.New("an outcome, not a finding")

// findingOf reads a queued finding: the raw SNS message, or an SNS envelope
// when the subscription does not use raw delivery.
func findingOf(body string) (drift.Finding, error) {
	var env struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}
	if json.Unmarshal([]byte(body), &env) == nil && env.Type == "Notification" {
		body = env.Message
	}
	var probe struct {
		FindingID string          `json:"findingId"`
		Result    json.RawMessage `json:"result"`
	}
	if json.Unmarshal([]byte(body), &probe) == nil && probe.FindingID != "" && probe.Result != nil {
		return drift.Finding{}, errOutcome
	}
	var f drift.Finding
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return f, fmt.Errorf("not a finding: %w", err)
	}
	if f.EventID == "" || f.Kind == "" {
		return f, fmt.Errorf("not a finding: no eventId or kind")
	}
	return f, nil
}

// requestOf reads a revert request sent by the interaction endpoint
// (functions/interact): a body with an approvalId and no eventId.
func requestOf(body string) (drift.RevertRequest, bool) {
	var probe struct {
		drift.RevertRequest
		EventID string `json:"eventId"`
	}
	if json.Unmarshal([]byte(body), &probe) != nil || probe.ApprovalID == "" || probe.EventID != "" {
		return drift.RevertRequest{}, false
	}
	return probe.RevertRequest, true
}

// holdDownOf maps the setting to the reverter's terms: an explicit 0 turns
// the hold-down off (the reverter reads 0 as its default).
func holdDownOf(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
