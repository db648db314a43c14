package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	awscfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/dynamodb"
)

// statusOptions are eksdrift status's flags.
type statusOptions struct {
	stack, table, bucket, key, region, output string
	heartbeatEvery, sweepEvery, window        time.Duration
}

func newStatusCmd(e *env) *cobra.Command {
	o := statusOptions{}
	cmd := &cobra.Command{
		Use:   "status (--stack NAME | --table NAME) [flags]",
		Short: "Say whether a deployment is healthy: heartbeat, sweep, open findings, dead letters, baseline",
		Long: `Status reads a deployment and prints the last heartbeat, the last completed
sweep (the catch-up's checkpoint), the open findings by severity, the depth of
each dead-letter queue and the baseline version in force. It exits 0 when the
deployment is healthy and 1 when it is not, for use in monitoring:

  - no heartbeat within two heartbeat periods (--heartbeat-every), or no sweep
    within two sweep periods (--sweep-every): something on the path is broken
    or was switched off;
  - open tamper findings: someone changed eksdrift's own deployment;
  - a message in a dead-letter queue: an event nothing judged;
  - no baseline version can be read.

With --stack, the table, the bucket and the queues are read from the stack
(CloudFormation); with --table alone, the dead-letter queues are not known and
the baseline only with --bucket.`,
		Example: `  eksdrift status --stack eksdrift
  eksdrift status --table eksdrift-StoresHistory-1QAZ2WSX --bucket eksdrift-baselines-111122223333 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (o.stack == "") == (o.table == "") {
				return usageError{fmt.Errorf("status: give --stack or --table (one of them)")}
			}
			if o.output != "table" && o.output != "json" {
				return usageError{fmt.Errorf("status: --output must be table or json, got %q", o.output)}
			}
			return e.status(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.stack, "stack", "", "the deployment's CloudFormation stack")
	f.StringVar(&o.table, "table", "", "the deployment's DynamoDB history table (instead of --stack)")
	f.StringVar(&o.bucket, "bucket", "", "the baselines bucket (default: the stack's BaselineBucket output)")
	f.StringVar(&o.key, "baseline-key", "baseline.yaml", "the baseline's object key")
	f.StringVar(&o.region, "region", "", "AWS region of the deployment (default: the configured region)")
	f.StringVarP(&o.output, "output", "o", "table", "table or json")
	f.DurationVar(&o.heartbeatEvery, "heartbeat-every", 15*time.Minute, "the heartbeat's period (the stack's heartbeatMinutes)")
	f.DurationVar(&o.sweepEvery, "sweep-every", time.Hour, "the sweep's period (the stack's reconcileSchedule)")
	f.DurationVar(&o.window, "window", 30*24*time.Hour, "how far back open findings are read")
	return cmd
}

// Status is what eksdrift status reports; its JSON is for monitoring.
type Status struct {
	Healthy       bool               `json:"healthy"`
	Problems      []string           `json:"problems"`
	LastHeartbeat *time.Time         `json:"lastHeartbeat"`
	LastSweep     *time.Time         `json:"lastSweep"`
	Open          map[string]int     `json:"openFindings"`
	OpenTamper    int                `json:"openTamper"`
	DeadLetters   map[string]float64 `json:"deadLetters,omitempty"`
	Baseline      string             `json:"baselineVersion,omitempty"`
}

// Small interfaces over the SDK: each is the calls status makes.
type (
	stackReader interface {
		DescribeStacks(context.Context, *awscfn.DescribeStacksInput, ...func(*awscfn.Options)) (*awscfn.DescribeStacksOutput, error)
		ListStackResources(context.Context, *awscfn.ListStackResourcesInput, ...func(*awscfn.Options)) (*awscfn.ListStackResourcesOutput, error)
	}
	queueReader interface {
		GetQueueAttributes(context.Context, *awssqs.GetQueueAttributesInput, ...func(*awssqs.Options)) (*awssqs.GetQueueAttributesOutput, error)
	}
	headReader interface {
		HeadObject(context.Context, *awss3.HeadObjectInput, ...func(*awss3.Options)) (*awss3.HeadObjectOutput, error)
	}
	checkpointReader interface {
		Checkpoint(ctx context.Context, name string) (time.Time, bool, error)
	}
)

func (e *env) status(ctx context.Context, o statusOptions) error {
	cfg, err := awsConfig(ctx, o.region)
	if err != nil {
		return err
	}
	var queues []string
	if o.stack != "" {
		d, err := readStack(ctx, awscfn.NewFromConfig(cfg), o.stack)
		if err != nil {
			return err
		}
		o.table = d.outputs["HistoryTable"]
		if o.bucket == "" {
			o.bucket = d.outputs["BaselineBucket"]
		}
		queues = d.deadLetters
		if o.table == "" {
			return fmt.Errorf("status: stack %s has no HistoryTable output: is it an eksdrift stack?", o.stack)
		}
	}
	store := dynamodb.New(awsdynamodb.NewFromConfig(cfg), o.table)
	st, err := readStatus(ctx, statusSources{
		history: store, checkpoints: store, queues: awssqs.NewFromConfig(cfg), queueURLs: queues,
		objects: awss3.NewFromConfig(cfg, func(s3o *awss3.Options) { s3o.UsePathStyle = true }), bucket: o.bucket, key: o.key,
		stackGiven: o.stack != "",
	}, o, time.Now())
	if err != nil {
		return err
	}
	if o.output == "json" {
		b, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
	} else {
		writeStatus(e.stdout, st)
	}
	if !st.Healthy {
		return &exitError{ExitError}
	}
	return nil
}
