// Package replay judges recorded CloudTrail events against a baseline: it
// expands paths into input files, decodes them in parallel, evaluates every
// change, and hands back the findings in input order with a summary. The
// local `eksdrift replay` runs on it, and so will the backfill from S3.
package replay

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// Files expands paths into the input files under them: a file is taken as
// it is; a directory gives its *.json and *.json.gz files, recursively, in
// lexical order.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".json.gz")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("replay: walking %s: %w", p, err)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// Result is what one input file gave.
type Result struct {
	Path     string
	Findings []drift.Finding
	// Records is how many records the file held; Ignored counts those that
	// made no change, by reason.
	Records int
	Ignored map[string]int
	// Errors are the records or the file that could not be read; the other
	// records of the file are still judged. A file over its Decoder's limits
	// is not judged at all.
	Errors []error
}

// Run decodes and judges files with up to workers in parallel (0 means one
// per CPU), calling emit with each file's result in input order. It stops at
// the first error emit returns, or when ctx ends.
func Run(ctx context.Context, files []string, ev *drift.Evaluator, workers int, emit func(Result) error) error {
	return RunSources(ctx, FileSources(files), ev, workers, emit)
}

// RunSources is Run for inputs of any kind: local files, S3 objects. Each
// source is opened, read and judged by one worker; up to workers run at
// once, and at most twice as many results wait in memory for emit, so the
// memory used is bounded whatever the number of sources.
func RunSources(ctx context.Context, sources []Source, ev *drift.Evaluator, workers int, emit func(Result) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Each source gets a one-slot channel; the queue keeps them in input
	// order and bounds how many results wait in memory.
	queue := make(chan chan Result, workers*2)
	sem := make(chan struct{}, workers)
	go func() {
		defer close(queue)
		for _, src := range sources {
			ch := make(chan Result, 1)
			select {
			case queue <- ch:
			case <-ctx.Done():
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(src Source) {
				defer func() { <-sem }()
				ch <- judge(ctx, src, ev)
			}(src)
		}
	}()
	for ch := range queue {
		var r Result
		select {
		case r = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func judge(ctx context.Context, src Source, ev *drift.Evaluator) Result {
	r := Result{Path: src.Name, Ignored: map[string]int{}}
	in, err := src.read(ctx)
	if err != nil {
		r.Errors = append(r.Errors, fmt.Errorf("%s: %w", src.Name, err))
		return r
	}
	if in.audit != nil {
		judgeAudit(&r, in.audit, ev, src.AuditCluster)
		return r
	}
	b := in.trail
	r.Records = b.Total
	for k, n := range b.Ignored {
		r.Ignored[k] += n
	}
	for _, err := range b.Errors {
		r.Errors = append(r.Errors, fmt.Errorf("%s: %w", src.Name, err))
	}
	for i := range b.Records {
		changes, ignored, err := cloudtrail.Changes(&b.Records[i])
		switch {
		case err != nil:
			r.Errors = append(r.Errors, fmt.Errorf("%s: %w", src.Name, err))
		case ignored != "":
			r.Ignored[ignored]++
		}
		for _, c := range changes {
			r.Findings = append(r.Findings, ev.Evaluate(c))
		}
	}
	return r
}

// Summary adds up results for people and metrics.
type Summary struct {
	Files     int
	Records   int
	Changes   int
	Ignored   map[string]int
	Compliant int
	Drift     map[drift.Severity]int
	Decisions map[drift.Decision]int
	Errors    int
}

// Add counts one result.
func (s *Summary) Add(r Result) {
	if s.Ignored == nil {
		s.Ignored, s.Drift, s.Decisions = map[string]int{}, map[drift.Severity]int{}, map[drift.Decision]int{}
	}
	s.Files++
	s.Records += r.Records
	s.Changes += len(r.Findings)
	s.Errors += len(r.Errors)
	for k, n := range r.Ignored {
		s.Ignored[k] += n
	}
	for _, f := range r.Findings {
		if f.Drift {
			s.Drift[f.Severity]++
			s.Decisions[f.Decision]++
		} else {
			s.Compliant++
		}
	}
}

// DriftTotal is how many changes were drift.
func (s *Summary) DriftTotal() int {
	n := 0
	for _, v := range s.Drift {
		n += v
	}
	return n
}
