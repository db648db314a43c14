package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The baseline bucket is versioned, so its object versions are the
// baseline's history: auditors ask which version was in force at a moment
// (`eksdrift access --at`), and the report shows access under the version
// in force at the end of its period.

// versionLister is the S3 call that lists an object's versions; *s3.Client
// has it.
type versionLister interface {
	ListObjectVersions(ctx context.Context, in *awss3.ListObjectVersionsInput, optFns ...func(*awss3.Options)) (*awss3.ListObjectVersionsOutput, error)
}

// Version is one version of an object, as ListObjectVersions describes it.
type Version struct {
	// ID is the version id; "null" for an object written while the bucket
	// was not versioned.
	ID string
	// LastModified is when S3 stored it: from then on it was the object,
	// until the next version.
	LastModified time.Time
	// DeleteMarker says the object was deleted at LastModified: from then
	// on there was no baseline, until the next version.
	DeleteMarker bool
	ETag         string
	Size         int64
}

// Versions lists the versions of s3://bucket/key, oldest first, delete
// markers included. Other keys that share its prefix are left out. An
// unversioned bucket has one version, "null".
func Versions(ctx context.Context, client versionLister, bucket, key string) ([]Version, error) {
	uri := "s3://" + bucket + "/" + key
	in := &awss3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)}
	var vs []Version
	for {
		out, err := client.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("s3 baseline %s: cannot list its versions: %w", uri, classify(err))
		}
		for _, v := range out.Versions {
			if aws.ToString(v.Key) != key {
				continue
			}
			vs = append(vs, Version{
				ID:           aws.ToString(v.VersionId),
				LastModified: aws.ToTime(v.LastModified).UTC(),
				ETag:         aws.ToString(v.ETag),
				Size:         aws.ToInt64(v.Size),
			})
		}
		for _, m := range out.DeleteMarkers {
			if aws.ToString(m.Key) != key {
				continue
			}
			vs = append(vs, Version{ID: aws.ToString(m.VersionId), LastModified: aws.ToTime(m.LastModified).UTC(), DeleteMarker: true})
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	// S3 lists newest first, versions and delete markers apart. Two
	// versions stored within one second have the same LastModified; S3's
	// own order (newest first) then decides, so the sort is stable on the
	// reversed list.
	slices.Reverse(vs)
	slices.SortStableFunc(vs, func(a, b Version) int { return a.LastModified.Compare(b.LastModified) })
	return vs, nil
}

// GetVersion reads one version of s3://bucket/key, up to MaxSize bytes.
func GetVersion(ctx context.Context, client getObjecter, bucket, key, versionID string) ([]byte, error) {
	uri := "s3://" + bucket + "/" + key
	out, err := client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(versionID)})
	if err != nil {
		return nil, fmt.Errorf("s3 baseline %s version %s: %w", uri, versionID, classify(err))
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("s3 baseline %s version %s: reading the object: %w", uri, versionID, err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("s3 baseline %s version %s: larger than %d bytes", uri, versionID, MaxSize)
	}
	return data, nil
}

// InForce picks, from versions oldest first, the one that was the object at
// t: the last stored at or before t. It reports false when none was, or
// when the object was deleted then.
func InForce(versions []Version, t time.Time) (Version, bool) {
	i, _ := slices.BinarySearchFunc(versions, t, func(v Version, t time.Time) int {
		if v.LastModified.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return Version{}, false
	}
	v := versions[i-1]
	return v, !v.DeleteMarker
}

// classify adds to err the reason it failed that errors.Is can check.
func classify(err error) error {
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	switch {
	case code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchVersion" || code == "NotFound" || status == http.StatusNotFound:
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case code == "AccessDenied" || code == "Forbidden" || status == http.StatusForbidden:
		return fmt.Errorf("%w (listing versions takes s3:ListBucketVersions, reading one s3:GetObjectVersion): %w", ErrAccessDenied, err)
	case status == 0 || status >= 500 || status == http.StatusTooManyRequests:
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

// versionReader is what Baselines calls; *s3.Client has it.
type versionReader interface {
	versionLister
	getObjecter
}

// VersionedBaseline is one version of the baseline object, parsed.
type VersionedBaseline struct {
	Version
	// Baseline is the version parsed, with its Source and VersionID set;
	// nil for a delete marker, or when Err says why it could not be read.
	Baseline *drift.Baseline
	Err      error
}

// Baselines reads the versions of the baseline at s3://bucket/key that
// were in force at some moment from since to until, oldest first: the one
// in force at since, and every one stored after it up to until (zero times
// do not bound). Each is parsed with parse; a version that does not parse
// is returned with Err, as it was in force all the same. Versions with the
// same content are fetched and parsed once.
func Baselines(ctx context.Context, client versionReader, parse Parser, bucket, key string, since, until time.Time) ([]VersionedBaseline, error) {
	uri := "s3://" + bucket + "/" + key
	all, err := Versions(ctx, client, bucket, key)
	if err != nil {
		return nil, err
	}
	first := 0
	if !since.IsZero() {
		for i, v := range all {
			if !v.LastModified.After(since) {
				first = i
			}
		}
	}
	parsed := map[string]*drift.Baseline{} // by ETag
	var out []VersionedBaseline
	for _, v := range all[first:] {
		if !until.IsZero() && v.LastModified.After(until) {
			break
		}
		vb := VersionedBaseline{Version: v}
		if v.DeleteMarker {
			out = append(out, vb)
			continue
		}
		b, ok := parsed[v.ETag]
		if !ok || v.ETag == "" {
			data, err := GetVersion(ctx, client, bucket, key, v.ID)
			if err != nil {
				return nil, err
			}
			ix, err := parse(uri, data)
			if err != nil {
				vb.Err = fmt.Errorf("s3 baseline %s version %s: %w", uri, v.ID, err)
				out = append(out, vb)
				continue
			}
			b = ix.Baseline
			parsed[v.ETag] = b
		}
		copied := *b
		copied.Source = uri
		copied.VersionID = v.ID
		if v.ID == "" || v.ID == "null" {
			copied.VersionID = strings.Trim(v.ETag, `"`)
		}
		vb.Baseline = &copied
		out = append(out, vb)
	}
	return out, nil
}
