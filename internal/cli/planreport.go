package cli

import (
	"slices"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// PlanItem is one drift in a plan: the finding (the public finding JSON),
// the calls a revert would make, and why it cannot be reverted when it
// cannot.
type PlanItem struct {
	Finding      drift.Finding `json:"finding"`
	Operations   []string      `json:"operations"`
	CannotRevert string        `json:"cannotRevert,omitempty"`
}

// PlanReport is `eksdrift plan --output json`.
type PlanReport struct {
	Baseline struct {
		Source  string `json:"source"`
		Version string `json:"version"`
	} `json:"baseline"`
	Account string    `json:"account"`
	ReadAt  time.Time `json:"readAt"`
	Scanned struct {
		Clusters int `json:"clusters"`
		Roles    int `json:"roles"`
		Users    int `json:"users"`
		// Elsewhere are declared in other accounts and were not read.
		ElsewhereClusters int `json:"elsewhereClusters"`
		ElsewhereRoles    int `json:"elsewhereRoles"`
		ElsewhereUsers    int `json:"elsewhereUsers"`
	} `json:"scanned"`
	// NotFound lists the declared clusters that do not exist (region/name).
	NotFound []string   `json:"notFound"`
	Drift    []PlanItem `json:"drift"`
	// Operations are every call a revert of the whole plan would make,
	// once each, in order.
	Operations []string `json:"operations"`
	Summary    struct {
		Drift        int                    `json:"drift"`
		BySeverity   map[drift.Severity]int `json:"bySeverity"`
		Operations   int                    `json:"operations"`
		CannotRevert int                    `json:"cannotRevert"`
	} `json:"summary"`
}

// buildPlan judges the scanned state and plans the reverts.
func buildPlan(ev *drift.Evaluator, at time.Time, clusters []drift.ClusterState, roles []drift.RoleState, users []drift.UserState) PlanReport {
	var r PlanReport
	r.Baseline.Source, r.Baseline.Version = ev.Index().Baseline.Source, ev.Index().Baseline.VersionID
	r.ReadAt = at
	r.NotFound, r.Drift, r.Operations = []string{}, []PlanItem{}, []string{}
	r.Summary.BySeverity = map[drift.Severity]int{}
	var judged []drift.Judgement
	for _, c := range clusters {
		if !c.Found {
			r.NotFound = append(r.NotFound, c.Region+"/"+c.Name)
			continue
		}
		r.Scanned.Clusters++
		judged = append(judged, ev.SweepCluster(at, c)...)
	}
	for _, rs := range roles {
		r.Scanned.Roles++
		judged = append(judged, ev.SweepRole(at, rs)...)
	}
	for _, us := range users {
		r.Scanned.Users++
		judged = append(judged, ev.SweepUser(at, us)...)
	}
	items := planItems(ev, judged, &r)
	slices.SortStableFunc(items, func(a, b PlanItem) int {
		return strings.Compare(planGroup(a.Finding), planGroup(b.Finding))
	})
	r.Drift = items
	r.Summary.Drift, r.Summary.Operations = len(items), len(r.Operations)
	return r
}

// planItems plans the revert of each drift in judged, and adds every
// call, once, and the counts to r.
func planItems(ev *drift.Evaluator, judged []drift.Judgement, r *PlanReport) []PlanItem {
	// A deleted entry takes its policies with it: their disassociation is
	// implied. An operation two drifts need is made once.
	deleted := map[string]bool{}
	var items []PlanItem
	var ops [][]drift.Operation
	for _, j := range judged {
		if !j.Finding.Drift {
			continue
		}
		o, cannot := ev.Plan(j.Change, j.Live)
		for _, op := range o {
			if op.Action == drift.ActDeleteAccessEntry {
				deleted[op.Cluster+"|"+op.Resource.Key()] = true
			}
		}
		items = append(items, PlanItem{Finding: j.Finding, CannotRevert: cannot})
		ops = append(ops, o)
	}
	seen := map[string]bool{}
	for i := range items {
		items[i].Operations = []string{}
		for _, op := range ops[i] {
			if p, ok := op.Resource.(*drift.AccessPolicy); ok && op.Action == drift.ActDisassociateAccessPolicy && deleted[op.Cluster+"|"+p.PrincipalARN] {
				continue
			}
			s := op.String()
			items[i].Operations = append(items[i].Operations, s)
			if !seen[s] {
				seen[s] = true
				r.Operations = append(r.Operations, s)
			}
		}
		if items[i].CannotRevert != "" {
			r.Summary.CannotRevert++
		}
		r.Summary.BySeverity[items[i].Finding.Severity]++
	}
	return items
}

// planGroup orders a plan: clusters by account, region and name, then IAM.
func planGroup(f drift.Finding) string {
	if f.Cluster == "" {
		return "~iam " + f.Account
	}
	return f.Account + " " + f.Region + " " + f.Cluster
}
