// Command reconcile is the scheduled reconcile Lambda function: an
// EventBridge schedule (hourly by default) invokes it; it catches up on the
// watched CloudTrail events the history does not know (LookupEvents since
// its checkpoint, fed through the detector) and then sweeps the live state
// of the baseline's clusters and roles, recording drift that no event
// reported and closing findings fixed outside eksdrift. See
// internal/reconcile and docs/scanning.md.
//
// main only wires: configuration is read and checked once, clients are built
// once per execution environment, and lambda.Start takes over.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lambdamain"
	"github.com/eksdrift/eksdrift/internal/lookup"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/reconcile"
	"github.com/eksdrift/eksdrift/internal/scan"
	"github.com/eksdrift/eksdrift/internal/sns"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

func main() { lambdamain.Start("reconcile", build) }

// retries is how many times a throttled call is tried: adaptive retries
// slow a full scan down, and a large account needs more than three tries to
// get through a burst of throttling.
const retries = 10

type handler func(context.Context, json.RawMessage) (reconcile.Report, error)

// build wires the reconciler from the environment and returns the handler.
func build(ctx context.Context, getenv func(string) string, log *slog.Logger) (handler, error) {
	cfg, err := config.LoadReconcile(getenv)
	if err != nil {
		return nil, err
	}
	fan, err := config.LoadFanout(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.Load(ctx, "", retries)
	if err != nil {
		return nil, err
	}
	id, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("sts GetCallerIdentity (which account to sweep?): %w", err)
	}
	account := aws.ToString(id.Account)

	set := &metrics.Set{}
	source := wiring.BaselineSource(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale)
	baselineOf := wiring.Baseline(source, set, log)
	store := dynamodb.New(awsdynamodb.NewFromConfig(awsCfg), cfg.HistoryTable)
	remediators := []string{cfg.ReverterRoleARN}
	// The tamper calls the catch-up finds are judged against the
	// deployment, as the detector judges them live.
	outputs, err := config.Deployment(getenv, "ReconcileFunction")
	if err != nil {
		return nil, err
	}
	var dep *drift.Deployment
	if outputs != nil {
		if dep, err = drift.DeploymentFromOutputs(outputs); err != nil {
			return nil, err
		}
	}
	det := &detect.Detector{
		Baseline:    baselineOf,
		EKS:         eks.NewReader(awsCfg),
		IAM:         iam.NewReader(awsCfg),
		History:     store,
		Publisher:   sns.NewPublisher(awssns.NewFromConfig(awsCfg), cfg.FindingsTopicARN),
		Metrics:     set,
		Log:         log,
		Remediators: remediators,
		Deployment:  dep,
	}
	iamScanner := iam.NewScanner(awsCfg, 0)
	r := &reconcile.Reconciler{
		Baseline: baselineOf,
		Account:  account,
		Scanner: &scan.Scanner{EKS: eks.NewScanner(awsCfg, cfg.ScanConcurrency), IAM: iamScanner, UserScanner: iamScanner,
			Parallel: max(cfg.ScanConcurrency/2, 2)},
		History:          store,
		Detector:         det,
		Checkpoints:      store,
		Regions:          cfg.CatchUpRegions,
		TamperRegions:    tamperRegions(dep, awsCfg.Region),
		Overlap:          cfg.CatchUpOverlap,
		FirstLookback:    cfg.CatchUpFirstLookback,
		Remediators:      remediators,
		Grace:            graceOf(cfg.SweepGrace),
		RetryFailedAfter: cfg.RetryFailedAfter,
		Metrics:          set,
		Log:              log,
		Progress:         store,
		Margin:           fan.Margin,
	}
	var accounts *wiring.Accounts
	if fan.Enabled() || fan.ListsOrganization() {
		// The sweep fans out over the members, through their read roles,
		// and over this account's own targets (r.Account), with the
		// function's credentials (Accounts gives them for the home account:
		// no role assumed) and a call budget of its own; so does the
		// catch-up over the members: the events it finds in a member are
		// judged in that member (its live state through the read role, a
		// call on its spoke only if it is admitted).
		r.Members, r.SweepRegions, r.AccountParallel = fan.Members, fan.Regions, fan.AccountConcurrency
		home, err := wiring.HomeAccount(ctx, awsCfg)
		if err != nil {
			return nil, err
		}
		accounts = wiring.NewAccounts(awsCfg, home, fan.Org, "reconcile")
		accounts.Log = log
		if fan.ListsOrganization() {
			// An OU-only deployment: the sweep lists the accounts (each
			// also admitted through DescribeAccount, as the detector's).
			r.ListMembers = wiring.OrgAccounts(awsCfg, fan.OrganizationID, fan.Units, home)
		}
		r.ScannerFor = wiring.MemberScanners(wiring.MemberConfigs(accounts, fan.ReadRole, fan.CallRate), cfg.ScanConcurrency)
		// Each member is judged against its own baseline, as the detector
		// judges its events: the shared file merged with baselines/<account>.yaml.
		r.BaselineFor = wiring.NewAccountBaselines(awsCfg, cfg.BaselineBucket, cfg.BaselineKey, cfg.BaselineRevalidate, cfg.BaselineMaxStale,
			baselineOf, accounts.Manages, set, log).For
		det.Admitted = accounts.Admit
		// The events the catch-up finds in a member are judged against the
		// same merged baseline as the sweep's, as the detect function's are.
		det.BaselineFor = r.BaselineFor
		det.Accounts = wiring.PerAccount(accounts, fan.ReadRole, "read", func(c aws.Config) detect.Readers {
			return detect.Readers{EKS: eks.NewReader(c), IAM: iam.NewReader(c)}
		})
	}
	if cfg.CatchUp {
		r.Lookup = lookupOf(awsCfg, cfg.CatchUpInterval)
		if accounts != nil {
			// One client per member: CloudTrail's two calls a second are
			// per account and region, and each client paces its regions.
			r.MemberLookup = wiring.PerAccount(accounts, fan.ReadRole, "lookup", func(c aws.Config) reconcile.Lookup {
				return lookupOf(c, cfg.CatchUpInterval)
			})
		}
	}
	return func(ctx context.Context, event json.RawMessage) (reconcile.Report, error) {
		start := time.Now()
		rep, err := r.Run(ctx, scheduledAt(event, start))
		set.AddUnit(metrics.ReconcileTime, float64(time.Since(start).Microseconds())/1000, metrics.Milliseconds)
		if err != nil {
			// The answer is the error alone: the report (what was read,
			// what was not) is in this line.
			log.ErrorContext(ctx, "reconcile incomplete", "error", err, "report", rep)
		} else {
			set.Add(metrics.SweepsCompleted, 1) // the sweep alarm's dead man's switch
		}
		if ferr := set.Flush(os.Stdout, cfg.MetricsNamespace, "reconcile", time.Now()); ferr != nil {
			log.WarnContext(ctx, "metrics not written", "error", ferr)
		}
		return rep, err
	}, nil
}

