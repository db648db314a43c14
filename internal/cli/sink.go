package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/replay"
)

// recordBatch is how many findings are recorded in one call: one
// transaction per file would cost more than the judging itself on a trail.
const recordBatch = 500

// recorder is the history as replay and backfill write it.
type recorder interface {
	Record(ctx context.Context, findings []drift.Finding) (int, error)
}

// sink takes judged files' results in order, as replay and backfill get
// them: it prints the findings (drift only unless all), reports skipped
// files, records the findings in batches and adds up the summary.
type sink struct {
	out      *bufio.Writer
	w        findingWriter
	stderr   io.Writer
	store    recorder
	all      bool
	pending  []drift.Finding
	inserted int
	sum      replay.Summary
	// beforeError, when set, runs before an error line (a progress bar
	// clears itself).
	beforeError func()
}

func newSink(stdout, stderr io.Writer, output string, all bool, store recorder) *sink {
	s := &sink{out: bufio.NewWriterSize(stdout, 64<<10), stderr: stderr, store: store, all: all}
	s.w = &tableWriter{w: s.out}
	if output == "json" {
		s.w = &jsonWriter{enc: json.NewEncoder(s.out)}
	}
	if format, ok := findingFormats[output]; ok {
		s.w = format(s.out)
	}
	return s
}

// add takes one file's result.
func (s *sink) add(ctx context.Context, r replay.Result) error {
	s.sum.Add(r)
	for _, err := range r.Errors {
		if s.beforeError != nil {
			s.beforeError()
		}
		hint := ""
		if tl := (*cloudtrail.TooLargeError)(nil); errors.As(err, &tl) && tl.What == "decompressed input" {
			hint = " (--max-file-size)"
		}
		fmt.Fprintln(s.stderr, "eksdrift: skipped:", err.Error()+hint)
	}
	for i := range r.Findings {
		if f := &r.Findings[i]; f.Drift || s.all {
			if err := s.w.write(f); err != nil {
				return err
			}
		}
	}
	s.pending = append(s.pending, r.Findings...)
	if len(s.pending) >= recordBatch {
		return s.flush(ctx)
	}
	return nil
}

func (s *sink) flush(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	n, err := s.store.Record(ctx, s.pending)
	if err != nil {
		return err
	}
	s.inserted += n
	s.pending = s.pending[:0]
	return nil
}

// close records what is pending and flushes the output; err is the run's
// own error, which wins.
func (s *sink) close(ctx context.Context, err error) error {
	if err == nil {
		err = s.flush(ctx)
	}
	if ferr := s.out.Flush(); err == nil {
		err = ferr
	}
	return err
}
