package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// historyLong is the help of eksdrift history.
const historyLong = `History prints the recorded findings that match every filter given, oldest
first: who changed what, when, what eksdrift decided, and what the reverter
did about it.

It reads the local history that replay records, or, with --table (or
$EKSDRIFT_HISTORY_TABLE), the DynamoDB history of a deployment, through the
standard AWS credential chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...).
Both answer the same filters. Results are read and printed page by page;
on a terminal, stderr shows the progress of a long query.`

func newHistoryCmd(e *env) *cobra.Command {
	var (
		q                                 drift.HistoryQuery
		kind, severity, decision, outcome string
		since, until, output              string
		store                             storeFlags
		naming                            namesFlags
	)
	cmd := &cobra.Command{
		Use:   "history [flags]",
		Short: "Query the drift history",
		Long:  historyLong,
		Example: `  eksdrift history --cluster prod --since 30d
  eksdrift history --principal arn:aws:iam::111122223333:role/contractor --output csv > contractor.csv
  eksdrift history --actor arn:aws:iam::111122223333:user/bob --drift-only --output json
  eksdrift history --table eksdrift-history --severity critical --outcome revert-failed --since 90d
  eksdrift history --account 111122223333,444455556666 --drift-only --since 7d
  eksdrift history --table eksdrift-history --account 111122223333,444455556666 --org-names`,
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
			if err := parseFilters(&q, kind, severity, decision, outcome); err != nil {
				return usageError{fmt.Errorf("history: %w", err)}
			}
			if q.Limit < 0 {
				return usageError{fmt.Errorf("history: --limit must not be negative, got %d", q.Limit)}
			}
			if _, ok := findingFormats[output]; !ok && output != "table" && output != "json" && output != "csv" {
				return usageError{fmt.Errorf("history: --output must be table, json or csv, or a finding format: asff or ocsf; got %q", output)}
			}
			return e.history(cmd.Context(), store, naming, q, output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Cluster, "cluster", "", "only this cluster")
	f.Var((*accountsFlag)(&q.Accounts), "account", "only these AWS accounts (12 digits each, comma-separated)")
	f.StringVar(&q.Principal, "principal", "", "only changes to this principal's access (IAM ARN)")
	f.StringVar(&q.Actor, "actor", "", "only changes made by this actor (canonical IAM ARN)")
	f.StringVar(&kind, "kind", "", "only this kind: "+kindList())
	f.StringVar(&severity, "severity", "", "only this severity: "+severityList())
	f.StringVar(&decision, "decision", "", "only this decision: "+decisionList())
	f.StringVar(&outcome, "outcome", "", "only this revert outcome: "+outcomeList())
	f.StringVar(&since, "since", "", "from this time: RFC 3339 (2026-03-14T09:00:00Z), a date (2026-03-14), or an age (30d, 12h)")
	f.StringVar(&until, "until", "", "before this time, same forms as --since")
	f.BoolVar(&q.DriftOnly, "drift-only", false, "leave out compliant changes")
	f.IntVar(&q.Limit, "limit", 0, "at most this many findings (0: all)")
	f.StringVarP(&output, "output", "o", "table", "table, json (one object a line), csv, asff (Security Hub) or ocsf (Detection Finding), one object a line")
	naming.add(f)
	store.add(f)
	return cmd
}

func (e *env) history(ctx context.Context, s storeFlags, naming namesFlags, q drift.HistoryQuery, output string) error {
	file, err := loadAliases("history", naming.aliases)
	if err != nil {
		return err
	}
	h, err := e.openHistory(ctx, "history", s)
	if err != nil {
		return err
	}
	defer h.close()
	out := bufio.NewWriter(e.stdout)
	var w findingWriter
	var cw *csv.Writer
	switch output {
	case "asff", "ocsf":
		w = findingFormats[output](out)
	case "json":
		w = &jsonWriter{enc: json.NewEncoder(out)}
	case "csv":
		cw = csv.NewWriter(out)
		w = &csvWriter{w: cw}
	default:
		w = e.historyTable(ctx, out, naming, file, h, q.Accounts)
	}
	p := newProgress(e.stderr)
	n, err := h.each(ctx, q, p, func(page []drift.Finding) error {
		// Each page is printed as it comes, so a large result never sits
		// whole in memory; the progress line goes first.
		p.clear()
		for i := range page {
			if err := w.write(&page[i]); err != nil {
				return err
			}
		}
		if cw != nil {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
		return out.Flush()
	})
	p.clear()
	if err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d findings in %s\n", n, h.where)
	return nil
}

// historyTable is the history's table. Findings of several accounts asked
// for get an ACCOUNT column that says which is which, with their names;
// the accounts are known before the first page, so the column's width is
// too, and the table still streams.
func (e *env) historyTable(ctx context.Context, out io.Writer, naming namesFlags, file drift.AccountAliases, h *historySource, accounts []string) *tableWriter {
	t := &tableWriter{w: out, outcome: true, account: len(accounts) > 1}
	if !t.account {
		return t
	}
	// Only the names of these accounts: the column is as wide as its
	// widest, not as the file's.
	names := e.accountNames(ctx, "history", naming, file, h, accounts)
	t.names = drift.AccountAliases{}
	for _, id := range accounts {
		if n := names.Name(id); n != "" {
			t.names[id] = n
		}
	}
	return t
}
