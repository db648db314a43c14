package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// logAPI is what reading a trail's log files takes; *s3.Client has it.
type logAPI interface {
	ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, optFns ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
	getObjecter
}

// LogObject is one CloudTrail log file in a bucket.
type LogObject struct {
	Key  string
	Size int64
}

// TrailLogs reads the log files a CloudTrail trail delivers to a bucket:
//
//	PREFIX/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_..._.json.gz
//
// (an organization trail adds the organization's id after AWSLogs/). It is
// safe for concurrent use.
type TrailLogs struct {
	client logAPI
	bucket string
	// Lists is how many ListObjectsV2 calls List may have in flight.
	Lists int
	// PageSize is the MaxKeys of each listing; zero leaves it to S3 (1,000).
	PageSize int32
}

// NewTrailLogs reads the log files in bucket through client.
func NewTrailLogs(client logAPI, bucket string) *TrailLogs {
	return &TrailLogs{client: client, bucket: bucket, Lists: 8}
}

// maxDiscoveryDepth bounds how deep List looks for "CloudTrail/" under the
// prefix: PREFIX/AWSLogs/o-ORG/ACCOUNT/CloudTrail is four levels.
const maxDiscoveryDepth = 6

var (
	// regionBase finds ".../CloudTrail/REGION/" in a prefix.
	regionBase = regexp.MustCompile(`^(.*(?:^|/)CloudTrail/[^/]+/)`)
	// dayInKey finds the delivery day in a key of any layout.
	dayInKey = regexp.MustCompile(`(?:^|/)(\d{4})/(\d{2})/(\d{2})/`)
)

// List finds the log files (*.json.gz and *.json) under prefix that were
// delivered on the UTC days from since to until (a zero time does not
// bound), sorted by key. Under the standard layout it lists only the day
// folders in range, in every account and region found under the prefix;
// elsewhere it lists everything under the prefix and keeps the keys whose
// path has a day in range, or no day at all. CloudTrail-Digest and
// CloudTrail-Insight folders are not log files of API calls and are passed
// over.
func (t *TrailLogs) List(ctx context.Context, prefix string, since, until time.Time) ([]LogObject, error) {
	prefix = strings.TrimPrefix(prefix, "/")
	var bases []string
	if m := regionBase.FindStringSubmatch(prefix); m != nil {
		bases = []string{m[1]}
	} else {
		var err error
		if bases, err = t.discover(ctx, prefix, 0); err != nil {
			return nil, err
		}
	}
	var prefixes []string
	if len(bases) == 0 {
		prefixes = []string{prefix}
	}
	for _, b := range bases {
		if since.IsZero() {
			prefixes = append(prefixes, b)
			continue
		}
		last := time.Now().UTC()
		if !until.IsZero() {
			last = until.UTC()
		}
		for d := utcDay(since); !d.After(last); d = d.AddDate(0, 0, 1) {
			p := b + d.Format("2006/01/02/")
			if strings.HasPrefix(p, prefix) || strings.HasPrefix(prefix, p) {
				prefixes = append(prefixes, p)
			}
		}
	}
	// A prefix more precise than a day (down to a file name) still counts.
	for i, p := range prefixes {
		if strings.HasPrefix(prefix, p) {
			prefixes[i] = prefix
		}
	}

	var (
		mu    sync.Mutex
		found []LogObject
		errs  = make([]error, len(prefixes))
		wg    sync.WaitGroup
		sem   = make(chan struct{}, max(t.Lists, 1))
	)
	for i, p := range prefixes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			objs, err := t.listAll(ctx, p, since, until)
			errs[i] = err
			mu.Lock()
			found = append(found, objs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(found, func(a, b LogObject) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(found, func(a, b LogObject) bool { return a.Key == b.Key }), nil
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// discover walks down from prefix, one folder level at a time, to the
// CloudTrail/REGION/ folders.
func (t *TrailLogs) discover(ctx context.Context, prefix string, depth int) ([]string, error) {
	if depth > maxDiscoveryDepth {
		return nil, nil
	}
	folders, err := t.folders(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var bases []string
	for _, f := range folders {
		name := f[strings.LastIndexByte(strings.TrimSuffix(f, "/"), '/')+1 : len(f)-1]
		switch {
		case name == "CloudTrail":
			regions, err := t.folders(ctx, f)
			if err != nil {
				return nil, err
			}
			bases = append(bases, regions...)
		case strings.HasPrefix(name, "CloudTrail-"): // Digest, Insight
		default:
			more, err := t.discover(ctx, f, depth+1)
			if err != nil {
				return nil, err
			}
			bases = append(bases, more...)
		}
	}
	return bases, nil
}

// folders lists the common prefixes one level under prefix.
func (t *TrailLogs) folders(ctx context.Context, prefix string) ([]string, error) {
	in := &awss3.ListObjectsV2Input{Bucket: aws.String(t.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"), MaxKeys: t.maxKeys()}
	var out []string
	p := awss3.NewListObjectsV2Paginator(t.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 trail s3://%s/%s: listing: %w", t.bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, aws.ToString(cp.Prefix))
		}
	}
	return out, nil
}

// listAll lists every log file under prefix whose day, when its key has
// one, is in range.
func (t *TrailLogs) listAll(ctx context.Context, prefix string, since, until time.Time) ([]LogObject, error) {
	in := &awss3.ListObjectsV2Input{Bucket: aws.String(t.bucket), Prefix: aws.String(prefix), MaxKeys: t.maxKeys()}
	var out []LogObject
	p := awss3.NewListObjectsV2Paginator(t.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 trail s3://%s/%s: listing: %w", t.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if !strings.HasSuffix(k, ".json.gz") && !strings.HasSuffix(k, ".json") {
				continue
			}
			if strings.Contains(k, "/CloudTrail-Digest/") || strings.Contains(k, "/CloudTrail-Insight/") {
				continue
			}
			if m := dayInKey.FindStringSubmatch(k); m != nil {
				d, err := time.Parse("2006/01/02", m[1]+"/"+m[2]+"/"+m[3])
				if err == nil && ((!since.IsZero() && d.Before(utcDay(since))) || (!until.IsZero() && d.After(until.UTC()))) {
					continue
				}
			}
			out = append(out, LogObject{Key: k, Size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

func (t *TrailLogs) maxKeys() *int32 {
	if t.PageSize <= 0 {
		return nil
	}
	return aws.Int32(t.PageSize)
}

// Open streams one log file.
func (t *TrailLogs) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := t.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3 trail s3://%s/%s: %w", t.bucket, key, err)
	}
	return out.Body, nil
}

// ParseURI splits s3://bucket/key-or-prefix; ok is false when uri is not
// one.
func ParseURI(uri string) (bucket, key string, ok bool) {
	rest, found := strings.CutPrefix(uri, "s3://")
	if !found {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, bucket != ""
}

// headBucketer is what finding a bucket's region takes; *s3.Client has it.
type headBucketer interface {
	HeadBucket(ctx context.Context, in *awss3.HeadBucketInput, optFns ...func(*awss3.Options)) (*awss3.HeadBucketOutput, error)
}

// BucketRegion finds the region a bucket is in: S3 answers a request in
// another region with a redirect that names it. A trail's bucket is often
// in another region than the person reading it.
func BucketRegion(ctx context.Context, client headBucketer, bucket string) (string, error) {
	out, err := client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil && aws.ToString(out.BucketRegion) != "" {
		return aws.ToString(out.BucketRegion), nil
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
			return r, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("s3 bucket %s: cannot find its region (HeadBucket): %w", bucket, err)
	}
	return "", nil
}
