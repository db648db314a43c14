package cli

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/replay"
	"github.com/eksdrift/eksdrift/internal/s3"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

// defaultBackfillWorkers is how many log files a backfill reads at once:
// more than the CPUs, since most of the time goes waiting on S3.
const defaultBackfillWorkers = 16

type backfillOptions struct {
	baseline, since, until string
	historyPath, table     string
	output, region         string
	all                    bool
	workers                int
	maxFileSize            sizeFlag
}

func newBackfillCmd(e *env) *cobra.Command {
	o := backfillOptions{maxFileSize: sizeFlag(cloudtrail.DefaultMaxDecompressed)}
	cmd := &cobra.Command{
		Use:   "backfill s3://BUCKET/PREFIX --baseline FILE|s3://BUCKET/KEY [--since 30d] [flags]",
		Short: "Judge a trail's CloudTrail log files in S3 and record them in the history",
		Long: `Backfill reads the log files a CloudTrail trail delivered to S3, under
PREFIX/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/, for the days from
--since to --until (whole UTC days), in every account and region under the
prefix. Each file is streamed from S3, decoded and judged as "eksdrift
replay" does, several at a time, with memory bounded whatever the number of
files. Findings go to the history, idempotently: a record found in two files,
or backfilled twice, is recorded once. It prints the drift (everything with
--all) on stdout and a summary on stderr.

The history is the local one unless --table names the DynamoDB history of a
deployment. Backfilled findings are not published and not confirmed on the
live state: they tell what happened then.

A log file over --max-file-size of JSON once decompressed (a gzip bomb), or
with a record over 4 MiB, is reported and skipped; an unreadable record is
reported with its file, place and eventID, and the file's other records are
judged. The exit code is then 1.`,
		Example: `  eksdrift backfill s3://org-trail-logs --baseline baseline.yaml --since 30d
  eksdrift backfill s3://org-trail-logs/AWSLogs/o-abc123/111122223333 --baseline s3://eksdrift-config/baseline.yaml \
      --since 2026-09-01 --until 2026-10-01 --table eksdrift-history --output json > findings.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.baseline == "" {
				return usageError{fmt.Errorf("backfill: --baseline is required")}
			}
			if o.output != "table" && o.output != "json" {
				return usageError{fmt.Errorf("backfill: --output must be table or json, got %q", o.output)}
			}
			if o.table != "" && o.historyPath != "" {
				return usageError{fmt.Errorf("backfill: give --history or --table, not both")}
			}
			return e.backfill(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.baseline, "baseline", "", "baseline file (YAML or JSON) or s3://bucket/key")
	f.StringVar(&o.since, "since", "", "first day: RFC 3339, a date (2026-09-01) or an age (30d); default: every day")
	f.StringVar(&o.until, "until", "", "last day, same forms as --since; default: today")
	f.StringVar(&o.historyPath, "history", "", "history database (default $XDG_STATE_HOME/eksdrift/history.db)")
	f.StringVar(&o.table, "table", "", "record in this DynamoDB history table instead of the local history")
	f.StringVarP(&o.output, "output", "o", "table", "table or json (one JSON object a line)")
	f.BoolVar(&o.all, "all", false, "also print compliant changes")
	f.IntVar(&o.workers, "workers", defaultBackfillWorkers, "log files read at once")
	f.Var(&o.maxFileSize, "max-file-size", maxFileSizeUsage)
	f.StringVar(&o.region, "region", "", "region of the bucket and the table (default: the configured region for the table, the bucket's own for the bucket)")
	return cmd
}

func (e *env) backfill(ctx context.Context, uri string, o backfillOptions) error {
	bucket, prefix, ok := s3.ParseURI(uri)
	if !ok {
		return usageError{fmt.Errorf("backfill: %q is not an s3://bucket/prefix URI", uri)}
	}
	now := time.Now()
	since, err := parseTime(o.since, now)
	if err != nil {
		return usageError{fmt.Errorf("backfill: --since: %w", err)}
	}
	until, err := parseTime(o.until, now)
	if err != nil {
		return usageError{fmt.Errorf("backfill: --until: %w", err)}
	}
	cfg, err := awsConfig(ctx, o.region)
	if err != nil {
		return err
	}
	ix, err := loadBaseline(ctx, o.baseline, func() (aws.Config, error) { return cfg, nil })
	if err != nil {
		if _, ok := err.(usageError); ok {
			return err
		}
		fmt.Fprintln(e.stderr, err)
		return &exitError{ExitError}
	}
	var (
		store recorder
		where string
	)
	if o.table != "" {
		store, where = dynamodb.New(awsdynamodb.NewFromConfig(cfg), o.table), "DynamoDB table "+o.table
	} else {
		hp, err := e.historyPath(o.historyPath)
		if err != nil {
			return err
		}
		db, err := sqlite.Open(ctx, hp)
		if err != nil {
			return err
		}
		defer db.Close()
		store, where = db, hp
	}

	bar := newProgress(e.stderr)
	s3cfg := cfg
	if o.region == "" {
		// A trail's bucket is often in another region than the reader.
		r, err := s3.BucketRegion(ctx, awss3.NewFromConfig(cfg), bucket)
		if err != nil {
			return err
		}
		if r != "" {
			s3cfg.Region = r
		}
	}
	logs := s3.NewTrailLogs(awss3.NewFromConfig(s3cfg), bucket)
	bar.show("listing " + uri)
	objects, err := logs.List(ctx, prefix, since, until)
	if err != nil {
		bar.clear()
		return err
	}
	var total int64
	var read atomic.Int64
	sources := make([]replay.Source, len(objects))
	for i, obj := range objects {
		total += obj.Size
		sources[i] = replay.Source{Name: "s3://" + bucket + "/" + obj.Key, Size: obj.Size, Open: func(ctx context.Context) (io.ReadCloser, error) {
			rc, err := logs.Open(ctx, obj.Key)
			if err != nil {
				return nil, err
			}
			return replay.CountingReader{R: rc, N: &read}, nil
		}, Decoder: cloudtrail.Decoder{MaxDecompressed: int64(o.maxFileSize)}}
	}

	sk := newSink(e.stdout, e.stderr, o.output, o.all, store)
	sk.beforeError = bar.clear
	start := time.Now()
	err = replay.RunSources(ctx, sources, drift.NewEvaluator(ix), o.workers, func(r replay.Result) error {
		if err := sk.add(ctx, r); err != nil {
			return err
		}
		secs := time.Since(start).Seconds()
		bar.show(fmt.Sprintf("backfilling %s %d/%d files · %.1f/%.1f MB · %.1f MB/s · %d drift",
			progressBar(sk.sum.Files, len(sources)), sk.sum.Files, len(sources), mb(read.Load()), mb(total), mb(read.Load())/max(secs, 0.001), sk.sum.DriftTotal()))
		return nil
	})
	err = sk.close(ctx, err)
	bar.clear()
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	writeSummary(e.stderr, &sk.sum, sk.inserted, where, ix.Baseline)
	fmt.Fprintf(e.stderr, "read %d log files, %.1f MB from %s in %s: %.1f MB/s, %.0f records/s\n",
		len(objects), mb(read.Load()), uri, elapsed.Round(time.Millisecond), mb(read.Load())/max(elapsed.Seconds(), 0.001), float64(sk.sum.Records)/max(elapsed.Seconds(), 0.001))
	if sk.sum.Errors > 0 {
		return &exitError{ExitError}
	}
	return nil
}

func mb(n int64) float64 { return float64(n) / 1e6 }
