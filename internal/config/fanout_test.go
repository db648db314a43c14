package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadFanout(t *testing.T) {
	f, err := LoadFanout(func(string) string { return "" })
	if err != nil || f.AccountConcurrency != 16 || f.CallRate != 20 || f.Margin != time.Minute || f.Enabled() {
		t.Errorf("defaults: got %+v, %v, want 16 targets at once, 20 calls/s, 1m margin, no members", f, err)
	}
	env := map[string]string{EnvSweepAccountConcurrency: "0", EnvMemberCallRate: "0", EnvSweepMargin: "-1s", EnvMemberAccounts: "x"}
	_, err = LoadFanout(func(k string) string { return env[k] })
	for _, w := range []string{EnvSweepAccountConcurrency, EnvMemberCallRate, EnvSweepMargin, `"x" is not a 12-digit`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("got error %v, want one naming %s", err, w)
		}
	}
}
