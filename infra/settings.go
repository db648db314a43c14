// Package infra is the CDK app that deploys eksdrift: constructs for the
// stores, the functions, their routing and their alarms, composed in one
// stack (plus, when the stack is not in us-east-1, a small stack there that
// forwards IAM's events). It takes its names from the packages the
// functions use (internal/config, internal/routing, internal/dynamodb,
// internal/sns, internal/metrics), so the stack and the code cannot
// disagree.
package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/sns"
)

// Names of the CDK context keys the app reads. Defaults are in cdk.json;
// `cdk -c key=value` (or `make deploy CDK_FLAGS='-c key=value'`) overrides them.
const (
	CtxStackName      = "stackName"
	CtxAccount        = "account"
	CtxRegion         = "region"
	CtxBaselineKey    = "baselineKey"
	CtxMode           = "mode"
	CtxSlackSecretARN = "slackSecretArn"
	// CtxSlackSigningSecretARN deploys the interaction endpoint behind
	// Slack's buttons (functions/interact) with the Slack app's signing
	// secret; CtxSlackBotTokenARN optionally adds a bot token with
	// usergroups:read, for approvers that are user groups.
	CtxSlackSigningSecretARN = "slackSigningSecretArn"
	CtxSlackBotTokenARN      = "slackBotTokenArn"
	// CtxAccountAliases names accounts in the notifier's messages: a JSON
	// object of account ID to name (a string, or an object in cdk.json).
	CtxAccountAliases = "accountAliases"
	CtxAlarmEmail     = "alarmEmail"
	CtxExistingTrail  = "existingTrail"
	CtxClusters       = "clusters"
	CtxRoles          = "roles"
	// CtxUsers names the IAM users behind access entries (iamUsers) that
	// the functions may read and the reverter change.
	CtxUsers               = "users"
	CtxRetainData          = "retainData"
	CtxLogRetentionDays    = "logRetentionDays"
	CtxMetricsNamespace    = "metricsNamespace"
	CtxReverterConcurrency = "reverterConcurrency"
	CtxReconcileSchedule   = "reconcileSchedule"
	// CtxAlertSeverities and CtxAlertDecisions choose what reaches people
	// (Slack, Chatbot): the notifier's filter policy on the findings topic.
	CtxAlertSeverities = "alertSeverities"
	CtxAlertDecisions  = "alertDecisions"
	// CtxBaselineWriters names the IAM roles and users that may write the
	// baseline object (and nobody else may); no default.
	CtxBaselineWriters = "baselineWriters"
	// CtxAllowGrantingAdmin lets the reverter restore administrator
	// grants (drift.ReverterDenied*); default false.
	CtxAllowGrantingAdmin = "allowGrantingAdmin"
	// CtxBaselineHoldDown is the reverter's and the sweep's hold-down of a
	// new baseline version (config.EnvBaselineHoldDown).
	CtxBaselineHoldDown = "baselineHoldDown"
	// CtxSecurityHub deploys the Security Hub forwarder; default false.
	CtxSecurityHub = "securityHub"
)

// Deployment modes.
const (
	// ModeAlert deploys the detector and the notifier: findings are
	// recorded and sent, nothing is changed in the account.
	ModeAlert = "alert"
	// ModeRevert also deploys the reverter, subscribed to the findings whose
	// decision is revert or dry-run, with write access to the clusters and
	// roles in scope only.
	ModeRevert = "revert"
)

