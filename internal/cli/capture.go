package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/baseline"
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
}

func newCaptureCmd(e *env) *cobra.Command {
	var o captureOptions
	cmd := &cobra.Command{
		Use:   "capture (--cluster NAME... | --all-clusters) [--region REGION...] [-o FILE]",
		Short: "Write a baseline of the access that exists now",
		Long: `Capture reads the live access configuration of clusters (authentication mode,
access entries with their access policies, pod identity associations,
identity provider configs) and of the IAM roles behind every access entry
and pod identity association (trust policy, managed and inline policies,
permissions boundary), and of the IAM users behind access entries (managed
and inline policies, groups, permissions boundary, active access keys and
service-specific credentials, console password), and writes it as a
baseline that declares exactly that, in mode alert. Entries that EKS manages (node and Fargate types) are
marked with a comment.

Every call is read-only. Lists are paged through, a bounded number of calls
run at once, and throttling slows the capture down rather than failing it.
The baseline declares what is, not what should be: review it before use.`,
		Example: `  eksdrift baseline capture --cluster prod --region us-west-2 -o baseline.yaml
  eksdrift baseline capture --all-clusters --region us-east-1,eu-west-1 -o baseline.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.clusters, o.regions = splitList(o.clusters), splitList(o.regions)
			if o.all == (len(o.clusters) > 0) {
				return usageError{errors.New("baseline capture: give either --cluster (one or more) or --all-clusters")}
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
	eksScanner := eks.NewScanner(cfg, o.concurrency)
	eksScanner.PageSize = o.pageSize
	iamScanner := iam.NewScanner(cfg, 0)
	bar := newProgress(e.stderr)
	s := &scan.Scanner{EKS: eksScanner, IAM: iamScanner, UserScanner: iamScanner, Parallel: max(o.concurrency/2, 2)}
	stopBar := bar.every(200*time.Millisecond, func() string {
		p := s.Progress()
		return fmt.Sprintf("%s %s clusters %d/%d · entries %d · roles %d/%d · users %d/%d · %d calls · %s", "capturing",
			progressBar(p.ClustersDone+p.RolesDone+p.UsersDone, p.ClustersTotal+p.RolesTotal+p.UsersTotal), p.ClustersDone, p.ClustersTotal, p.Entries,
			p.RolesDone, p.RolesTotal, p.UsersDone, p.UsersTotal, eksScanner.Calls()+iamScanner.Calls(), bar.elapsed())
	})
	defer stopBar()
	found, err := e.captureClusters(ctx, o, s, eksScanner, bar, account)
	if err != nil {
		return err
	}
	b, notes, errs := captureBehind(ctx, s, found, account, o.regions)
	bar.clear()
	if len(errs) > 0 {
		return e.scanFailed("baseline capture", errs)
	}
	if err := e.writeCapture(o.output, b, notes); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "captured %s from account %s (%s) in %s: %d EKS and %d IAM calls\n",
		captureCounts(b), account, joinComma(o.regions), bar.elapsed(), eksScanner.Calls(), iamScanner.Calls())
	if o.output != "-" {
		fmt.Fprintf(e.stderr, "wrote %s; check it with: eksdrift baseline validate %s\n", o.output, o.output)
	}
	return nil
}

// captureClusters reads the clusters to capture (every cluster of each
// region with --all-clusters) and returns those found; a named cluster that
// is not found fails the capture.
func (e *env) captureClusters(ctx context.Context, o captureOptions, s *scan.Scanner, eksScanner *eks.Scanner, bar *progress, account string) ([]drift.ClusterState, error) {
	var targets []scan.Cluster
	for _, r := range o.regions {
		names := o.clusters
		if o.all {
			bar.show("listing the clusters of " + r)
			var err error
			if names, err = eksScanner.Clusters(ctx, r); err != nil {
				bar.clear()
				return nil, err
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
	for _, name := range o.clusters {
		if !slices.ContainsFunc(found, func(c drift.ClusterState) bool { return c.Name == name }) {
			errs = append(errs, fmt.Errorf("cluster %s: not found in %v (account %s)", name, o.regions, account))
		}
	}
	if len(errs) > 0 {
		bar.clear()
		return nil, e.scanFailed("baseline capture", errs)
	}
	return found, nil
}

// writeCapture writes the captured baseline with its notes to path, once it
// has checked that it loads.
func (e *env) writeCapture(path string, b *drift.Baseline, notes baseline.Notes) error {
	out, err := baseline.Marshal(b, notes)
	if err != nil {
		return err
	}
	// What is written must load: check it as `baseline validate` would.
	if _, err := baseline.Parse(path, out); err != nil {
		return fmt.Errorf("baseline capture: the captured baseline does not validate (a bug: please report it): %w", err)
	}
	return writeOutput(path, out, e)
}

// scanFailed reports every error of a scan and fails the command.
func (e *env) scanFailed(what string, errs []error) error {
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "eksdrift: %s: %v\n", what, err)
	}
	fmt.Fprintf(e.stderr, "eksdrift: %s: %d failed; nothing written\n", what, len(errs))
	return &exitError{ExitError}
}
