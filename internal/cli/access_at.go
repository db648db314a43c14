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

// accessAt answers eksdrift access --cluster NAME --at TIME: who could
// reach the cluster at that moment.
func (e *env) accessAt(ctx context.Context, o accessOptions, h *historySource, p *progress, out io.Writer, at time.Time) error {
	versions, err := e.auditBaselines(ctx, "access", h, o.baseline, time.Time{}, at)
	if err != nil {
		return err
	}
	// The cluster's whole history up to the moment: drift still open
	// then may be older than any window.
	found, err := h.all(ctx, drift.HistoryQuery{Cluster: o.cluster, Accounts: o.accounts, Until: inclusive(at)}, p)
	if err != nil {
		return err
	}
	p.clear()
	tl := audit.Build(versions, found, at)
	accesses := tl.Access(func(c audit.ClusterID) bool {
		return c.Name == o.cluster && o.wantAccount(c.Account)
	})
	if len(accesses) == 0 {
		fmt.Fprintf(e.stderr, "access: neither the baseline nor the history knows cluster %s at %s\n", o.cluster, at.Format(time.RFC3339))
		return &exitError{ExitError}
	}
	if o.output == "json" {
		return json.NewEncoder(out).Encode(accesses)
	}
	var shown []string
	for _, a := range accesses {
		shown = append(shown, a.Cluster.Account)
	}
	o.names = e.accountNames(ctx, "access", o.naming, o.names, h, shown)
	for i, a := range accesses {
		if i > 0 {
			fmt.Fprintln(out)
		}
		writeAccess(out, a, o.names)
	}
	return nil
}

// writeAccess prints who could reach one cluster at a moment.
func writeAccess(w io.Writer, a audit.Access, names drift.AccountAliases) {
	acct := a.Cluster.Account
	fmt.Fprintf(w, "%s (%s, %s) at %s\n", a.Cluster.Name, names.Label(acct), a.Cluster.Region, a.At.Format(time.RFC3339))
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
