package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadRevert(t *testing.T) {
	env := map[string]string{
		EnvBaselineBucket: "b", EnvBaselineKey: "k", EnvHistoryTable: "t",
		EnvFindingsTopicARN: "arn:aws:sns:us-west-2:111122223333:findings",
	}
	get := func(k string) string { return env[k] }
	c, err := LoadRevert(get)
	if err != nil {
		t.Fatal(err)
	}
	if c.BreakerLimit != 5 || c.BreakerWindow != 10*time.Minute || c.Attempts != 4 || c.Backoff != 500*time.Millisecond {
		t.Errorf("defaults: got %+v", c)
	}
	env[EnvRevertAttempts], env[EnvBreakerLimit], env[EnvReverterRoleARN] = "0", "x", "revert-role"
	_, err = LoadRevert(get)
	for _, want := range []string{EnvRevertAttempts + " must be at least 1", EnvBreakerLimit, EnvReverterRoleARN + `="revert-role" is not an ARN`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

func TestAllowGrantingAdmin(t *testing.T) {
	tests := []struct {
		value string
		want  bool
		err   string
	}{
		{"", false, ""},
		{"false", false, ""},
		{"true", true, ""},
		{"yes", false, EnvAllowGrantingAdmin + `="yes" is not true or false`},
	}
	for _, tt := range tests {
		t.Run("value "+tt.value, func(t *testing.T) {
			env := map[string]string{
				EnvBaselineBucket: "b", EnvBaselineKey: "k", EnvHistoryTable: "t",
				EnvFindingsTopicARN: "arn:aws:sns:us-west-2:111122223333:findings", EnvAllowGrantingAdmin: tt.value,
			}
			c, err := LoadRevert(func(k string) string { return env[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("got %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AllowGrantingAdmin != tt.want {
				t.Errorf("got %v, want %v", c.AllowGrantingAdmin, tt.want)
			}
		})
	}
}
