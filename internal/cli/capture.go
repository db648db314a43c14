package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/scan"
)

type captureOptions struct {
	clusters    []string
	all         bool
	regions     []string
	output      string
	concurrency int
	// pageSize is the EKS page size; hidden, for emulators that cannot page.
	pageSize int32
	acct     accountOptions
	// perAccount, with acct, is the folder that gets one baseline per
	// account (<account>.yaml), as docs/baseline.md lays them out.
	perAccount string
}

func newCaptureCmd(e *env) *cobra.Command {
	var o captureOptions
	cmd := &cobra.Command{
		Use:   "capture (--cluster NAME... | --all-clusters) [--region REGION...] [--accounts ID,... | --organization] [-o FILE | --per-account DIR]",
		Short: "Write a baseline of the access that exists now",
		Long: `Capture reads the live access configuration of clusters (authentication mode,
access entries with their access policies, pod identity associations,
identity provider configs) and of the IAM roles behind every access entry
and pod identity association (trust policy, managed and inline policies,
permissions boundary), and writes it as a baseline that declares exactly
that, in mode alert. Entries that EKS manages (node and Fargate types) are
marked with a comment.

Every call is read-only. Lists are paged through, a bounded number of calls
run at once, and throttling slows the capture down rather than failing it.
The baseline declares what is, not what should be: review it before use.

With --accounts or --organization it reads each account through the role
--role-name (assumed from these credentials, with --external-id), and
writes one baseline of every account's clusters, or with --per-account DIR
one file per account (DIR/<account>.yaml). An account that cannot be read
is named on stderr and skipped; the exit code is then 3.`,
		Example: `  eksdrift baseline capture --cluster prod --region us-west-2 -o baseline.yaml
  eksdrift baseline capture --all-clusters --region us-east-1,eu-west-1 -o baseline.yaml
  eksdrift baseline capture --all-clusters --organization --external-id "$XID" --per-account baselines`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.clusters, o.regions = splitList(o.clusters), splitList(o.regions)
			if o.all == (len(o.clusters) > 0) {
				return usageError{errors.New("baseline capture: give either --cluster (one or more) or --all-clusters")}
			}
			if err := o.acct.check("baseline capture", e.getenv); err != nil {
				return err
			}
			if o.perAccount != "" && (!o.acct.multi() || o.output != "-") {
				return usageError{errors.New("baseline capture: --per-account needs --accounts or --organization, and no --output")}
			}
			return e.capture(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.clusters, "cluster", nil, "cluster to capture (repeat, or separate with commas)")
	f.BoolVar(&o.all, "all-clusters", false, "capture every cluster of each region")
	f.StringSliceVar(&o.regions, "region", nil, "region to read (repeat, or separate with commas; default: the configured region)")
	f.StringVarP(&o.output, "output", "o", "-", "file to write the baseline to (- for stdout)")
	f.IntVar(&o.concurrency, "concurrency", eks.DefaultScanConcurrency, "EKS calls in flight at once")
	f.Int32Var(&o.pageSize, "page-size", 0, "EKS page size (default 100, the maximum)")
	_ = f.MarkHidden("page-size")
	addAccountFlags(f, &o.acct)
	f.StringVar(&o.perAccount, "per-account", "", "folder to write one baseline per account to (<account>.yaml)")
	return cmd
}

func (e *env) capture(ctx context.Context, o captureOptions) error {
	region := ""
	if len(o.regions) > 0 {
		region = o.regions[0]
	}
	cfg, err := awsConfig(ctx, region)
	if err != nil {
		return err
	}
	if len(o.regions) == 0 {
		if cfg.Region == "" {
			return usageError{errors.New("baseline capture: no region: give --region or set AWS_REGION")}
		}
		o.regions = []string{cfg.Region}
	}
	account, err := callerAccount(ctx, cfg)
	if err != nil {
		return err
	}
	if o.acct.multi() {
		return e.captureAccounts(ctx, o, cfg, account)
	}
	c, errs := e.captureAccount(ctx, o, cfg, account)
	errs = append(errs, missingClusters(o, c.found, account)...)
	if len(errs) > 0 {
		return e.scanFailed("baseline capture", errs)
	}
	b, notes := c.baseline(account, o.regions)
	if err := e.writeCapture(o.output, b, notes); err != nil {
		return err
	}
	e.captured(b, account, o.regions, c)
	if o.output != "-" {
		fmt.Fprintf(e.stderr, "wrote %s; check it with: eksdrift baseline validate %s\n", o.output, o.output)
	}
	return nil
}

// captured is what capture read of one account.
type captured struct {
	found              []drift.ClusterState
	roles              []drift.RoleState
	users              []drift.UserState
	why, other         map[string]string
	userWhy            map[string]string
	eksCalls, iamCalls int64
	took               time.Duration
}

// captureAccount reads the clusters of account through cfg, and the roles
// of that account behind their entries; errs are what could not be read.
func (e *env) captureAccount(ctx context.Context, o captureOptions, cfg aws.Config, account string) (captured, []error) {
	eksScanner := eks.NewScanner(cfg, o.concurrency)
	eksScanner.PageSize = o.pageSize
	iamScanner := iam.NewScanner(cfg, 0)
	bar := newProgress(e.stderr)
	s := &scan.Scanner{EKS: eksScanner, IAM: iamScanner, UserScanner: iamScanner, Parallel: max(o.concurrency/2, 2)}
	stopBar := bar.every(200*time.Millisecond, func() string {
		p := s.Progress()
		return fmt.Sprintf("%s %s %s clusters %d/%d · entries %d · roles %d/%d · users %d/%d · %d calls · %s", "capturing", account,
			progressBar(p.ClustersDone+p.RolesDone+p.UsersDone, p.ClustersTotal+p.RolesTotal+p.UsersTotal), p.ClustersDone, p.ClustersTotal, p.Entries,
			p.RolesDone, p.RolesTotal, p.UsersDone, p.UsersTotal, eksScanner.Calls()+iamScanner.Calls(), bar.elapsed())
	})
	defer stopBar()
	var c captured
	var errs []error
	c.found, errs = e.captureClusters(ctx, o, s, eksScanner, bar, account)
	if len(errs) == 0 {
		errs = c.readBehind(ctx, s, account)
	}
	bar.clear()
	c.eksCalls, c.iamCalls, c.took = int64(eksScanner.Calls()), int64(iamScanner.Calls()), bar.elapsed()
	return c, errs
}

// captureClusters reads the clusters to capture (every cluster of each
// region with --all-clusters) and returns those found.
func (e *env) captureClusters(ctx context.Context, o captureOptions, s *scan.Scanner, eksScanner *eks.Scanner, bar *progress, account string) ([]drift.ClusterState, []error) {
	var targets []scan.Cluster
	for _, r := range o.regions {
		names := o.clusters
		if o.all {
			bar.show("listing the clusters of " + r + " in account " + account)
			var err error
			if names, err = eksScanner.Clusters(ctx, r); err != nil {
				return nil, []error{err}
			}
		}
		for _, n := range names {
			targets = append(targets, scan.Cluster{Region: r, Name: n, Account: account})
		}
	}
	s.Expect(len(targets), 0)
	states, errs := s.Clusters(ctx, targets)
	var found []drift.ClusterState
	for _, st := range states {
		if st.Found {
			found = append(found, st)
		}
	}
	return found, errs
}
