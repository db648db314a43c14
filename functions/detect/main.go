// Command detect is the detector Lambda function: EventBridge delivers a
// CloudTrail API event (or a CloudWatch Logs subscription delivers the
// control plane's audit events on aws-auth); each access change is judged against the baseline
// in S3, confirmed on the live state when it drifts, recorded once in the
// DynamoDB history and published once to the findings topic.
//
// main only wires: configuration is read and checked once, clients are built
// once per execution environment, and lambda.Start takes over.
package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"time"

	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lambdamain"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/sns"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

func main() { lambdamain.Start("detect", build) }

// build wires the detector from the environment and returns the handler.
func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (func(context.Context, json.RawMessage) error, error) {
	return newHandler(ctx, getenv, log, os.Stdout)
}

// newHandler is build with the writer the metrics go to (Lambda reads them
// from stdout), so that tests can run the handler in-process.
func newHandler(ctx context.Context, getenv func(string) string, log *slog.Logger, stdout io.Writer) (func(context.Context, json.RawMessage) error, error) {
	cfg, err := config.LoadDetect(getenv)
	if err != nil {
		return nil, err
	}
	dep, err := deployment(getenv) // tamper.go
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.Load(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	timer := &awsTime{}
	awsCfg.APIOptions = append(awsCfg.APIOptions, timer.middleware)
	set := &metrics.Set{}
	source := wiring.BaselineSource(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale)
	versions := wiring.BaselineVersions(awsCfg, cfg.BaselineBucket, cfg.BaselineKey)
	d := &detect.Detector{
		Baseline:    wiring.Baseline(source, set, log),
		EKS:         eks.NewReader(awsCfg),
		IAM:         iam.NewReader(awsCfg),
		History:     dynamodb.New(awsdynamodb.NewFromConfig(awsCfg), cfg.HistoryTable),
		Publisher:   sns.NewPublisher(awssns.NewFromConfig(awsCfg), cfg.FindingsTopicARN),
		Metrics:     set,
		Log:         log,
		Remediators: []string{cfg.ReverterRoleARN},
		// Audit events delivered by a subscription filter come from this
		// region's log groups (AWS_REGION, as the SDK resolved it).
		Region:     awsCfg.Region,
		Deployment: dep,
		// Its scheduled events are heartbeats (internal/detect/heartbeat.go).
		HeartbeatRule: getenv(config.EnvHeartbeatRule),
		// Writes to the baseline object are judged from its versions.
		BaselineBucket: cfg.BaselineBucket,
		BaselineKey:    cfg.BaselineKey,
		BaselineVersions: func(ctx context.Context, versionID string) (detect.BaselineAround, error) {
			a, err := versions(ctx, versionID)
			return detect.BaselineAround{BaselineVersions: a.BaselineVersions, VersionID: a.VersionID, PreviousID: a.PreviousID}, err
		},
	}
	if err := members(ctx, getenv, awsCfg, cfg.Shared, d, set, log); err != nil { // members.go
		return nil, err
	}
	return func(ctx context.Context, event json.RawMessage) error {
		start := time.Now()
		timer.reset()
		err := d.Handle(ctx, event)
		set.AddUnit(metrics.HandlerTime, float64(time.Since(start).Microseconds())/1000, metrics.Milliseconds)
		set.AddUnit(metrics.AWSCallTime, float64(timer.reset().Microseconds())/1000, metrics.Milliseconds)
		if err != nil {
			log.ErrorContext(ctx, "event not handled: it will be retried, then kept in the dead-letter queue",
				"error", err, "malformed", detect.IsMalformed(err))
		}
		if ferr := set.Flush(stdout, cfg.MetricsNamespace, "detect", time.Now()); ferr != nil {
			log.WarnContext(ctx, "metrics not written", "error", ferr)
		}
		return err
	}, nil
}
