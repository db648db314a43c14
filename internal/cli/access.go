package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/drift"
)

type accessOptions struct {
	cluster, account, principal string
	at, since, until            string
	exposure                    bool
	baseline                    string
	output                      string
	store                       storeFlags
}

func newAccessCmd(e *env) *cobra.Command {
	var o accessOptions
	cmd := &cobra.Command{
		Use:   "access (--cluster NAME --at TIME | --principal ARN | --exposure) [flags]",
		Short: "Reconstruct who could reach a cluster, when, and for how long",
		Long: `Access answers an auditor's questions from the history and the baseline's
versions:

  --cluster NAME --at TIME   who could reach the cluster at that moment, with
                             which access policies and scopes: what the
                             baseline in force then declared, and drift that
                             had appeared and not yet been undone, each row
                             marked baseline or drift (with the event and the
                             actor that introduced it)
  --principal ARN            the timeline of one principal's access across
                             clusters, from --since to --until
  --exposure                 for each drift that granted access from --since
                             to --until, how long it lasted (until reverted,
                             or still open), and per cluster the count, the
                             median and the worst

A drift that granted access is open from its event until eksdrift reverted
it, the detector found it already undone, a later compliant change (deleting
the undeclared entry, say) or a baseline version declaring it put the
resource back in line.

--baseline is the baseline file a replay judged against (one version,
in force throughout), or s3://bucket/key, the deployed baseline, whose
object versions say which version was in force when.`,
		Example: `  eksdrift access --cluster prod --at 2026-03-14T09:00:00Z --baseline s3://eksdrift-config/baseline.yaml --table eksdrift-history
  eksdrift access --principal arn:aws:iam::111122223333:role/contractor --since 90d
  eksdrift access --exposure --since 90d --baseline baseline.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			modes := 0
			for _, on := range []bool{o.at != "", o.principal != "", o.exposure} {
				if on {
					modes++
				}
			}
			switch {
			case modes != 1:
				return usageError{fmt.Errorf("access: give one of --at (with --cluster), --principal or --exposure")}
			case o.at != "" && o.cluster == "":
				return usageError{fmt.Errorf("access: --at needs --cluster")}
			case o.output != "table" && o.output != "json":
				return usageError{fmt.Errorf("access: --output must be table or json, got %q", o.output)}
			}
			return e.access(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cluster, "cluster", "", "the cluster (with --at: required; otherwise: only this cluster)")
	f.StringVar(&o.account, "account", "", "only clusters of this AWS account")
	f.StringVar(&o.at, "at", "", "the moment: RFC 3339 (2026-03-14T09:00:00Z), a date, or an age (2h, 30d)")
	f.StringVar(&o.principal, "principal", "", "the principal whose access to follow (IAM ARN)")
	f.BoolVar(&o.exposure, "exposure", false, "how long each drift that granted access lasted")
	f.StringVar(&o.since, "since", "", "with --principal or --exposure: from this time (same forms as --at)")
	f.StringVar(&o.until, "until", "", "with --principal or --exposure: until this time (default: now)")
	f.StringVar(&o.baseline, "baseline", "", "baseline file, or s3://bucket/key for its versions (default $EKSDRIFT_BASELINE_BUCKET/$EKSDRIFT_BASELINE_KEY)")
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
	o.store.add(f)
	return cmd
}

func (e *env) access(ctx context.Context, o accessOptions) error {
	now := time.Now().UTC()
	at, err := parseTime(o.at, now)
	if err != nil {
		return usageError{fmt.Errorf("access: --at: %w", err)}
	}
	since, err := parseTime(o.since, now)
	if err != nil {
		return usageError{fmt.Errorf("access: --since: %w", err)}
	}
	until, err := parseTime(o.until, now)
	if err != nil {
		return usageError{fmt.Errorf("access: --until: %w", err)}
	}
	if until.IsZero() {
		until = now
	}
	h, err := e.openHistory(ctx, "access", o.store)
	if err != nil {
		return err
	}
	defer h.close()
	p := newProgress(e.stderr)
	defer p.clear()
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()

	switch {
	case o.at != "":
		versions, err := e.auditBaselines(ctx, "access", h, o.baseline, time.Time{}, at)
		if err != nil {
			return err
		}
		// The cluster's whole history up to the moment: drift still open
		// then may be older than any window.
		found, err := h.all(ctx, drift.HistoryQuery{Cluster: o.cluster, Account: o.account, Until: inclusive(at)}, p)
		if err != nil {
			return err
		}
		p.clear()
		tl := audit.Build(versions, found, at)
		accesses := tl.Access(func(c audit.ClusterID) bool {
			return c.Name == o.cluster && (o.account == "" || c.Account == o.account)
		})
		if len(accesses) == 0 {
			fmt.Fprintf(e.stderr, "access: neither the baseline nor the history knows cluster %s at %s\n", o.cluster, at.Format(time.RFC3339))
			return &exitError{ExitError}
		}
		if o.output == "json" {
			return json.NewEncoder(out).Encode(accesses)
		}
		for i, a := range accesses {
			if i > 0 {
				fmt.Fprintln(out)
			}
			writeAccess(out, a)
		}
		return nil

	case o.principal != "":
		versions, err := e.auditBaselines(ctx, "access", h, o.baseline, time.Time{}, until)
		if err != nil {
			return err
		}
		found, err := h.all(ctx, drift.HistoryQuery{Principal: o.principal, Cluster: o.cluster, Account: o.account, Until: inclusive(until)}, p)
		if err != nil {
			return err
		}
		p.clear()
		tl := audit.Build(versions, found, until)
		segs := []audit.Segment{}
		for _, s := range tl.PrincipalSegments(o.principal, since, until) {
			if (o.cluster == "" || s.Cluster.Name == o.cluster) && (o.account == "" || s.Cluster.Account == o.account) {
				segs = append(segs, s)
			}
		}
		windows := []audit.Window{}
		for _, w := range tl.ExposuresIn(since, until) {
			if w.Principal == o.principal {
				windows = append(windows, w)
			}
		}
		if o.output == "json" {
			return json.NewEncoder(out).Encode(struct {
				Principal string          `json:"principal"`
				Since     time.Time       `json:"since,omitzero"`
				Until     time.Time       `json:"until"`
				Segments  []audit.Segment `json:"segments"`
				Exposures []audit.Window  `json:"exposures"`
			}{o.principal, since, until, segs, windows})
		}
		writePrincipal(out, o.principal, since, until, segs, windows)
		return nil

	default:
		versions, err := e.auditBaselines(ctx, "access", h, o.baseline, since, until)
		if err != nil {
			return err
		}
		found, err := h.all(ctx, drift.HistoryQuery{Cluster: o.cluster, Account: o.account, Since: since, Until: inclusive(until)}, p)
		if err != nil {
			return err
		}
		p.clear()
		tl := audit.Build(versions, found, until)
		windows := tl.ExposuresIn(since, until)
		stats := audit.Stats(windows, until)
		if o.output == "json" {
			if windows == nil {
				windows = []audit.Window{}
			}
			return json.NewEncoder(out).Encode(struct {
				Since     time.Time             `json:"since,omitzero"`
				Until     time.Time             `json:"until"`
				Exposures []audit.Window        `json:"exposures"`
				Clusters  []audit.ExposureStats `json:"clusters"`
				All       audit.ExposureStats   `json:"all"`
			}{since, until, windows, stats, audit.Summarize(windows, until)})
		}
		writeExposures(out, since, until, windows, stats)
		return nil
	}
}

// writeAccess prints who could reach one cluster at a moment.
func writeAccess(w io.Writer, a audit.Access) {
	acct := a.Cluster.Account
	fmt.Fprintf(w, "%s (%s, %s) at %s\n", a.Cluster.Name, a.Cluster.Account, a.Cluster.Region, a.At.Format(time.RFC3339))
	if b := a.Baseline; b != nil {
		fmt.Fprintf(w, "baseline %s version %s, in force since %s\n", b.Source, b.ID, sinceText(b.From))
	} else {
		fmt.Fprintln(w, "no baseline in force: drift only")
	}
	if m := a.AuthenticationMode; m != nil {
		fmt.Fprintf(w, "authentication mode %s (%s%s)\n", m.Mode, m.Source, introduced(m.IntroducedBy))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tACCESS POLICY\tSCOPE\tGROUPS\tSOURCE\tSINCE\tINTRODUCED BY")
	for _, r := range a.Rows {
		policy, scope, groups := "(entry only)", "", ""
		if r.Policy != nil {
			policy, scope = shortARN(r.Policy.Policy, acct), scopeText(r.Policy.Scope)
		}
		if r.Entry != nil {
			groups = strings.Join(r.Entry.Groups, ",")
			if r.Entry.EntryType != "" && r.Entry.EntryType != drift.EntryStandard {
				groups = strings.TrimPrefix(groups+" ("+r.Entry.EntryType+")", ",")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", shortARN(r.Principal, acct), policy, dash(scope), dash(groups),
			r.Source(), sinceText(r.Since()), dash(strings.TrimPrefix(introduced(r.DriftEvent()), ": ")))
	}
	for _, p := range a.IdentityProviders {
		fmt.Fprintf(tw, "%s\t%s\t-\t-\t%s\t%s\t%s\n", "users of "+p.Issuer, "(identity provider "+p.Resource+")", p.Source,
			sinceText(p.From), dash(strings.TrimPrefix(introduced(p.IntroducedBy), ": ")))
	}
	tw.Flush()
	if len(a.Withdrawn) > 0 {
		fmt.Fprintln(w, "\ndeclared but not in force, removed by drift:")
		for _, wd := range a.Withdrawn {
			fmt.Fprintf(w, "  %s %s: %s by %s at %s (event %s)\n", wd.Kind, shortResourceKey(wd.Resource, acct), wd.By.EventName,
				wd.By.Who(), wd.By.EventTime.Format(time.RFC3339), wd.By.EventID)
		}
	}
}

// writePrincipal prints one principal's access over time.
func writePrincipal(w io.Writer, principal string, from, until time.Time, segs []audit.Segment, windows []audit.Window) {
	acct := drift.AccountOf(principal)
	fmt.Fprintf(w, "%s from %s to %s\n\n", principal, sinceText(from), until.Format(time.RFC3339))
	if len(segs) == 0 {
		fmt.Fprintln(w, "no access entry or access policy on any cluster in that time")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CLUSTER\tACCESS\tSOURCE\tFROM\tTO\tSTARTED BY\tENDED BY")
		for _, s := range segs {
			what := "access entry"
			if len(s.Groups) > 0 {
				what += " (groups " + strings.Join(s.Groups, ",") + ")"
			}
			if s.Kind == drift.KindAccessPolicy {
				what = shortARN(s.Policy, acct) + " " + scopeText(s.Scope)
			}
			to := "still"
			if s.To != nil {
				to = s.To.Format(time.RFC3339)
			}
			started := "baseline " + s.BaselineVersion
			if s.IntroducedBy != nil {
				started = strings.TrimPrefix(introduced(s.IntroducedBy), ": ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Cluster.Name, what, s.Source, sinceText(s.From), to, started, dash(s.Ended))
		}
		tw.Flush()
	}
	if len(windows) > 0 {
		fmt.Fprintln(w, "\ndrift that granted this principal access:")
		writeWindows(w, windows, until)
	}
}

// writeExposures prints each exposure window and the statistics per cluster.
func writeExposures(w io.Writer, from, until time.Time, windows []audit.Window, stats []audit.ExposureStats) {
	fmt.Fprintf(w, "drift that granted access from %s to %s: %d\n\n", sinceText(from), until.Format(time.RFC3339), len(windows))
	if len(windows) == 0 {
		return
	}
	writeWindows(w, windows, until)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tCOUNT\tOPEN\tMEDIAN\tWORST")
	all := audit.Summarize(windows, until)
	all.Cluster = audit.ClusterID{Name: "all"}
	for _, s := range append(stats, all) {
		worst := audit.FormatDuration(s.WorstDuration())
		if s.WorstOpen {
			worst += " (still open)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", s.Cluster.Label(), s.Count, s.Open, audit.FormatDuration(s.Median()), worst)
	}
	tw.Flush()
}

func writeWindows(w io.Writer, windows []audit.Window, until time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tCLUSTER\tKIND\tRESOURCE\tSEVERITY\tBY\tLASTED\tENDED")
	for _, x := range windows {
		lasted, ended := audit.FormatDuration(x.Duration(until)), x.Ended
		if x.Open() {
			lasted, ended = lasted+"+", "still open"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Start.Format(time.RFC3339), x.Cluster.Label(), x.Kind,
			shortResourceKey(x.Resource, x.Cluster.Account), x.Event.Severity, x.Event.Who(), lasted, ended)
	}
	tw.Flush()
}

// introduced says which event made drift: ": EventName by who at time
// (event ID)", or nothing for baseline access.
func introduced(ev *audit.Event) string {
	if ev == nil {
		return ""
	}
	return fmt.Sprintf(": %s by %s at %s (%s, event %s)", ev.EventName, ev.Who(), ev.EventTime.Format(time.RFC3339), ev.Severity, ev.EventID)
}

func sinceText(t time.Time) string {
	if t.IsZero() {
		return "before the history"
	}
	return t.UTC().Format(time.RFC3339)
}

func scopeText(s *drift.AccessScope) string {
	switch {
	case s == nil:
		return ""
	case len(s.Namespaces) > 0:
		return s.Type + ":" + strings.Join(s.Namespaces, ",")
	}
	return s.Type
}

func shortResourceKey(resource, account string) string {
	return shortResource(&drift.Finding{Resource: resource, Account: account})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