// Settings is the app's configuration, read once from the CDK context and
// checked before any construct is made.
type Settings struct {
	StackName string
	// Account and Region pin the stacks to one environment; both or neither.
	// With neither, the main stack is environment-agnostic and no forwarder
	// stack is made (its target region would be unknown).
	Account, Region string
	// BaselineKey is the baseline's object key in the baselines bucket.
	BaselineKey string
	Mode        string
	// SlackSecretARN is the Secrets Manager secret holding the Slack webhook
	// URL; the stack references it, it never creates it.
	SlackSecretARN string
	// SlackSigningSecretARN and SlackBotTokenARN are the interaction
	// endpoint's secrets (docs/alerts.md); without the first, no endpoint
	// is deployed and messages carry no buttons.
	SlackSigningSecretARN string
	// AccountAliases is CtxAccountAliases as the notifier reads it
	// (config.EnvAccountAliases, canonical JSON); "" for none.
	AccountAliases   string
	SlackBotTokenARN string
	// SlackAccept wires Accept into baseline (CtxSlackAccept): the
	// endpoint's role may then write the baseline object, and the bucket's
	// and the key's policies exempt it as they exempt BaselineWriters.
	SlackAccept bool
	// AlarmEmail, when set, is subscribed to the alarm topic.
	AlarmEmail string
	// ExistingTrail says a trail already logs management events in this
	// account, so the app does not create one.
	ExistingTrail bool
	// Clusters and Roles are the scope the functions may read (and the
	// reverter may change): names, name patterns or ARNs. "*" alone means
	// every cluster (role) of the account, which the reverter refuses.
	Clusters, Roles []string
	// Users is the same for the IAM users of the baseline's iamUsers.
	Users []string
	// RetainData keeps the history table and the buckets when the stack is
	// destroyed.
	RetainData          bool
	LogRetentionDays    int
	MetricsNamespace    string
	ReverterConcurrency int
	// ReconcileSchedule is the EventBridge schedule expression that
	// invokes the reconcile sweep: rate(...) no more often than the
	// function's timeout, or cron(...) at most hourly.
	ReconcileSchedule string
	// AlertSeverities and AlertDecisions are the notifier's filter.
	AlertSeverities []drift.Severity
	AlertDecisions  []drift.Decision
	// BaselineWriters are the ARNs of the IAM roles and users that may
	// write, overwrite or delete the baseline objects, and generate data
	// keys for them; the bucket's and the key's policies deny everyone
	// else. At least one, each one role or user, without wildcards.
	BaselineWriters []string
	// AllowGrantingAdmin lifts the reverter's explicit denies on
	// administrator grants (drift.ReverterDeniedManagedPolicies and
	// drift.ReverterDeniedAccessPolicies).
	AllowGrantingAdmin bool
	// BaselineHoldDown is given to the reverter and the sweep
	// (config.EnvBaselineHoldDown); 0 or more.
	BaselineHoldDown time.Duration
	// Deployers (CtxDeployers) and ExistingTrailARN (CtxExistingTrailARN)
	// are the tamper kind's settings (tamper.go).
	Deployers        []string
	ExistingTrailARN string
	// HeartbeatMinutes is CtxHeartbeatMinutes (heartbeat.go).
	HeartbeatMinutes int
	// SecurityHub deploys the Security Hub forwarder (functions/securityhub).
	SecurityHub bool
	// AuditLogClusters are the clusters whose audit log group sends
	// aws-auth writes to the detector (auditlogs.go).
	AuditLogClusters []string
	// Organization is the member accounts' settings (organization.go).
	Organization Organization
	// AssetsDir holds build/<function>/bootstrap; not a context key.
	AssetsDir string
}

// ContextReader is what ReadSettings needs of a construct node.
type ContextReader func(key string) any

// Env is the fallback for the account and region when the context has
// neither: the CDK CLI's CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, which
// it sets from the caller's credentials when it can.
type Env struct{ Account, Region string }

