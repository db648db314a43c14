package infra

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/securityhub"
	"github.com/eksdrift/eksdrift/internal/sns"
)

// SecurityHubMetrics are the counts functions/securityhub writes.
var SecurityHubMetrics = []string{metrics.SecurityHubImported, metrics.SecurityHubSkipped, metrics.Errors}

// SecurityHubFilterPolicy lets through every finding and every outcome of
// a revert: an outcome re-imports its finding, resolved or not.
func SecurityHubFilterPolicy() map[string][]string {
	return map[string][]string{sns.AttrMessageType: {sns.MessageTypeFinding, sns.MessageTypeOutcome}}
}

// securityHubProductARN is the account's own custom integration in the
// stack's region: the only resource the forwarder may import into.
const securityHubProductARN = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"

// SecurityHubProps configures the forwarder.
type SecurityHubProps struct {
	Stores   *Stores
	Settings Settings
}

// SecurityHubForwarder is functions/securityhub, deployed with
// -c securityHub=true: a queue subscribed to the findings topic brings it
// the findings and outcomes, which it imports into Security Hub. Its role
// may call BatchImportFindings on the account's product ARN and nothing
// else of Security Hub's.
type SecurityHubForwarder struct {
	*Function
	Inbox *Inbox
	// ProductARN is the product it imports into (a token).
	ProductARN *string
}

const securityHubTimeout = 30 * time.Second

// NewSecurityHubForwarder makes the forwarder and its inbox. Its asset,
// build/securityhub/bootstrap, must exist.
func NewSecurityHubForwarder(scope constructs.Construct, id string, props SecurityHubProps) *SecurityHubForwarder {
	s := props.Settings
	product := awscdk.Fn_Sub(jsii.String(securityHubProductARN), nil)
	f := NewFunction(scope, id, FunctionProps{
		Name:        "securityhub",
		Description: "eksdrift Security Hub forwarder: imports findings and revert outcomes (ASFF)",
		AssetsDir:   s.AssetsDir,
		Environment: map[string]string{
			config.EnvMetricsNamespace: s.MetricsNamespace,
		},
		Timeout:          securityHubTimeout,
		LogRetentionDays: s.LogRetentionDays,
		Retain:           s.RetainData,
	})
	f.Fn.AddEnvironment(jsii.String(config.EnvSecurityHubProductARN), product, nil)
	f.Role.AddToPrincipalPolicy(allow(securityhub.ImportActions, []*string{product}))
	return &SecurityHubForwarder{
		Function:   f,
		ProductARN: product,
		Inbox: newInbox(f, securityHubTimeout, InboxProps{
			Topic:        props.Stores.Findings,
			FilterPolicy: SecurityHubFilterPolicy(),
			// One request imports up to 100 findings; a batch of 10 keeps
			// a retry small.
			BatchSize:       10,
			MaxConcurrency:  2,
			MaxReceiveCount: 5,
		}),
	}
}
