package infra

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/sns"
)

// readSettings reads ctx, with testWriter as the baseline writer unless
// ctx has the key (a nil value included).
func readSettings(ctx map[string]any, env Env) (Settings, error) {
	return ReadSettings(func(k string) any {
		if v, ok := ctx[k]; ok || k != CtxBaselineWriters {
			return v
		}
		return []any{testWriter}
	}, env, "build")
}

func TestReadSettingsDefaults(t *testing.T) {
	got, err := readSettings(nil, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		StackName: "eksdrift", BaselineKey: "baseline.yaml", Mode: ModeAlert,
		Clusters: []string{"*"}, Roles: []string{"*"}, Users: []string{"*"}, RetainData: true, LogRetentionDays: 90,
		MetricsNamespace: "eksdrift", ReverterConcurrency: 2, ReconcileSchedule: config.DefaultReconcileSchedule, AssetsDir: "build",
		AlertSeverities: sns.DefaultAlertSeverities, AlertDecisions: sns.DefaultAlertDecisions,
		BaselineWriters: []string{testWriter}, BaselineHoldDown: config.DefaultBaselineHoldDown, HeartbeatMinutes: 15,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got.Pinned() {
		t.Error("defaults are pinned to an environment")
	}
}

func TestReadSettingsForms(t *testing.T) {
	tests := []struct {
		name  string
		ctx   map[string]any
		env   Env
		check func(t *testing.T, s Settings)
	}{
		{"strings from -c", map[string]any{
			CtxExistingTrail: "true", CtxRetainData: "false", CtxLogRetentionDays: "30", CtxReverterConcurrency: "3",
			CtxClusters: "prod, staging,prod", CtxRoles: `["developers","team/app-api"]`,
		}, Env{}, func(t *testing.T, s Settings) {
			if !s.ExistingTrail || s.RetainData || s.LogRetentionDays != 30 || s.ReverterConcurrency != 3 {
				t.Errorf("got %+v", s)
			}
			if want := []string{"prod", "staging"}; !reflect.DeepEqual(s.Clusters, want) {
				t.Errorf("clusters: got %v, want %v", s.Clusters, want)
			}
			if want := []string{"developers", "team/app-api"}; !reflect.DeepEqual(s.Roles, want) {
				t.Errorf("roles: got %v, want %v", s.Roles, want)
			}
		}},
		{"JSON values from cdk.json", map[string]any{
			CtxExistingTrail: true, CtxLogRetentionDays: 365.0, CtxClusters: []any{"arn:aws:eks:eu-west-1:111122223333:cluster/prod"},
		}, Env{}, func(t *testing.T, s Settings) {
			if !s.ExistingTrail || s.LogRetentionDays != 365 || s.Clusters[0] != "arn:aws:eks:eu-west-1:111122223333:cluster/prod" {
				t.Errorf("got %+v", s)
			}
		}},
		{"the CLI's environment when the context has none", nil, Env{Account: "111122223333", Region: "eu-west-1"}, func(t *testing.T, s Settings) {
			if s.Account != "111122223333" || s.Region != "eu-west-1" || !s.Pinned() {
				t.Errorf("got %s/%s", s.Account, s.Region)
			}
		}},
		{"the context over the CLI's environment", map[string]any{CtxAccount: "444455556666", CtxRegion: "us-east-1", CtxBaselineWriters: "arn:aws:iam::444455556666:role/admins"}, Env{Account: "111122223333", Region: "eu-west-1"}, func(t *testing.T, s Settings) {
			if s.Account != "444455556666" || s.Region != "us-east-1" {
				t.Errorf("got %s/%s", s.Account, s.Region)
			}
		}},
		{"schedules EventBridge takes", map[string]any{CtxReconcileSchedule: "rate(10 minutes)"}, Env{}, func(t *testing.T, s Settings) {
			for _, expr := range []string{"rate(10 minutes)", "rate(1 hour)", "rate(6 hours)", "rate(1 day)", "cron(15 * * * ? *)", "cron(0 3 ? * MON-FRI *)"} {
				if err := checkSchedule(expr); err != nil {
					t.Errorf("%s: got %v, want no error", expr, err)
				}
			}
			if s.ReconcileSchedule != "rate(10 minutes)" {
				t.Errorf("schedule: got %q, want rate(10 minutes)", s.ReconcileSchedule)
			}
		}},
		{"writers, hold-down and admin grants", map[string]any{
			CtxBaselineWriters:    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Baseline_0123456789abcdef, arn:aws:iam::111122223333:user/ci",
			CtxBaselineHoldDown:   "30m",
			CtxAllowGrantingAdmin: "true",
			CtxAccount:            "111122223333", CtxRegion: "eu-west-1",
		}, Env{}, func(t *testing.T, s Settings) {
			want := []string{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Baseline_0123456789abcdef", "arn:aws:iam::111122223333:user/ci"}
			if !reflect.DeepEqual(s.BaselineWriters, want) {
				t.Errorf("writers: got %v, want %v", s.BaselineWriters, want)
			}
			if s.BaselineHoldDown != 30*time.Minute || !s.AllowGrantingAdmin {
				t.Errorf("hold-down, allowGrantingAdmin: got %v %v, want 30m0s true", s.BaselineHoldDown, s.AllowGrantingAdmin)
			}
		}},
		{"no hold-down", map[string]any{CtxBaselineHoldDown: "0"}, Env{}, func(t *testing.T, s Settings) {
			if s.BaselineHoldDown != 0 {
				t.Errorf("hold-down: got %v, want 0s", s.BaselineHoldDown)
			}
		}},
		{"half an environment from the CLI is none", nil, Env{Region: "eu-west-1"}, func(t *testing.T, s Settings) {
			if s.Pinned() || s.Region != "" {
				t.Errorf("got %s/%s, want environment-agnostic", s.Account, s.Region)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := readSettings(tt.ctx, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

// TestRevertOnEveryUserSaysWhatToDo: a revert deployment from before
// iamUsers never set users, whose default is "*", and now fails to
// synthesize. The error is its upgrade note: it names the setting, the
// command to give, the cdk.json form, the way out for a baseline without
// users, and the page.
func TestRevertOnEveryUserSaysWhatToDo(t *testing.T) {
	for name, ctx := range map[string]map[string]any{
		"users not set": {CtxMode: ModeRevert, CtxClusters: "prod", CtxRoles: "developers"},
		"users=*":       {CtxMode: ModeRevert, CtxClusters: "prod", CtxRoles: "developers", CtxUsers: "*"},
		"* among names": {CtxMode: ModeRevert, CtxClusters: "prod", CtxRoles: "developers", CtxUsers: []any{"alice", "*"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readSettings(ctx, Env{})
			if err == nil {
				t.Fatal("got no error, want revert mode to refuse every user")
			}
			for _, want := range []string{
				`users is "*"`, "its default when not set", "-c users=NAME,...", "the baseline's iamUsers",
				`"users": ["ci/release-bot"] in cdk.json's context`, "-c users=no-such-user", `docs/deploy.md, "Upgrading"`,
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want it to say %q", err, want)
				}
			}
		})
	}
	// What the message tells one to give is accepted.
	for _, users := range []any{"ci/release-bot,alice", "ci/*", "no-such-user", []any{"ci/release-bot"}} {
		ctx := map[string]any{CtxMode: ModeRevert, CtxClusters: "prod", CtxRoles: "developers", CtxUsers: users}
		if _, err := readSettings(ctx, Env{}); err != nil {
			t.Errorf("users=%v: got %v, want it accepted", users, err)
		}
	}
}

func TestReadSettingsErrors(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want string
	}{
		{"account without region", map[string]any{CtxAccount: "111122223333"}, "account and region go together"},
		{"bad account", map[string]any{CtxAccount: "1234", CtxRegion: "eu-west-1"}, `account="1234"`},
		{"bad region", map[string]any{CtxAccount: "111122223333", CtxRegion: "europe"}, `region="europe"`},
		{"bad mode", map[string]any{CtxMode: "fix"}, `mode="fix"`},
		{"bad secret", map[string]any{CtxSlackSecretARN: "slack-webhook"}, "not a Secrets Manager secret ARN"},
		{"two e-mails", map[string]any{CtxAlarmEmail: "a@example.com,b@example.com"}, "not one e-mail address"},
		{"bad cluster", map[string]any{CtxClusters: "prod/eu"}, `"prod/eu" is neither a cluster name`},
		{"cluster ARN of another service", map[string]any{CtxClusters: "arn:aws:ecs:eu-west-1:111122223333:cluster/prod"}, "neither a cluster name"},
		{"empty roles", map[string]any{CtxRoles: []any{}}, "roles is empty"},
		{"empty users", map[string]any{CtxUsers: []any{}}, "users is empty"},
		{"a role as a user", map[string]any{CtxUsers: []any{"arn:aws:iam::111122223333:role/x"}}, "neither a user name"},
		{"bad retention", map[string]any{CtxLogRetentionDays: "42"}, "logRetentionDays=42"},
		{"bad boolean", map[string]any{CtxExistingTrail: "yes please"}, `existingTrail="yes please"`},
		{"bad key", map[string]any{CtxBaselineKey: "/baseline.yaml"}, "not an S3 object key"},
		{"AWS namespace", map[string]any{CtxMetricsNamespace: "AWS/Lambda"}, "not empty and not AWS/"},
		{"concurrency under what SQS takes", map[string]any{CtxReverterConcurrency: 1.0}, "reverterConcurrency=1"},
		{"bad stack name", map[string]any{CtxStackName: "1st"}, "not a stack name"},
		{"revert on every role", map[string]any{CtxMode: ModeRevert, CtxClusters: "prod"}, "reverter may not change every cluster or role"},
		{"revert on every user", map[string]any{CtxMode: ModeRevert, CtxClusters: "prod", CtxRoles: "developers"}, "reverter may not change every user"},
		{"schedule not EventBridge's", map[string]any{CtxReconcileSchedule: "hourly"}, `reconcileSchedule="hourly" is not an EventBridge schedule`},
		{"rate of none", map[string]any{CtxReconcileSchedule: "rate(0 minutes)"}, "1 or more"},
		{"rate of 1 in the plural", map[string]any{CtxReconcileSchedule: "rate(1 hours)"}, "it wants rate(1 hour) and rate(2 hours)"},
		{"rate of 2 in the singular", map[string]any{CtxReconcileSchedule: "rate(2 day)"}, "it wants rate(1 day) and rate(2 days)"},
		{"rate shorter than the timeout", map[string]any{CtxReconcileSchedule: "rate(5 minutes)"}, "two sweeps never run at once"},
		{"cron every few minutes", map[string]any{CtxReconcileSchedule: "cron(0/5 * * * ? *)"}, "one minute of the hour"},
		{"cron with both days", map[string]any{CtxReconcileSchedule: "cron(0 * * * * *)"}, "day-of-month and day-of-week"},
		{"cron with five fields", map[string]any{CtxReconcileSchedule: "cron(0 * * * ?)"}, "is not an EventBridge schedule"},
		{"unknown alert severity", map[string]any{CtxAlertSeverities: "critical,urgent"}, `unknown severity "urgent"`},
		{"unknown alert decision", map[string]any{CtxAlertDecisions: "revert,fix"}, `unknown decision "fix"`},
		{"no baseline writer", map[string]any{CtxBaselineWriters: nil}, "baselineWriters is empty"},
		{"empty baseline writers", map[string]any{CtxBaselineWriters: []any{}}, "baselineWriters is empty"},
		{"blank baseline writers", map[string]any{CtxBaselineWriters: " , "}, "baselineWriters is empty"},
		{"writer pattern", map[string]any{CtxBaselineWriters: "arn:aws:iam::111122223333:role/*"}, `baselineWriters: "arn:aws:iam::111122223333:role/*" has a wildcard`},
		{"writer name pattern", map[string]any{CtxBaselineWriters: "arn:aws:iam::111122223333:role/baseline-?dmins"}, "has a wildcard"},
		{"writer session", map[string]any{CtxBaselineWriters: "arn:aws:sts::111122223333:assumed-role/admins/alice"}, "is a session: give its role's ARN"},
		{"writer by name", map[string]any{CtxBaselineWriters: "baseline-admins"}, `baselineWriters: "baseline-admins" is not the ARN of an IAM role or user`},
		{"writer is the account", map[string]any{CtxBaselineWriters: "arn:aws:iam::111122223333:root"}, "is not the ARN of an IAM role or user"},
		{"writer is a group", map[string]any{CtxBaselineWriters: "arn:aws:iam::111122223333:group/admins"}, "is not the ARN of an IAM role or user"},
		{"writer of another account", map[string]any{CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxBaselineWriters: "arn:aws:iam::444455556666:role/admins"},
			"is in account 444455556666, not the stack's account 111122223333"},
		{"writer not a string", map[string]any{CtxBaselineWriters: []any{42.0}}, "baselineWriters: 42 is not a string"},
		{"negative hold-down", map[string]any{CtxBaselineHoldDown: "-1h"}, `baselineHoldDown="-1h" is not a Go duration of 0 or more`},
		{"hold-down not a duration", map[string]any{CtxBaselineHoldDown: "an hour"}, `baselineHoldDown="an hour" is not a Go duration`},
		{"hold-down as a number", map[string]any{CtxBaselineHoldDown: 3600.0}, "baselineHoldDown=3600 is not a string"},
		{"bad allowGrantingAdmin", map[string]any{CtxAllowGrantingAdmin: "sometimes"}, `allowGrantingAdmin="sometimes" is not true or false`},
		{"aliases not JSON", map[string]any{CtxAccountAliases: "111122223333=payments"}, "accountAliases: configuration: EKSDRIFT_ACCOUNT_ALIASES is not a JSON object"},
		{"alias of no account", map[string]any{CtxAccountAliases: map[string]any{"prod": "payments"}}, `"prod" is not an account ID`},
		{"alias not a string", map[string]any{CtxAccountAliases: map[string]any{"111122223333": 7.0}}, "is not a JSON object of account ID to name"},
		{"aliases a list", map[string]any{CtxAccountAliases: []any{"111122223333"}}, "accountAliases=[111122223333] is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readSettings(tt.ctx, Env{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestAlertFilterOptions(t *testing.T) {
	s, err := readSettings(map[string]any{CtxAlertSeverities: "critical,high", CtxAlertDecisions: []any{"revert", "alert"}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.AlertSeverities) != 2 || s.AlertSeverities[1] != "high" || len(s.AlertDecisions) != 2 || s.AlertDecisions[0] != "revert" {
		t.Errorf("got %v %v", s.AlertSeverities, s.AlertDecisions)
	}
	d, err := readSettings(map[string]any{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.AlertSeverities) != 3 || len(d.AlertDecisions) != 4 {
		t.Errorf("defaults: got %v %v, want the notifier's (medium and up; every decision but none)", d.AlertSeverities, d.AlertDecisions)
	}
}

// TestCdkJSONNamesNoBaselineWriter: a sample writer in cdk.json would
// hand the baseline to whoever holds that name; synthesis from cdk.json
// alone must fail and say which setting to give.
func TestCdkJSONNamesNoBaselineWriter(t *testing.T) {
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := ctx[CtxBaselineWriters]; ok {
		t.Errorf("cdk.json: got %s=%v, want no default", CtxBaselineWriters, v)
	}
	_, err = ReadSettings(func(k string) any { return ctx[k] }, Env{}, "build")
	if err == nil || !strings.Contains(err.Error(), "baselineWriters is empty") {
		t.Errorf("synthesis from cdk.json alone: got %v, want an error naming %s", err, CtxBaselineWriters)
	}
	for k, want := range map[string]any{CtxAllowGrantingAdmin: false, CtxBaselineHoldDown: "1h"} {
		if got := ctx[k]; got != want {
			t.Errorf("cdk.json %s: got %v, want %v (the app's default)", k, got, want)
		}
	}
}

// TestAccountAliases: -c accountAliases reaches the notifier as the JSON it
// reads, the same map given as a string or as a cdk.json object, and is
// absent when not given.
func TestAccountAliases(t *testing.T) {
	want := `{"111122223333":"payments-prod","444455556666":"shared"}`
	for _, v := range []any{` {"444455556666": "shared", "111122223333": "payments-prod"} `, map[string]any{"111122223333": "payments-prod", "444455556666": "shared"}} {
		s, err := readSettings(map[string]any{CtxAccountAliases: v}, Env{})
		if err != nil || s.AccountAliases != want {
			t.Errorf("%v: got %q, %v, want %s", v, s.AccountAliases, err, want)
		}
	}
	if s, err := readSettings(nil, Env{}); err != nil || s.AccountAliases != "" {
		t.Errorf("no accountAliases: got %q, %v, want none", s.AccountAliases, err)
	}
}
