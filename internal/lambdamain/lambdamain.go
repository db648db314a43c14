// Package lambdamain is what every eksdrift function's main shares: the
// logger, building the handler once per execution environment, and the S3
// baseline source the detector, the reverter and the sweep read.
package lambdamain

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/s3"
)

// Start builds the handler from the environment with Lambda's JSON-aware
// slog logger and hands it to the runtime. A function that cannot start
// (its configuration is wrong) logs why, naming what is wrong, and exits.
func Start[H any](name string, build func(ctx context.Context, getenv func(string) string, log *slog.Logger) (H, error)) {
	log := lambdacontext.NewLogger()
	h, err := build(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error(name+": cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

// BaselineSource reads s3://bucket/key with the functions' cache settings,
// validating it with the baseline's JSON Schema.
func BaselineSource(cfg aws.Config, bucket, key string, revalidate, maxStale time.Duration) *s3.BaselineSource {
	src := s3.NewBaselineSource(baseline.Index, awss3.NewFromConfig(cfg), bucket, key, revalidate, nil)
	src.MaxStale = maxStale
	return src
}

// BaselineVersions reads, for the detector, the version of s3://bucket/key
// a write made and the one before it: the new one validated as the
// functions will load it (now), the previous one only to compare with
// (no rule relative to time).
func BaselineVersions(cfg aws.Config, bucket, key string) func(ctx context.Context, versionID string) (s3.Around, error) {
	client := awss3.NewFromConfig(cfg)
	lenient := func(source string, data []byte) (*drift.Index, error) {
		return baseline.IndexAt(time.Time{}, source, data)
	}
	return func(ctx context.Context, versionID string) (s3.Around, error) {
		return s3.VersionsAround(ctx, client, baseline.Index, lenient, bucket, key, versionID)
	}
}

// PreviousBaseline reads the versions of s3://bucket/key for the reverter's
// hold-down: when the version in force was stored, and the version before
// it, parsed only to compare with (no rule relative to time).
func PreviousBaseline(cfg aws.Config, bucket, key string) *s3.Previous {
	lenient := func(source string, data []byte) (*drift.Index, error) {
		return baseline.IndexAt(time.Time{}, source, data)
	}
	return s3.NewPrevious(awss3.NewFromConfig(cfg), lenient, bucket, key)
}
