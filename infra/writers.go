package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Whoever may write the baseline decides what the reverter restores: a
// principal that could declare its own role cluster-admin would get
// cluster-admin through eksdrift. So only the baselineWriters may change
// the baselines bucket's objects or make the data keys they are encrypted
// with; the bucket's and the key's policies deny everyone else, account
// administrators with s3:* and kms:* included (an explicit deny in a
// resource policy wins over any allow in an identity policy).
//
// The denies match aws:PrincipalArn, which for a role's session is the
// role's ARN with its path: every session of a writer role matches, and no
// session of any other role does. A request without aws:PrincipalArn (a
// service acting on its own) is denied too.

// baselineObjectWrites are the calls that put, overwrite, delete or bring
// back an object version: PutObject also authorizes CopyObject (restoring
// an older version by copying it over the current one) and every step of a
// multipart upload; deleting the current version (DeleteObjectVersion)
// makes the previous one current, which is a rollback; replication from
// another bucket writes objects with s3:ReplicateObject and
// s3:ReplicateDelete; ACLs are disabled on the bucket
// (BucketOwnerEnforced) but denied as well.
var baselineObjectWrites = []string{
	"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
	"s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:RestoreObject",
	"s3:ReplicateObject", "s3:ReplicateDelete",
}

// baselineDataKeyActions are the KMS calls that make data keys. S3 calls
// GenerateDataKey for each SSE-KMS object (or, with a bucket key, for the
// bucket key); reading needs only Decrypt, which nothing here denies.
var baselineDataKeyActions = []string{"kms:GenerateDataKey*"}

// autoDeleteProviderID is the construct ID of CDK's handler that empties
// the buckets before their deletion (autoDeleteObjects, retainData=false).
const autoDeleteProviderID = "Custom::S3AutoDeleteObjectsCustomResourceProvider"

// baselineWriterARNs are the principals the bucket policy's deny exempts:
// the writers, and, when the stack deletes its buckets (retainData=false),
// CDK's auto-delete handler, which must delete every object version before
// CloudFormation can delete the bucket; its role is the stack's own and
// has no other grant in this bucket. The CDK deployment roles need no
// exemption: the stack writes no object (the baseline is uploaded by a
// writer), CloudFormation only creates and configures the bucket.
func baselineWriterARNs(bucket awss3.Bucket, writers []string) []any {
	out := make([]any, 0, len(writers)+1)
	for _, w := range writers {
		out = append(out, w)
	}
	if p, ok := awscdk.Stack_Of(bucket).Node().TryFindChild(jsii.String(autoDeleteProviderID)).(awscdk.CustomResourceProviderBase); ok {
		out = append(out, *p.RoleArn())
	}
	return out
}

// protectBaselines adds to the baselines bucket's policy the deny of
// object writes to everyone but the writers.
func protectBaselines(bucket awss3.Bucket, writers []string) {
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyBaselineWritersChangeObjects"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings(baselineObjectWrites...),
		Resources:  &[]*string{bucket.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]any{"ArnNotLike": map[string]any{"aws:PrincipalArn": baselineWriterARNs(bucket, writers)}},
	}))
}

// baselineKeyStatements are the key policy's statements about the
// baselines bucket: the writers may make data keys through S3, and nobody
// else may make a data key for S3 at all, whatever their IAM policies (the
// account statement above lets any IAM principal with kms:GenerateDataKey
// in its policies use the key; these denies take S3 out of it).
//
// The statements cannot name the bucket's ARN: the key would then depend
// on the bucket, which depends on the key (its default encryption), and
// CloudFormation refuses the cycle. They name S3 instead, which is the
// same thing here: the baselines bucket is the only one this key encrypts
// (the other buckets are SSE-S3; TestKeyServesOnlyTheBaselinesBucket checks
// it), and a data key for another bucket is denied alike. Two denies,
// because conditions within a statement must all hold: one for calls made
// through S3 (kms:ViaService), one for any call with an S3 object's or
// bucket's encryption context, which is what S3 sends, made directly.
func baselineKeyStatements(stack awscdk.Stack, writers []string) []awsiam.PolicyStatement {
	principals := make([]awsiam.IPrincipal, len(writers))
	exempt := make([]any, len(writers))
	for i, w := range writers {
		principals[i] = awsiam.NewArnPrincipal(jsii.String(w))
		exempt[i] = w
	}
	notWriter := map[string]any{"aws:PrincipalArn": exempt}
	viaS3 := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3."), stack.Region(), jsii.String("."), stack.UrlSuffix()})
	s3Context := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":s3:::*")})
	return []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("BaselineWritersEncryptThroughS3"),
			Principals: &principals,
			Actions:    jsii.Strings("kms:GenerateDataKey"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": viaS3},
				"StringLike":   map[string]any{"kms:EncryptionContext:aws:s3:arn": s3Context},
			},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("OnlyBaselineWritersMakeDataKeysThroughS3"),
			Effect:     awsiam.Effect_DENY,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings(baselineDataKeyActions...),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{
				"StringLike": map[string]any{"kms:ViaService": "s3.*"},
				"ArnNotLike": notWriter,
			},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("OnlyBaselineWritersMakeDataKeysForS3Objects"),
			Effect:     awsiam.Effect_DENY,
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings(baselineDataKeyActions...),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{
				"StringLike": map[string]any{"kms:EncryptionContext:aws:s3:arn": "*"},
				"ArnNotLike": notWriter,
			},
		}),
	}
}
