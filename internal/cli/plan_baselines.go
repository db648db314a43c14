package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/s3"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// accountBaselines are the baselines plan judges each account against:
// the shared one (--baseline) merged with the account's own file from
// --per-account, by drift.MergeAccount, the merge the detector and the
// reverter make (internal/wiring.AccountBaselines). An account with no
// file gets the shared baseline alone, as in the functions.
type accountBaselines struct {
	shared *drift.Index
	merged map[string]*drift.Index
}

func (b accountBaselines) of(account string) *drift.Index {
	if ix, ok := b.merged[account]; ok {
		return ix
	}
	return b.shared
}

// planBaselines reads --per-account: a folder (DIR/<account>.yaml) or an
// S3 prefix (s3://BUCKET/PREFIX/<account>.yaml, where the deployment keeps
// them). Every file is read, validated and merged before any account is:
// a plan of part of the accounts against the wrong baselines would say
// what the functions would not. accounts are the accounts to plan; each
// error names the file and what is wrong with it, and the plan stops.
func (e *env) planBaselines(ctx context.Context, o planOptions, cfg aws.Config, shared *drift.Index, accounts []string) (accountBaselines, error) {
	b := accountBaselines{shared: shared, merged: map[string]*drift.Index{}}
	if o.perAccount == "" {
		return b, nil
	}
	var errs []error
	merge := func(account string, file *drift.Index) {
		ix, err := drift.MergeAccount(shared.Baseline, file.Baseline, account)
		if err != nil {
			errs = append(errs, err)
			return
		}
		b.merged[account] = ix
	}
	if bucket, prefix, ok := s3.ParseURI(o.perAccount); ok {
		for _, account := range accounts {
			key := path.Join(prefix, account+".yaml")
			file, err := wiring.BaselineAt(ctx, cfg, bucket, key)
			switch {
			case errors.Is(err, s3.ErrNotFound):
				// No file: the shared baseline alone, as in the functions.
			case err != nil:
				errs = append(errs, fmt.Errorf("--per-account s3://%s/%s: %w", bucket, key, err))
			default:
				merge(account, file)
			}
		}
	} else {
		entries, err := os.ReadDir(o.perAccount)
		if err != nil {
			return b, e.baselinesFailed([]error{fmt.Errorf("--per-account: %w", err)})
		}
		for _, ent := range entries {
			name := ent.Name()
			p := filepath.Join(o.perAccount, name)
			ext := filepath.Ext(name)
			if ent.IsDir() || !slices.Contains([]string{".yaml", ".yml", ".json"}, strings.ToLower(ext)) {
				continue // not a baseline: a README, a folder
			}
			account := strings.TrimSuffix(name, ext)
			if ext != ".yaml" || !accountIDRE.MatchString(account) {
				errs = append(errs, fmt.Errorf("--per-account %s: not an account file: its name must be a 12-digit account ID and .yaml (baselines/<account>.yaml is all the functions read)", p))
				continue
			}
			file, err := baseline.Load(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			merge(account, file)
			if !slices.Contains(accounts, account) {
				fmt.Fprintf(e.stderr, "eksdrift: plan: %s: account %s is not planned\n", p, account)
			}
		}
	}
	if len(errs) > 0 {
		return b, e.baselinesFailed(errs)
	}
	return b, nil
}

// baselinesFailed names every account file that cannot be used.
func (e *env) baselinesFailed(errs []error) error {
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "eksdrift: plan: %v\n", err)
	}
	fmt.Fprintf(e.stderr, "eksdrift: plan: %d account baselines cannot be used: nothing planned\n", len(errs))
	return &exitError{ExitError}
}