// lookupOf is CloudTrail's LookupEvents with cfg's credentials, interval
// apart in each region.
func lookupOf(cfg aws.Config, interval time.Duration) reconcile.Lookup {
	lk := lookup.New(cfg)
	lk.Interval = interval
	return func(ctx context.Context, region, name string, from, to time.Time) ([]json.RawMessage, error) {
		events, err := lk.Events(ctx, region, name, from, to)
		out := make([]json.RawMessage, len(events))
		for i, e := range events {
			out[i] = e.Record
		}
		return out, err
	}
}

// scheduledAt is the time of the scheduled event that invoked the function:
// a retried invocation carries the same time, so its sweep makes the same
// findings, which the history already has. Any other event runs at now.
func scheduledAt(event json.RawMessage, now time.Time) time.Time {
	var e struct {
		Time time.Time `json:"time"`
	}
	if json.Unmarshal(event, &e) == nil && !e.Time.IsZero() {
		return e.Time
	}
	return now
}

// graceOf maps the setting to the reconciler's terms: an explicit 0 turns
// the grace period off.
func graceOf(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// tamperRegions is where the catch-up looks up tamper calls: the
// deployment's own region (the function's), when it knows its deployment.
func tamperRegions(dep *drift.Deployment, region string) []string {
	if dep == nil || region == "" {
		return nil
	}
	return []string{region}
}
