package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

var changeSymbol = map[drift.Op]string{drift.OpAdded: "+", drift.OpRemoved: "-", drift.OpModified: "~"}

// writePlan prints a plan for people, in the manner of terraform plan:
// + exists but is not declared, - is declared but missing, ~ differs.
func writePlan(w io.Writer, r PlanReport) error {
	bw := &errWriter{w: w}
	bw.printf("eksdrift plan: baseline %s (%s), account %s, read at %s\n", r.Baseline.Source, r.Baseline.Version, r.Account, r.ReadAt.Format(time.RFC3339))
	// Users are named only when the baseline declares some.
	if r.Scanned.Users+r.Scanned.ElsewhereUsers > 0 {
		bw.printf("read %s, %s and %s", plural(r.Scanned.Clusters, "cluster"), plural(r.Scanned.Roles, "role"), plural(r.Scanned.Users, "user"))
	} else {
		bw.printf("read %s and %s", plural(r.Scanned.Clusters, "cluster"), plural(r.Scanned.Roles, "role"))
	}
	switch {
	case r.Scanned.ElsewhereUsers > 0:
		bw.printf("; %s, %s and %s are declared in other accounts and were not read", plural(r.Scanned.ElsewhereClusters, "cluster"),
			plural(r.Scanned.ElsewhereRoles, "role"), plural(r.Scanned.ElsewhereUsers, "user"))
	case r.Scanned.ElsewhereClusters+r.Scanned.ElsewhereRoles > 0:
		bw.printf("; %s and %s are declared in other accounts and were not read", plural(r.Scanned.ElsewhereClusters, "cluster"), plural(r.Scanned.ElsewhereRoles, "role"))
	}
	bw.printf("\n")
	for _, nf := range r.NotFound {
		bw.printf("warning: cluster %s is declared but does not exist: nothing judged there\n", nf)
	}
	group := ""
	shown := map[string]bool{}
	for _, it := range r.Drift {
		f := it.Finding
		if g := planGroup(f); g != group {
			group = g
			if f.Cluster == "" {
				bw.printf("\nIAM (account %s)\n", f.Account)
			} else {
				bw.printf("\n%s (%s, account %s)\n", f.Cluster, f.Region, f.Account)
			}
		}
		writePlanItem(bw, it, shown)
	}
	bw.printf("\n")
	writePlanSummary(bw, r)
	return bw.err
}

// writePlanItem prints one drift and the calls that undo it, each call
// once in the whole plan (shown holds those already printed).
func writePlanItem(bw *errWriter, it PlanItem, shown map[string]bool) {
	f := it.Finding
	bw.printf("  %s %-24s %-48s %-8s %s\n", changeSymbol[f.Change], f.Kind, shortResource(&f), f.Severity, f.Decision)
	bw.printf("      %s: %s\n", f.SeverityReason, f.Reason)
	switch {
	case it.CannotRevert != "":
		bw.printf("      cannot revert: %s\n", it.CannotRevert)
	case len(it.Operations) == 0:
		bw.printf("      revert: nothing to call (removed with the access entry above)\n")
	}
	fresh := 0
	for _, op := range it.Operations {
		if shown[op] {
			continue
		}
		shown[op] = true
		fresh++
		bw.printf("      revert: %s\n", op)
	}
	if fresh == 0 && len(it.Operations) > 0 {
		bw.printf("      revert: done by the calls above\n")
	}
}

// writePlanSummary prints the plan's last line.
func writePlanSummary(bw *errWriter, r PlanReport) {
	if r.Summary.Drift == 0 {
		bw.printf("No drift: the live state matches the baseline. Nothing was changed.\n")
		return
	}
	var sev []string
	for _, s := range drift.Severities {
		if n := r.Summary.BySeverity[s]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, s))
		}
	}
	bw.printf("Plan: %d drift (%s); a revert would make %d calls", r.Summary.Drift, strings.Join(sev, ", "), r.Summary.Operations)
	if r.Summary.CannotRevert > 0 {
		bw.printf("; %d cannot be reverted", r.Summary.CannotRevert)
	}
	bw.printf(". Nothing was changed.\n")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// errWriter keeps the first write error, so a long print needs one check.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
