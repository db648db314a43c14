package config

import (
	"strings"
	"testing"
)

func TestLoadSecurityHub(t *testing.T) {
	const product = "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
	tests := []struct {
		name string
		env  map[string]string
		says string // "": no error
	}{
		{"product", map[string]string{EnvSecurityHubProductARN: product}, ""},
		{"missing", map[string]string{}, EnvSecurityHubProductARN},
		{"another service", map[string]string{EnvSecurityHubProductARN: "arn:aws:sns:eu-west-1:111122223333:findings"}, "is not a Security Hub product ARN"},
		{"not an ARN", map[string]string{EnvSecurityHubProductARN: "default"}, "is not a Security Hub product ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadSecurityHub(func(k string) string { return tt.env[k] })
			switch {
			case tt.says == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)):
				t.Errorf("got %v, want an error saying %q", err, tt.says)
			case tt.says == "" && (c.ProductARN != product || c.MetricsNamespace != "eksdrift"):
				t.Errorf("got %+v, want the product and the default namespace", c)
			}
		})
	}
}
