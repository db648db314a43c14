package wiring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// largeBaseline declares n clusters of eight access entries each: large
// enough that indexing it costs far more allocations than the S3 request
// that fetches it.
func largeBaseline(n int) string {
	var b strings.Builder
	b.WriteString("version: 1\nmode: alert\nclusters:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: c%d\n    account: \"111122223333\"\n    region: us-west-2\n    accessEntries:\n", i)
		for j := range 8 {
			fmt.Fprintf(&b, "      - principalArn: arn:aws:iam::111122223333:role/r%d\n        kubernetesGroups: [dev]\n", j)
		}
	}
	return b.String()
}

// object stores body as s3://bucket/key on the emulator.
func object(t testing.TB, cfg aws.Config, body string) (bucket, key string) {
	t.Helper()
	c := awss3.NewFromConfig(cfg)
	bucket, key = awstest.Name(t, "baseline"), "baseline.yaml"
	if _, err := c.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); awstest.Created(err) != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
	if _, err := c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("PutObject s3://%s/%s: %v", bucket, key, err)
	}
	return bucket, key
}

// TestBaselineReloadIndexesOnce counts allocations: what a reload from S3
// allocates beyond parsing the document (which validates it, indexing it
// once) must be less than one more index of it. The S3 adapter used to
// index the parsed baseline again on every reload.
func TestBaselineReloadIndexesOnce(t *testing.T) {
	cfg := awstest.Config(t)
	data := largeBaseline(1000)
	bucket, key := object(t, cfg, data)
	ctx := context.Background()
	uri := "s3://" + bucket + "/" + key

	b, err := baseline.Parse(uri, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	index := testing.AllocsPerRun(3, func() {
		if _, err := drift.NewIndex(b); err != nil {
			t.Fatal(err)
		}
	})
	parse := testing.AllocsPerRun(3, func() {
		if _, err := baseline.Parse(uri, []byte(data)); err != nil {
			t.Fatal(err)
		}
	})
	reload := testing.AllocsPerRun(3, func() {
		// A new source each time: a cached one would get a 304 and parse nothing.
		ix, _, err := wiring.BaselineSource(cfg, bucket, key, 0, 0).Index(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ix.Baseline.Clusters) != 1000 {
			t.Fatalf("clusters: got %v, want %v", len(ix.Baseline.Clusters), 1000)
		}
	})
	t.Logf("allocations: parse %.0f, index %.0f, reload %.0f (fetch and index beyond the parse: %.0f)", parse, index, reload, reload-parse)
	if reload-parse >= index {
		t.Errorf("allocations of a reload beyond the parse: got %.0f, want less than one index (%.0f): the baseline is indexed twice", reload-parse, index)
	}
}

// BenchmarkBaselineReload is one reload of a 1000-cluster baseline from S3:
// fetch, validate, index.
func BenchmarkBaselineReload(b *testing.B) {
	cfg := awstest.Config(b)
	bucket, key := object(b, cfg, largeBaseline(1000))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := wiring.BaselineSource(cfg, bucket, key, 0, 0).Index(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// switchable is the emulator's HTTP client until down is set, then a
// connection that fails: S3 gone for a moment, which MiniStack cannot be
// asked to simulate.
type switchable struct {
	aws.HTTPClient
	down bool
}

func (s *switchable) Do(r *http.Request) (*http.Response, error) {
	if s.down {
		return nil, errors.New("dial tcp: connection refused")
	}
	return s.HTTPClient.Do(r)
}

// TestBaselineLogsReloadsAndStaleness checks what every function says about
// its baseline: a reload is counted and logged once with its source and
// version, a cached answer says nothing, and a cached baseline standing in
// for S3 is a warning.
func TestBaselineLogsReloadsAndStaleness(t *testing.T) {
	cfg := awstest.Config(t)
	bucket, key := object(t, cfg, largeBaseline(1))
	net := &switchable{HTTPClient: cfg.HTTPClient}
	cfg.HTTPClient = net
	cfg.RetryMaxAttempts = 1
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	set := &metrics.Set{}
	src := wiring.BaselineSource(cfg, bucket, key, 0, 0)
	get := wiring.Baseline(src, set, log)
	uri := "s3://" + bucket + "/" + key

	type line struct {
		Level, Msg, Source, Version string
	}
	read := func() []line {
		var out []line
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if l == "" {
				continue
			}
			var v struct {
				Level   string `json:"level"`
				Msg     string `json:"msg"`
				Source  string `json:"source"`
				Version string `json:"version"`
			}
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			out = append(out, line{v.Level, v.Msg, v.Source, v.Version})
		}
		logs.Reset()
		return out
	}
	steps := []struct {
		name    string
		down    bool
		want    []string // level and message of each line
		reloads float64
	}{
		{"first load", false, []string{"INFO baseline loaded"}, 1},
		{"not modified", false, nil, 1},
		{"S3 unreachable", true, []string{"WARN baseline: S3 unavailable, using the cached version"}, 1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			net.down = st.down
			ix, err := get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range read() {
				got = append(got, l.Level+" "+l.Msg)
				if l.Source != uri || l.Version != ix.Baseline.VersionID {
					t.Errorf("source, version: got %v %v, want %v %v", l.Source, l.Version, uri, ix.Baseline.VersionID)
				}
			}
			if strings.Join(got, "|") != strings.Join(st.want, "|") {
				t.Errorf("logs: got %v, want %v", got, st.want)
			}
			if n := set.Get(metrics.BaselineReloads); n != st.reloads {
				t.Errorf("%s: got %v, want %v", metrics.BaselineReloads, n, st.reloads)
			}
		})
	}
}

// TestCommandLinksNoLambdaRuntime keeps the command free of the Lambda
// runtime: it shares this package with the functions, not lambdamain.
func TestCommandLinksNoLambdaRuntime(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/eksdrift").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/aws/aws-lambda-go") || p == "github.com/eksdrift/eksdrift/internal/lambdamain" {
			t.Errorf("cmd/eksdrift links %s", p)
		}
	}
	if !strings.Contains(string(out), "github.com/eksdrift/eksdrift/internal/wiring") {
		t.Errorf("cmd/eksdrift does not link internal/wiring: the command builds its AWS configuration elsewhere")
	}
}

// TestBaselineSourceCompilesTheSchemaAhead checks that building a baseline
// source starts compiling the JSON Schema, so that a function's first event
// does not compile it after the S3 round trip. It runs in a process of its
// own, where nothing has validated a baseline yet.
func TestBaselineSourceCompilesTheSchemaAhead(t *testing.T) {
	if os.Getenv("WIRING_FRESH_PROCESS") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBaselineSourceCompilesTheSchemaAhead$", "-test.count=1")
		cmd.Env = append(os.Environ(), "WIRING_FRESH_PROCESS=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("in a fresh process: %v\n%s", err, out)
		}
		return
	}
	if baseline.Compiled() {
		t.Fatalf("schema compiled before any source was built: got %v, want %v", true, false)
	}
	// No request is made: the source is only built, never asked.
	wiring.BaselineSource(aws.Config{Region: "us-east-1"}, "bucket", "baseline.yaml", 0, 0)
	deadline := time.Now().Add(10 * time.Second)
	for !baseline.Compiled() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !baseline.Compiled() {
		t.Errorf("schema compiled 10 s after the source was built, with no Index call: got %v, want %v", false, true)
	}
}
