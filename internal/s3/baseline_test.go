package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const validBaseline = `version: 1
mode: alert
clusters:
  - name: prod
    account: "111122223333"
    region: us-west-2
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:role/developers
        kubernetesGroups: [dev]
`

// secondBaseline differs from validBaseline: it declares a second cluster.
const secondBaseline = validBaseline + `  - name: staging
    account: "111122223333"
    region: us-west-2
    accessEntries: []
`

// invalidBaseline has a mode the schema does not know, on line 2.
const invalidBaseline = `version: 1
mode: sometimes
clusters: []
`

// brokenYAML is not YAML: line 5 is indented less than the sequence item it
// belongs to, which the parser reports at the item, on line 4.
const brokenYAML = `version: 1
mode: alert
clusters:
  - name: prod
   account: "111122223333"
`

const revalidateEvery = time.Minute

// clock is a test's time, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder passes GetObject calls to a real client, which a test may swap,
// and records what was asked.
type recorder struct {
	mu     sync.Mutex
	client getObjecter
	calls  []*awss3.GetObjectInput
}

func (r *recorder) GetObject(ctx context.Context, in *awss3.GetObjectInput, optFns ...func(*awss3.Options)) (*awss3.GetObjectOutput, error) {
	r.mu.Lock()
	r.calls = append(r.calls, in)
	c := r.client
	r.mu.Unlock()
	return c.GetObject(ctx, in, optFns...)
}

func (r *recorder) use(c getObjecter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.client = c
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) last() *awss3.GetObjectInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[len(r.calls)-1]
}

func client(t *testing.T) *awss3.Client {
	return awss3.NewFromConfig(awstest.Config(t), func(o *awss3.Options) { o.UsePathStyle = true })
}

// downClient is an S3 client whose endpoint refuses connections, without
// retries so the test does not wait for them.
func downClient(t *testing.T) *awss3.Client {
	return awss3.NewFromConfig(awstest.Config(t), func(o *awss3.Options) {
		o.UsePathStyle = true
		o.BaseEndpoint = aws.String("http://127.0.0.1:1")
		o.RetryMaxAttempts = 1
	})
}

// bucket creates a bucket, versioned when asked. The emulator goes away with
// the test binary, so buckets are not deleted.
func bucket(t *testing.T, c *awss3.Client, versioned bool) string {
	t.Helper()
	name := awstest.Name(t, "baseline")
	if _, err := c.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); awstest.Created(err) != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	if versioned {
		_, err := c.PutBucketVersioning(t.Context(), &awss3.PutBucketVersioningInput{
			Bucket:                  aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			t.Fatalf("PutBucketVersioning %s: %v", name, err)
		}
	}
	return name
}

