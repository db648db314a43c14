package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// sampleRecords are the CloudTrail records of every CloudTrail sample in events/:
// watched calls, failed and read-only ones, unrelated ones.
func sampleRecords(t *testing.T) []json.RawMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(events, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Detail json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		if len(e.Detail) == 0 || string(e.Detail) == "null" {
			continue // not an EventBridge event (LookupEvents output, for one)
		}
		out = append(out, e.Detail)
	}
	return out
}

// logFile is a gzipped CloudTrail log file holding records.
func logFile(t *testing.T, records []json.RawMessage) []byte {
	t.Helper()
	doc, err := json.Marshal(map[string][]json.RawMessage{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(doc)
	zw.Close()
	return buf.Bytes()
}

func findingIDs(t *testing.T, jsonl string) []string {
	t.Helper()
	var ids []string
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var f struct {
			EventID, Kind, Cluster, Resource string
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("not a finding: %q", line)
		}
		ids = append(ids, f.EventID+"#"+f.Kind+"#"+f.Cluster+"#"+f.Resource)
	}
	slices.Sort(ids)
	return ids
}

// A trail bucket in CloudTrail's layout: two files on one day that share
// records (CloudTrail may deliver a record twice), a file of another region
// and day, a day before the range, a digest file, and unrelated events
// throughout. Backfill must judge exactly what replay judges on the files
// of the range, and record each finding once.
func TestBackfillFromS3(t *testing.T) {
	ctx := context.Background()
	recs := sampleRecords(t)
	const base = "trail/AWSLogs/111122223333/"
	files := map[string][]json.RawMessage{
		base + "CloudTrail/us-west-2/2026/10/03/111122223333_CloudTrail_us-west-2_20261003T1305Z_a1.json.gz":            recs[:25],
		base + "CloudTrail/us-west-2/2026/10/03/111122223333_CloudTrail_us-west-2_20261003T1310Z_a2.json.gz":            recs[20:35],
		base + "CloudTrail/us-east-1/2026/10/22/111122223333_CloudTrail_us-east-1_20261022T0830Z_b1.json.gz":            recs[30:],
		base + "CloudTrail/us-east-1/2026/09/01/111122223333_CloudTrail_us-east-1_20260901T0000Z_old.json.gz":           recs[:5],
		base + "CloudTrail-Digest/us-east-1/2026/10/22/111122223333_CloudTrail-Digest_us-east-1_20261022T0830Z.json.gz": recs[:1],
	}
	s3c := awss3.NewFromConfig(awstest.Config(t), func(o *awss3.Options) { o.UsePathStyle = true })
	bucket := awstest.Name(t, "trail")
	if _, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); awstest.Created(err) != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	for key, rs := range files {
		body := logFile(t, rs)
		if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(key, "/10/") && !strings.Contains(key, "Digest") {
			p := filepath.Join(local, filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	env := stateEnv(t)
	bf := run(t, env, "backfill", "s3://"+bucket+"/trail", "--baseline", sampleBaseline, "--since", "2026-10-01", "--until", "2026-10-31",
		"--all", "--output", "json", "--history", filepath.Join(env["XDG_STATE_HOME"], "backfill.db"))
	if bf.code != ExitOK {
		t.Fatalf("backfill: exit %d\n%s", bf.code, bf.stderr)
	}
	rp := run(t, env, "replay", "--baseline", sampleBaseline, "--all", "--output", "json", "--history", filepath.Join(env["XDG_STATE_HOME"], "replay.db"), local)
	if rp.code != ExitOK {
		t.Fatalf("replay: exit %d\n%s", rp.code, rp.stderr)
	}
	if got, want := findingIDs(t, bf.stdout), findingIDs(t, rp.stdout); !slices.Equal(got, want) {
		t.Errorf("backfill judged\n%q\nreplay judged\n%q", got, want)
	}
	unique := slices.Compact(findingIDs(t, bf.stdout))
	for _, want := range []string{"read 3 log files", fmt.Sprintf("files 3, events read %d", 25+15+len(recs)-30), "not an access change", "failed call"} {
		if !strings.Contains(bf.stderr, want) {
			t.Errorf("backfill summary does not say %q:\n%s", want, bf.stderr)
		}
	}
	recorded := run(t, env, "history", "--output", "json", "--history", filepath.Join(env["XDG_STATE_HOME"], "backfill.db"))
	if got := findingIDs(t, recorded.stdout); !slices.Equal(got, unique) {
		t.Errorf("history holds %d findings, want each of the %d once", len(got), len(unique))
	}
	again := run(t, env, "backfill", "s3://"+bucket+"/trail", "--baseline", sampleBaseline, "--since", "2026-10-01", "--until", "2026-10-31",
		"--history", filepath.Join(env["XDG_STATE_HOME"], "backfill.db"))
	if again.code != ExitOK || !strings.Contains(again.stderr, ": 0 new findings recorded") {
		t.Errorf("a second backfill: exit %d, want 0 new findings:\n%s", again.code, again.stderr)
	}
}

func TestBackfillUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no baseline", []string{"backfill", "s3://b/p"}, "--baseline is required"},
		{"not s3", []string{"backfill", "/tmp/trail", "--baseline", sampleBaseline}, "is not an s3://bucket/prefix URI"},
		{"bad since", []string{"backfill", "s3://b/p", "--baseline", sampleBaseline, "--since", "last week"}, "--since"},
		{"both stores", []string{"backfill", "s3://b/p", "--baseline", sampleBaseline, "--table", "t", "--history", "h"}, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, stateEnv(t), tc.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("got exit %d, stderr %q, want %d and %q", r.code, r.stderr, ExitUsage, tc.want)
			}
		})
	}
}
