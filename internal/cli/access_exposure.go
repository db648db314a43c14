package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// accessExposure answers eksdrift access --exposure: how long each drift
// that granted access lasted, and per cluster the count, median and worst.
func (e *env) accessExposure(ctx context.Context, o accessOptions, h *historySource, p *progress, out io.Writer, since, until time.Time) error {
	versions, err := e.auditBaselines(ctx, "access", h, o.baseline, since, until)
	if err != nil {
		return err
	}
	found, err := h.all(ctx, drift.HistoryQuery{Cluster: o.cluster, Accounts: o.accounts, Since: since, Until: inclusive(until)}, p)
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
	// Only the text names accounts: JSON gives IDs, and makes no lookups.
	o.names = e.accountNames(ctx, "access", o.naming, o.names, h, windowAccounts(windows))
	writeExposures(out, since, until, windows, stats, o.names)
	return nil
}

// writeExposures prints each exposure window and the statistics per
// cluster. When the windows span more than one account, an ACCOUNT column
// names each (with its alias), clusters are grouped by account, and each
// account has its own total.
func writeExposures(w io.Writer, from, until time.Time, windows []audit.Window, stats []audit.ExposureStats, names drift.AccountAliases) {
	fmt.Fprintf(w, "drift that granted access from %s to %s: %d\n\n", sinceText(from), until.Format(time.RFC3339), len(windows))
	if len(windows) == 0 {
		return
	}
	accounts := windowAccounts(windows)
	multi := len(accounts) > 1
	writeWindows(w, windows, until, names, multi)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\t"+accountColumn(multi, "ACCOUNT")+"COUNT\tOPEN\tMEDIAN\tWORST")
	row := func(label, account string, s audit.ExposureStats) {
		worst := audit.FormatDuration(s.WorstDuration())
		if s.WorstOpen {
			worst += " (still open)"
		}
		fmt.Fprintf(tw, "%s\t%s%d\t%d\t%s\t%s\n", label, accountColumn(multi, account), s.Count, s.Open, audit.FormatDuration(s.Median()), worst)
	}
	for _, s := range stats {
		if !multi {
			row(s.Cluster.Label(), "", s)
		}
	}
	for _, a := range accounts {
		if !multi {
			break // one account: its total is the last row's
		}
		for _, s := range stats {
			if s.Cluster.Account == a {
				row(s.Cluster.Label(), names.Label(a), s)
			}
		}
		var mine []audit.Window
		for _, x := range windows {
			if x.Cluster.Account == a {
				mine = append(mine, x)
			}
		}
		row("all", names.Label(a), audit.Summarize(mine, until))
	}
	row("all", "all", audit.Summarize(windows, until))
	tw.Flush()
}

// windowAccounts lists the accounts of windows, sorted.
func windowAccounts(windows []audit.Window) []string {
	var out []string
	for _, x := range windows {
		out = append(out, x.Cluster.Account)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// accountColumn is one cell of the ACCOUNT column, or nothing when the
// output covers one account and has no such column.
func accountColumn(multi bool, cell string) string {
	if !multi {
		return ""
	}
	return cell + "\t"
}

func writeWindows(w io.Writer, windows []audit.Window, until time.Time, names drift.AccountAliases, multi bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tCLUSTER\t"+accountColumn(multi, "ACCOUNT")+"KIND\tRESOURCE\tSEVERITY\tBY\tLASTED\tENDED")
	for _, x := range windows {
		lasted, ended := audit.FormatDuration(x.Duration(until)), x.Ended
		if x.Open() {
			lasted, ended = lasted+"+", "still open"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\t%s\t%s\t%s\t%s\t%s\n", x.Start.Format(time.RFC3339), x.Cluster.Label(),
			accountColumn(multi, names.Label(x.Cluster.Account)), x.Kind,
			shortResourceKey(x.Resource, x.Cluster.Account), x.Event.Severity, x.Event.Who(), lasted, ended)
	}
	tw.Flush()
}
