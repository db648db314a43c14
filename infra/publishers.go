package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// What is published on eksdrift's topics is acted on: the reverter takes
// findings from the findings topic, people act on alerts. Each topic's
// policy therefore denies sns:Publish to everyone but its publishers,
// whatever their IAM policies say (an explicit deny in the topic's policy
// wins over an allow in an identity policy): a principal with sns:* in
// the account cannot post a forged finding or a forged alarm.

// onlyRolesPublish denies sns:Publish on topic to every principal but
// roles (aws:PrincipalArn is the role's ARN for each of its sessions); a
// service principal has no aws:PrincipalArn and is denied too.
func onlyRolesPublish(topic awssns.ITopic, sid string, roles ...awsiam.IRole) {
	arns := make([]any, len(roles))
	for i, r := range roles {
		arns[i] = r.RoleArn()
	}
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": arns}},
	}))
}

// cloudWatchService is the service principal that publishes alarm
// notifications.
const cloudWatchService = "cloudwatch.amazonaws.com"

// onlyCloudWatchPublishes denies sns:Publish on an alarm topic to every
// principal but CloudWatch's alarms: an IAM principal's request has no
// aws:PrincipalServiceName, so StringNotEquals holds and it is denied.
func onlyCloudWatchPublishes(topic awssns.ITopic) {
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyCloudWatchAlarmsPublish"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{topic.TopicArn()},
		Conditions: &map[string]any{"StringNotEquals": map[string]any{"aws:PrincipalServiceName": cloudWatchService}},
	}))
}

// restrictPublishers applies the topics' denies once every publisher
// exists: the findings topic takes the detector's, the sweep's and (with
// mode=revert) the reverter's messages, the Chatbot topic the notifier's,
// the alarm topic CloudWatch's and the tamper alarm rules'.
func restrictPublishers(out *Stacks) {
	findings := []awsiam.IRole{out.Detector.Role, out.Reconciler.Role}
	if out.Reverter != nil {
		findings = append(findings, out.Reverter.Role)
	}
	onlyRolesPublish(out.Stores.Findings, "OnlyEksdriftFunctionsPublishFindings", findings...)
	onlyRolesPublish(out.Stores.Chatbot, "OnlyTheNotifierPublishesAlerts", out.Notifier.Role)
	onlyAlarmsPublish(out.Operations.Topic, out.Tamper.Alarms) // tamper.go
}
