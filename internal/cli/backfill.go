package cli

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	since, until, err := backfillPeriod(o)
	if err != nil {
		return err
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
	store, where, closeStore, err := e.backfillStore(ctx, o, cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	bar := newProgress(e.stderr)
	var read atomic.Int64
	bar.show("listing " + uri)
	sources, total, err := trailSources(ctx, cfg, o, bucket, prefix, since, until, &read)
	if err != nil {
		bar.clear()
		return err
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
		len(sources), mb(read.Load()), uri, elapsed.Round(time.Millisecond), mb(read.Load())/max(elapsed.Seconds(), 0.001), float64(sk.sum.Records)/max(elapsed.Seconds(), 0.001))
	if sk.sum.Errors > 0 {
		return &exitError{ExitError}
	}
	return nil
}

// backfillPeriod reads --since and --until.
func backfillPeriod(o backfillOptions) (since, until time.Time, err error) {
	now := time.Now()
	if since, err = parseTime(o.since, now); err != nil {
		return since, until, usageError{fmt.Errorf("backfill: --since: %w", err)}
	}
	if until, err = parseTime(o.until, now); err != nil {
		return since, until, usageError{fmt.Errorf("backfill: --until: %w", err)}
	}
	return since, until, nil
}

// backfillStore opens the history the findings go to: the DynamoDB table
// with --table, the local one otherwise; where names it for the summary.
func (e *env) backfillStore(ctx context.Context, o backfillOptions, cfg aws.Config) (store recorder, where string, closeStore func(), err error) {
	if o.table != "" {
		return dynamodb.New(awsdynamodb.NewFromConfig(cfg), o.table), "DynamoDB table " + o.table, func() {}, nil
	}
	hp, err := e.historyPath(o.historyPath)
	if err != nil {
		return nil, "", nil, err
	}
	db, err := sqlite.Open(ctx, hp)
	if err != nil {
		return nil, "", nil, err
	}
	return db, hp, func() { db.Close() }, nil
}
