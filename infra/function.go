package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// FunctionProps configures one of eksdrift's functions.
type FunctionProps struct {
	// Name is the function's directory under functions/ (and under the
	// assets directory), and the Function dimension of its metrics.
	Name        string
	Description string
	// AssetsDir holds <Name>/bootstrap, built by `make build`.
	AssetsDir   string
	Environment map[string]string
	// MemoryMB defaults to 128, Timeout to 30 seconds.
	MemoryMB float64
	Timeout  time.Duration
	// ReservedConcurrency, when more than 0, reserves (and caps) the
	// function's concurrency.
	ReservedConcurrency int
	LogRetentionDays    int
	// Retain keeps the log group when the stack is destroyed.
	Retain bool
	// AsyncDeadLetters makes the queue the function's dead-letter queue for
	// asynchronous invocations (EventBridge, SNS). A function fed by an SQS
	// queue leaves it false and uses the queue as that queue's redrive target.
	AsyncDeadLetters bool
	// Role, when set, is the function's role, made by NewFunctionRole
	// before the function because a policy made earlier names it (the
	// stores' policies name a baseline writer); nil: a role of its own.
	Role awsiam.Role
}

// Function is one Lambda function as eksdrift deploys them all:
// provided.al2023 on arm64 from build/<name>/bootstrap, JSON logs in a log
// group of its own with a retention, a role of its own that starts with
// nothing but that log group, and an SQS dead-letter queue.
type Function struct {
	constructs.Construct
	Name     string
	Fn       awslambda.Function
	Role     awsiam.Role
	LogGroup awslogs.LogGroup
	DLQ      awssqs.Queue
}

// AssetPath gives the directory the function's bootstrap is in, or an
// error saying how to build it: CDK panics on a missing asset folder.
func AssetPath(assetsDir, name string) (string, error) {
	dir := filepath.Join(assetsDir, name)
	if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
		return "", fmt.Errorf("function %s: %s is missing: run `make build` first", name, filepath.Join(dir, "bootstrap"))
	}
	return dir, nil
}

// NewFunctionRole makes the role of function name: Lambda may assume it,
// and it starts with no permission.
func NewFunctionRole(scope constructs.Construct, id, name string) awsiam.Role {
	return awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("eksdrift " + name + " function"),
	})
}

// NewFunction makes a function. Its asset must exist (see AssetPath).
func NewFunction(scope constructs.Construct, id string, props FunctionProps) *Function {
	c := constructs.NewConstruct(scope, jsii.String(id))
	dir, err := AssetPath(props.AssetsDir, props.Name)
	if err != nil {
		panic("infra: " + err.Error())
	}
	if props.MemoryMB == 0 {
		props.MemoryMB = 128
	}
	if props.Timeout == 0 {
		props.Timeout = 30 * time.Second
	}
	removal := awscdk.RemovalPolicy_DESTROY
	if props.Retain {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	f := &Function{Construct: c, Name: props.Name}

	f.LogGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[props.LogRetentionDays],
		RemovalPolicy: removal,
	})
	f.Role = props.Role
	if f.Role == nil {
		f.Role = NewFunctionRole(c, "Role", props.Name)
	}
	f.LogGroup.GrantWrite(f.Role)
	f.DLQ = awssqs.NewQueue(c, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})

	env := map[string]*string{}
	for k, v := range props.Environment {
		env[k] = jsii.String(v)
	}
	fp := &awslambda.FunctionProps{
		Description:           jsii.String(props.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(dir), nil),
		MemorySize:            jsii.Number(props.MemoryMB),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(props.Timeout.Seconds())),
		Role:                  f.Role,
		LogGroup:              f.LogGroup,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		Environment:           &env,
	}
	if props.AsyncDeadLetters {
		fp.DeadLetterQueue = f.DLQ
	}
	if props.ReservedConcurrency > 0 {
		fp.ReservedConcurrentExecutions = jsii.Number(float64(props.ReservedConcurrency))
	}
	f.Fn = awslambda.NewFunction(c, jsii.String("Function"), fp)

	return f
}
