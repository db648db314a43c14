package reconcile

import (
	"context"
	"slices"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// accountJudge is what a member account's targets are read and judged
// with: its own baseline (the shared one merged with its file) and an
// evaluator of it.
type accountJudge struct {
	ix *drift.Index
	ev *drift.Evaluator
}

// memberJudges gives each member account (members, the sweep's list) its baseline, as the detector
// judges its events (BaselineFor; the shared baseline ix, with its
// evaluator ev, when BaselineFor is nil or gives it back). An account
// whose baseline cannot be had (its file unreadable or invalid, or
// whether it may have one unknown) has no judge: it is reported unread,
// none of its targets is read, so nothing there is judged against a wrong
// baseline nor resolved, and the other accounts go on.
func (r *Reconciler) memberJudges(ctx context.Context, ix *drift.Index, ev *drift.Evaluator, members []string) (map[string]accountJudge, []Unread) {
	judges := map[string]accountJudge{}
	var unread []Unread
	members = slices.Clone(members)
	slices.Sort(members)
	for _, a := range slices.Compact(members) {
		if r.BaselineFor == nil {
			judges[a] = accountJudge{ix, ev}
			continue
		}
		aix, err := r.BaselineFor(ctx, a)
		switch {
		case err != nil:
			r.Metrics.Add(metrics.BaselineErrors, 1)
			unread = append(unread, Unread{Account: a, What: "baseline", Why: clip(err.Error())})
		case aix == ix:
			judges[a] = accountJudge{ix, ev}
		default:
			judges[a] = accountJudge{aix, drift.NewEvaluator(aix).WithRemediators(r.Remediators...)}
		}
	}
	return judges, unread
}
