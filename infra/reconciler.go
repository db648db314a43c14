package infra

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lookup"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// ReconcilerMetrics are the counts functions/reconcile writes, for the
// dashboard (docs/scanning.md). The catch-up also writes the detector's
// counts for the events it feeds; BaselineErrors is the one shown here.
var ReconcilerMetrics = []string{
	metrics.ClustersScanned, metrics.RolesScanned, metrics.UsersScanned, metrics.ScanErrors,
	metrics.SweepDrift, metrics.SweepOpen, metrics.SweepResolved,
	metrics.CatchUpEvents, metrics.CatchUpKnown, metrics.CatchUpNew, metrics.BaselineErrors,
}

// ReconcilerTimes are its EMF timings, in milliseconds.
var ReconcilerTimes = []string{metrics.ReconcileTime}

// ReconcilerProps configures the reconcile sweep.
type ReconcilerProps struct {
	Stores      *Stores
	Scope       Scope
	BaselineKey string
	Settings    Settings
}

// Reconciler is functions/reconcile: an EventBridge schedule invokes it;
// it catches up on the watched CloudTrail events the history lacks
// (LookupEvents, fed through the detector's path) and sweeps the live state
// of the baseline's clusters, roles and users, recording drift no event reported
// and closing findings fixed outside eksdrift. Like the detector it can
// read, record and publish; it cannot change a cluster or a role.
type Reconciler struct {
	*Function
	Schedule awsevents.Rule
}

// reconcileScanActions are the EKS calls of a sweep: every call of
// eks.ScanActions but eks:ListClusters, which only a capture of every
// cluster makes (the sweep reads the clusters the baseline names), and
// which would need Resource "*".
var reconcileScanActions = slices.DeleteFunc(slices.Clone(eks.ScanActions), func(a string) bool { return a == "eks:ListClusters" })

// ReconcileMemoryMB is the reconcile function's memory. bench/orgsweep's
// sweep of 100 accounts × 2 regions × 5 clusters × 100 entries peaked at
// 144 MB of Go heap and 185 MB RSS: Lambda's 128 MB would end it out of
// memory. 512 MB leaves room for the organization to grow, and buys the
// CPU share the fan-out's 16 targets in flight need (Lambda gives CPU in
// proportion to memory).
const ReconcileMemoryMB = 512

// NewReconciler makes the reconcile function, its schedule, and grants it
// exactly what it calls. Its asset, build/reconcile/bootstrap, must exist.
func NewReconciler(scope constructs.Construct, id string, props ReconcilerProps) *Reconciler {
	st, s := props.Stores, props.Settings
	f := NewFunction(scope, id, FunctionProps{
		Name:        "reconcile",
		Description: "eksdrift reconcile: catches up on missed CloudTrail events and sweeps the baseline's clusters, roles and users",
		AssetsDir:   s.AssetsDir,
		Environment: baselineEnvironment(st, props.BaselineKey, s, map[string]string{
			config.EnvBaselineHoldDown: s.BaselineHoldDown.String(),
		}),
		Timeout:          config.DefaultReconcileTimeout,
		MemoryMB:         ReconcileMemoryMB,
		LogRetentionDays: s.LogRetentionDays,
		Retain:           s.RetainData,
		AsyncDeadLetters: true,
	})
	// A run is idempotent (a retry has the scheduled event's time, so the
	// same finding IDs) and the next schedule covers what one missed: one
	// retry is enough, and a failing run costs at most two timeouts.
	f.Fn.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{RetryAttempts: jsii.Number(1)})

	stack := awscdk.Stack_Of(f.Construct)
	grantBaselineRead(f.Role, st.Baselines.ArnForObjects(jsii.String(props.BaselineKey)), st.Key)
	// Findings through the detector's path (Record, Get, MarkNotified), and
	// the catch-up's checkpoint, an item of the same table (GetItem,
	// UpdateItem).
	grantHistoryWrite(f.Role, st.History.TableArn(), st.Key)
	// The open drift of each cluster and role, by the two indexes the sweep
	// reads (HistoryQuery{Cluster}, HistoryQuery{Principal}); no other.
	f.Role.AddToPrincipalPolicy(allow([]string{"dynamodb:Query"}, []*string{
		historyIndexARN(st, dynamodb.IndexByCluster), historyIndexARN(st, dynamodb.IndexByPrincipal),
	}))
	grantPublish(f.Role, st.Findings.TopicArn(), st.Key)

	// The sweep's reads, on the scope only. They include the detector's
	// live-state reads (the catch-up confirms drift as the detector does)
	// but for the OIDC providers, which grantLiveStateRead gives on their
	// own pattern.
	f.Role.AddToPrincipalPolicy(allow(reconcileScanActions, props.Scope.EKSResourceARNs(stack)))
	f.Role.AddToPrincipalPolicy(allow(iam.ScanActions, props.Scope.RoleARNs(stack)))
	// The declared users' scan (a superset of the detector's user reads),
	// on the users the stack names (-c users=), as the reverter's writes.
	f.Role.AddToPrincipalPolicy(allow(iam.UserScanActions, props.Scope.UserARNs(stack)))
	f.Role.AddToPrincipalPolicy(allow(iamOIDCReadActions, props.Scope.OIDCProviderARNs(stack)))
	suppressScopeWildcards(f.Role, props.Scope)

	// The catch-up.
	f.Role.AddToPrincipalPolicy(allow(lookup.Actions, []*string{jsii.String("*")}))
	suppress(f.Role, "AwsSolutions-IAM5",
		"cloudtrail:LookupEvents has no resource-level permissions: IAM accepts it only on Resource \"*\". It reads "+
			"the management events of the account, the catch-up's only source, and changes nothing.",
		"Resource::*")

	r := &Reconciler{Function: f}
	r.Schedule = awsevents.NewRule(f.Construct, jsii.String("Schedule"), &awsevents.RuleProps{
		Description: jsii.String("eksdrift: runs the reconcile sweep on " + s.ReconcileSchedule),
		Schedule:    awsevents.Schedule_Expression(jsii.String(s.ReconcileSchedule)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(f.Fn, &awseventstargets.LambdaFunctionProps{
			// What EventBridge cannot hand to Lambda waits in the
			// function's dead-letter queue; an hour late, the next
			// schedule has come.
			DeadLetterQueue: f.DLQ,
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(1)),
			RetryAttempts:   jsii.Number(10),
		})},
	})
	return r
}

// grantHomeSweepRegions lets the fan-out of an organization deployment read
// the home account's own clusters in every watched region: the sweep reads
// the home account's targets in each region of EKSDRIFT_REGIONS with the
// function's own role, as it reads the members' through their read role
// (grantSpokeRead, on the same regions), while NewReconciler grants the
// scope's clusters in the stack's region only. Clusters given as ARNs are
// granted as they are already.
func grantHomeSweepRegions(f *Function, scope Scope, regions []string) {
	stack := awscdk.Stack_Of(f.Construct)
	named := Scope{Clusters: slices.DeleteFunc(slices.Clone(scope.Clusters), func(c string) bool { return strings.HasPrefix(c, "arn:") })}
	others := slices.DeleteFunc(slices.Clone(regions), func(r string) bool { return stack.Region() != nil && r == *stack.Region() })
	if len(named.Clusters) == 0 || len(others) == 0 {
		return
	}
	f.Role.AddToPrincipalPolicy(allow(reconcileScanActions, regionalEKSARNs(stack, named, others, true)))
}

// historyIndexARN is the ARN of one of the history table's indexes.
func historyIndexARN(st *Stores, index string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{st.History.TableArn(), jsii.String("/index/" + index)})
}
