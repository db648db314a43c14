package config

import (
	"maps"
	"strings"
	"testing"
)

func TestLoadInteract(t *testing.T) {
	base := map[string]string{
		EnvSlackSigningSecretARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:slack-signing",
		EnvRevertQueueURL:        "https://sqs.us-east-1.amazonaws.com/111122223333/revert",
		EnvHistoryTable:          "history", EnvBaselineBucket: "b", EnvBaselineKey: "baseline.yaml",
	}
	with := func(k, v string) map[string]string {
		m := maps.Clone(base)
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		says string // "": no error
	}{
		{"the required settings", base, ""},
		{"no signing secret", with(EnvSlackSigningSecretARN, ""), EnvSlackSigningSecretARN},
		{"a bot token that is no secret", with(EnvSlackBotTokenARN, "xoxb-123"), "is not a Secrets Manager secret ARN"},
		{"a test origin on this machine", with(EnvSlackTestOrigin, "http://127.0.0.1:8080/"), ""},
		{"a test origin elsewhere", with(EnvSlackTestOrigin, "http://hooks.example/"), "for tests on this machine only"},
		{"a test origin with a path", with(EnvSlackTestOrigin, "http://127.0.0.1:8080/x"), "for tests on this machine only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadInteract(func(k string) string { return tt.env[k] })
			switch {
			case tt.says == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
				t.Errorf("got %v, want an error saying %q", err, tt.says)
			}
		})
	}
}

func TestInteractAcceptIsOptIn(t *testing.T) {
	base := map[string]string{
		EnvSlackSigningSecretARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:slack-signing",
		EnvHistoryTable:          "history", EnvBaselineBucket: "b", EnvBaselineKey: "baseline.yaml",
	}
	tests := []struct {
		name, value string
		want        bool
		fails       bool
	}{
		{"unset", "", false, false},
		{"true", "true", true, false},
		{"false", "false", false, false},
		{"not a boolean", "yes please", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := maps.Clone(base)
			if tt.value != "" {
				env[EnvSlackAccept] = tt.value
			}
			c, err := LoadInteract(func(k string) string { return env[k] })
			if (err != nil) != tt.fails {
				t.Fatalf("got error %v, want failure %v", err, tt.fails)
			}
			if err == nil && c.SlackAccept != tt.want {
				t.Errorf("got SlackAccept %v, want %v", c.SlackAccept, tt.want)
			}
		})
	}
}

func TestNotifyInteractiveNeedsTheHistory(t *testing.T) {
	env := map[string]string{EnvChatbotTopicARN: "arn:aws:sns:us-east-1:111122223333:chatbot", EnvSlackInteractive: "true"}
	if _, err := LoadNotify(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvHistoryTable) {
		t.Errorf("got %v, want an error naming %s", err, EnvHistoryTable)
	}
	env[EnvHistoryTable] = "history"
	if c, err := LoadNotify(func(k string) string { return env[k] }); err != nil || !c.SlackInteractive {
		t.Errorf("got %+v, %v, want interactive", c, err)
	}
}
