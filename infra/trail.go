package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Trail is the CloudTrail trail that makes EventBridge see API calls:
// EventBridge receives "AWS API Call via CloudTrail" events only while a
// trail logs management events. Multi-region with global service events,
// so that IAM's calls (logged in us-east-1) are covered wherever the stack
// is. Write events only: eksdrift watches no read call.
type Trail struct {
	constructs.Construct
	Bucket awss3.Bucket
	Trail  awscloudtrail.Trail
}

// NewTrail makes the trail and its bucket; accessLogs receives the
// bucket's server access logs.
func NewTrail(scope constructs.Construct, id string, accessLogs awss3.IBucket, retain bool) *Trail {
	c := constructs.NewConstruct(scope, jsii.String(id))
	removal := awscdk.RemovalPolicy_DESTROY
	if retain {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	t := &Trail{Construct: c}
	t.Bucket = awss3.NewBucket(c, jsii.String("Logs"), &awss3.BucketProps{
		// SSE-S3, CloudTrail's default: SSE-KMS would need CloudTrail in
		// the key's policy and kms:Decrypt for every reader of the logs,
		// and eksdrift reads its events from EventBridge, not from here.
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: jsii.String("trail/"),
		RemovalPolicy:          removal,
		AutoDeleteObjects:      jsii.Bool(!retain),
	})
	t.Trail = awscloudtrail.NewTrail(c, jsii.String("Trail"), &awscloudtrail.TrailProps{
		Bucket:                     t.Bucket,
		IsMultiRegionTrail:         jsii.Bool(true),
		IncludeGlobalServiceEvents: jsii.Bool(true),
		ManagementEvents:           awscloudtrail.ReadWriteType_WRITE_ONLY,
		EnableFileValidation:       jsii.Bool(true),
	})
	return t
}
