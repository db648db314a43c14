package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// members wires an organization deployment (config.Org): the live state of
// a change in a member account is read through that account's read role,
// and each account's changes are judged against its own baseline. With no
// members configured (nor an organization, whose members Accounts verifies
// with Organizations) it changes nothing: one account, as before.
func members(ctx context.Context, getenv func(string) string, awsCfg aws.Config, cfg config.Shared, d *detect.Detector, set *metrics.Set, log *slog.Logger) error {
	org, err := config.LoadOrg(getenv)
	if err != nil {
		return err
	}
	// EKSDRIFT_REGIONS: nothing is read, assumed or reverted on the word
	// of an event from another region.
	d.Regions = wiring.RegionsOf(org, awsCfg.Region)
	if !org.AdmitsMembers() {
		return nil
	}
	home, err := wiring.HomeAccount(ctx, awsCfg)
	if err != nil {
		return err
	}
	d.Home = home
	accounts := wiring.NewAccounts(awsCfg, home, org, "detect")
	accounts.Log = log
	d.Accounts = wiring.PerAccount(accounts, org.ReadRole, "read", func(c aws.Config) detect.Readers {
		return detect.Readers{EKS: eks.NewReader(c), IAM: iam.NewReader(c)}
	})
	d.Admitted = accounts.Admit
	d.BaselineFor = wiring.NewAccountBaselines(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale,
		d.Baseline, accounts.Manages, set, log).For
	log.InfoContext(ctx, "organization deployment", "home", home, "members", len(org.Members), "readRole", org.ReadRole)
	return nil
}
