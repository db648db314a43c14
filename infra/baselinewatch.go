package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/routing"
)

// BaselineWatch sends every write to the baseline object to the detector,
// which judges it by what the new version grants (a finding of kind
// baseline): S3's EventBridge notifications of the baselines bucket
// (Stores turns them on), and CloudTrail data events, for a trail that
// logs the bucket's object writes.
type BaselineWatch struct {
	constructs.Construct
	// Rules by routing.Rule.Name.
	Rules map[string]awsevents.Rule
}

// baselineVersionActions are the calls internal/s3's VersionsAround makes:
// the object's versions, and two of them by id.
var baselineVersionActions = struct{ list, get string }{"s3:ListBucketVersions", "s3:GetObjectVersion"}

// NewBaselineWatch makes the rules for s3://Baselines/key and lets the
// detector read the object's versions, and no other object's.
func NewBaselineWatch(scope constructs.Construct, id string, stores *Stores, key string, detector *Function) *BaselineWatch {
	c := constructs.NewConstruct(scope, jsii.String(id))
	w := &BaselineWatch{Construct: c, Rules: map[string]awsevents.Rule{}}
	for _, rule := range routing.BaselineRules(*stores.Baselines.BucketName(), key) {
		w.Rules[rule.Name] = awsevents.NewRule(c, jsii.String(rule.Name), &awsevents.RuleProps{
			Description:  jsii.String(fmt.Sprintf("eksdrift %s: writes to the baseline object to the %s function", rule.Name, detector.Name)),
			EventPattern: eventPattern(rule.Pattern),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(detector.Fn, &awseventstargets.LambdaFunctionProps{
				DeadLetterQueue: detector.DLQ,
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(24)),
				RetryAttempts:   jsii.Number(185),
			})},
		})
	}
	detector.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(baselineVersionActions.list),
		Resources: &[]*string{stores.Baselines.BucketArn()},
		// Only the baseline key's versions: ListObjectVersions with that prefix.
		Conditions: &map[string]any{"StringEquals": map[string]any{"s3:prefix": key}},
	}))
	detector.Role.AddToPrincipalPolicy(allow([]string{baselineVersionActions.get}, []*string{stores.Baselines.ArnForObjects(jsii.String(key))}))
	return w
}
