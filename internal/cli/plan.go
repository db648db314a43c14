package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// ExitDrift is plan's exit code when it found drift, as `terraform plan
// -detailed-exitcode` does for changes.
const ExitDrift = 2

type planOptions struct {
	baseline    string
	output      string
	region      string
	concurrency int
	pageSize    int32
}

func newPlanCmd(e *env) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan --baseline FILE|s3://BUCKET/KEY [--output table|json]",
		Short: "Show what drifted from the baseline and what a revert would do",
		Long: `Plan reads the live state of every cluster and role the baseline declares in
the account the credentials reach, judges it against the baseline with the
same rules as the detector, and prints each drift with the calls a revert
would make, or why it cannot be reverted. Nothing is changed: every call is
read-only.

Exit codes: 0 no drift, 2 drift (with --output json too), 1 something
failed (the baseline, a cluster or role that could not be read).`,
		Example: `  eksdrift plan --baseline baseline.yaml
  eksdrift plan --baseline s3://eksdrift-config/baseline.yaml --output json | jq '.drift[].finding.reason'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.baseline == "" {
				return usageError{fmt.Errorf("plan: --baseline is required")}
			}
			if o.output != "table" && o.output != "json" {
				return usageError{fmt.Errorf("plan: --output must be table or json, got %q", o.output)}
			}
			return e.plan(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.baseline, "baseline", "", "baseline file (YAML or JSON) or s3://bucket/key")
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
	f.StringVar(&o.region, "region", "", "region for the baseline's S3 bucket and STS (default: the configured region)")
	f.IntVar(&o.concurrency, "concurrency", eks.DefaultScanConcurrency, "EKS calls in flight at once")
	f.Int32Var(&o.pageSize, "page-size", 0, "EKS page size (default 100, the maximum)")
	_ = f.MarkHidden("page-size")
	return cmd
}

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
		// Elsewhere are declared in other accounts and were not read.
		ElsewhereClusters int `json:"elsewhereClusters"`
		ElsewhereRoles    int `json:"elsewhereRoles"`
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

func (e *env) plan(ctx context.Context, o planOptions) error {
	var cfg aws.Config
	loaded := false
	getCfg := func() (aws.Config, error) {
		if loaded {
			return cfg, nil
		}
		var err error
		cfg, err = awsConfig(ctx, o.region)
		loaded = err == nil
		return cfg, err
	}
	ix, err := loadBaseline(ctx, o.baseline, getCfg)
	if err != nil {
		if _, ok := err.(usageError); ok {
			return err
		}
		fmt.Fprintln(e.stderr, err)
		return &exitError{ExitError}
	}
	if _, err := getCfg(); err != nil {
		return err
	}
	account, err := callerAccount(ctx, cfg)
	if err != nil {
		return err
	}
	targets := scan.BaselineTargets(ix.Baseline, account)
	eksScanner := eks.NewScanner(cfg, o.concurrency)
	eksScanner.PageSize = o.pageSize
	iamScanner := iam.NewScanner(cfg, 0)
	bar := newProgress(e.stderr)
	s := &scan.Scanner{EKS: eksScanner, IAM: iamScanner, Parallel: max(o.concurrency/2, 2)}
	stopBar := bar.every(200*time.Millisecond, func() string {
		p := s.Progress()
		return fmt.Sprintf("%s %s clusters %d/%d · entries %d · roles %d/%d · %d calls · %s", "reading",
			progressBar(p.ClustersDone+p.RolesDone, p.ClustersTotal+p.RolesTotal), p.ClustersDone, p.ClustersTotal, p.Entries,
			p.RolesDone, p.RolesTotal, eksScanner.Calls()+iamScanner.Calls(), bar.elapsed())
	})
	defer stopBar()
	s.Expect(len(targets.Clusters), len(targets.Roles))
	at := time.Now().UTC().Truncate(time.Second)
	clusters, errs := s.Clusters(ctx, targets.Clusters)
	roles, roleErrs := s.Roles(ctx, targets.Roles)
	bar.clear()
	errs = append(errs, roleErrs...)

	r := buildPlan(drift.NewEvaluator(ix), at, clusters, roles)
	r.Account = account
	r.Scanned.ElsewhereClusters, r.Scanned.ElsewhereRoles = targets.ElsewhereClusters, targets.ElsewhereRoles
	out := bufio.NewWriter(e.stdout)
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = writePlan(out, r)
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(e.stderr, "eksdrift: plan: %v\n", err)
		}
		fmt.Fprintf(e.stderr, "eksdrift: plan: %d clusters or roles could not be read: the plan is incomplete\n", len(errs))
		return &exitError{ExitError}
	}
	if len(r.Drift) > 0 {
		return &exitError{ExitDrift}
	}
	return nil
}

// buildPlan judges the scanned state and plans the reverts.
func buildPlan(ev *drift.Evaluator, at time.Time, clusters []drift.ClusterState, roles []drift.RoleState) PlanReport {
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
	slices.SortStableFunc(items, func(a, b PlanItem) int {
		return strings.Compare(planGroup(a.Finding), planGroup(b.Finding))
	})
	r.Drift = items
	r.Summary.Drift, r.Summary.Operations = len(items), len(r.Operations)
	return r
}

// planGroup orders a plan: clusters by account, region and name, then IAM.
func planGroup(f drift.Finding) string {
	if f.Cluster == "" {
		return "~iam " + f.Account
	}
	return f.Account + " " + f.Region + " " + f.Cluster
}

var changeSymbol = map[drift.Op]string{drift.OpAdded: "+", drift.OpRemoved: "-", drift.OpModified: "~"}

// writePlan prints a plan for people, in the manner of terraform plan:
// + exists but is not declared, - is declared but missing, ~ differs.
func writePlan(w io.Writer, r PlanReport) error {
	bw := &errWriter{w: w}
	bw.printf("eksdrift plan: baseline %s (%s), account %s, read at %s\n", r.Baseline.Source, r.Baseline.Version, r.Account, r.ReadAt.Format(time.RFC3339))
	bw.printf("read %s and %s", plural(r.Scanned.Clusters, "cluster"), plural(r.Scanned.Roles, "role"))
	if n := r.Scanned.ElsewhereClusters + r.Scanned.ElsewhereRoles; n > 0 {
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
	bw.printf("\n")
	if r.Summary.Drift == 0 {
		bw.printf("No drift: the live state matches the baseline. Nothing was changed.\n")
		return bw.err
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
	return bw.err
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
