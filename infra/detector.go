package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/metrics"
)

// DetectorProps configures the detector.
type DetectorProps struct {
	Stores      *Stores
	Scope       Scope
	BaselineKey string
	Settings    Settings
}

// Detector is functions/detect: EventBridge delivers each watched
// CloudTrail event; it judges the change against the baseline, confirms
// drift on the live state, records the finding and publishes it. It can
// read, record and publish; it cannot change a cluster or a role.
type Detector struct {
	*Function
}

// DetectorMetrics are the metrics functions/detect emits, for the dashboard.
var DetectorMetrics = []string{
	metrics.EventsProcessed, metrics.EventsIgnored, metrics.Compliant,
	metrics.DriftCritical, metrics.DriftHigh, metrics.DriftMedium, metrics.DriftLow,
	metrics.Duplicates, metrics.Remediations, metrics.Errors, metrics.BaselineReloads, metrics.BaselineErrors,
}

// DetectorTimes are the detector's EMF timings, in milliseconds.
var DetectorTimes = []string{metrics.HandlerTime, metrics.AWSCallTime}

// NewDetector makes the detector and grants it exactly what it calls.
func NewDetector(scope constructs.Construct, id string, props DetectorProps) *Detector {
	st, s := props.Stores, props.Settings
	f := NewFunction(scope, id, FunctionProps{
		Name:             "detect",
		Description:      "eksdrift detector: judges EKS and IAM access changes against the baseline",
		AssetsDir:        s.AssetsDir,
		Environment:      baselineEnvironment(st, props.BaselineKey, s, nil),
		LogRetentionDays: s.LogRetentionDays,
		Retain:           s.RetainData,
		AsyncDeadLetters: true,
	})
	stack := awscdk.Stack_Of(f.Construct)
	grantBaselineRead(f.Role, st.Baselines.ArnForObjects(jsii.String(props.BaselineKey)), st.Key)
	grantHistoryWrite(f.Role, st.History.TableArn(), st.Key)
	grantPublish(f.Role, st.Findings.TopicArn(), st.Key)
	grantLiveStateRead(f.Role, stack, props.Scope)
	suppressScopeWildcards(f.Role, props.Scope)
	return &Detector{Function: f}
}
