// Package wiring builds, once, what the functions and the eksdrift command
// both need of the baseline: the baseline from S3 (the cached object, its
// versions), validated and indexed by internal/baseline;
// and the one way every function logs and counts a reloaded or stale
// baseline. It joins adapters (internal/s3, internal/baseline) that may not
// import each other, and it links no Lambda runtime (internal/lambdamain
// does), so the command can use it. The SDK configuration is
// internal/awsconfig's, so that a function without a baseline does not link
// this package.
package wiring

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/s3"
)

// BaselineSource reads s3://bucket/key with the functions' cache settings,
// validating it with the baseline's JSON Schema and indexing it once per
// reload.
//
// It starts compiling the baseline's JSON Schema in the background: a
// function builds its source during init, and its first event would
// otherwise compile the schema after the S3 round trip, on the cold start's
// critical path (see docs/detector.md#size-and-cold-start). Nothing about
// the baseline itself is read or cached early.
func BaselineSource(cfg aws.Config, bucket, key string, revalidate, maxStale time.Duration) *s3.BaselineSource {
	// A failed compile is the first Index's error, returned there.
	go baseline.Prepare()
	src := s3.NewBaselineSource(baseline.Index, awss3.NewFromConfig(cfg), bucket, key, revalidate, nil)
	src.MaxStale = maxStale
	return src
}

// Baseline gives a function's use case its baseline from src, and says the
// same thing in every function when it changes: a reload is counted
// (metrics.BaselineReloads) and logged at Info with the source and the
// version; a cached baseline standing in for one S3 could not serve is
// logged at Warn with why. set may be nil.
func Baseline(src *s3.BaselineSource, set *metrics.Set, log *slog.Logger) func(context.Context) (*drift.Index, error) {
	return func(ctx context.Context) (*drift.Index, error) {
		ix, info, err := src.Index(ctx)
		if info.Reloaded {
			if set != nil {
				set.Add(metrics.BaselineReloads, 1)
			}
			log.InfoContext(ctx, "baseline loaded", "source", src.URI(), "version", info.VersionID)
		}
		if info.Stale {
			log.WarnContext(ctx, "baseline: S3 unavailable, using the cached version", "source", src.URI(), "version", info.VersionID, "error", info.RefreshErr)
		}
		return ix, err
	}
}

// lenient parses a version read only to compare with: it was in force when
// it was written, so no rule relative to time (now) applies to it.
func lenient(source string, data []byte) (*drift.Index, error) {
	return baseline.IndexAt(time.Time{}, source, data)
}

// BaselineVersions reads, for the detector, the version of s3://bucket/key
// a write made and the one before it: the new one validated as the
// functions will load it (now), the previous one only to compare with.
func BaselineVersions(cfg aws.Config, bucket, key string) func(ctx context.Context, versionID string) (s3.Around, error) {
	client := awss3.NewFromConfig(cfg)
	return func(ctx context.Context, versionID string) (s3.Around, error) {
		return s3.VersionsAround(ctx, client, baseline.Index, lenient, bucket, key, versionID)
	}
}

// PreviousBaseline reads the versions of s3://bucket/key for the reverter's
// hold-down: when the version in force was stored, and the version before
// it, parsed only to compare with.
func PreviousBaseline(cfg aws.Config, bucket, key string) *s3.Previous {
	return s3.NewPrevious(awss3.NewFromConfig(cfg), lenient, bucket, key)
}

// BaselineAt reads s3://bucket/key once, for a command: from the bucket's
// own region when S3 says which, whatever region cfg names.
func BaselineAt(ctx context.Context, cfg aws.Config, bucket, key string) (*drift.Index, error) {
	if r, err := s3.BucketRegion(ctx, awss3.NewFromConfig(cfg), bucket); err == nil && r != "" {
		cfg.Region = r
	}
	ix, _, err := s3.NewBaselineSource(baseline.Index, awss3.NewFromConfig(cfg), bucket, key, 0, nil).Index(ctx)
	return ix, err
}

// BaselineHistory reads the versions of s3://bucket/key in force at some
// moment from since to until, oldest first, for the auditors' commands.
func BaselineHistory(ctx context.Context, cfg aws.Config, bucket, key string, since, until time.Time) ([]s3.VersionedBaseline, error) {
	return s3.Baselines(ctx, awss3.NewFromConfig(cfg), baseline.Index, bucket, key, since, until)
}
