package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// accessPrincipal answers eksdrift access --principal ARN: the timeline of
// one principal's access across clusters, and the drift that granted it.
func (e *env) accessPrincipal(ctx context.Context, o accessOptions, h *historySource, p *progress, out io.Writer, since, until time.Time) error {
	versions, err := e.auditBaselines(ctx, "access", h, o.baseline, time.Time{}, until)
	if err != nil {
		return err
	}
	found, err := h.all(ctx, drift.HistoryQuery{Principal: o.principal, Cluster: o.cluster, Accounts: o.accounts, Until: inclusive(until)}, p)
	if err != nil {
		return err
	}
	p.clear()
	tl := audit.Build(versions, found, until)
	segs := []audit.Segment{}
	for _, s := range tl.PrincipalSegments(o.principal, since, until) {
		if (o.cluster == "" || s.Cluster.Name == o.cluster) && o.wantAccount(s.Cluster.Account) {
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
	shown := windowAccounts(windows)
	for _, s := range segs {
		shown = append(shown, s.Cluster.Account)
	}
	o.names = e.accountNames(ctx, "access", o.naming, o.names, h, shown)
	writePrincipal(out, o.principal, since, until, segs, windows, o.names)
	return nil
}

// writePrincipal prints one principal's access over time.
func writePrincipal(w io.Writer, principal string, from, until time.Time, segs []audit.Segment, windows []audit.Window, names drift.AccountAliases) {
	acct := drift.AccountOf(principal)
	fmt.Fprintf(w, "%s from %s to %s\n\n", principal, sinceText(from), until.Format(time.RFC3339))
	if len(segs) == 0 {
		fmt.Fprintln(w, "no access entry or access policy on any cluster in that time")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		multi := segmentsSpanAccounts(segs)
		fmt.Fprintln(tw, "CLUSTER\t"+accountColumn(multi, "ACCOUNT")+"ACCESS\tSOURCE\tFROM\tTO\tSTARTED BY\tENDED BY")
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
			fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\t%s\n", s.Cluster.Name, accountColumn(multi, names.Label(s.Cluster.Account)), what, s.Source, sinceText(s.From), to, started, dash(s.Ended))
		}
		tw.Flush()
	}
	if len(windows) > 0 {
		fmt.Fprintln(w, "\ndrift that granted this principal access:")
		writeWindows(w, windows, until, names, len(windowAccounts(windows)) > 1)
	}
}

// segmentsSpanAccounts reports whether segs are on clusters of more than
// one account.
func segmentsSpanAccounts(segs []audit.Segment) bool {
	for _, s := range segs {
		if s.Cluster.Account != segs[0].Cluster.Account {
			return true
		}
	}
	return false
}
