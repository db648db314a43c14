package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Environment variables of the notifier function (functions/notify). It
// also reads EnvMetricsNamespace.
const (
	// EnvSlackWebhookSecretARN names the Secrets Manager secret that holds
	// the Slack incoming webhook URL. Without it, nothing is posted to Slack.
	EnvSlackWebhookSecretARN = "EKSDRIFT_SLACK_WEBHOOK_SECRET_ARN"
	// EnvChatbotTopicARN is the topic AWS Chatbot (Amazon Q Developer in
	// chat applications) subscribes to. Without it, no Chatbot
	// notification is published.
	EnvChatbotTopicARN = "EKSDRIFT_CHATBOT_TOPIC_ARN"
	// EnvDigestThreshold: when more than this many messages about one
	// cluster (or, for IAM, one account) arrive within EnvDigestWindow, one
	// digest is sent instead of one message each. Default 5; 0 always
	// digests two or more.
	EnvDigestThreshold = "EKSDRIFT_DIGEST_THRESHOLD"
	EnvDigestWindow    = "EKSDRIFT_DIGEST_WINDOW"    // Go duration, default 60s
	EnvSecretCacheTTL  = "EKSDRIFT_SECRET_CACHE_TTL" // Go duration, default 5m
	// EnvReportBatchItemFailures is "true" when the queue's event source
	// mapping has ReportBatchItemFailures on, so that the notifier may name
	// the messages of a batch that failed and have only those retried.
	// Without it, any failure fails the whole batch: Lambda would otherwise
	// take the partial answer for success and delete the failed messages.
	EnvReportBatchItemFailures = "EKSDRIFT_REPORT_BATCH_ITEM_FAILURES"
	// EnvAccountAliases is an optional JSON object of account ID to name,
	// {"111122223333": "payments-prod"}: Slack messages show the name
	// beside the ID. Unset, messages show IDs alone.
	EnvAccountAliases = "EKSDRIFT_ACCOUNT_ALIASES"
)

// Notify is the notifier's configuration.
type Notify struct {
	SlackWebhookSecretARN   string
	ChatbotTopicARN         string
	DigestThreshold         int
	DigestWindow            time.Duration
	SecretCacheTTL          time.Duration
	ReportBatchItemFailures bool
	MetricsNamespace        string
	// SlackInteractive and SlackAccept are EnvSlackInteractive and
	// EnvSlackAccept; HistoryTable holds the snoozes when interactive.
	SlackInteractive bool
	SlackAccept      bool
	HistoryTable     string
	// AccountAliases is EnvAccountAliases, its keys checked to be account
	// IDs; the names are cleaned when they are shown.
	AccountAliases map[string]string
}

// LoadNotify reads and validates the notifier's configuration, naming every
// variable that is missing or wrong. At least one destination, Slack or
// Chatbot, must be set.
func LoadNotify(getenv func(string) string) (Notify, error) {
	var p parser
	c := Notify{
		SlackWebhookSecretARN:   p.optional(getenv, EnvSlackWebhookSecretARN, ""),
		ChatbotTopicARN:         p.optional(getenv, EnvChatbotTopicARN, ""),
		DigestThreshold:         p.count(getenv, EnvDigestThreshold, 5),
		DigestWindow:            p.duration(getenv, EnvDigestWindow, 60*time.Second),
		SecretCacheTTL:          p.duration(getenv, EnvSecretCacheTTL, 5*time.Minute),
		ReportBatchItemFailures: p.boolean(getenv, EnvReportBatchItemFailures),
		MetricsNamespace:        p.optional(getenv, EnvMetricsNamespace, "eksdrift"),
		SlackInteractive:        p.boolean(getenv, EnvSlackInteractive),
		SlackAccept:             p.boolean(getenv, EnvSlackAccept),
		HistoryTable:            p.optional(getenv, EnvHistoryTable, ""),
		AccountAliases:          p.aliases(getenv, EnvAccountAliases),
	}
	if c.SlackInteractive && c.HistoryTable == "" {
		p.errs = append(p.errs, fmt.Sprintf("%s is true but %s is not set: snoozes are kept in the history table", EnvSlackInteractive, EnvHistoryTable))
	}
	if c.SlackWebhookSecretARN == "" && c.ChatbotTopicARN == "" {
		p.errs = append(p.errs, fmt.Sprintf("neither %s nor %s is set: the notifier has nowhere to send", EnvSlackWebhookSecretARN, EnvChatbotTopicARN))
	}
	if v := c.SlackWebhookSecretARN; v != "" && (!strings.HasPrefix(v, "arn:") || !strings.Contains(v, ":secretsmanager:")) {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is not a Secrets Manager secret ARN", EnvSlackWebhookSecretARN, v))
	}
	if v := c.ChatbotTopicARN; v != "" && (!strings.HasPrefix(v, "arn:") || !strings.Contains(v, ":sns:")) {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is not an SNS topic ARN", EnvChatbotTopicARN, v))
	}
	if c.DigestWindow == 0 {
		p.errs = append(p.errs, EnvDigestWindow+" must be more than 0")
	}
	return c, p.err()
}

// count parses a whole number of at least 0.
func (p *parser) count(getenv func(string) string, name string, def int) int {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is not a whole number of at least 0", name, v))
		return def
	}
	return n
}

// boolean parses "true" or "false"; unset is false.
func (p *parser) boolean(getenv func(string) string, name string) bool {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is not true or false", name, v))
	}
	return b
}

// maxAliasesEnv bounds EnvAccountAliases: Lambda's whole environment is
// 4 KB, so anything longer did not come from the stack.
const maxAliasesEnv = 4096

// aliases parses a JSON object of account ID (twelve digits) to name.
func (p *parser) aliases(getenv func(string) string, name string) map[string]string {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return nil
	}
	if len(v) > maxAliasesEnv {
		p.errs = append(p.errs, fmt.Sprintf("%s is %d bytes, more than %d", name, len(v), maxAliasesEnv))
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("%s is not a JSON object of account ID to name: %v", name, err))
		return nil
	}
	for id := range m {
		if !accountRE.MatchString(id) {
			p.errs = append(p.errs, fmt.Sprintf("%s: %q is not an account ID (12 digits)", name, id))
			return nil
		}
	}
	return m
}

// ParseAccountAliases checks v as the notifier checks EnvAccountAliases:
// the stack checks -c accountAliases with it, so that a bad map fails the
// synthesis rather than the deployed notifier's start.
func ParseAccountAliases(v string) (map[string]string, error) {
	var p parser
	m := p.aliases(func(string) string { return v }, EnvAccountAliases)
	return m, p.err()
}