// put uploads body and returns the version id S3 gave it.
func put(t *testing.T, c *awss3.Client, bucket, key, body string) string {
	t.Helper()
	out, err := c.PutObject(t.Context(), &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body),
	})
	if err != nil {
		t.Fatalf("PutObject s3://%s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.VersionId)
}

// fixture is a versioned bucket holding validBaseline, and a source reading
// it through a recorder.
type fixture struct {
	s3     *awss3.Client
	bucket string
	key    string
	v1     string
	rec    *recorder
	clock  *clock
	src    *BaselineSource
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := client(t)
	f := &fixture{s3: c, bucket: bucket(t, c, true), key: "eksdrift/baseline.yaml", clock: newClock()}
	f.v1 = put(t, c, f.bucket, f.key, validBaseline)
	f.rec = &recorder{client: c}
	f.src = NewBaselineSource(baseline.Index, f.rec, f.bucket, f.key, revalidateEvery, f.clock.now)
	return f
}

func (f *fixture) uri() string { return "s3://" + f.bucket + "/" + f.key }

// index calls Index and fails the test on an error.
func (f *fixture) index(t *testing.T) (*drift.Index, Info) {
	t.Helper()
	ix, info, err := f.src.Index(t.Context())
	if err != nil {
		t.Fatalf("Index: %v", err)
	}
	return ix, info
}

func (f *fixture) wantRequests(t *testing.T, want int) {
	t.Helper()
	if got := f.rec.count(); got != want {
		t.Errorf("GetObject calls: got %v, want %v", got, want)
	}
}

func TestIndexCachesAndRevalidates(t *testing.T) {
	f := newFixture(t)

	first, info := f.index(t)
	f.wantRequests(t, 1)
	if want := (Info{Reloaded: true, Revalidated: true, VersionID: f.v1}); info != want {
		t.Errorf("first load: got %+v, want %+v", info, want)
	}
	if in := f.rec.last(); in.IfNoneMatch != nil {
		t.Errorf("first load If-None-Match: got %v, want none", aws.ToString(in.IfNoneMatch))
	}
	b := first.Baseline
	if b.Source != f.uri() || b.VersionID != f.v1 || len(b.Clusters) != 1 {
		t.Errorf("baseline: got source %v, version %v, %d clusters, want %v, %v, 1",
			b.Source, b.VersionID, len(b.Clusters), f.uri(), f.v1)
	}
	if _, ok := first.Cluster("111122223333", "us-west-2", "prod"); !ok {
		t.Errorf("the index does not find cluster prod")
	}

	t.Run("WithinTheWindowNoRequest", func(t *testing.T) {
		f.clock.advance(revalidateEvery - time.Nanosecond)
		ix, info := f.index(t)
		f.wantRequests(t, 1)
		if ix != first {
			t.Errorf("index: got a new one, want the cached one")
		}
		if want := (Info{VersionID: f.v1}); info != want {
			t.Errorf("info: got %+v, want %+v", info, want)
		}
	})

	t.Run("AfterTheWindowNotModified", func(t *testing.T) {
		f.clock.advance(time.Nanosecond)
		ix, info := f.index(t)
		f.wantRequests(t, 2)
		if got := aws.ToString(f.rec.last().IfNoneMatch); got == "" || !strings.HasPrefix(got, `"`) {
			t.Errorf("If-None-Match: got %q, want the quoted ETag", got)
		}
		if ix != first {
			t.Errorf("index: got a new one, want the cached one")
		}
		if want := (Info{Revalidated: true, VersionID: f.v1}); info != want {
			t.Errorf("info: got %+v, want %+v", info, want)
		}
		if got := f.src.Stats().NotModified; got != 1 {
			t.Errorf("Stats().NotModified: got %v, want %v", got, 1)
		}
		// The 304 starts a new window.
		f.clock.advance(revalidateEvery / 2)
		f.index(t)
		f.wantRequests(t, 2)
	})

	t.Run("NewVersion", func(t *testing.T) {
		v2 := put(t, f.s3, f.bucket, f.key, secondBaseline)
		if v2 == "" || v2 == f.v1 {
			t.Fatalf("the emulator gave version %q after %q: the test needs versioning", v2, f.v1)
		}
		f.clock.advance(revalidateEvery)
		ix, info := f.index(t)
		f.wantRequests(t, 3)
		if want := (Info{Reloaded: true, Revalidated: true, VersionID: v2}); info != want {
			t.Errorf("info: got %+v, want %+v", info, want)
		}
		if ix == first || len(ix.Baseline.Clusters) != 2 || ix.Baseline.VersionID != v2 {
			t.Errorf("index: got %d clusters at version %v, want 2 at %v", len(ix.Baseline.Clusters), ix.Baseline.VersionID, v2)
		}
	})

	if got, want := f.src.Stats(), (Stats{Requests: 3, Reloads: 2, NotModified: 1}); got != want {
		t.Errorf("Stats: got %+v, want %+v", got, want)
	}
}

func TestIndexZeroWindowAsksEveryTime(t *testing.T) {
	f := newFixture(t)
	src := NewBaselineSource(baseline.Index, f.rec, f.bucket, f.key, 0, nil)
	for range 3 {
		if _, _, err := src.Index(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	f.wantRequests(t, 3)
	if got := src.Stats().NotModified; got != 2 {
		t.Errorf("Stats().NotModified: got %v, want %v", got, 2)
	}
}

func TestIndexUnversionedBucketUsesTheETag(t *testing.T) {
	c := client(t)
	b := bucket(t, c, false)
	put(t, c, b, "baseline.yaml", validBaseline)
	_, info, err := NewBaselineSource(baseline.Index, c, b, "baseline.yaml", time.Minute, nil).Index(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeadObject(t.Context(), &awss3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("baseline.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Trim(aws.ToString(head.ETag), `"`); info.VersionID != want || want == "" {
		t.Errorf("VersionID: got %v, want the ETag %v", info.VersionID, want)
	}
}

func TestIndexInvalidBaseline(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantLine  int
		wantField string
	}{
		{name: "Schema", body: invalidBaseline, wantLine: 2, wantField: "mode"},
		{name: "YAML", body: brokenYAML, wantLine: 4},
		{name: "Empty", body: "", wantLine: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			good, _ := f.index(t)

			// An invalid version replaces a good one: the cache must not
			// stand in for it.
			bad := put(t, f.s3, f.bucket, f.key, tt.body)
			f.clock.advance(revalidateEvery)
			ix, info, err := f.src.Index(t.Context())
			if err == nil || ix != nil {
				t.Fatalf("Index: got %v, %v, want an error and no index", ix, err)
			}
			if info.Stale || info.Reloaded {
				t.Errorf("info: got %+v, want neither stale nor reloaded", info)
			}
			var ie *drift.InvalidBaselineError
			if !errors.As(err, &ie) {
				t.Fatalf("error: got %T %v, want a *drift.InvalidBaselineError", err, err)
			}
			if ie.Source != f.uri() || ie.Line != tt.wantLine {
				t.Errorf("position: got %v:%d, want %v:%d", ie.Source, ie.Line, f.uri(), tt.wantLine)
			}
			if tt.wantField != "" && ie.Field != tt.wantField {
				t.Errorf("field: got %v, want %v", ie.Field, tt.wantField)
			}
			for _, want := range []string{f.uri(), bad} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error: got %q, want it to name %v", err, want)
				}
			}

			// Within the window, and after a 304, the error stands.
			f.clock.advance(revalidateEvery / 2)
			if _, _, again := f.src.Index(t.Context()); !errors.As(again, &ie) {
				t.Errorf("within the window: got %v, want the invalid baseline error", again)
			}
			f.clock.advance(revalidateEvery)
			if _, _, again := f.src.Index(t.Context()); !errors.As(again, &ie) {
				t.Errorf("after a 304: got %v, want the invalid baseline error", again)
			}
			f.wantRequests(t, 3)

			// A fixed baseline is picked up.
			fixed := put(t, f.s3, f.bucket, f.key, validBaseline)
			f.clock.advance(revalidateEvery)
			ix, info = f.index(t)
			if ix == good || info.VersionID != fixed || !info.Reloaded {
				t.Errorf("after the fix: got %+v, want version %v reloaded", info, fixed)
			}
		})
	}
}

func TestIndexNotFound(t *testing.T) {
	c := client(t)
	b := bucket(t, c, true)
	tests := []struct {
		name   string
		bucket string
		key    string
	}{
		{name: "Key", bucket: b, key: "no/such/baseline.yaml"},
		{name: "Bucket", bucket: awstest.Name(t, "no-such-bucket"), key: "baseline.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NewBaselineSource(baseline.Index, c, tt.bucket, tt.key, time.Minute, nil).Index(t.Context())
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("error: got %v, want ErrNotFound", err)
			}
			if want := "s3 baseline s3://" + tt.bucket + "/" + tt.key + ": not found"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error: got %q, want it to start with %q", err, want)
			}
			var ie *drift.InvalidBaselineError
			if errors.As(err, &ie) {
				t.Errorf("error: got an InvalidBaselineError, want none for a missing object")
			}
		})
	}

	t.Run("DeletedAfterLoading", func(t *testing.T) {
		f := newFixture(t)
		f.index(t)
		if _, err := f.s3.DeleteObject(t.Context(), &awss3.DeleteObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(f.key)}); err != nil {
			t.Fatal(err)
		}
		f.clock.advance(revalidateEvery)
		ix, info, err := f.src.Index(t.Context())
		if !errors.Is(err, ErrNotFound) || ix != nil || info.Stale {
			t.Errorf("after deletion: got %v, %+v, %v, want no index and ErrNotFound", ix, info, err)
		}
	})
}

func TestIndexEndpointDown(t *testing.T) {
	t.Run("NothingCached", func(t *testing.T) {
		src := NewBaselineSource(baseline.Index, downClient(t), "some-bucket", "baseline.yaml", time.Minute, nil)
		ix, _, err := src.Index(t.Context())
		if ix != nil || !errors.Is(err, ErrUnreachable) {
			t.Fatalf("Index: got %v, %v, want no index and ErrUnreachable", ix, err)
		}
		if want := "s3 baseline s3://some-bucket/baseline.yaml: unreachable"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error: got %q, want it to start with %q", err, want)
		}
	})

	t.Run("FreshCacheStandsIn", func(t *testing.T) {
		f := newFixture(t)
		f.src.MaxStale = 10 * time.Minute
		good, _ := f.index(t)
		f.rec.use(downClient(t))

		f.clock.advance(revalidateEvery)
		ix, info, err := f.src.Index(t.Context())
		if err != nil || ix != good {
			t.Fatalf("Index with S3 down: got %v, %v, want the cached index", ix, err)
		}
		if !info.Stale || !errors.Is(info.RefreshErr, ErrUnreachable) || info.VersionID != f.v1 || info.Reloaded {
			t.Errorf("info: got %+v, want stale with ErrUnreachable at %v", info, f.v1)
		}
		// A stale result starts no window: S3 is asked again next time.
		ix, info, err = f.src.Index(t.Context())
		if err != nil || ix != good || !info.Stale {
			t.Errorf("again: got %v, %+v, %v, want the cached index, stale", ix, info, err)
		}
		f.wantRequests(t, 3)

		// Too old: S3 confirmed it more than MaxStale ago.
		f.clock.advance(f.src.MaxStale - revalidateEvery)
		ix, info, err = f.src.Index(t.Context())
		if ix != nil || !errors.Is(err, ErrUnreachable) || info.Stale {
			t.Errorf("beyond MaxStale: got %v, %+v, %v, want no index and ErrUnreachable", ix, info, err)
		}

		// S3 is back and the object unchanged: a 304 makes the cache fresh.
		f.rec.use(f.s3)
		ix, info, err = f.src.Index(t.Context())
		if err != nil || ix != good || info.Stale || !info.Revalidated {
			t.Errorf("S3 back: got %v, %+v, %v, want the cached index, revalidated", ix, info, err)
		}
		if got, want := f.src.Stats(), (Stats{Requests: 5, Reloads: 1, NotModified: 1, Stale: 2, Failures: 1}); got != want {
			t.Errorf("Stats: got %+v, want %+v", got, want)
		}
	})

	t.Run("NegativeMaxStaleNeverStandsIn", func(t *testing.T) {
		f := newFixture(t)
		f.src.MaxStale = -1
		f.index(t)
		f.rec.use(downClient(t))
		f.clock.advance(revalidateEvery)
		if ix, _, err := f.src.Index(t.Context()); ix != nil || !errors.Is(err, ErrUnreachable) {
			t.Errorf("Index: got %v, %v, want no index and ErrUnreachable", ix, err)
		}
	})

	t.Run("CanceledContextIsNotStale", func(t *testing.T) {
		f := newFixture(t)
		f.index(t)
		f.clock.advance(revalidateEvery)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		ix, info, err := f.src.Index(ctx)
		if ix != nil || !errors.Is(err, context.Canceled) || info.Stale {
			t.Errorf("Index: got %v, %+v, %v, want no index and context.Canceled", ix, info, err)
		}
	})
}

func TestIndexConcurrentCallsShareOneRequest(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	got := make([]*drift.Index, 8)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], _, errs[i] = f.src.Index(t.Context()) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != got[0] {
			t.Errorf("caller %d: got %p, %v, want %p, nil", i, got[i], errs[i], got[0])
		}
	}
	f.wantRequests(t, 1)
}

// answering is an S3 client whose endpoint answers every request with an S3
// error of the given status and code. MiniStack does not enforce bucket
// policies and does not fail on purpose, so these answers come from a local
// server; the SDK reads them as it would S3's.
func answering(t *testing.T, status int, code string) *awss3.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("x-amz-request-id", "0123456789ABCDEF")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s from the test</Message><RequestId>0123456789ABCDEF</RequestId></Error>`, code, code)
	}))
	t.Cleanup(srv.Close)
	return awss3.NewFromConfig(awstest.Config(t), func(o *awss3.Options) {
		o.UsePathStyle = true
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
}

func TestIndexErrorAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		code      string
		wantIs    error // nil: no sentinel
		wantStale bool  // whether a fresh cached baseline stands in
	}{
		{name: "AccessDenied", status: http.StatusForbidden, code: "AccessDenied", wantIs: ErrAccessDenied},
		{name: "WrongRegion", status: http.StatusMovedPermanently, code: "PermanentRedirect"},
		{name: "SlowDown", status: http.StatusServiceUnavailable, code: "SlowDown", wantIs: ErrUnreachable, wantStale: true},
		{name: "InternalError", status: http.StatusInternalServerError, code: "InternalError", wantIs: ErrUnreachable, wantStale: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Run("NothingCached", func(t *testing.T) {
				src := NewBaselineSource(baseline.Index, answering(t, tt.status, tt.code), "some-bucket", "baseline.yaml", time.Minute, nil)
				ix, _, err := src.Index(t.Context())
				if ix != nil || err == nil {
					t.Fatalf("Index: got %v, %v, want no index and an error", ix, err)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("error: got %v, want %v", err, tt.wantIs)
				}
				for _, want := range []string{"s3 baseline s3://some-bucket/baseline.yaml: ", tt.code} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error: got %q, want it to contain %q", err, want)
					}
				}
			})
			t.Run("FreshCache", func(t *testing.T) {
				f := newFixture(t)
				good, _ := f.index(t)
				f.rec.use(answering(t, tt.status, tt.code))
				f.clock.advance(revalidateEvery)
				ix, info, err := f.src.Index(t.Context())
				if tt.wantStale {
					if ix != good || err != nil || !info.Stale || !errors.Is(info.RefreshErr, tt.wantIs) {
						t.Errorf("Index: got %v, %+v, %v, want the cached index, stale", ix, info, err)
					}
					return
				}
				if ix != nil || err == nil || info.Stale {
					t.Errorf("Index: got %v, %+v, %v, want no index and an error", ix, info, err)
				}
				// The error stands for the window, without asking S3.
				f.clock.advance(revalidateEvery / 2)
				if _, _, again := f.src.Index(t.Context()); again == nil || again.Error() != err.Error() {
					t.Errorf("within the window: got %v, want %v", again, err)
				}
				f.wantRequests(t, 2)
			})
		})
	}
}

// TestIndexBuildsTheIndexOnce checks that a reload judges with the index the
// parser built while validating the baseline: the adapter indexes nothing
// again (it used to call drift.NewIndex on the parsed baseline a second time).
func TestIndexBuildsTheIndexOnce(t *testing.T) {
	f := newFixture(t)
	var built []*drift.Index
	parse := func(source string, data []byte) (*drift.Index, error) {
		ix, err := baseline.Index(source, data)
		built = append(built, ix)
		return ix, err
	}
	ix, info, err := NewBaselineSource(parse, f.rec, f.bucket, f.key, 0, nil).Index(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !info.Reloaded {
		t.Fatalf("Info.Reloaded: got %v, want %v", info.Reloaded, true)
	}
	if len(built) != 1 {
		t.Fatalf("parses: got %v, want %v", len(built), 1)
	}
	if ix != built[0] {
		t.Errorf("index: got %p, want the parser's %p (indexed twice)", ix, built[0])
	}
	if ix.Baseline.Source != f.uri() || ix.Baseline.VersionID != f.v1 {
		t.Errorf("source, version: got %v %v, want %v %v", ix.Baseline.Source, ix.Baseline.VersionID, f.uri(), f.v1)
	}
}
