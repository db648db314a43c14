package infra

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
)

// CtxSlackAccept wires Accept into baseline into the interaction endpoint
// (it needs CtxSlackSigningSecretARN); default false. It makes the
// endpoint's role a baseline writer: docs/deploy.md says what that means.
const CtxSlackAccept = "slackAccept"

// InteractProps configures the interaction endpoint.
type InteractProps struct {
	Stores      *Stores
	BaselineKey string
	Settings    Settings
	// Reverter is nil in mode alert: then Revert now is refused.
	Reverter *Reverter
	// AcceptRole is set with slackAccept: the function's role, made before
	// the stores so that their policies exempt it as a baseline writer.
	// nil: no Accept, and no write to the baseline.
	AcceptRole awsiam.Role
}

// Interact is functions/interact behind a Lambda function URL, deployed
// with -c slackSigningSecretArn=...: Slack's buttons post to it. Its role
// reads the signing secret (and the bot token), the baseline object, the
// history's items (a finding, to look it up) and writes the replay,
// approval, snooze and audit items; it sends to the reverter's queue.
// With slackAccept it also writes the baseline object (Accept into
// baseline), and only that object. In an organization deployment it also
// reads the account files (grantInteractMembers), for the approvers of a
// finding's own account.
type Interact struct {
	*Function
	URL awslambda.FunctionUrl
}

// interactTimeout: Slack waits 3 s for the answer; the handler keeps to
// 2.5 s, and a cold start takes the rest.
const interactTimeout = 5 * time.Second

// NewInteract makes the endpoint. Its asset, build/interact/bootstrap,
// must exist.
func NewInteract(scope constructs.Construct, id string, props InteractProps) *Interact {
	st, s := props.Stores, props.Settings
	env := map[string]string{
		config.EnvSlackSigningSecretARN: s.SlackSigningSecretARN,
		config.EnvBaselineBucket:        *st.Baselines.BucketName(),
		config.EnvBaselineKey:           props.BaselineKey,
		config.EnvHistoryTable:          *st.History.TableName(),
	}
	if s.SlackBotTokenARN != "" {
		env[config.EnvSlackBotTokenARN] = s.SlackBotTokenARN
	}
	f := NewFunction(scope, id, FunctionProps{
		Name:        "interact",
		Description: "eksdrift Slack interaction endpoint: verified button presses from approvers (revert, accept, snooze)",
		AssetsDir:   s.AssetsDir,
		Environment: env,
		MemoryMB:    256,
		Timeout:     interactTimeout,
		// The URL is public: a cap bounds what a flood of unsigned requests
		// can cost (each is refused after one HMAC).
		ReservedConcurrency: 5,
		LogRetentionDays:    s.LogRetentionDays,
		Retain:              s.RetainData,
		Role:                props.AcceptRole,
	})
	secrets := []*string{jsii.String(s.SlackSigningSecretARN), jsii.String(s.SlackSigningSecretARN + "-??????")}
	if s.SlackBotTokenARN != "" {
		secrets = append(secrets, jsii.String(s.SlackBotTokenARN), jsii.String(s.SlackBotTokenARN+"-??????"))
	}
	// Referenced, never created here; a partial ARN matches with -??????.
	f.Role.AddToPrincipalPolicy(allow([]string{"secretsmanager:GetSecretValue"}, secrets))
	object := st.Baselines.ArnForObjects(jsii.String(props.BaselineKey))
	grantBaselineRead(f.Role, object, st.Key)
	if props.AcceptRole != nil {
		// Accept into baseline (internal/accept): read the version in
		// force, write the next one conditionally (If-Match), on the one
		// key the endpoint judges against. The data key for the write comes
		// from the key policy's writer statement (writers.go), which names
		// this role; so does the bucket policy's exemption.
		f.Fn.AddEnvironment(jsii.String(config.EnvSlackAccept), jsii.String("true"), nil)
		f.Role.AddToPrincipalPolicy(allow([]string{"s3:GetObjectVersion", "s3:PutObject"}, []*string{object}))
	}
	// GetItem (a finding), PutItem (replay, approval, snooze, interaction):
	// no UpdateItem, no Query, no Scan.
	f.Role.AddToPrincipalPolicy(allow([]string{"dynamodb:GetItem", "dynamodb:PutItem"}, []*string{st.History.TableArn()}))
	grantKey(f.Role, st.Key, "dynamodb", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
	if r := props.Reverter; r != nil {
		f.Fn.AddEnvironment(jsii.String(config.EnvRevertQueueURL), r.Inbox.Queue.QueueUrl(), nil)
		r.Inbox.Queue.GrantSendMessages(f.Role)
	}
	// Slack signs its requests with the app's signing secret; it cannot
	// sign them with SigV4, so the URL takes no IAM authentication and the
	// function verifies every request itself (internal/interact).
	url := f.Fn.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_NONE})
	suppress(f.DLQ, "AwsSolutions-SQS3", "The function URL invokes the endpoint synchronously, so nothing is ever dead-lettered here: "+
		"a refused or failed press is answered to Slack and logged. The queue stays for the shared DeadLetters alarm.")
	return &Interact{Function: f, URL: url}
}

// notifierInteractive turns the buttons on in the notifier's messages (with
// accept, the Accept button too) and lets it read the snoozes (GetItem on
// the history table).
func notifierInteractive(n *Notifier, st *Stores, accept bool) {
	n.Fn.AddEnvironment(jsii.String(config.EnvSlackInteractive), jsii.String("true"), nil)
	if accept {
		n.Fn.AddEnvironment(jsii.String(config.EnvSlackAccept), jsii.String("true"), nil)
	}
	n.Fn.AddEnvironment(jsii.String(config.EnvHistoryTable), st.History.TableName(), nil)
	n.Role.AddToPrincipalPolicy(allow([]string{"dynamodb:GetItem"}, []*string{st.History.TableArn()}))
	grantKey(n.Role, st.Key, "dynamodb", "kms:Decrypt", "kms:DescribeKey")
}

func interactOutputs(stack awscdk.Stack, out *Stacks) {
	if out.Interact == nil {
		return
	}
	awscdk.NewCfnOutput(stack, jsii.String("SlackInteractionURL"), &awscdk.CfnOutputProps{
		Value:       out.Interact.URL.Url(),
		Description: jsii.String("The Slack app's Interactivity Request URL (docs/alerts.md)"),
	})
}
