// Package awsconfig loads, once, the AWS SDK configuration that every
// function and the eksdrift command start from. It is apart from
// internal/wiring (the baseline source) so that a function that never reads
// the baseline (notify, securityhub) links neither internal/baseline, its
// JSON Schema validator and YAML parser, nor the S3 client; and it links no
// Lambda runtime (internal/lambdamain does), so the command can use it.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkconfig "github.com/aws/aws-sdk-go-v2/config"
)

// Load loads the SDK configuration from the environment, shared files
// and SSO, as the AWS CLI does, with adaptive retries, so that throttling
// slows eksdrift down rather than failing it, and a client that never
// sends an answered request again (SendOnce). retries, when above zero, is
// how many times a call is tried (the SDK's default, 3, otherwise); region,
// when set, overrides the configured one.
func Load(ctx context.Context, region string, retries int) (aws.Config, error) {
	opts := []func(*sdkconfig.LoadOptions) error{sdkconfig.WithRetryMode(aws.RetryModeAdaptive)}
	if retries > 0 {
		opts = append(opts, sdkconfig.WithRetryMaxAttempts(retries))
	}
	if region != "" {
		opts = append(opts, sdkconfig.WithRegion(region))
	}
	cfg, err := sdkconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("aws configuration: %w", err)
	}
	// Wrapped after loading: the loader adds AWS_CA_BUNDLE's roots only to
	// its own client type.
	cfg.HTTPClient = SendOnce(cfg.HTTPClient)
	return cfg, nil
}
