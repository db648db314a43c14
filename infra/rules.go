package infra

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/routing"
)

// Routing is the detector's EventBridge rules, one per routing.Rules()
// entry, all on the stack's default bus: IAM's events arrive there too,
// directly in us-east-1 and through the forwarder stack elsewhere.
type Routing struct {
	constructs.Construct
	// Rules by routing.Rule.Name.
	Rules map[string]awsevents.Rule
}

// NewRouting sends every watched event to target, with target's
// dead-letter queue for the events EventBridge cannot deliver.
func NewRouting(scope constructs.Construct, id string, target *Function) *Routing {
	c := constructs.NewConstruct(scope, jsii.String(id))
	r := &Routing{Construct: c, Rules: map[string]awsevents.Rule{}}
	for _, rule := range routing.Rules() {
		origin := "this region"
		if rule.Region != "" {
			origin = rule.Region + ", forwarded here when the stack is elsewhere"
		}
		r.Rules[rule.Name] = awsevents.NewRule(c, jsii.String(rule.Name), &awsevents.RuleProps{
			Description:  jsii.String(fmt.Sprintf("eksdrift %s (%s) to the %s function", rule.Name, origin, target.Name)),
			EventPattern: eventPattern(rule.Pattern),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(target.Fn, &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: target.DLQ,
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
				RetryAttempts:   jsii.Number(185),
			})},
		})
	}
	return r
}

// NewIAMForwarder makes, in routing.IAMRegion, the stack that forwards the
// rules bound to that region to the default bus of region: IAM is a global
// service and EventBridge delivers its CloudTrail events in us-east-1 only.
func NewIAMForwarder(app constructs.Construct, id string, s Settings) awscdk.Stack {
	stack := awscdk.NewStack(app, jsii.String(id), &awscdk.StackProps{
		Env:         &awscdk.Environment{Account: jsii.String(s.Account), Region: jsii.String(routing.IAMRegion)},
		Description: jsii.String(fmt.Sprintf("eksdrift: forwards IAM's CloudTrail events from %s to the detector's bus in %s", routing.IAMRegion, s.Region)),
	})
	bus := awsevents.EventBus_FromEventBusArn(stack, jsii.String("DetectorBus"), stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("events"), Region: jsii.String(s.Region),
		Resource: jsii.String("event-bus"), ResourceName: jsii.String("default"),
	}))
	dlq := awssqs.NewQueue(stack, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	suppress(dlq, "AwsSolutions-SQS3",
		"This queue is itself a dead-letter queue: the forwarding rule's target keeps here the events it could not put on the detector's bus.")
	// An alarm acts only in its own region, so this stack has its own
	// alarm topic. Alarm notifications hold an alarm's name and state, no
	// finding: the topic is not worth a key of its own (CloudWatch cannot
	// publish to one encrypted with SNS's AWS-managed key).
	topic := awssns.NewTopic(stack, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("eksdrift alarms (IAM forwarder)"),
		EnforceSSL:  jsii.Bool(true),
	})
	onlyCloudWatchPublishes(topic)
	if s.AlarmEmail != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.AlarmEmail), nil))
	}
	alarm := awscloudwatch.NewAlarm(stack, jsii.String("DeadLettersAlarm"), &awscloudwatch.AlarmProps{
		Metric: dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription: jsii.String(fmt.Sprintf("eksdrift: IAM events could not be forwarded to %s and wait in the dead-letter queue; "+
			"the detector has not seen them. Fix the cause and redrive them.", s.Region)),
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	alarm.AddOkAction(awscloudwatchactions.NewSnsAction(topic))
	for _, rule := range routing.Rules() {
		if rule.Region != routing.IAMRegion {
			continue
		}
		awsevents.NewRule(stack, jsii.String(rule.Name), &awsevents.RuleProps{
			Description:  jsii.String(fmt.Sprintf("eksdrift %s: forward to the default bus in %s", rule.Name, s.Region)),
			EventPattern: eventPattern(rule.Pattern),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{
				DeadLetterQueue: dlq,
			})},
		})
	}
	return stack
}

// eventPattern turns a routing.Pattern into CDK's form; every key a
// pattern may hold at the top level is mapped, and anything else is a
// programming error.
func eventPattern(p routing.Pattern) *awsevents.EventPattern {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p.JSON()), &raw); err != nil {
		panic("infra: event pattern: " + err.Error())
	}
	strs := func(key string) *[]*string {
		var v []string
		if err := json.Unmarshal(raw[key], &v); err != nil {
			panic(fmt.Sprintf("infra: event pattern %s: %v", key, err))
		}
		return jsii.Strings(v...)
	}
	out := &awsevents.EventPattern{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "source":
			out.Source = strs(k)
		case "detail-type":
			out.DetailType = strs(k)
		case "account":
			out.Account = strs(k)
		case "region":
			out.Region = strs(k)
		case "resources":
			out.Resources = strs(k)
		case "detail":
			var d map[string]any
			if err := json.Unmarshal(raw[k], &d); err != nil {
				panic("infra: event pattern detail: " + err.Error())
			}
			out.Detail = &d
		default:
			panic(fmt.Sprintf("infra: event pattern: key %q is not mapped to CDK", k))
		}
	}
	return out
}
