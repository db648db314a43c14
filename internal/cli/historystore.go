package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/spf13/pflag"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

// progressAfter is how long a query runs before it shows its progress.
const progressAfter = 300 * time.Millisecond

// defaultPageSize is how many findings the auditors' commands read from the
// history at a time: one DynamoDB query page holds about this many.
const defaultPageSize = 1000

// storeFlags choose the history that history, access and report read: the
// local SQLite file that replay writes, or the DynamoDB table of a
// deployment, with the same filters either way.
type storeFlags struct {
	history  string
	table    string
	region   string
	pageSize int
}

func (s *storeFlags) add(f *pflag.FlagSet) {
	f.StringVar(&s.history, "history", "", "local history database (default $XDG_STATE_HOME/eksdrift/history.db)")
	f.StringVar(&s.table, "table", "", "read the DynamoDB history table of a deployment instead (default $"+config.EnvHistoryTable+")")
	f.StringVar(&s.region, "region", "", "AWS region of the table and the baseline bucket (default: the configured region)")
	f.IntVar(&s.pageSize, "page-size", defaultPageSize, "findings read from the history per request")
}

// historySource is an open history and what it takes to read AWS.
type historySource struct {
	store drift.HistoryStore
	// where names the history for people: a path, or "DynamoDB table X".
	where    string
	close    func() error
	pageSize int

	region string
	cfg    *aws.Config
}

// openHistory opens the history the flags choose: --history, else --table,
// else $EKSDRIFT_HISTORY_TABLE, else the default local file, which must
// exist (querying must not leave an empty database behind a typo).
func (e *env) openHistory(ctx context.Context, cmd string, s storeFlags) (*historySource, error) {
	if s.history != "" && s.table != "" {
		return nil, usageError{fmt.Errorf("%s: give --history or --table, not both", cmd)}
	}
	if s.pageSize <= 0 {
		return nil, usageError{fmt.Errorf("%s: --page-size must be positive, got %d", cmd, s.pageSize)}
	}
	h := &historySource{pageSize: s.pageSize, region: s.region, close: func() error { return nil }}
	table := s.table
	if table == "" && s.history == "" {
		table = e.getenv(config.EnvHistoryTable)
	}
	if table != "" {
		cfg, err := h.aws(ctx)
		if err != nil {
			return nil, err
		}
		h.store, h.where = dynamodb.New(awsdynamodb.NewFromConfig(cfg), table), "DynamoDB table "+table
		return h, nil
	}
	path, err := e.historyPath(s.history)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%s: no history at %s (eksdrift replay records one; --history chooses another, --table a DynamoDB one): %w", cmd, path, err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	h.store, h.where, h.close = db, path, db.Close
	return h, nil
}

// aws loads the SDK configuration once, the way the AWS CLI does: the
// standard credential chain, the configured region, AWS_ENDPOINT_URL.
func (h *historySource) aws(ctx context.Context) (aws.Config, error) {
	if h.cfg == nil {
		cfg, err := awsConfig(ctx, h.region)
		if err != nil {
			return cfg, err
		}
		h.cfg = &cfg
	}
	return *h.cfg, nil
}

// each reads the findings that match q page by page, oldest first, each
// page starting after the last finding of the one before, and calls fn
// with each page; q.Limit bounds the total. On a terminal, p shows how far
// a long query got.
func (h *historySource) each(ctx context.Context, q drift.HistoryQuery, p *progress, fn func([]drift.Finding) error) (int, error) {
	limit, n, pages := q.Limit, 0, 0
	for {
		q.Limit = h.pageSize
		if limit > 0 {
			q.Limit = min(h.pageSize, limit-n)
		}
		page, err := h.store.Query(ctx, q)
		if err != nil {
			return n, err
		}
		n += len(page)
		pages++
		// Only a query that takes a while says how far it got: a quick
		// one would only flicker.
		if p != nil && time.Since(p.start) >= progressAfter {
			p.show(fmt.Sprintf("reading %s: %d findings, %d requests, %v", h.where, n, pages, p.elapsed()))
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return n, err
			}
		}
		if len(page) < q.Limit || (limit > 0 && n >= limit) {
			return n, nil
		}
		q.After = drift.CursorOf(page[len(page)-1])
	}
}

// all reads every finding that matches q.
func (h *historySource) all(ctx context.Context, q drift.HistoryQuery, p *progress) ([]drift.Finding, error) {
	found := []drift.Finding{}
	_, err := h.each(ctx, q, p, func(page []drift.Finding) error {
		found = append(found, page...)
		return nil
	})
	return found, err
}

// inclusive turns "at t" into the exclusive bound Until asks for.
func inclusive(t time.Time) time.Time { return t.Add(time.Nanosecond) }
