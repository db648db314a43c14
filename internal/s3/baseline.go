// Package s3 gives the detector Lambda its baseline from an S3 object. A warm
// Lambda judges many events with one baseline, so the parsed, validated and
// indexed baseline is cached across invocations and revalidated with a
// cheap conditional GET instead of being downloaded and parsed each time.
//
// The product rule it serves: an unreadable or invalid baseline must never
// lead to a revert. Every failure is an error the caller turns into findings
// with decision alert; a cached baseline stands in only for a short outage
// of S3 itself (see BaselineSource.Index).
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// getObjecter is the one S3 call the baseline needs; *s3.Client has it.
type getObjecter interface {
	GetObject(ctx context.Context, in *awss3.GetObjectInput, optFns ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
}

// DefaultMaxStale is how long a cached baseline may stand in for one that S3
// cannot serve because of a transient failure.
const DefaultMaxStale = 15 * time.Minute

// MaxSize is the largest baseline object read; a bigger one is refused
// rather than held in a Lambda's memory.
const MaxSize = 16 << 20

// Why a baseline could not be read, for errors.Is. Errors that wrap them
// also wrap the SDK's error, for errors.As.
var (
	ErrNotFound     = errors.New("not found")
	ErrAccessDenied = errors.New("access denied")
	ErrUnreachable  = errors.New("unreachable")
)

// Info says what one call to Index did, for metrics and logs.
type Info struct {
	// Reloaded is true when S3 returned a new object, parsed this call.
	Reloaded bool
	// Revalidated is true when this call asked S3 (with a conditional GET
	// when a baseline was cached); false when the cache was fresh enough.
	Revalidated bool
	// Stale is true when S3 could not be reached and the cached baseline,
	// younger than MaxStale, was returned; RefreshErr says why.
	Stale      bool
	RefreshErr error
	// VersionID is the version of the baseline returned: its S3 version id,
	// or its ETag when the bucket is not versioned.
	VersionID string
}

// Stats counts what a BaselineSource did since it was made.
type Stats struct {
	Requests    int // GetObject calls
	Reloads     int // 200 responses parsed
	NotModified int // 304 responses: the cache was still current
	Stale       int // cached baselines served after a transient failure
	Failures    int // calls that returned an error
}

// Parser validates a baseline document, converts it and indexes it; source
// names it in errors. baseline.Index is the one the functions use: this
// adapter only fetches and caches, it does not know the file format, and it
// never indexes a baseline itself, so a reload indexes it once.
type Parser func(source string, data []byte) (*drift.Index, error)

// BaselineSource reads one baseline object and caches it. It is safe for
// concurrent use: concurrent calls wait for one request rather than each
// making their own.
type BaselineSource struct {
	parseDoc        Parser
	client          getObjecter
	bucket, key     string
	uri             string
	revalidateEvery time.Duration
	now             func() time.Time

	// MaxStale bounds how old (since S3 last confirmed it) a cached baseline
	// may be and still stand in during a transient failure; zero means
	// DefaultMaxStale, negative means never. Set it before the first Index.
	MaxStale time.Duration

	mu sync.Mutex
	// The last outcome from S3: an index or a lasting error, with the ETag
	// it came from (empty when there is no object to compare with).
	ix        *drift.Index
	err       error
	etag      string
	version   string
	checkedAt time.Time // when S3 last answered with the outcome above
	stats     Stats
}

// NewBaselineSource reads s3://bucket/key through client and parses it with
// parse, asking S3 again at most every revalidateEvery (zero: on every
// call). now is the clock, time.Now when nil.
func NewBaselineSource(parse Parser, client getObjecter, bucket, key string, revalidateEvery time.Duration, now func() time.Time) *BaselineSource {
	if now == nil {
		now = time.Now
	}
	return &BaselineSource{
		parseDoc:        parse,
		client:          client,
		bucket:          bucket,
		key:             key,
		uri:             "s3://" + bucket + "/" + key,
		revalidateEvery: revalidateEvery,
		now:             now,
	}
}

// URI is the object's s3:// URI, the baseline's Source.
func (s *BaselineSource) URI() string { return s.uri }

// Stats returns the counters so far.
func (s *BaselineSource) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Index returns the baseline, indexed. Within revalidateEvery of S3's last
// answer it returns that answer without a request; after it, it asks S3
// whether the object changed (If-None-Match with the cached ETag).
//
// What each answer leads to:
//   - 200: the object is parsed and validated again; an invalid one is an
//     error that errors.As finds as *drift.InvalidBaselineError, and it
//     replaces the cached baseline: an invalid baseline is never papered
//     over by an older valid one.
//   - 304: the cached outcome, baseline or error, stands for another period.
//   - not found, access denied, any other 3xx or 4xx: an error (ErrNotFound,
//     ErrAccessDenied) that replaces the cached baseline. These say the
//     baseline is gone or unreadable on purpose or by mistake; either way
//     nothing may be reverted on its word.
//   - no answer, 5xx, throttling (ErrUnreachable): the cached baseline is
//     returned with Info.Stale when S3 confirmed it within MaxStale, else
//     the error. S3 is asked again on the next call.
//
// A canceled or expired ctx is returned as an error, never as a stale result.
func (s *BaselineSource) Index(ctx context.Context) (*drift.Index, Info, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	now := s.now()
	if !s.checkedAt.IsZero() && now.Sub(s.checkedAt) < s.revalidateEvery {
		return s.cached(Info{})
	}

	s.stats.Requests++
	in := &awss3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.key)}
	if s.etag != "" {
		in.IfNoneMatch = aws.String(s.etag)
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		return s.failed(ctx, now, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, MaxSize+1))
	if err != nil {
		return s.failed(ctx, now, fmt.Errorf("reading the object: %w", err))
	}
	s.stats.Reloads++
	s.etag = aws.ToString(out.ETag)
	s.version = versionOf(out)
	s.checkedAt = now
	s.ix, s.err = nil, nil
	if len(data) > MaxSize {
		s.err = fmt.Errorf("s3 baseline %s version %s: larger than %d bytes", s.uri, s.version, MaxSize)
	} else {
		s.ix, s.err = s.parse(data)
	}
	return s.cached(Info{Reloaded: s.err == nil, Revalidated: true})
}

