package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/report"
)

type reportOptions struct {
	since, until, cluster, baseline, output string
	accounts                                accountsFlag
	naming                                  namesFlags
	store                                   storeFlags
}

func newReportCmd(e *env) *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report --since AGE -o FILE [flags]",
		Short: "Write an audit report of a period as one self-contained HTML file",
		Long: `Report writes one HTML file for auditors, which opens offline (nothing in it
is fetched from anywhere) and prints cleanly:

  - a summary: findings by severity and by decision, reverts that succeeded
    and failed, how long drift that granted access lasted (median, worst)
  - a timeline of drift per cluster, coloured by severity
  - every finding of the period in a table that sorts and filters in the page
  - for each cluster, who could reach it at the end of the period: the
    baseline in force then, with drift still open marked as such

It reads the history as "eksdrift history" does (--history, --table), and the
baseline as "eksdrift access" does (--baseline FILE or s3://bucket/key).`,
		Example: `  eksdrift report --since 90d -o report.html
  eksdrift report --table eksdrift-history --baseline s3://eksdrift-config/baseline.yaml \
      --since 2026-07-01 --until 2026-10-01 -o q3.html
  eksdrift report --since 90d --account 111122223333,444455556666 --aliases accounts.yaml -o accounts.html
  eksdrift report --table eksdrift-history --since 90d --org-names -o org.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.output == "" {
				return usageError{fmt.Errorf("report: -o FILE is required (- for stdout)")}
			}
			if o.since == "" {
				return usageError{fmt.Errorf("report: --since is required (an age such as 90d, or a date)")}
			}
			return e.report(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "", "start of the period: RFC 3339, a date (2026-07-01), or an age (90d)")
	f.StringVar(&o.until, "until", "", "end of the period, same forms (default: now)")
	f.StringVar(&o.cluster, "cluster", "", "only this cluster")
	f.Var(&o.accounts, "account", "only these AWS accounts (12 digits each, comma-separated); several accounts get a section each")
	o.naming.add(f)
	f.StringVar(&o.baseline, "baseline", "", "baseline file, or s3://bucket/key for its versions (default $EKSDRIFT_BASELINE_BUCKET/$EKSDRIFT_BASELINE_KEY)")
	f.StringVarP(&o.output, "output", "o", "", "the HTML file to write, - for stdout")
	o.store.add(f)
	return cmd
}

func (e *env) report(ctx context.Context, o reportOptions) error {
	now := time.Now().UTC()
	since, err := parseTime(o.since, now)
	if err != nil {
		return usageError{fmt.Errorf("report: --since: %w", err)}
	}
	until, err := parseTime(o.until, now)
	if err != nil {
		return usageError{fmt.Errorf("report: --until: %w", err)}
	}
	if until.IsZero() {
		until = now
	}
	if !since.Before(until) {
		return usageError{fmt.Errorf("report: --since %s is not before --until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))}
	}
	aliases, err := loadAliases("report", o.naming.aliases)
	if err != nil {
		return err
	}
	h, err := e.openHistory(ctx, "report", o.store)
	if err != nil {
		return err
	}
	defer h.close()
	versions, err := e.auditBaselines(ctx, "report", h, o.baseline, since, until)
	if err != nil {
		return err
	}

	p := newProgress(e.stderr)
	defer p.clear()
	history, err := reportHistory(ctx, h, drift.HistoryQuery{Cluster: o.cluster, Accounts: o.accounts}, versions, since, until, p)
	if err != nil {
		return err
	}
	p.clear()

	r := audit.BuildReport(audit.ReportInput{
		Since: since, Until: until, GeneratedAt: now, HistorySource: h.where, Cluster: o.cluster,
		Accounts: o.accounts, Aliases: e.accountNames(ctx, "report", o.naming, aliases, h, findingAccounts(history)), Versions: versions, History: history,
	})
	var page bytes.Buffer
	if err := report.Write(&page, r); err != nil {
		return err
	}
	if o.output == "-" {
		_, err := e.stdout.Write(page.Bytes())
		return err
	}
	if err := writeFileAtomically(o.output, page.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	writeReportSummary(e.stderr, o.output, r)
	return nil
}

// writeReportSummary says in one line what the report holds.
func writeReportSummary(w io.Writer, output string, r audit.Report) {
	s := r.Summary
	clusters := fmt.Sprintf("%d clusters", len(r.Clusters))
	if len(r.ByAccount) > 1 {
		clusters += fmt.Sprintf(" in %d accounts", len(r.ByAccount))
	}
	fmt.Fprintf(w, "%s: %d findings (%d drift) from %s to %s, %s; reverts %d succeeded, %d failed; median exposure %s\n",
		output, s.Findings, s.Drift, r.Since.Format(time.RFC3339), r.Until.Format(time.RFC3339), clusters,
		s.Reverts.Succeeded, s.Reverts.Failed, audit.FormatDuration(s.Exposure.Median()))
}

// reportHistory reads the findings of the period (of one cluster and of
// some accounts, if scope says so), and those of each cluster before it.
func reportHistory(ctx context.Context, h *historySource, scope drift.HistoryQuery, versions []audit.BaselineVersion, since, until time.Time, p *progress) ([]drift.Finding, error) {
	cluster := scope.Cluster
	history, err := h.all(ctx, drift.HistoryQuery{Cluster: cluster, Accounts: scope.Accounts, Since: since, Until: until}, p)
	if err != nil {
		return nil, err
	}
	// The access at the end of the period depends on drift older than the
	// period that was still open: read each cluster's history before it.
	var names []string
	for _, f := range history {
		if f.Cluster != "" {
			names = append(names, f.Cluster)
		}
	}
	for _, v := range versions {
		if v.Baseline != nil {
			for _, c := range v.Baseline.Clusters {
				names = append(names, c.Name)
			}
		}
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if cluster != "" && name != cluster {
			continue
		}
		earlier, err := h.all(ctx, drift.HistoryQuery{Cluster: name, Accounts: scope.Accounts, Until: since}, p)
		if err != nil {
			return nil, err
		}
		history = append(history, earlier...)
	}
	return history, nil
}
