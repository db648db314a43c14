package infra

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/dynamodb"
)

// StoresProps configures the stores.
type StoresProps struct {
	// Retain keeps the key, the buckets and the table when the stack is
	// destroyed (and turns on the table's deletion protection).
	Retain bool
	// BaselineWriters alone may write the baselines bucket's objects and
	// make their data keys (writers.go).
	BaselineWriters []string
}

// Stores is where eksdrift keeps what it reads and what it found: one KMS
// key for all of it, the baselines bucket (and the bucket its access logs
// go to), the history table, and the topics findings and alarms go out on.
type Stores struct {
	constructs.Construct
	// Key encrypts the baselines bucket, the history table and the topics.
	Key awskms.Key
	// AccessLogs receives the S3 server access logs of the other buckets.
	AccessLogs awss3.Bucket
	// Baselines holds the baseline, versioned: every finding names the
	// version that judged it.
	Baselines awss3.Bucket
	// History is the findings table, made from dynamodb.TableSchema.
	History awsdynamodb.Table
	// Findings is where the detector (and later the reverter) publishes;
	// the notifier and the reverter subscribe with filter policies.
	Findings awssns.Topic
	// Chatbot is the topic the notifier publishes AWS Chatbot's format to;
	// Chatbot subscribes to it.
	Chatbot awssns.Topic
}

// NewStores makes the stores.
func NewStores(scope constructs.Construct, id string, props StoresProps) *Stores {
	c := constructs.NewConstruct(scope, jsii.String(id))
	s := &Stores{Construct: c}
	removal := awscdk.RemovalPolicy_DESTROY
	if props.Retain {
		removal = awscdk.RemovalPolicy_RETAIN
	}

	s.Key = awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("eksdrift: baselines, finding history and topics"),
		EnableKeyRotation: jsii.Bool(true),
		Policy:            keyPolicy(awscdk.Stack_Of(c), props.BaselineWriters),
		RemovalPolicy:     removal,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	})

	// The access log bucket does not log its own accesses (into itself,
	// they would loop); cdk-nag knows a log destination for what it is.
	s.AccessLogs = awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		// S3 delivers server access logs only to buckets encrypted with
		// SSE-S3, never SSE-KMS.
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     removal,
		AutoDeleteObjects: jsii.Bool(!props.Retain),
	})

	s.Baselines = awss3.NewBucket(c, jsii.String("Baselines"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          s.Key,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: s.AccessLogs,
		ServerAccessLogsPrefix: jsii.String("baselines/"),
		RemovalPolicy:          removal,
		AutoDeleteObjects:      jsii.Bool(!props.Retain),
	})
	protectBaselines(s.Baselines, props.BaselineWriters)

	// Every write to the baseline is a finding (BaselineWatch): S3 sends
	// the bucket's object events to EventBridge. Set on the CloudFormation
	// bucket itself: BucketProps.EventBridgeEnabled would add CDK's
	// notifications custom resource, a Lambda function allowed to change
	// the bucket's notifications, for what CloudFormation does natively.
	s.Baselines.Node().DefaultChild().(awss3.CfnBucket).SetNotificationConfiguration(&awss3.CfnBucket_NotificationConfigurationProperty{
		EventBridgeConfiguration: &awss3.CfnBucket_EventBridgeConfigurationProperty{EventBridgeEnabled: jsii.Bool(true)},
	})

	s.History = newHistoryTable(c, s.Key, props.Retain, removal)

	topic := func(id, name string) awssns.Topic {
		return awssns.NewTopic(c, jsii.String(id), &awssns.TopicProps{
			DisplayName: jsii.String(name),
			MasterKey:   s.Key,
			EnforceSSL:  jsii.Bool(true),
		})
	}
	s.Findings = topic("Findings", "eksdrift findings")
	s.Chatbot = topic("Chatbot", "eksdrift alerts for AWS Chatbot")
	return s
}

// newHistoryTable makes the table from dynamodb.TableSchema, the one
// description the store and its tests use too.
func newHistoryTable(scope constructs.Construct, key awskms.IKey, retain bool, removal awscdk.RemovalPolicy) awsdynamodb.Table {
	schema := dynamodb.TableSchema()
	billing, ok := map[string]awsdynamodb.BillingMode{
		"PAY_PER_REQUEST": awsdynamodb.BillingMode_PAY_PER_REQUEST,
		"PROVISIONED":     awsdynamodb.BillingMode_PROVISIONED,
	}[schema.BillingMode]
	if !ok {
		panic(fmt.Sprintf("infra: history table: unknown billing mode %q in dynamodb.TableSchema", schema.BillingMode))
	}
	t := awsdynamodb.NewTable(scope, jsii.String("History"), &awsdynamodb.TableProps{
		PartitionKey:        attribute(schema.PartitionKey),
		BillingMode:         billing,
		TimeToLiveAttribute: jsii.String(schema.TTLAttribute),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:         awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:      key,
		DeletionProtection: jsii.Bool(retain),
		RemovalPolicy:      removal,
	})
	for _, ix := range schema.Indexes {
		projection, ok := map[string]awsdynamodb.ProjectionType{
			"ALL":       awsdynamodb.ProjectionType_ALL,
			"KEYS_ONLY": awsdynamodb.ProjectionType_KEYS_ONLY,
		}[ix.Projection]
		if !ok {
			panic(fmt.Sprintf("infra: history table: index %s: unknown projection %q in dynamodb.TableSchema", ix.Name, ix.Projection))
		}
		t.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   attribute(ix.PartitionKey),
			SortKey:        attribute(ix.SortKey),
			ProjectionType: projection,
		})
	}
	return t
}

func attribute(a dynamodb.KeyAttribute) *awsdynamodb.Attribute {
	types := map[string]awsdynamodb.AttributeType{
		"S": awsdynamodb.AttributeType_STRING,
		"N": awsdynamodb.AttributeType_NUMBER,
		"B": awsdynamodb.AttributeType_BINARY,
	}
	t, ok := types[a.Type]
	if !ok {
		panic(fmt.Sprintf("infra: history table: attribute %s has unknown type %q in dynamodb.TableSchema", a.Name, a.Type))
	}
	return &awsdynamodb.Attribute{Name: jsii.String(a.Name), Type: t}
}

// keyAdminActions are what the account may do with the key through IAM
// policies, listed one by one (the usual "kms:*" is a wildcard action).
// Nothing in the stack is granted these; they keep the key manageable by
// the account's administrators and by CloudFormation.
var keyAdminActions = []string{
	"kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias",
	"kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
	"kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GetKeyPolicy",
	"kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations",
	"kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:RetireGrant",
	"kms:RevokeGrant", "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource",
	"kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
}

// keyPolicy is the key's policy, with the baselines bucket's statements
// (writers.go). In a key policy, Resource "*" means the key the policy is
// attached to, and nothing else.
func keyPolicy(stack awscdk.Stack, writers []string) awsiam.PolicyDocument {
	doc := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AccountManagesKeyThroughIAM"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()},
				Actions:    jsii.Strings(keyAdminActions...),
				Resources:  jsii.Strings("*"),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				// CloudWatch publishes alarm notifications to the alarm
				// topic, which this key encrypts.
				Sid:        jsii.String("CloudWatchAlarmsPublishToEncryptedTopic"),
				Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
				Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
				Resources:  jsii.Strings("*"),
				Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()}},
			}),
		},
	})
	for _, st := range baselineKeyStatements(stack, writers) {
		doc.AddStatements(st)
	}
	return doc
}
