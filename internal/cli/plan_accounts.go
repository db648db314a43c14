package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// AccountsPlan is plan's JSON with --accounts or --organization: one
// report per account read, and the accounts that could not be.
type AccountsPlan struct {
	Accounts []PlanReport     `json:"accounts"`
	Skipped  []SkippedAccount `json:"skipped"`
}

// SkippedAccount is an account plan could not read, and why.
type SkippedAccount struct {
	Account string `json:"account"`
	Error   string `json:"error"`
}

// planAccounts plans each account of --accounts or --organization through
// its role, against its baseline (the shared one, merged with the
// account's file with --per-account). An account whose role cannot be
// assumed, or whose clusters or roles cannot all be read, is skipped (a
// plan of part of an account would miss drift in the rest) and named.
func (e *env) planAccounts(ctx context.Context, o planOptions, cfg aws.Config, ix *drift.Index, home string) error {
	list, accounts, err := o.acct.reach(ctx, cfg, home)
	if err != nil {
		return err
	}
	bs, err := e.planBaselines(ctx, o, cfg, ix, list)
	if err != nil {
		return err
	}
	failed := map[string]error{}
	all := AccountsPlan{Accounts: []PlanReport{}, Skipped: []SkippedAccount{}}
	drifted := false
	for _, account := range list {
		acfg, err := accounts.Config(ctx, account, o.acct.roleName)
		if err != nil {
			failed[account] = err
			continue
		}
		r, errs := e.planScan(ctx, o, acfg, bs.of(account), account)
		if len(errs) > 0 {
			failed[account] = fmt.Errorf("%d clusters or roles could not be read, the first: %w", len(errs), errs[0])
			continue
		}
		all.Accounts = append(all.Accounts, r)
		drifted = drifted || len(r.Drift) > 0
	}
	for _, a := range slices.Sorted(maps.Keys(failed)) {
		all.Skipped = append(all.Skipped, SkippedAccount{Account: a, Error: failed[a].Error()})
	}
	err = e.writePlanOutput(o, all, func(w *bufio.Writer) error {
		for i, r := range all.Accounts {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := writePlan(w, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	partial := e.skipped("plan", failed, len(list))
	if drifted {
		return &exitError{ExitDrift}
	}
	return partial
}

// writePlanOutput writes v as JSON with --output json, or text as the
// table.
func (e *env) writePlanOutput(o planOptions, v any, text func(*bufio.Writer) error) error {
	out := bufio.NewWriter(e.stdout)
	var err error
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		err = enc.Encode(v)
	} else {
		err = text(out)
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	return err
}
