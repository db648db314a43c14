package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
permissions boundary), and writes it as a baseline that declares exactly
that, in mode alert. Entries that EKS manages (node and Fargate types) are
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
	s := &scan.Scanner{EKS: eksScanner, IAM: iamScanner, Parallel: max(o.concurrency/2, 2)}
	stopBar := bar.every(200*time.Millisecond, func() string {
		p := s.Progress()
		return fmt.Sprintf("%s %s clusters %d/%d · entries %d · roles %d/%d · %d calls · %s", "capturing",
			progressBar(p.ClustersDone+p.RolesDone, p.ClustersTotal+p.RolesTotal), p.ClustersDone, p.ClustersTotal, p.Entries,
			p.RolesDone, p.RolesTotal, eksScanner.Calls()+iamScanner.Calls(), bar.elapsed())
	})
	defer stopBar()

	var targets []scan.Cluster
	for _, r := range o.regions {
		names := o.clusters
		if o.all {
			bar.show("listing the clusters of " + r)
			if names, err = eksScanner.Clusters(ctx, r); err != nil {
				bar.clear()
				return err
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
		return e.scanFailed("baseline capture", errs)
	}

	roleARNs, why, other := scan.Behind(found, account)
	s.Expect(0, len(roleARNs))
	roles, errs := s.Roles(ctx, roleARNs)
	bar.clear()
	if len(errs) > 0 {
		return e.scanFailed("baseline capture", errs)
	}
	b := drift.Capture(found, roles)
	notes := captureNotes(found, roles, why, other, account, o.regions)
	out, err := baseline.Marshal(b, notes)
	if err != nil {
		return err
	}
	// What is written must load: check it as `baseline validate` would.
	if _, err := baseline.Parse(o.output, out); err != nil {
		return fmt.Errorf("baseline capture: the captured baseline does not validate (a bug: please report it): %w", err)
	}
	if err := writeOutput(o.output, out, e); err != nil {
		return err
	}
	entries := 0
	for _, c := range b.Clusters {
		entries += len(c.AccessEntries)
	}
	fmt.Fprintf(e.stderr, "captured %d clusters, %d access entries and %d roles from account %s (%s) in %s: %d EKS and %d IAM calls\n",
		len(b.Clusters), entries, len(b.IAMRoles), account, joinComma(o.regions), bar.elapsed(), eksScanner.Calls(), iamScanner.Calls())
	if o.output != "-" {
		fmt.Fprintf(e.stderr, "wrote %s; check it with: eksdrift baseline validate %s\n", o.output, o.output)
	}
	return nil
}

// progressBar is the 20-cell bar of the status lines.
func progressBar(done, total int) string { return bar(done, total, 20) }

// captureNotes are the comments of a captured baseline: where it came from,
// which entries EKS manages, what each role is behind.
func captureNotes(clusters []drift.ClusterState, roles []drift.RoleState, why, other map[string]string, account string, regions []string) baseline.Notes {
	n := baseline.Notes{
		Header: []string{
			fmt.Sprintf("Captured by eksdrift baseline capture at %s from account %s (%s).", time.Now().UTC().Format(time.RFC3339), account, joinComma(regions)),
			"It declares the access that existed then, in mode alert. Review it before use:",
			"remove what should not be allowed, then choose a mode (docs/baseline.md).",
		},
		Entries: map[string]string{},
		Roles:   map[string]string{},
	}
	for _, c := range clusters {
		for _, e := range c.AccessEntries {
			var lines []string
			switch e.Type {
			case drift.EntryEC2Linux, drift.EntryEC2Windows:
				lines = append(lines, e.Type+": managed by EKS for the nodes that use this role; only alerted on unless revertNodeEntries is set")
			case drift.EntryFargateLinux:
				lines = append(lines, e.Type+": managed by EKS for the pods of a Fargate profile; only alerted on unless revertNodeEntries is set")
			}
			if w := other[e.PrincipalARN]; w != "" {
				lines = append(lines, w)
			}
			if len(lines) > 0 {
				n.Entries[baseline.EntryNote(c.Account, c.Region, c.Name, e.PrincipalARN)] = strings.Join(lines, "\n")
			}
		}
	}
	// Entries name a role as they were created with it; the captured ARN is
	// the one IAM gives back, whose path may differ: match by name.
	byName := map[string]string{}
	for arn, w := range why {
		if name, ok := drift.RoleName(arn); ok {
			byName[strings.ToLower(name)] = w
		}
	}
	for _, r := range roles {
		if w := why[r.ARN]; w != "" {
			n.Roles[r.ARN] = w
		} else if w := byName[strings.ToLower(r.Name)]; w != "" {
			n.Roles[r.ARN] = w
		}
	}
	return n
}

func joinComma(s []string) string { return strings.Join(s, ", ") }

// writeOutput writes data to path, atomically (a file is either the old
// one or the whole new one), or to stdout for "-".
func writeOutput(path string, data []byte, e *env) error {
	if path == "-" || path == "" {
		_, err := e.stdout.Write(data)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// scanFailed reports every error of a scan and fails the command.
func (e *env) scanFailed(what string, errs []error) error {
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "eksdrift: %s: %v\n", what, err)
	}
	fmt.Fprintf(e.stderr, "eksdrift: %s: %d failed; nothing written\n", what, len(errs))
	return &exitError{ExitError}
}
