package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// captureAccounts captures each account of --accounts or --organization
// through its role: one baseline of them all, or one per account with
// --per-account. An account whose role cannot be assumed, or whose
// clusters or roles cannot all be read, is skipped: a baseline that left
// part of an account out would declare it absent.
func (e *env) captureAccounts(ctx context.Context, o captureOptions, cfg aws.Config, home string) error {
	list, accounts, err := o.acct.reach(ctx, cfg, home)
	if err != nil {
		return err
	}
	failed := map[string]error{}
	var all captured
	var read []string
	for _, account := range list {
		acfg, err := accounts.Config(ctx, account, o.acct.roleName)
		if err != nil {
			failed[account] = err
			continue
		}
		c, errs := e.captureAccount(ctx, o, acfg, account)
		if len(errs) > 0 {
			failed[account] = fmt.Errorf("%d clusters or roles could not be read, the first: %w", len(errs), errs[0])
			continue
		}
		b, _ := c.baseline(account, o.regions)
		e.captured(b, account, o.regions, c)
		if o.perAccount != "" {
			if err := e.writeAccountFile(o, account, c); err != nil {
				return err
			}
		}
		read = append(read, account)
		all.found, all.roles, all.users = append(all.found, c.found...), append(all.roles, c.roles...), append(all.users, c.users...)
		all.why, all.other, all.userWhy = union(all.why, c.why), union(all.other, c.other), union(all.userWhy, c.userWhy)
	}
	if len(read) == 0 && len(list) > 0 {
		return e.skipped("baseline capture", failed, len(list))
	}
	if errs := missingClusters(o, all.found, joinComma(read)); len(errs) > 0 {
		return e.scanFailed("baseline capture", errs)
	}
	if o.perAccount == "" {
		b, notes := all.baseline(joinComma(read), o.regions)
		if err := e.writeCapture(o.output, b, notes); err != nil {
			return err
		}
	}
	return e.skipped("baseline capture", failed, len(list))
}

// writeAccountFile writes account's baseline as DIR/<account>.yaml.
func (e *env) writeAccountFile(o captureOptions, account string, c captured) error {
	if err := os.MkdirAll(o.perAccount, 0o755); err != nil {
		return fmt.Errorf("baseline capture: --per-account: %w", err)
	}
	// account is 12 digits (accountIDRE): the name cannot leave DIR.
	path := filepath.Join(o.perAccount, account+".yaml")
	b, notes := c.baseline(account, o.regions)
	if err := e.writeCapture(path, b, notes); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s\n", path)
	return nil
}

func union(a, b map[string]string) map[string]string {
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
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

// captured says what was captured of an account.
func (e *env) captured(b *drift.Baseline, account string, regions []string, c captured) {
	fmt.Fprintf(e.stderr, "captured %s from account %s (%s) in %s: %d EKS and %d IAM calls\n",
		captureCounts(b), account, joinComma(regions), c.took, c.eksCalls, c.iamCalls)
}

// missingClusters are the clusters named with --cluster that were not
// found: a capture that silently left one out would declare it absent.
func missingClusters(o captureOptions, found []drift.ClusterState, accounts string) []error {
	var errs []error
	for _, name := range o.clusters {
		if !slices.ContainsFunc(found, func(c drift.ClusterState) bool { return c.Name == name }) {
			errs = append(errs, fmt.Errorf("cluster %s: not found in %v (account %s)", name, o.regions, accounts))
		}
	}
	return errs
}
