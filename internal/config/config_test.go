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