// parse validates and indexes a baseline read from S3, once: the index the
// parser built to validate it is the one returned.
func (s *BaselineSource) parse(data []byte) (*drift.Index, error) {
	ix, err := s.parseDoc(s.uri, data)
	if err != nil {
		var ie *drift.InvalidBaselineError
		if errors.As(err, &ie) && ie.Source == "" {
			ie.Source = s.uri
		}
		return nil, fmt.Errorf("s3 baseline %s version %s: %w", s.uri, s.version, err)
	}
	ix.Baseline.Source = s.uri
	if s.version != "" {
		ix.Baseline.VersionID = s.version
	}
	return ix, nil
}

// cached returns the cached outcome with info completed.
func (s *BaselineSource) cached(info Info) (*drift.Index, Info, error) {
	if s.err != nil {
		s.stats.Failures++
		return nil, info, s.err
	}
	info.VersionID = s.ix.Baseline.VersionID
	return s.ix, info, nil
}

// failed handles a GetObject that returned no object.
func (s *BaselineSource) failed(ctx context.Context, now time.Time, err error) (*drift.Index, Info, error) {
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	if status == http.StatusNotModified {
		s.stats.NotModified++
		s.checkedAt = now
		return s.cached(Info{Revalidated: true})
	}

	info := Info{Revalidated: true}
	if ctx.Err() != nil {
		s.stats.Failures++
		return nil, info, fmt.Errorf("s3 baseline %s: %w", s.uri, err)
	}
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	switch {
	case code == "NoSuchKey" || code == "NoSuchBucket" || code == "NotFound" || status == http.StatusNotFound:
		return s.lasting(now, fmt.Errorf("s3 baseline %s: %w: %w", s.uri, ErrNotFound, err))
	case code == "AccessDenied" || code == "Forbidden" || status == http.StatusForbidden:
		return s.lasting(now, fmt.Errorf("s3 baseline %s: %w (reading it takes s3:GetObject, and kms:Decrypt when a customer managed key encrypts it): %w", s.uri, ErrAccessDenied, err))
	case status != 0 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
		// A wrong region (301), a bad request: asking again will not help.
		return s.lasting(now, fmt.Errorf("s3 baseline %s: %w", s.uri, err))
	}

	// No answer, a 5xx or throttling: S3 may answer again in a moment.
	err = fmt.Errorf("s3 baseline %s: %w: %w", s.uri, ErrUnreachable, err)
	maxStale := s.MaxStale
	if maxStale == 0 {
		maxStale = DefaultMaxStale
	}
	if s.ix != nil && s.err == nil && now.Sub(s.checkedAt) < maxStale {
		s.stats.Stale++
		info.Stale, info.RefreshErr = true, err
		info.VersionID = s.ix.Baseline.VersionID
		return s.ix, info, nil
	}
	s.stats.Failures++
	return nil, info, err
}

// lasting caches an error that another request within revalidateEvery
// would only repeat, and drops the cached baseline and its ETag.
func (s *BaselineSource) lasting(now time.Time, err error) (*drift.Index, Info, error) {
	s.ix, s.err, s.etag, s.version = nil, err, "", ""
	s.checkedAt = now
	return s.cached(Info{Revalidated: true})
}

// versionOf names the object's version: its version id in a versioned
// bucket, else its ETag. S3 says "null" for objects written while
// versioning was off.
func versionOf(out *awss3.GetObjectOutput) string {
	if v := aws.ToString(out.VersionId); v != "" && v != "null" {
		return v
	}
	return strings.Trim(aws.ToString(out.ETag), `"`)
}
