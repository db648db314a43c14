package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadNotify(t *testing.T) {
	const secret = "arn:aws:secretsmanager:us-west-2:111122223333:secret:eksdrift/slack-AbCdEf"
	const topic = "arn:aws:sns:us-west-2:111122223333:eksdrift-chatbot"
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	c, err := LoadNotify(get(map[string]string{EnvSlackWebhookSecretARN: secret}))
	if err != nil {
		t.Fatal(err)
	}
	want := Notify{SlackWebhookSecretARN: secret, DigestThreshold: 5, DigestWindow: time.Minute, SecretCacheTTL: 5 * time.Minute, MetricsNamespace: "eksdrift"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults: got %+v, want %+v", c, want)
	}

	for _, tt := range []struct {
		name string
		env  map[string]string
		says []string // empty: no error
	}{
		{"chatbot only", map[string]string{EnvChatbotTopicARN: topic}, nil},
		{"both, digest always", map[string]string{EnvSlackWebhookSecretARN: secret, EnvChatbotTopicARN: topic, EnvDigestThreshold: "0"}, nil},
		{"nowhere to send", map[string]string{}, []string{"neither " + EnvSlackWebhookSecretARN + " nor " + EnvChatbotTopicARN}},
		{"secret not an ARN", map[string]string{EnvSlackWebhookSecretARN: "eksdrift/slack"}, []string{EnvSlackWebhookSecretARN + `="eksdrift/slack" is not a Secrets Manager secret ARN`}},
		{"secret of another service", map[string]string{EnvSlackWebhookSecretARN: topic}, []string{"is not a Secrets Manager secret ARN"}},
		{"topic not an ARN", map[string]string{EnvChatbotTopicARN: "chatbot"}, []string{EnvChatbotTopicARN + `="chatbot" is not an SNS topic ARN`}},
		{"bad threshold", map[string]string{EnvChatbotTopicARN: topic, EnvDigestThreshold: "-1"}, []string{EnvDigestThreshold + `="-1" is not a whole number`}},
		{"bad window", map[string]string{EnvChatbotTopicARN: topic, EnvDigestWindow: "a minute"}, []string{EnvDigestWindow + `="a minute" is not a duration`}},
		{"zero window", map[string]string{EnvChatbotTopicARN: topic, EnvDigestWindow: "0s"}, []string{EnvDigestWindow + " must be more than 0"}},
		{"bad TTL", map[string]string{EnvChatbotTopicARN: topic, EnvSecretCacheTTL: "-5m"}, []string{EnvSecretCacheTTL + `="-5m" is not a duration`}},
		{"batch item failures", map[string]string{EnvChatbotTopicARN: topic, EnvReportBatchItemFailures: "true"}, nil},
		{"account aliases", map[string]string{EnvChatbotTopicARN: topic, EnvAccountAliases: `{"111122223333": "payments-prod"}`}, nil},
		{"account aliases not JSON", map[string]string{EnvChatbotTopicARN: topic, EnvAccountAliases: "111122223333=payments"}, []string{EnvAccountAliases + " is not a JSON object"}},
		{"account aliases not a map of strings", map[string]string{EnvChatbotTopicARN: topic, EnvAccountAliases: `{"111122223333": 7}`}, []string{EnvAccountAliases + " is not a JSON object"}},
		{"account alias of no account", map[string]string{EnvChatbotTopicARN: topic, EnvAccountAliases: `{"prod\n": "x"}`}, []string{EnvAccountAliases + `: "prod\n" is not an account ID`}},
		{"account aliases too long", map[string]string{EnvChatbotTopicARN: topic, EnvAccountAliases: `{"111122223333": "` + strings.Repeat("x", 5000) + `"}`}, []string{EnvAccountAliases + " is 5020 bytes"}},
		{"bad batch item failures", map[string]string{EnvChatbotTopicARN: topic, EnvReportBatchItemFailures: "yes please"}, []string{EnvReportBatchItemFailures + `="yes please" is not true or false`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadNotify(get(tt.env))
			if len(tt.says) == 0 {
				if err != nil {
					t.Errorf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got no error")
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestLoadNotifyAccountAliases(t *testing.T) {
	c, err := LoadNotify(func(k string) string {
		return map[string]string{
			EnvChatbotTopicARN: "arn:aws:sns:us-west-2:111122223333:eksdrift-chatbot",
			EnvAccountAliases:  `{"111122223333": "payments-prod", "444455556666": "vendor"}`,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"111122223333": "payments-prod", "444455556666": "vendor"}
	if !reflect.DeepEqual(c.AccountAliases, want) {
		t.Errorf("got %v, want %v", c.AccountAliases, want)
	}
}
