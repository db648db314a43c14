package wiring

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/s3"
)

// AccountBaselineVersions reads an account's file (AccountKey beside
// s3://bucket/key) around a write to it, for the detector, and merges each
// version with the shared baseline in force (shared), so that the write is
// judged by what it changes in the account's baseline (drift.MergeAccount):
// the baseline the account's changes are judged against.
func AccountBaselineVersions(cfg aws.Config, bucket, key string, shared func(context.Context) (*drift.Index, error)) func(ctx context.Context, account, versionID string, deleted bool) (s3.Around, error) {
	client := awss3.NewFromConfig(cfg)
	return func(ctx context.Context, account, versionID string, deleted bool) (s3.Around, error) {
		a, err := s3.VersionsAround(ctx, client, baseline.Index, lenient, bucket, AccountKey(key, account), versionID)
		if err != nil {
			return a, err
		}
		return mergeAround(ctx, a, account, deleted, shared), nil
	}
}

// mergeAround turns an account file's versions into the account's merged
// baselines around a write. A file that a deletion left gone (no
// version, a delete marker) leaves the shared baseline alone in force. A
// deletion that left a version in force (a version deleted) is compared
// with the shared baseline alone: the version that was in force before it
// is gone, so everything the remaining one grants counts as new. A
// version that does not merge (breakGlass in an account file, another
// account's cluster) is a new version that cannot be used; a shared
// baseline that cannot be read leaves nothing to merge with.
func mergeAround(ctx context.Context, a s3.Around, account string, deleted bool, shared func(context.Context) (*drift.Index, error)) s3.Around {
	sh, err := shared(ctx)
	if err != nil {
		return s3.Around{VersionID: a.VersionID, PreviousID: a.PreviousID, BaselineVersions: drift.BaselineVersions{
			NextErr: fmt.Errorf("account %s's baseline: the shared baseline cannot be read to merge with: %w", account, err)}}
	}
	merge := func(b *drift.Baseline) (*drift.Baseline, error) {
		ix, err := drift.MergeAccount(sh.Baseline, b, account)
		if err != nil {
			return nil, err
		}
		m := *ix.Baseline
		if b != nil {
			m.Source, m.VersionID = b.Source, b.VersionID
		}
		return &m, nil
	}
	out := s3.Around{VersionID: a.VersionID, PreviousID: a.PreviousID}
	out.PreviousErr = a.PreviousErr
	if a.Previous != nil {
		if out.Previous, err = merge(a.Previous); err != nil {
			out.PreviousErr = err
		}
	} else if a.PreviousErr == nil {
		out.Previous, _ = merge(nil) // no earlier file: the shared baseline alone was in force
	}
	switch {
	case a.Next != nil:
		if out.Next, err = merge(a.Next); err != nil {
			out.NextErr = err
		}
		if deleted {
			out.Previous, out.PreviousErr, out.PreviousID = nil, nil, ""
			out.Previous, _ = merge(nil)
		}
	case deleted && errors.Is(a.NextErr, s3.ErrNotFound):
		out.Next, out.NextErr = merge(nil)
	default:
		out.NextErr = a.NextErr
	}
	return out
}
