package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Environment variables of the interaction endpoint (functions/interact),
// deployed only with the stack setting slackSigningSecretArn. It also reads
// the baseline's and the history's (EnvBaselineBucket, EnvBaselineKey,
// EnvHistoryTable, EnvSecretCacheTTL).
const (
	// EnvSlackSigningSecretARN names the secret that holds the Slack app's
	// signing secret.
	EnvSlackSigningSecretARN = "EKSDRIFT_SLACK_SIGNING_SECRET_ARN"
	// EnvSlackBotTokenARN optionally names the secret that holds a bot token
	// with usergroups:read; without it, approvers that are user groups are
	// refused.
	EnvSlackBotTokenARN = "EKSDRIFT_SLACK_BOT_TOKEN_ARN"
	// EnvRevertQueueURL is the reverter's queue, where Revert now sends
	// its requests; unset when the stack is in alert mode (no reverter),
	// and then Revert now is refused.
	EnvRevertQueueURL = "EKSDRIFT_REVERT_QUEUE_URL"
	// EnvApprovalTTL is how long a Revert now approval stays usable. Go
	// duration, default 15m.
	EnvApprovalTTL = "EKSDRIFT_APPROVAL_TTL"
	// EnvSlackTestOrigin is for tests only: an http://127.0.0.1:PORT/
	// origin that stands in for https://hooks.slack.com/ (response_url) and
	// for Slack's Web API. Anything but 127.0.0.1 is refused; the stack
	// never sets it.
	EnvSlackTestOrigin = "EKSDRIFT_SLACK_TEST_ORIGIN"
)

// Environment variables of the notifier for Slack's buttons.
const (
	// EnvSlackInteractive is "true" when the interaction endpoint is
	// deployed: drift messages then carry buttons, and the notifier reads
	// snoozes from EnvHistoryTable.
	EnvSlackInteractive = "EKSDRIFT_SLACK_INTERACTIVE"
	// EnvSlackAccept is "true" when Accept into baseline is wired in the
	// interaction endpoint (stack setting slackAccept): the notifier then
	// renders its button, and the endpoint builds its acceptor, whose role
	// is then a baseline writer. Unset or false, Accept is refused.
	EnvSlackAccept = "EKSDRIFT_SLACK_ACCEPT"
)

// Interact is the interaction endpoint's configuration.
type Interact struct {
	SlackSigningSecretARN string
	SlackBotTokenARN      string
	RevertQueueURL        string
	HistoryTable          string
	BaselineBucket        string
	BaselineKey           string
	BaselineRevalidate    time.Duration
	BaselineMaxStale      time.Duration
	ApprovalTTL           time.Duration
	SecretCacheTTL        time.Duration
	SlackTestOrigin       string
	// SlackAccept is EnvSlackAccept: only then is an acceptor wired, and
	// only then may the function's role write the baseline object.
	SlackAccept bool
}

// LoadInteract reads and checks the interaction endpoint's configuration.
func LoadInteract(getenv func(string) string) (Interact, error) {
	var p parser
	c := Interact{
		SlackSigningSecretARN: p.required(getenv, EnvSlackSigningSecretARN),
		SlackBotTokenARN:      p.optional(getenv, EnvSlackBotTokenARN, ""),
		RevertQueueURL:        p.optional(getenv, EnvRevertQueueURL, ""),
		HistoryTable:          p.required(getenv, EnvHistoryTable),
		BaselineBucket:        p.required(getenv, EnvBaselineBucket),
		BaselineKey:           p.required(getenv, EnvBaselineKey),
		BaselineRevalidate:    p.duration(getenv, EnvBaselineRevalidate, 60*time.Second),
		BaselineMaxStale:      p.duration(getenv, EnvBaselineMaxStale, 15*time.Minute),
		ApprovalTTL:           p.duration(getenv, EnvApprovalTTL, 15*time.Minute),
		SecretCacheTTL:        p.duration(getenv, EnvSecretCacheTTL, 5*time.Minute),
		SlackTestOrigin:       p.optional(getenv, EnvSlackTestOrigin, ""),
		SlackAccept:           p.boolean(getenv, EnvSlackAccept),
	}
	for _, v := range []struct{ name, val string }{{EnvSlackSigningSecretARN, c.SlackSigningSecretARN}, {EnvSlackBotTokenARN, c.SlackBotTokenARN}} {
		if v.val != "" && (!strings.HasPrefix(v.val, "arn:") || !strings.Contains(v.val, ":secretsmanager:")) {
			p.errs = append(p.errs, fmt.Sprintf("%s=%q is not a Secrets Manager secret ARN", v.name, v.val))
		}
	}
	if v := c.SlackTestOrigin; v != "" {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Path != "/" || u.User != nil {
			p.errs = append(p.errs, fmt.Sprintf("%s=%q is not http://127.0.0.1:PORT/ (it is for tests on this machine only)", EnvSlackTestOrigin, v))
		}
	}
	if c.ApprovalTTL == 0 {
		p.errs = append(p.errs, EnvApprovalTTL+" must be more than 0")
	}
	return c, p.err()
}
