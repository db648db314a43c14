package s3

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// A bucket in CloudTrail's layout, with what else such buckets hold.
var trailKeys = []string{
	"logs/AWSLogs/111122223333/CloudTrail/us-west-2/2026/09/30/111122223333_CloudTrail_us-west-2_20260930T2355Z_a.json.gz",
	"logs/AWSLogs/111122223333/CloudTrail/us-west-2/2026/10/01/111122223333_CloudTrail_us-west-2_20261001T0005Z_b.json.gz",
	"logs/AWSLogs/111122223333/CloudTrail/us-west-2/2026/10/01/111122223333_CloudTrail_us-west-2_20261001T0010Z_c.json.gz",
	"logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/02/111122223333_CloudTrail_us-east-1_20261002T0005Z_d.json.gz",
	"logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/03/111122223333_CloudTrail_us-east-1_20261003T0005Z_e.json.gz",
	"logs/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/02/111122223333_CloudTrail-Digest_us-east-1_20261002T0005Z.json.gz",
	"logs/AWSLogs/o-abc123/444455556666/CloudTrail/eu-west-1/2026/10/02/444455556666_CloudTrail_eu-west-1_20261002T0005Z_f.json.gz",
	"logs/AWSLogs/111122223333/CloudTrail/us-west-2/2026/10/01/notes.txt",
	"other/file.json.gz",
}

func trailBucket(t *testing.T) (*awss3.Client, string) {
	t.Helper()
	c := awss3.NewFromConfig(awstest.Config(t), func(o *awss3.Options) { o.UsePathStyle = true })
	bucket := awstest.Name(t, "trail")
	if _, err := c.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); awstest.Created(err) != nil {
		t.Fatal(err)
	}
	for _, k := range trailKeys {
		if _, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	return c, bucket
}

func onDay(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTrailLogsList(t *testing.T) {
	c, bucket := trailBucket(t)
	logs := NewTrailLogs(c, bucket)
	logs.PageSize = 2 // MiniStack pages ListObjectsV2: every listing takes several pages
	letters := func(objs []LogObject) string {
		var s []string
		for _, o := range objs {
			s = append(s, o.Key[strings.LastIndexByte(o.Key, '_')+1:strings.Index(o.Key, ".json")])
		}
		return strings.Join(s, "")
	}
	for _, tc := range []struct {
		name         string
		prefix       string
		since, until time.Time
		want         string
	}{
		{"every account, region and day", "logs", time.Time{}, time.Time{}, "deabcf"},
		{"from a day", "logs/", onDay("2026-10-01"), time.Time{}, "debcf"},
		{"between two days", "logs", onDay("2026-10-01"), onDay("2026-10-02"), "dbcf"},
		{"one region", "logs/AWSLogs/111122223333/CloudTrail/us-west-2/", onDay("2026-10-01"), time.Time{}, "bc"},
		{"one month of a region", "logs/AWSLogs/111122223333/CloudTrail/us-west-2/2026/10/", time.Time{}, time.Time{}, "bc"},
		{"an organization's account", "logs/AWSLogs/o-abc123/444455556666", onDay("2026-10-01"), time.Time{}, "f"},
		{"nothing in range", "logs", onDay("2026-11-01"), time.Time{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := logs.List(context.Background(), tc.prefix, tc.since, tc.until)
			if err != nil {
				t.Fatal(err)
			}
			if l := letters(got); l != tc.want {
				t.Errorf("got files %q, want %q", l, tc.want)
			}
			if !slices.IsSortedFunc(got, func(a, b LogObject) int { return strings.Compare(a.Key, b.Key) }) {
				t.Error("not sorted by key")
			}
		})
	}
	rc, err := logs.Open(context.Background(), trailKeys[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "{}" {
		t.Errorf("Open: got %q", b)
	}
	if _, err := logs.Open(context.Background(), "logs/missing.json.gz"); err == nil || !strings.Contains(err.Error(), "s3 trail s3://"+bucket+"/logs/missing.json.gz") {
		t.Errorf("Open of a missing key: got %v", err)
	}
}

func TestParseURI(t *testing.T) {
	for _, tc := range []struct{ uri, bucket, key string }{
		{"s3://b/k/l", "b", "k/l"}, {"s3://b", "b", ""}, {"s3://b/", "b", ""},
	} {
		b, k, ok := ParseURI(tc.uri)
		if !ok || b != tc.bucket || k != tc.key {
			t.Errorf("ParseURI(%q): got %q %q %v", tc.uri, b, k, ok)
		}
	}
	if _, _, ok := ParseURI("/tmp/x"); ok {
		t.Error("a path is not an s3 URI")
	}
}

func TestBucketRegion(t *testing.T) {
	_, bucket := trailBucket(t) // in awstest.Region
	other := awss3.NewFromConfig(awstest.Config(t), func(o *awss3.Options) { o.UsePathStyle = true; o.Region = "eu-west-1" })
	got, err := BucketRegion(context.Background(), other, bucket)
	if err != nil || got != awstest.Region {
		t.Errorf("from another region: got %q, %v, want %s", got, err, awstest.Region)
	}
	if _, err := BucketRegion(context.Background(), other, awstest.Name(t, "missing")); err == nil {
		t.Error("a bucket that does not exist has no region")
	}
}
