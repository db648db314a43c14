package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

func newHistoryCmd(e *env) *cobra.Command {
	var (
		q                          drift.HistoryQuery
		kind, since, until, output string
		historyPath                string
	)
	cmd := &cobra.Command{
		Use:   "history [flags]",
		Short: "Query the drift history",
		Long: `History prints the recorded findings that match every filter given, oldest
first: who changed what, when, what eksdrift decided.`,
		Example: `  eksdrift history --cluster prod --since 30d
  eksdrift history --principal arn:aws:iam::111122223333:role/contractor --output csv > contractor.csv
  eksdrift history --actor arn:aws:iam::111122223333:user/bob --drift-only --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			var err error
			if q.Since, err = parseTime(since, now); err != nil {
				return usageError{fmt.Errorf("history: --since: %w", err)}
			}
			if q.Until, err = parseTime(until, now); err != nil {
				return usageError{fmt.Errorf("history: --until: %w", err)}
			}
			if kind != "" {
				if !validKind(kind) {
					return usageError{fmt.Errorf("history: --kind %q is not one of %s", kind, kindList())}
				}
				q.Kind = drift.Kind(kind)
			}
			if output != "table" && output != "json" && output != "csv" {
				return usageError{fmt.Errorf("history: --output must be table, json or csv, got %q", output)}
			}
			return e.history(cmd.Context(), historyPath, q, output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Cluster, "cluster", "", "only this cluster")
	f.StringVar(&q.Principal, "principal", "", "only changes to this principal's access (IAM ARN)")
	f.StringVar(&q.Actor, "actor", "", "only changes made by this actor (canonical IAM ARN)")
	f.StringVar(&kind, "kind", "", "only this kind: "+kindList())
	f.StringVar(&since, "since", "", "from this time: RFC 3339 (2026-03-14T09:00:00Z), a date (2026-03-14), or an age (30d, 12h)")
	f.StringVar(&until, "until", "", "before this time, same forms as --since")
	f.BoolVar(&q.DriftOnly, "drift-only", false, "leave out compliant changes")
	f.IntVar(&q.Limit, "limit", 0, "at most this many findings (0: all)")
	f.StringVarP(&output, "output", "o", "table", "table, json (one object a line) or csv")
	f.StringVar(&historyPath, "history", "", "history database (default $XDG_STATE_HOME/eksdrift/history.db)")
	return cmd
}

func (e *env) history(ctx context.Context, historyFlag string, q drift.HistoryQuery, output string) error {
	hp, err := e.historyPath(historyFlag)
	if err != nil {
		return err
	}
	// Querying must not leave an empty database behind a mistyped path.
	if _, err := os.Stat(hp); err != nil {
		return fmt.Errorf("history: no history at %s (eksdrift replay records one; --history chooses another): %w", hp, err)
	}
	store, err := sqlite.Open(ctx, hp)
	if err != nil {
		return err
	}
	defer store.Close()
	found, err := store.Query(ctx, q)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	var w findingWriter
	var cw *csv.Writer
	switch output {
	case "json":
		w = &jsonWriter{enc: json.NewEncoder(out)}
	case "csv":
		cw = csv.NewWriter(out)
		w = &csvWriter{w: cw}
	default:
		w = &tableWriter{w: out}
	}
	for i := range found {
		if err := w.write(&found[i]); err != nil {
			return err
		}
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d findings in %s\n", len(found), hp)
	return nil
}

// parseTime reads an absolute time (RFC 3339 or a date) or an age before
// now ("30d", "12h", "90m").
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	if strings.HasSuffix(s, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a date (2006-01-02) or an age (30d, 12h)", s)
}

func validKind(k string) bool {
	for _, v := range drift.Kinds {
		if string(v) == k {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(drift.Kinds))
	for i, k := range drift.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