var (
	accountRE  = regexp.MustCompile(`^\d{12}$`)
	regionRE   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9*][A-Za-z0-9_*-]*$`)
	roleNameRE = regexp.MustCompile(`^([A-Za-z0-9+=,.@_*-]+/)*[A-Za-z0-9+=,.@_*-]+$`)
	clusterARN = regexp.MustCompile(`^arn:aws[a-z-]*:eks:[a-z0-9*-]+:(\d{12}|\*):cluster/[A-Za-z0-9_*-]+$`)
	userARN    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|\*):user/([A-Za-z0-9+=,.@_*-]+/)*[A-Za-z0-9+=,.@_*-]+$`)
	roleARN    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}|\*):role/([A-Za-z0-9+=,.@_*-]+/)*[A-Za-z0-9+=,.@_*-]+$`)
	// writerARN is one IAM role or user, with its path: what
	// aws:PrincipalArn holds for the role's sessions and for the user.
	writerARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$`)
	secretARN = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
	stackRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,100}$`)
)

// retentionDays are the retentions CloudWatch Logs accepts, in days.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// ReadSettings reads and checks the context, naming every key that is
// wrong. Context values given with -c are strings; values in cdk.json may
// be JSON booleans, numbers and lists, and both are accepted.
func ReadSettings(ctx ContextReader, env Env, assetsDir string) (Settings, error) {
	var p ctxParser
	s := Settings{
		StackName:             p.str(ctx, CtxStackName, "eksdrift"),
		Account:               p.str(ctx, CtxAccount, ""),
		Region:                p.str(ctx, CtxRegion, ""),
		BaselineKey:           p.str(ctx, CtxBaselineKey, "baseline.yaml"),
		Mode:                  p.str(ctx, CtxMode, ModeAlert),
		SlackSecretARN:        p.str(ctx, CtxSlackSecretARN, ""),
		SlackSigningSecretARN: p.str(ctx, CtxSlackSigningSecretARN, ""),
		SlackBotTokenARN:      p.str(ctx, CtxSlackBotTokenARN, ""),
		AccountAliases:        p.aliases(ctx, CtxAccountAliases),
		SlackAccept:           p.boolean(ctx, CtxSlackAccept, false),
		AlarmEmail:            p.str(ctx, CtxAlarmEmail, ""),
		ExistingTrail:         p.boolean(ctx, CtxExistingTrail, false),
		Clusters:              p.list(ctx, CtxClusters, []string{"*"}),
		Roles:                 p.list(ctx, CtxRoles, []string{"*"}),
		Users:                 p.list(ctx, CtxUsers, []string{"*"}),
		RetainData:            p.boolean(ctx, CtxRetainData, true),
		LogRetentionDays:      p.integer(ctx, CtxLogRetentionDays, 90),
		MetricsNamespace:      p.str(ctx, CtxMetricsNamespace, "eksdrift"),
		ReverterConcurrency:   p.integer(ctx, CtxReverterConcurrency, 2),
		ReconcileSchedule:     p.str(ctx, CtxReconcileSchedule, config.DefaultReconcileSchedule),
		BaselineWriters:       p.list(ctx, CtxBaselineWriters, nil),
		AllowGrantingAdmin:    p.boolean(ctx, CtxAllowGrantingAdmin, false),
		SecurityHub:           p.boolean(ctx, CtxSecurityHub, false),
		AssetsDir:             assetsDir,
	}
	readTamperSettings(&p, ctx, &s) // tamper.go
	s.BaselineHoldDown = readHoldDown(&p, ctx)
	s.AuditLogClusters = readAuditLogClusters(&p, ctx, s.Clusters)
	s.AlertSeverities, s.AlertDecisions = readAlertFilter(&p, ctx)
	s.Account, s.Region = resolveEnv(&p, ctx, s.Account, s.Region, env)
	s.Organization = readOrganization(&p, ctx, s) // organization.go
	checkIdentity(&p, s)
	checkScope(&p, s)
	checkLimits(&p, s)
	checkWriters(&p, s)
	checkRevertScope(&p, s)
	return s, p.err()
}

// readHoldDown reads baselineHoldDown: a Go duration, 0 or more.
func readHoldDown(p *ctxParser, ctx ContextReader) time.Duration {
	holdDown := p.str(ctx, CtxBaselineHoldDown, config.DefaultBaselineHoldDown.String())
	d, err := time.ParseDuration(holdDown)
	if err != nil || d < 0 {
		p.errorf("%s=%q is not a Go duration of 0 or more, such as 1h, 30m or 0s", CtxBaselineHoldDown, holdDown)
		return 0
	}
	return d
}

// readAlertFilter reads the notifier's filter, and checks that SNS can
// express it.
func readAlertFilter(p *ctxParser, ctx ContextReader) (severities []drift.Severity, decisions []drift.Decision) {
	for _, v := range p.list(ctx, CtxAlertSeverities, severityNames(sns.DefaultAlertSeverities)) {
		severities = append(severities, drift.Severity(v))
	}
	for _, v := range p.list(ctx, CtxAlertDecisions, decisionNames(sns.DefaultAlertDecisions)) {
		decisions = append(decisions, drift.Decision(v))
	}
	if _, err := sns.FilterPolicy(severities, decisions); err != nil {
		p.errorf("%s/%s: %v", CtxAlertSeverities, CtxAlertDecisions, err)
	}
	return severities, decisions
}

// resolveEnv gives the stack's account and region: the context's, else the
// CDK CLI's, and both or neither.
func resolveEnv(p *ctxParser, ctx ContextReader, account, region string, env Env) (string, string) {
	if account == "" && region == "" {
		account, region = env.Account, env.Region
	}
	if (account == "") != (region == "") {
		// Half an environment is not one: stay environment-agnostic
		// rather than guess, unless the context asked for one.
		if p.given(ctx, CtxAccount) || p.given(ctx, CtxRegion) {
			p.errorf("%s and %s go together: give both, or neither for an environment-agnostic stack", CtxAccount, CtxRegion)
		}
		return "", ""
	}
	return account, region
}

// checkIdentity checks the settings that name things: the account, region,
// stack, baseline key, mode, Slack secret and alarm address.
func checkIdentity(p *ctxParser, s Settings) {
	if s.Account != "" && !accountRE.MatchString(s.Account) {
		p.errorf("%s=%q is not a 12-digit account ID", CtxAccount, s.Account)
	}
	if s.Region != "" && !regionRE.MatchString(s.Region) {
		p.errorf("%s=%q is not a region such as eu-west-1", CtxRegion, s.Region)
	}
	if !stackRE.MatchString(s.StackName) {
		p.errorf("%s=%q is not a stack name (a letter, then letters, digits and hyphens)", CtxStackName, s.StackName)
	}
	if s.BaselineKey == "" || strings.HasPrefix(s.BaselineKey, "/") || strings.ContainsAny(s.BaselineKey, "*?") {
		p.errorf("%s=%q is not an S3 object key such as baseline.yaml", CtxBaselineKey, s.BaselineKey)
	}
	if s.Mode != ModeAlert && s.Mode != ModeRevert {
		p.errorf("%s=%q is not one of %s, %s", CtxMode, s.Mode, ModeAlert, ModeRevert)
	}
	if s.SlackSecretARN != "" && !secretARN.MatchString(s.SlackSecretARN) {
		p.errorf("%s=%q is not a Secrets Manager secret ARN", CtxSlackSecretARN, s.SlackSecretARN)
	}
	for _, v := range []struct{ name, val string }{{CtxSlackSigningSecretARN, s.SlackSigningSecretARN}, {CtxSlackBotTokenARN, s.SlackBotTokenARN}} {
		if v.val != "" && !secretARN.MatchString(v.val) {
			p.errorf("%s=%q is not a Secrets Manager secret ARN", v.name, v.val)
		}
	}
	if s.SlackSigningSecretARN != "" && s.SlackSecretARN == "" {
		p.errorf("%s needs %s: the buttons are on the messages posted to the Slack webhook", CtxSlackSigningSecretARN, CtxSlackSecretARN)
	}
	if s.SlackBotTokenARN != "" && s.SlackSigningSecretARN == "" {
		p.errorf("%s needs %s: the bot token only serves the interaction endpoint", CtxSlackBotTokenARN, CtxSlackSigningSecretARN)
	}
	if s.SlackAccept && s.SlackSigningSecretARN == "" {
		p.errorf("%s needs %s: Accept into baseline is a button of the interaction endpoint", CtxSlackAccept, CtxSlackSigningSecretARN)
	}
	if s.AlarmEmail != "" && (!strings.Contains(s.AlarmEmail, "@") || strings.ContainsAny(s.AlarmEmail, " ,;")) {
		p.errorf("%s=%q is not one e-mail address", CtxAlarmEmail, s.AlarmEmail)
	}
}

// checkScope checks the clusters and roles eksdrift watches.
func checkScope(p *ctxParser, s Settings) {
	for _, c := range s.Clusters {
		if c != "*" && !nameRE.MatchString(c) && !clusterARN.MatchString(c) {
			p.errorf("%s: %q is neither a cluster name (pattern) nor a cluster ARN", CtxClusters, c)
		}
	}
	for _, r := range s.Roles {
		if r != "*" && !roleNameRE.MatchString(r) && !roleARN.MatchString(r) {
			p.errorf("%s: %q is neither a role name (with its path, or a pattern) nor a role ARN", CtxRoles, r)
		}
	}
	for _, u := range s.Users {
		if u != "*" && !roleNameRE.MatchString(u) && !userARN.MatchString(u) {
			p.errorf("%s: %q is neither a user name (with its path, or a pattern) nor a user ARN", CtxUsers, u)
		}
	}
	if len(s.Users) == 0 {
		p.errorf("%s is empty: give user names, ARNs, or \"*\" for every user of the account", CtxUsers)
	}
	if len(s.Clusters) == 0 {
		p.errorf("%s is empty: give cluster names, ARNs, or \"*\" for every cluster of the account", CtxClusters)
	}
	if len(s.Roles) == 0 {
		p.errorf("%s is empty: give role names, ARNs, or \"*\" for every role of the account", CtxRoles)
	}
}

// checkLimits checks the numbers and the schedule.
func checkLimits(p *ctxParser, s Settings) {
	if _, ok := retentionDays[s.LogRetentionDays]; !ok {
		p.errorf("%s=%d is not a retention CloudWatch Logs offers (%v)", CtxLogRetentionDays, s.LogRetentionDays, slices.Sorted(maps.Keys(retentionDays)))
	}
	if s.MetricsNamespace == "" || strings.HasPrefix(s.MetricsNamespace, "AWS/") {
		p.errorf("%s=%q: give a namespace of your own, not empty and not AWS/...", CtxMetricsNamespace, s.MetricsNamespace)
	}
	if s.ReverterConcurrency < 2 || s.ReverterConcurrency > 10 {
		p.errorf("%s=%d: give 2 to 10 (2 is the least an SQS event source takes; few reverts run at once on purpose)", CtxReverterConcurrency, s.ReverterConcurrency)
	}
	if err := checkSchedule(s.ReconcileSchedule); err != nil {
		p.errorf("%s=%q %v", CtxReconcileSchedule, s.ReconcileSchedule, err)
	}
}

// checkRevertScope keeps revert mode to named clusters and roles: the
// reverter may not change every cluster or role of the account.
func checkRevertScope(p *ctxParser, s Settings) {
	if s.Mode == ModeRevert && (slices.Contains(s.Clusters, "*") || slices.Contains(s.Roles, "*")) {
		p.errorf("%s=%s needs %s and %s to name the baseline's clusters and roles: the reverter may not change every cluster or role of the account", CtxMode, ModeRevert, CtxClusters, CtxRoles)
	}
	if s.Mode == ModeRevert && slices.Contains(s.Users, "*") {
		// Deployments from before iamUsers never set users, and its default
		// is "*": the message is their upgrade step, so it says what to type.
		p.errorf("%s=%s needs %s to name the IAM users the reverter may change, and %s is \"*\" (every user of the account: its default when not set, as in deployments from before iamUsers); "+
			"the reverter may not change every user of the account. Deploy again with -c %s=NAME,... naming the users of the baseline's iamUsers "+
			"(names with their path such as ci/release-bot, patterns such as ci/*, or user ARNs), or put \"%s\": [\"ci/release-bot\"] in cdk.json's context; "+
			"a baseline without iamUsers can name a user that does not exist (-c %s=no-such-user), and the reverter then changes no user. See docs/deploy.md, \"Upgrading\"",
			CtxMode, ModeRevert, CtxUsers, CtxUsers, CtxUsers, CtxUsers, CtxUsers)
	}
}

// checkWriters checks baselineWriters. Whoever may write the baseline
// decides what the reverter restores: the list is required (a sample
// value in cdk.json would hand the baseline to whoever holds that name),
// and each entry is one role or user, so that no pattern lets in more
// than was meant.
func checkWriters(p *ctxParser, s Settings) {
	if len(s.BaselineWriters) == 0 {
		p.errorf("%s is empty: name the IAM roles or users that may write the baseline, such as "+
			"-c %s=arn:aws:iam::111122223333:role/baseline-admins (nobody else may write it, and what the baseline "+
			"declares is what the reverter restores)", CtxBaselineWriters, CtxBaselineWriters)
	}
	for _, w := range s.BaselineWriters {
		m := writerARN.FindStringSubmatch(w)
		switch {
		case strings.ContainsAny(w, "*?"):
			p.errorf("%s: %q has a wildcard: name each role or user by its full ARN", CtxBaselineWriters, w)
		case strings.Contains(w, ":assumed-role/"):
			p.errorf("%s: %q is a session: give its role's ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME), which matches every session of the role", CtxBaselineWriters, w)
		case m == nil:
			p.errorf("%s: %q is not the ARN of an IAM role or user (arn:aws:iam::ACCOUNT:role/PATH/NAME or :user/NAME)", CtxBaselineWriters, w)
		case s.Account != "" && m[1] != s.Account:
			p.errorf("%s: %q is in account %s, not the stack's account %s", CtxBaselineWriters, w, m[1], s.Account)
		}
	}
}

var (
	rateRE = regexp.MustCompile(`^rate\((\d+) (minute|hour|day)(s?)\)$`)
	cronRE = regexp.MustCompile(`^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$`)
	// cronMinuteRE is one minute of the hour: a cron that names one fires
	// at most hourly.
	cronMinuteRE = regexp.MustCompile(`^([0-9]|[1-5][0-9])$`)
)

var rateUnits = map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}

// checkSchedule checks a schedule expression as EventBridge reads it, and
// that two sweeps cannot run at once: two concurrent sweeps would both
// find drift with no open finding and record it twice, under two run
// times. A rate may be no shorter than the function's timeout; a cron
// names one minute of the hour, so it fires at most hourly.
func checkSchedule(expr string) error {
	if m := rateRE.FindStringSubmatch(expr); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return fmt.Errorf("is not a rate EventBridge takes: the value is a whole number, 1 or more")
		}
		if (n == 1) != (m[3] == "") {
			return fmt.Errorf("is not a rate EventBridge takes: it wants rate(1 %s) and rate(%d %ss)", m[2], max(n, 2), m[2])
		}
		if every := time.Duration(n) * rateUnits[m[2]]; every < config.DefaultReconcileTimeout {
			return fmt.Errorf("runs every %v: give at least the function's timeout, %v, so that two sweeps never run at once", every, config.DefaultReconcileTimeout)
		}
		return nil
	}
	if m := cronRE.FindStringSubmatch(expr); m != nil {
		if (m[3] == "?") == (m[5] == "?") {
			return fmt.Errorf("is not a cron EventBridge takes: one of day-of-month and day-of-week must be ?, not both")
		}
		if !cronMinuteRE.MatchString(m[1]) {
			return fmt.Errorf("must name one minute of the hour (0 to 59), so that it fires at most hourly; use rate(N minutes) for more often")
		}
		return nil
	}
	return fmt.Errorf("is not an EventBridge schedule: give rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)")
}

// Pinned reports whether the stacks are bound to one account and region.
func (s Settings) Pinned() bool { return s.Account != "" && s.Region != "" }

type ctxParser struct{ errs []string }

func (p *ctxParser) errorf(format string, args ...any) {
	p.errs = append(p.errs, fmt.Sprintf(format, args...))
}

func (p *ctxParser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("cdk context: %s", strings.Join(p.errs, "; "))
}

func (p *ctxParser) given(ctx ContextReader, key string) bool {
	v := ctx(key)
	s, isString := v.(string)
	return v != nil && (!isString || strings.TrimSpace(s) != "")
}

// aliases reads CtxAccountAliases, as a JSON string (-c on the command
// line) or an object (cdk.json), checks it as the notifier will, and gives
// it as canonical JSON.
func (p *ctxParser) aliases(ctx ContextReader, key string) string {
	var raw string
	switch v := ctx(key).(type) {
	case nil:
		return ""
	case string:
		raw = strings.TrimSpace(v)
	case map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			p.errorf("%s: %v", key, err)
			return ""
		}
		raw = string(b)
	default:
		p.errorf("%s=%v is not a JSON object of account ID to name", key, v)
		return ""
	}
	if raw == "" {
		return ""
	}
	m, err := config.ParseAccountAliases(raw)
	if err != nil {
		p.errorf("%s: %v", key, err)
		return ""
	}
	b, _ := json.Marshal(m) // map keys sorted: the same map, the same template
	return string(b)
}

func (p *ctxParser) str(ctx ContextReader, key, def string) string {
	switch v := ctx(key).(type) {
	case nil:
		return def
	case string:
		if s := strings.TrimSpace(v); s != "" {
			return s
		}
		return def
	default:
		p.errorf("%s=%v is not a string", key, v)
		return def
	}
}

func (p *ctxParser) boolean(ctx ContextReader, key string, def bool) bool {
	switch v := ctx(key).(type) {
	case nil:
		return def
	case bool:
		return v
	case string:
		if strings.TrimSpace(v) == "" {
			return def
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			p.errorf("%s=%q is not true or false", key, v)
			return def
		}
		return b
	default:
		p.errorf("%s=%v is not true or false", key, v)
		return def
	}
}

func (p *ctxParser) integer(ctx ContextReader, key string, def int) int {
	switch v := ctx(key).(type) {
	case nil:
		return def
	case float64:
		if v != float64(int(v)) {
			p.errorf("%s=%v is not a whole number", key, v)
			return def
		}
		return int(v)
	case string:
		if strings.TrimSpace(v) == "" {
			return def
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			p.errorf("%s=%q is not a whole number", key, v)
			return def
		}
		return n
	default:
		p.errorf("%s=%v is not a whole number", key, v)
		return def
	}
}

// list takes a JSON list (cdk.json), or a string holding a JSON list or
// comma-separated values (-c clusters=prod,staging).
func (p *ctxParser) list(ctx ContextReader, key string, def []string) []string {
	var items []any
	switch v := ctx(key).(type) {
	case nil:
		return def
	case []any:
		items = v
	case string:
		v = strings.TrimSpace(v)
		if v == "" {
			return def
		}
		if strings.HasPrefix(v, "[") {
			if err := json.Unmarshal([]byte(v), &items); err != nil {
				p.errorf("%s=%q is not a JSON list: %v", key, v, err)
				return def
			}
			break
		}
		for _, s := range strings.Split(v, ",") {
			items = append(items, s)
		}
	default:
		p.errorf("%s=%v is not a list", key, v)
		return def
	}
	out := []string{}
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			p.errorf("%s: %v is not a string", key, it)
			continue
		}
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func severityNames(s []drift.Severity) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}

func decisionNames(d []drift.Decision) []string {
	out := make([]string, len(d))
	for i, v := range d {
		out[i] = string(v)
	}
	return out
}
