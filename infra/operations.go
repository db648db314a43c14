package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// OperationsProps configures the alarms and the dashboard.
type OperationsProps struct {
	Key awskms.IKey
	// Email, when set, is subscribed to the alarm topic; the address must
	// confirm the subscription before it receives anything.
	Email string
	// Namespace is where the functions write their EMF metrics.
	Namespace string
}

// Operations is how an operator learns that eksdrift itself is unwell: an
// alarm topic, alarms on each function's errors and each dead-letter
// queue's depth, and one dashboard. Each function is added with Watch.
type Operations struct {
	constructs.Construct
	Topic     awssns.Topic
	Dashboard awscloudwatch.Dashboard
	// Alarms by construct ID, for tests and for composite alarms later.
	Alarms    map[string]awscloudwatch.Alarm
	namespace string
	action    awscloudwatch.IAlarmAction
}

// NewOperations makes the alarm topic and an empty dashboard.
func NewOperations(scope constructs.Construct, id string, props OperationsProps) *Operations {
	c := constructs.NewConstruct(scope, jsii.String(id))
	o := &Operations{Construct: c, Alarms: map[string]awscloudwatch.Alarm{}, namespace: props.Namespace}
	o.Topic = awssns.NewTopic(c, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("eksdrift alarms"),
		MasterKey:   props.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	if props.Email != "" {
		o.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.Email), nil))
	}
	o.action = awscloudwatchactions.NewSnsAction(o.Topic)
	o.Dashboard = awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
	})
	o.Dashboard.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String("# eksdrift\nOne row per function: invocations and errors, duration, its dead-letter queue, " +
			"and the metrics it writes itself (namespace `" + props.Namespace + "`, dimension `Function`; see docs/deploy.md)."),
		Width: jsii.Number(24), Height: jsii.Number(2),
	}))
	return o
}

// Watch adds f's alarms (errors, dead-letter queue depth) and its row on
// the dashboard. counts and times are the EMF metrics f writes (Count and
// Milliseconds); alarmOn are counts that should raise an alarm when any is
// counted, such as the detector's BaselineErrors.
func (o *Operations) Watch(f *Function, counts, times, alarmOn []string) {
	period := awscdk.Duration_Minutes(jsii.Number(5))
	errs := f.Fn.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")})
	o.alarm(f, "Errors", errs, fmt.Sprintf("eksdrift %s: the function failed; failed events are retried, then kept in its dead-letter queue.", f.Name))
	depth := f.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")})
	o.alarm(f, "DeadLetters", depth, fmt.Sprintf("eksdrift %s: events wait in the dead-letter queue; nothing judged them. Read them, fix the cause, and redrive them.", f.Name))
	for _, name := range alarmOn {
		o.alarm(f, name, o.emf(f, name, "Sum"), fmt.Sprintf("eksdrift %s: %s counted.", f.Name, name))
	}

	lambdaWidget := awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(f.Name + ": invocations, errors, throttles"),
		Left: &[]awscloudwatch.IMetric{
			f.Fn.MetricInvocations(&awscloudwatch.MetricOptions{Period: period}),
			errs,
			f.Fn.MetricThrottles(&awscloudwatch.MetricOptions{Period: period}),
		},
		Width: jsii.Number(6),
	})
	durations := []awscloudwatch.IMetric{
		f.Fn.MetricDuration(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("p50")}),
		f.Fn.MetricDuration(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("p99")}),
	}
	for _, t := range times {
		durations = append(durations, o.emf(f, t, "p99"))
	}
	durationWidget := awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(f.Name + ": duration (ms)"), Left: &durations, Width: jsii.Number(6),
	})
	dlqWidget := awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(f.Name + ": dead-letter queue"), Left: &[]awscloudwatch.IMetric{depth}, Width: jsii.Number(6),
	})
	var emf []awscloudwatch.IMetric
	for _, n := range counts {
		emf = append(emf, o.emf(f, n, "Sum"))
	}
	emfWidget := awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(f.Name + ": what it saw"), Left: &emf, Width: jsii.Number(6), Stacked: jsii.Bool(false),
	})
	o.Dashboard.AddWidgets(lambdaWidget, durationWidget, dlqWidget, emfWidget)
}

// emf is one of the metrics f writes as EMF (internal/metrics).
func (o *Operations) emf(f *Function, name, statistic string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(o.namespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{"Function": jsii.String(f.Name)},
		Statistic:     jsii.String(statistic),
		Period:        awscdk.Duration_Minutes(jsii.Number(5)),
	})
}

func (o *Operations) alarm(f *Function, what string, m awscloudwatch.IMetric, description string) {
	id := f.Name + what
	a := awscloudwatch.NewAlarm(o.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             m,
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String(description),
	})
	a.AddAlarmAction(o.action)
	a.AddOkAction(o.action)
	o.Alarms[id] = a
}
