package infra

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// CtxHeartbeatMinutes is how often the heartbeat runs, in minutes
// (default 15); its alarm fires after two periods without one.
const CtxHeartbeatMinutes = "heartbeatMinutes"

// Heartbeat is the dead man's switch: silence is an alarm. A scheduled
// rule sends a heartbeat through the path real events take (EventBridge,
// the detector, the history, the findings topic); the detector counts
// each one that made it (metrics.Heartbeats) and its round trip
// (metrics.HeartbeatRoundTrip). An alarm that treats missing data as
// breaching fires when two periods pass without a heartbeat, and another
// when two sweep periods pass without a completed sweep
// (metrics.SweepsCompleted): a disabled rule, a deleted or throttled
// function, a broken topic all end in silence, and silence now alarms.
type Heartbeat struct {
	constructs.Construct
	Rule awsevents.Rule
	// Name is the rule's name: fixed, so that the detector can be told it
	// without a reference (the rule targets the detector: a cycle).
	Name *string
	// Alarm fires on missing heartbeats, SweepAlarm on missing sweeps.
	Alarm, SweepAlarm awscloudwatch.Alarm
}

// NewHeartbeat makes the heartbeat rule, tells the detector its name, and
// adds the two alarms and a dashboard row to ops.
func NewHeartbeat(scope constructs.Construct, id string, out *Stacks, s Settings) *Heartbeat {
	c := constructs.NewConstruct(scope, jsii.String(id))
	det, ops := out.Detector, out.Operations
	every := awscdk.Duration_Minutes(jsii.Number(float64(s.HeartbeatMinutes)))
	h := &Heartbeat{Construct: c, Name: awscdk.Fn_Join(jsii.String(""), &[]*string{awscdk.Aws_STACK_NAME(), jsii.String("-heartbeat")})}
	h.Rule = awsevents.NewRule(c, jsii.String("Schedule"), &awsevents.RuleProps{
		RuleName:    h.Name,
		Description: jsii.String(fmt.Sprintf("eksdrift heartbeat: every %d minutes, through the detector to the history and the topic", s.HeartbeatMinutes)),
		Schedule:    awsevents.Schedule_Rate(every),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(det.Fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: det.DLQ,
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(1)),
			RetryAttempts:   jsii.Number(2),
		})},
	})
	det.Fn.AddEnvironment(jsii.String(config.EnvHeartbeatRule), h.Name, nil)

	beats := ops.emf(det.Function, metrics.Heartbeats, "Sum")
	beats = beats.With(&awscloudwatch.MetricOptions{Period: every})
	h.Alarm = ops.silence("HeartbeatMissing", beats, fmt.Sprintf(
		"eksdrift: no heartbeat completed in %d minutes (two periods). The path from EventBridge through the detector to the history and "+
			"the topic is broken or was switched off: check the heartbeat and detector rules, the detect function, its role and the topic.", 2*s.HeartbeatMinutes))

	sweepPeriod := schedulePeriod(s.ReconcileSchedule)
	sweeps := ops.emf(out.Reconciler.Function, metrics.SweepsCompleted, "Sum").With(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Seconds(jsii.Number(sweepPeriod.Seconds())),
	})
	h.SweepAlarm = ops.silence("SweepMissing", sweeps, fmt.Sprintf(
		"eksdrift: no reconcile sweep completed in %s (two periods of %s). The sweep is what sees drift no event reported: "+
			"check its schedule rule, the reconcile function and its errors.", 2*sweepPeriod, s.ReconcileSchedule))

	roundTrip := ops.emf(det.Function, metrics.HeartbeatRoundTrip, "Maximum").With(&awscloudwatch.MetricOptions{Period: every})
	ops.Dashboard.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("heartbeat: round trip (s), EventBridge to the topic"), Left: &[]awscloudwatch.IMetric{roundTrip}, Width: jsii.Number(12),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("dead man's switches: heartbeats and completed sweeps"), Left: &[]awscloudwatch.IMetric{beats, sweeps}, Width: jsii.Number(12),
		}),
	)
	return h
}

// silence is an alarm that fires when m (a count) stays below 1 for two
// periods, and when it has no data at all: missing data is breaching,
// since a switched-off eksdrift sends none.
func (o *Operations) silence(id string, m awscloudwatch.IMetric, description string) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(o.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             m,
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(2),
		DatapointsToAlarm:  jsii.Number(2),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
		AlarmDescription:   jsii.String(description),
	})
	a.AddAlarmAction(o.action)
	a.AddOkAction(o.action)
	o.Alarms[id] = a
	return a
}

// schedulePeriod is the time between two runs of an EventBridge schedule:
// rate(...)'s, and an hour for cron(...), which fires at most hourly
// (ReadSettings checks both). CloudWatch evaluates at most a day.
func schedulePeriod(expr string) time.Duration {
	m := rateRE.FindStringSubmatch(expr)
	if m == nil {
		return time.Hour
	}
	n, _ := strconv.Atoi(m[1])
	d := time.Duration(n) * rateUnits[m[2]]
	if d > 12*time.Hour {
		d = 12 * time.Hour
	}
	return d
}
