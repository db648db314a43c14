package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func newHistoryCmd(e *env) *cobra.Command {
	var (
		q                                 drift.HistoryQuery
		kind, severity, decision, outcome string
		since, until, output              string
		store                             storeFlags
	)
	cmd := &cobra.Command{
		Use:   "history [flags]",
		Short: "Query the drift history",
		Long: `History prints the recorded findings that match every filter given, oldest
first: who changed what, when, what eksdrift decided, and what the reverter
did about it.

It reads the local history that replay records, or, with --table (or
$EKSDRIFT_HISTORY_TABLE), the DynamoDB history of a deployment, through the
standard AWS credential chain (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL...).
Both answer the same filters. Results are read and printed page by page;
on a terminal, stderr shows the progress of a long query.`,
		Example: `  eksdrift history --cluster prod --since 30d
  eksdrift history --principal arn:aws:iam::111122223333:role/contractor --output csv > contractor.csv
  eksdrift history --actor arn:aws:iam::111122223333:user/bob --drift-only --output json
  eksdrift history --table eksdrift-history --severity critical --outcome revert-failed --since 90d`,
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
			return e.history(cmd.Context(), store, q, output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Cluster, "cluster", "", "only this cluster")
	f.StringVar(&q.Account, "account", "", "only this AWS account")
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
	store.add(f)
	return cmd
}

func (e *env) history(ctx context.Context, s storeFlags, q drift.HistoryQuery, output string) error {
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
		w = &tableWriter{w: out, outcome: true}
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

// parseFilters checks the filters whose values are fixed lists and sets
// them on q.
func parseFilters(q *drift.HistoryQuery, kind, severity, decision, outcome string) error {
	if kind != "" {
		if !validKind(kind) {
			return fmt.Errorf("--kind %q is not one of %s", kind, kindList())
		}
		q.Kind = drift.Kind(kind)
	}
	if severity != "" {
		if drift.Severity(severity).Rank() < 0 {
			return fmt.Errorf("--severity %q is not one of %s", severity, severityList())
		}
		q.Severity = drift.Severity(severity)
	}
	if decision != "" {
		if !slices.Contains(decisionValues, drift.Decision(decision)) {
			return fmt.Errorf("--decision %q is not one of %s", decision, decisionList())
		}
		q.Decision = drift.Decision(decision)
	}
	if outcome != "" {
		if !slices.Contains(outcomeValues, outcome) {
			return fmt.Errorf("--outcome %q is not one of %s", outcome, outcomeList())
		}
		q.Outcome = outcome
	}
	return nil
}

var (
	decisionValues = []drift.Decision{drift.DecisionNone, drift.DecisionAlert, drift.DecisionDryRun, drift.DecisionRevert,
		drift.DecisionBreakGlass, drift.DecisionRemediation}
	outcomeValues = []string{drift.ResultReverted, drift.ResultAlreadyCompliant, drift.ResultRevertFailed, drift.ResultDryRun,
		drift.ResultSkipped, drift.OutcomeNone}
)

func severityList() string {
	s := make([]string, len(drift.Severities))
	for i, v := range drift.Severities {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func decisionList() string {
	s := make([]string, len(decisionValues))
	for i, v := range decisionValues {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func outcomeList() string { return strings.Join(outcomeValues, ", ") + " (no outcome recorded)" }

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
