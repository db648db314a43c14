package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/revert"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// members wires an organization deployment (config.Org): a finding in a
// member account is re-read and reverted through that account's revert
// role, against that account's baseline. With no members configured (nor
// an organization, whose members Accounts verifies with Organizations) it
// changes nothing: one account, as before.
func members(ctx context.Context, getenv func(string) string, awsCfg aws.Config, cfg config.Shared, r *revert.Reverter, set *metrics.Set, log *slog.Logger) error {
	org, err := config.LoadOrg(getenv)
	if err != nil {
		return err
	}
	// EKSDRIFT_REGIONS: nothing is read, assumed or reverted on the word
	// of an event from another region.
	r.Regions = wiring.RegionsOf(org, awsCfg.Region)
	if !org.AdmitsMembers() {
		return nil
	}
	home, err := wiring.HomeAccount(ctx, awsCfg)
	if err != nil {
		return err
	}
	accounts := wiring.NewAccounts(awsCfg, home, org, "revert")
	accounts.Log = log
	r.Accounts = wiring.PerAccount(accounts, org.RevertRole, "revert", func(c aws.Config) revert.Clients {
		w := eks.NewWriter(c)
		return revert.Clients{EKS: eks.NewReader(c), IAM: iam.NewReader(c), EKSWriter: w, IAMWriter: iam.NewWriter(c), Admins: w}
	})
	baselines := wiring.NewAccountBaselines(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale,
		r.Baseline, accounts.Manages, set, log)
	r.BaselineFor = baselines.For
	// The hold-down covers the account files as the shared one.
	r.Versions = baselines.Versions(cfg.BaselineHoldDown)
	log.InfoContext(ctx, "organization deployment", "home", home, "members", len(org.Members), "revertRole", org.RevertRole)
	return nil
}
