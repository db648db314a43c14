package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
