package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadDetect(t *testing.T) {
	full := map[string]string{
		EnvBaselineBucket: "b", EnvBaselineKey: "baseline.yaml", EnvHistoryTable: "t",
		EnvFindingsTopicARN: "arn:aws:sns:us-west-2:111122223333:findings",
	}
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := LoadDetect(get(full))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaselineRevalidate != time.Minute || c.BaselineMaxStale != 15*time.Minute || c.MetricsNamespace != "eksdrift" {
		t.Errorf("defaults: got %+v", c)
	}
	tests := []struct {
		name string
		edit map[string]string
		says []string
	}{
		{"nothing set", map[string]string{EnvBaselineBucket: "", EnvBaselineKey: "", EnvHistoryTable: "", EnvFindingsTopicARN: ""},
			[]string{EnvBaselineBucket + " is not set", EnvBaselineKey + " is not set", EnvHistoryTable + " is not set", EnvFindingsTopicARN + " is not set"}},
		{"bad duration", map[string]string{EnvBaselineRevalidate: "soon"}, []string{EnvBaselineRevalidate + `="soon" is not a duration`}},
		{"topic not an ARN", map[string]string{EnvFindingsTopicARN: "findings"}, []string{"is not an ARN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range full {
				m[k] = v
			}
			for k, v := range tt.edit {
				m[k] = v
			}
			_, err := LoadDetect(get(m))
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

// TestBaselineHoldDown: the reverter and the sweep read the hold-down the
// stack sets (infra's baselineHoldDown); 0 turns it off, a negative or
// unreadable value is refused, naming the variable.
func TestBaselineHoldDown(t *testing.T) {
	tests := []struct {
		name, value string
		want        time.Duration
		err         string
	}{
		{"unset is the default", "", DefaultBaselineHoldDown, ""},
		{"the stack's form", "1h0m0s", time.Hour, ""},
		{"minutes", "15m", 15 * time.Minute, ""},
		{"off", "0s", 0, ""},
		{"bare zero", "0", 0, ""},
		{"negative", "-5m", 0, EnvBaselineHoldDown + `="-5m" is not a duration`},
		{"not a duration", "an hour", 0, EnvBaselineHoldDown + `="an hour" is not a duration`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				EnvBaselineBucket: "b", EnvBaselineKey: "k", EnvHistoryTable: "t",
				EnvFindingsTopicARN: "arn:aws:sns:us-west-2:111122223333:findings", EnvBaselineHoldDown: tt.value,
			}
			get := func(k string) string { return env[k] }
			rv, errRevert := LoadRevert(get)
			rc, errReconcile := LoadReconcile(get)
			for _, got := range []struct {
				who string
				d   time.Duration
				err error
			}{{"revert", rv.BaselineHoldDown, errRevert}, {"reconcile", rc.BaselineHoldDown, errReconcile}} {
				if tt.err != "" {
					if got.err == nil || !strings.Contains(got.err.Error(), tt.err) {
						t.Errorf("%s: got %v, want an error with %q", got.who, got.err, tt.err)
					}
					continue
				}
				if got.err != nil {
					t.Fatalf("%s: %v", got.who, got.err)
				}
				if got.d != tt.want {
					t.Errorf("%s: got %v, want %v", got.who, got.d, tt.want)
				}
			}
		})
	}
}
