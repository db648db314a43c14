package infra

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogsdestinations"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/k8saudit"
)

// CtxAuditLogClusters names the clusters whose control plane audit log
// group gets a subscription filter that sends aws-auth writes to the
// detector. Default: the named clusters of the clusters context (a
// pattern names no log group); [] for none.
const CtxAuditLogClusters = "auditLogClusters"

// AuditLogFilterName is the subscription filter's name on each log group.
const AuditLogFilterName = "eksdrift-aws-auth"

var clusterName = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)

// readAuditLogClusters reads auditLogClusters, defaulting to the clusters
// the scope names (ARNs give their name; patterns are left out).
func readAuditLogClusters(p *ctxParser, ctx ContextReader, clusters []string) []string {
	var def []string
	for _, c := range clusters {
		if i := strings.LastIndex(c, ":cluster/"); strings.HasPrefix(c, "arn:") && i >= 0 {
			c = c[i+len(":cluster/"):]
		}
		if clusterName.MatchString(c) {
			def = append(def, c)
		}
	}
	out := p.list(ctx, CtxAuditLogClusters, def)
	for _, c := range out {
		if !clusterName.MatchString(c) {
			p.errorf("%s: %q is not an EKS cluster name", CtxAuditLogClusters, c)
		}
	}
	return out
}

// NewAuditLogSubscriptions subscribes the detector to the audit log group
// of each cluster (/aws/eks/<cluster>/cluster, which EKS makes once the
// cluster's audit logging is on), with a filter pattern that passes only
// writes to kube-system/aws-auth. The destination adds the permission for
// CloudWatch Logs to invoke the detector from that log group alone.
func NewAuditLogSubscriptions(scope constructs.Construct, id string, detector *Function, clusters []string) {
	c := constructs.NewConstruct(scope, jsii.String(id))
	dest := awslogsdestinations.NewLambdaDestination(detector.Fn, nil)
	for i, name := range clusters {
		group := awslogs.LogGroup_FromLogGroupName(c, jsii.String(fmt.Sprintf("Group%d", i)), jsii.String(k8saudit.LogGroup(name)))
		awslogs.NewSubscriptionFilter(c, jsii.String(fmt.Sprintf("AwsAuth%d", i)), &awslogs.SubscriptionFilterProps{
			LogGroup:      group,
			Destination:   dest,
			FilterPattern: awslogs.FilterPattern_Literal(jsii.String(k8saudit.FilterPattern)),
			FilterName:    jsii.String(AuditLogFilterName),
		})
	}
}
