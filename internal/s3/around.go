package s3

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Around is what the detector reads when the baseline object is written:
// the version the write made and the one in force before it, each parsed.
type Around struct {
	drift.BaselineVersions
	// VersionID is the version judged: the one the event named, or the
	// object's latest when it named none. PreviousID is the one before it,
	// "" when there was none or it was a delete marker.
	VersionID, PreviousID string
}

// VersionsAround reads the version versionID of s3://bucket/key ("" for
// the latest) and the version before it. parseNext validates the new
// version as the detector and the reverter will load it; parsePrev reads
// the previous one, only to compare with.
//
// What S3 cannot serve for a lasting reason (the version is gone, access
// is denied, the version does not parse) is returned in NextErr or
// PrevErr, for the finding to say; an error is returned only when S3 did
// not answer (ErrUnreachable) or ctx ended, and asking again may help.
func VersionsAround(ctx context.Context, client versionReader, parseNext, parsePrev Parser, bucket, key, versionID string) (Around, error) {
	uri := "s3://" + bucket + "/" + key
	var out Around
	all, err := Versions(ctx, client, bucket, key)
	if err != nil {
		if retryable(ctx, err) {
			return out, err
		}
		out.NextErr = err
		return out, nil
	}
	i := len(all) - 1
	if versionID != "" {
		i = -1
		for j, v := range all {
			if v.ID == versionID {
				i = j
			}
		}
	}
	if i < 0 {
		if versionID != "" {
			out.VersionID = versionID
			out.NextErr = fmt.Errorf("s3 baseline %s: version %s is not among the object's versions (deleted since?)", uri, versionID)
		} else {
			out.NextErr = fmt.Errorf("s3 baseline %s: %w: the object has no version", uri, ErrNotFound)
		}
		return out, nil
	}
	out.VersionID = all[i].ID
	read := func(v Version, parse Parser) (*drift.Baseline, error) {
		data, err := GetVersion(ctx, client, bucket, key, v.ID)
		if err != nil {
			return nil, err
		}
		ix, err := parse(uri, data)
		if err != nil {
			return nil, fmt.Errorf("s3 baseline %s version %s: %w", uri, v.ID, err)
		}
		b := ix.Baseline
		b.Source, b.VersionID = uri, v.ID
		if v.ID == "" || v.ID == "null" {
			b.VersionID = strings.Trim(v.ETag, `"`)
		}
		return b, nil
	}
	if all[i].DeleteMarker {
		out.NextErr = fmt.Errorf("s3 baseline %s: version %s is a delete marker: %w: the object is deleted", uri, all[i].ID, ErrNotFound)
	} else if out.Next, err = read(all[i], parseNext); err != nil {
		if retryable(ctx, err) {
			return Around{}, err
		}
		out.NextErr = err
	}
	if i > 0 && !all[i-1].DeleteMarker {
		out.PreviousID = all[i-1].ID
		if out.Previous, err = read(all[i-1], parsePrev); err != nil {
			if retryable(ctx, err) {
				return Around{}, err
			}
			out.PreviousErr = err
		}
	}
	return out, nil
}

func retryable(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, ErrUnreachable)
}
