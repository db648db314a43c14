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
