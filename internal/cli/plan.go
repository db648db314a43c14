package cli

import (
	"bufio"
	"context"
	"fmt"
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
	acct        accountOptions
	// perAccount is the folder or S3 prefix of the account files
	// (<account>.yaml) merged with baseline for each account.
	perAccount string
}

func newPlanCmd(e *env) *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan --baseline FILE|s3://BUCKET/KEY [--per-account DIR|s3://BUCKET/PREFIX] [--output table|json]",
		Short: "Show what drifted from the baseline and what a revert would do",
		Long: `Plan reads the live state of every cluster, role and IAM user the baseline
declares in the account the credentials reach, judges it against the baseline with the
same rules as the detector, and prints each drift with the calls a revert
would make, or why it cannot be reverted. Nothing is changed: every call is
read-only.

With --accounts or --organization it reads each account through the role
--role-name (assumed from these credentials, with --external-id) and plans
each; an account that cannot be read is named on stderr and skipped.

With --per-account DIR (or s3://BUCKET/PREFIX) each account is judged
against --baseline merged with its own file, DIR/<account>.yaml, exactly as
the functions merge baselines/<account>.yaml (docs/baseline.md): an account
with no file gets --baseline alone. Every file is checked before any
account is read (a name that is not <12-digit account>.yaml, breakGlass,
another account's resources, anything declared twice, an invalid file): one
that fails is named with what is wrong, and nothing is planned.

Exit codes: 0 no drift, 2 drift (with --output json too), 1 something
failed (the baseline, a cluster, role or user that could not be read), 3 no drift
in the accounts read but some accounts could not be read.`,
		Example: `  eksdrift plan --baseline baseline.yaml
  eksdrift plan --baseline s3://eksdrift-config/baseline.yaml --output json | jq '.drift[].finding.reason'
  eksdrift plan --baseline baseline.yaml --organization --external-id "$XID"
  eksdrift plan --baseline baseline.yaml --per-account baselines --organization --external-id "$XID"
  eksdrift plan --baseline s3://eksdrift-config/baseline.yaml --per-account s3://eksdrift-config/baselines --accounts 111122223333`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.baseline == "" {
				return usageError{fmt.Errorf("plan: --baseline is required")}
			}
			if o.output != "table" && o.output != "json" {
				return usageError{fmt.Errorf("plan: --output must be table or json, got %q", o.output)}
			}
			if err := o.acct.check("plan", e.getenv); err != nil {
				return err
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
	f.StringVar(&o.perAccount, "per-account", "", "folder or s3://bucket/prefix of account baselines (<account>.yaml) merged with --baseline")
	addAccountFlags(f, &o.acct)
	return cmd
}

func (e *env) plan(ctx context.Context, o planOptions) error {
	cfg, ix, err := e.planBaseline(ctx, o)
	if err != nil {
		return err
	}
	account, err := callerAccount(ctx, cfg)
	if err != nil {
		return err
	}
	if o.acct.multi() {
		return e.planAccounts(ctx, o, cfg, ix, account)
	}
	bs, err := e.planBaselines(ctx, o, cfg, ix, []string{account})
	if err != nil {
		return err
	}
	r, errs := e.planScan(ctx, o, cfg, bs.of(account), account)
	if err := e.writePlanOutput(o, r, func(w *bufio.Writer) error { return writePlan(w, r) }); err != nil {
		return err
	}
	if len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(e.stderr, "eksdrift: plan: %v\n", err)
		}
		fmt.Fprintf(e.stderr, "eksdrift: plan: %d clusters, roles or users could not be read: the plan is incomplete\n", len(errs))
		return &exitError{ExitError}
	}
	if len(r.Drift) > 0 {
		return &exitError{ExitDrift}
	}
	return nil
}

// planBaseline loads the baseline, and the AWS configuration (once, and
// first if the baseline is in S3).
func (e *env) planBaseline(ctx context.Context, o planOptions) (aws.Config, *drift.Index, error) {
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
			return cfg, nil, err
		}
		fmt.Fprintln(e.stderr, err)
		return cfg, nil, &exitError{ExitError}
	}
	if _, err := getCfg(); err != nil {
		return cfg, nil, err
	}
	return cfg, ix, nil
}

// planScan reads the live state of what the baseline declares in account,
// with a progress line, and plans it; errs are what could not be read.
func (e *env) planScan(ctx context.Context, o planOptions, cfg aws.Config, ix *drift.Index, account string) (PlanReport, []error) {
	targets := scan.BaselineTargets(ix.Baseline, account)
	userARNs, elsewhereUsers := scan.BaselineUsers(ix.Baseline, account)
	eksScanner := eks.NewScanner(cfg, o.concurrency)
	eksScanner.PageSize = o.pageSize
	iamScanner := iam.NewScanner(cfg, 0)
	bar := newProgress(e.stderr)
	s := &scan.Scanner{EKS: eksScanner, IAM: iamScanner, UserScanner: iamScanner, Parallel: max(o.concurrency/2, 2)}
	stopBar := bar.every(200*time.Millisecond, func() string {
		p := s.Progress()
		return fmt.Sprintf("%s %s clusters %d/%d · entries %d · roles %d/%d · users %d/%d · %d calls · %s", "reading",
			progressBar(p.ClustersDone+p.RolesDone+p.UsersDone, p.ClustersTotal+p.RolesTotal+p.UsersTotal), p.ClustersDone, p.ClustersTotal, p.Entries,
			p.RolesDone, p.RolesTotal, p.UsersDone, p.UsersTotal, eksScanner.Calls()+iamScanner.Calls(), bar.elapsed())
	})
	defer stopBar()
	s.Expect(len(targets.Clusters), len(targets.Roles))
	s.ExpectUsers(len(userARNs))
	at := time.Now().UTC().Truncate(time.Second)
	clusters, errs := s.Clusters(ctx, targets.Clusters)
	roles, roleErrs := s.Roles(ctx, targets.Roles)
	users, userErrs := s.Users(ctx, userARNs)
	bar.clear()
	errs = append(append(errs, roleErrs...), userErrs...)

	r := buildPlan(drift.NewEvaluator(ix), at, clusters, roles, users)
	r.Account = account
	r.Scanned.ElsewhereClusters, r.Scanned.ElsewhereRoles = targets.ElsewhereClusters, targets.ElsewhereRoles
	r.Scanned.ElsewhereUsers = elsewhereUsers
	return r, errs
}
