package infra

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/sns"
)

// NotifierMetrics are the counts functions/notify writes (docs/alerts.md);
// the names are its own constants, and a test checks they still are.
var NotifierMetrics = []string{"Notified", "Digests", "NotifyFailed", "Malformed", "SlackRetries", "SlackRateLimited", "SlackTextOnly", "Snoozed"}

// NotifierAlarmOn is the count that means a person was not told.
const NotifierAlarmOn = "NotifyFailed"

// NotifierProps configures the notifier.
type NotifierProps struct {
	Stores   *Stores
	Settings Settings
}

// Notifier is functions/notify: a queue subscribed to the findings topic,
// with the default filter policy of internal/sns, brings it the findings
// (and revert outcomes) people should see, in batches so that a burst
// becomes a digest; it posts them to Slack (when a webhook secret is given)
// and to the Chatbot topic.
type Notifier struct {
	*Function
	Inbox *Inbox
}

// notifierTimeout is docs/alerts.md's recommendation: Slack's retries and
// 429 waits fit in it.
const notifierTimeout = 2 * time.Minute

// NewNotifier makes the notifier and its inbox. Its asset,
// build/notify/bootstrap, must exist.
func NewNotifier(scope constructs.Construct, id string, props NotifierProps) *Notifier {
	st, s := props.Stores, props.Settings
	env := map[string]string{
		config.EnvChatbotTopicARN: *st.Chatbot.TopicArn(),
		// The queue's event source reports batch item failures.
		config.EnvReportBatchItemFailures: "true",
		config.EnvMetricsNamespace:        s.MetricsNamespace,
	}
	if s.SlackSecretARN != "" {
		env[config.EnvSlackWebhookSecretARN] = s.SlackSecretARN
	}
	if s.AccountAliases != "" {
		env[config.EnvAccountAliases] = s.AccountAliases
	}
	f := NewFunction(scope, id, FunctionProps{
		Name:             "notify",
		Description:      "eksdrift notifier: findings to Slack and AWS Chatbot, bursts as digests",
		AssetsDir:        s.AssetsDir,
		Environment:      env,
		Timeout:          notifierTimeout,
		LogRetentionDays: s.LogRetentionDays,
		Retain:           s.RetainData,
	})
	grantPublish(f.Role, st.Chatbot.TopicArn(), st.Key)
	if s.SlackSecretARN != "" {
		// The secret is referenced, never created here: its value is not in
		// the template. A partial ARN (no random suffix) matches with -??????.
		f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
			Resources: jsii.Strings(s.SlackSecretARN, s.SlackSecretARN+"-??????"),
		}))
	}
	policy, err := sns.FilterPolicy(s.AlertSeverities, s.AlertDecisions)
	if err != nil {
		panic("infra: notifier filter policy: " + err.Error())
	}
	n := &Notifier{Function: f}
	n.Inbox = newInbox(f, notifierTimeout, InboxProps{
		Topic:        st.Findings,
		FilterPolicy: policy,
		BatchSize:    100,
		// What arrives within 30 s comes in one batch: the notifier makes a
		// digest of a burst about one cluster (docs/alerts.md).
		BatchingWindow:  30 * time.Second,
		MaxConcurrency:  2,
		MaxReceiveCount: 5,
	})
	return n
}
