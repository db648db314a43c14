// Command securityhub is the Security Hub forwarder, deployed with
// `-c securityHub=true`: the findings topic delivers, through an SQS queue,
// every finding and every outcome of a revert; each is converted to the AWS
// Security Finding Format (internal/securityhub) and imported into the account's
// own custom integration with BatchImportFindings. A finding about a
// resource and the later outcome that resolves it share one Id, so the
// outcome updates the Security Hub finding (PASSED, ARCHIVED) instead of
// adding one. docs/alerts.md#security-hub describes it.
//
// main only wires: configuration is read and checked once, the client is
// built once per execution environment (the AWS configuration through
// internal/awsconfig), and lambda.Start takes over.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/lambdamain"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

func main() { lambdamain.Start("securityhub", build) }

func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (handler, error) {
	cfg, err := config.LoadSecurityHub(getenv)
	if err != nil {
		return nil, err
	}
	product, err := securityhub.ParseProductARN(cfg.ProductARN)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvSecurityHubProductARN, err)
	}
	awsCfg, err := awsconfig.Load(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	set := &metrics.Set{}
	fw := &forwarder{product: product, importer: securityhub.New(sh.NewFromConfig(awsCfg)), log: log, metrics: set}
	return func(ctx context.Context, ev sqsEvent) (sqsResponse, error) {
		resp := fw.handle(ctx, ev)
		if err := set.Flush(os.Stdout, cfg.MetricsNamespace, "securityhub", time.Now()); err != nil {
			log.WarnContext(ctx, "metrics not written", "error", err)
		}
		return resp, nil
	}, nil
}
