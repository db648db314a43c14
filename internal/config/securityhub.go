package config

import (
	"fmt"
	"strings"
)

// Environment variables of the Security Hub forwarder (functions/securityhub).
// It also reads EnvMetricsNamespace.
const (
	// EnvSecurityHubProductARN is the custom integration's product ARN,
	// arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default, that the
	// forwarder imports into; the stack builds it from its own account and
	// region and grants securityhub:BatchImportFindings on it alone.
	EnvSecurityHubProductARN = "EKSDRIFT_SECURITY_HUB_PRODUCT_ARN"
)

// SecurityHub is the forwarder's configuration.
type SecurityHub struct {
	ProductARN       string
	MetricsNamespace string
}

// LoadSecurityHub reads and checks the forwarder's configuration. The
// product ARN's full check (account, region) is securityhub.ParseProductARN's.
func LoadSecurityHub(getenv func(string) string) (SecurityHub, error) {
	var p parser
	c := SecurityHub{
		ProductARN:       p.required(getenv, EnvSecurityHubProductARN),
		MetricsNamespace: p.optional(getenv, EnvMetricsNamespace, "eksdrift"),
	}
	if v := c.ProductARN; v != "" && (!strings.HasPrefix(v, "arn:") || !strings.Contains(v, ":securityhub:")) {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is not a Security Hub product ARN", EnvSecurityHubProductARN, v))
	}
	return c, p.err()
}
