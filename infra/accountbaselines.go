package infra

import (
	"path"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// AccountBaselinesPattern is where the detector and the reverter of an
// organization deployment read each account's own baseline: baselines/
// beside the shared baseline key, <account>.yaml (wiring.AccountKey; a
// test holds the two together).
func AccountBaselinesPattern(baselineKey string) string {
	return path.Join(path.Dir(baselineKey), "baselines", "*.yaml")
}

// grantAccountBaselines lets f read the account files (wiring.AccountBaselines):
// GetObject on them, and ListBucket on the bucket, without which S3
// answers a missing file with 403, not 404 (S3 only says an object does
// not exist to a caller who may list the bucket), and every account with no
// file of its own would have an unusable baseline instead of the shared one
// alone. versions adds what the reverter's hold-down reads of them
// (wiring.AccountBaselines.Versions): their versions, listed under each
// file's own key.
func grantAccountBaselines(f *Function, st *Stores, baselineKey string, versions bool) {
	pattern := AccountBaselinesPattern(baselineKey)
	files := st.Baselines.ArnForObjects(jsii.String(pattern))
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadAccountBaselines"), Actions: jsii.Strings("s3:GetObject"), Resources: &[]*string{files},
	}))
	f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("TellMissingAccountBaselines"), Actions: jsii.Strings("s3:ListBucket"), Resources: &[]*string{st.Baselines.BucketArn()},
	}))
	if versions {
		f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ListAccountBaselineVersions"), Actions: jsii.Strings(baselineVersionActions.list), Resources: &[]*string{st.Baselines.BucketArn()},
			Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": pattern}},
		}))
		f.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadAccountBaselineVersions"), Actions: jsii.Strings(baselineVersionActions.get), Resources: &[]*string{files},
		}))
	}
	suppress(f.Role, "AwsSolutions-IAM5",
		"The account baselines, "+pattern+" in the baselines bucket: one file per member account, whose accounts join OUs "+
			"and cannot be listed at synthesis; the pattern reaches no other object of the bucket.",
		`/^Resource::<.*Baselines[0-9A-F]{8}\.Arn>\/`+regexp.QuoteMeta(pattern)+`$/`)
}
