package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/spf13/cobra"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/reconcile"
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

// statusSources are where status reads.
type statusSources struct {
	history     drift.HistoryStore
	checkpoints checkpointReader
	queues      queueReader
	queueURLs   []string
	objects     headReader
	bucket, key string
	stackGiven  bool
}

// readStatus reads a deployment's health at now.
func readStatus(ctx context.Context, src statusSources, o statusOptions, now time.Time) (*Status, error) {
	st := &Status{Open: map[string]int{}, Problems: []string{}}
	findings, err := src.history.Query(ctx, drift.HistoryQuery{Since: now.Add(-o.window)})
	if err != nil {
		return nil, fmt.Errorf("status: reading the history: %w", err)
	}
	for _, f := range findings {
		if drift.IsHeartbeat(f) && (st.LastHeartbeat == nil || f.EventTime.After(*st.LastHeartbeat)) {
			t := f.EventTime
			st.LastHeartbeat = &t
		}
	}
	for _, f := range drift.OpenDrift(findings) {
		st.Open[string(f.Severity)]++
		if f.Kind == drift.KindTamper {
			st.OpenTamper++
		}
	}
	switch {
	case st.LastHeartbeat == nil:
		st.Problems = append(st.Problems, fmt.Sprintf("no heartbeat in the history in the last %s", o.window))
	case now.Sub(*st.LastHeartbeat) > 2*o.heartbeatEvery:
		st.Problems = append(st.Problems, fmt.Sprintf("the last heartbeat is %s old, over two periods of %s", now.Sub(*st.LastHeartbeat).Round(time.Second), o.heartbeatEvery))
	}
	if st.OpenTamper > 0 {
		st.Problems = append(st.Problems, fmt.Sprintf("%d open tamper findings: someone changed eksdrift's own deployment (eksdrift history --kind tamper)", st.OpenTamper))
	}

	at, found, err := src.checkpoints.Checkpoint(ctx, reconcile.CheckpointName)
	switch {
	case err != nil:
		return nil, fmt.Errorf("status: reading the sweep's checkpoint: %w", err)
	case !found:
		st.Problems = append(st.Problems, "no sweep has completed")
	default:
		st.LastSweep = &at
		if now.Sub(at) > 2*o.sweepEvery {
			st.Problems = append(st.Problems, fmt.Sprintf("the last sweep is %s old, over two periods of %s", now.Sub(at).Round(time.Second), o.sweepEvery))
		}
	}

	if src.stackGiven {
		st.DeadLetters = map[string]float64{}
		for _, u := range src.queueURLs {
			out, err := src.queues.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
			if err != nil {
				return nil, fmt.Errorf("status: dead-letter queue %s: %w", u, err)
			}
			n, _ := strconv.ParseFloat(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], 64)
			name := u[strings.LastIndexByte(u, '/')+1:]
			st.DeadLetters[name] = n
			if n > 0 {
				st.Problems = append(st.Problems, fmt.Sprintf("%v messages in the dead-letter queue %s: events nothing judged", n, name))
			}
		}
	}

	if src.bucket != "" {
		out, err := src.objects.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(src.bucket), Key: aws.String(src.key)})
		if err != nil {
			st.Problems = append(st.Problems, fmt.Sprintf("the baseline s3://%s/%s cannot be read: %v", src.bucket, src.key, err))
		} else {
			st.Baseline = firstOf(aws.ToString(out.VersionId), aws.ToString(out.ETag))
		}
	}
	st.Healthy = len(st.Problems) == 0
	return st, nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// deployedStack is what status reads of a stack.
type deployedStack struct {
	outputs     map[string]string
	deadLetters []string // queue URLs
}

func readStack(ctx context.Context, c stackReader, name string) (*deployedStack, error) {
	out, err := c.DescribeStacks(ctx, &awscfn.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("status: stack %s: %w", name, err)
	}
	if len(out.Stacks) == 0 {
		return nil, fmt.Errorf("status: no stack %s", name)
	}
	d := &deployedStack{outputs: map[string]string{}}
	for _, o := range out.Stacks[0].Outputs {
		d.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	var token *string
	for {
		res, err := c.ListStackResources(ctx, &awscfn.ListStackResourcesInput{StackName: aws.String(name), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("status: resources of stack %s: %w", name, err)
		}
		for _, r := range res.StackResourceSummaries {
			if aws.ToString(r.ResourceType) == "AWS::SQS::Queue" && strings.Contains(aws.ToString(r.LogicalResourceId), "DeadLetters") {
				d.deadLetters = append(d.deadLetters, aws.ToString(r.PhysicalResourceId))
			}
		}
		if token = res.NextToken; token == nil {
			break
		}
	}
	sort.Strings(d.deadLetters)
	return d, nil
}

func writeStatus(w io.Writer, st *Status) {
	when := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	}
	health := "healthy"
	if !st.Healthy {
		health = "UNHEALTHY"
	}
	fmt.Fprintf(w, "eksdrift: %s\n", health)
	fmt.Fprintf(w, "last heartbeat  %s\n", when(st.LastHeartbeat))
	fmt.Fprintf(w, "last sweep      %s\n", when(st.LastSweep))
	var open []string
	for _, s := range drift.Severities {
		if n := st.Open[string(s)]; n > 0 {
			open = append(open, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(open) == 0 {
		open = []string{"none"}
	}
	fmt.Fprintf(w, "open findings   %s (tamper %d)\n", strings.Join(open, ", "), st.OpenTamper)
	if st.DeadLetters != nil {
		names := make([]string, 0, len(st.DeadLetters))
		for n := range st.DeadLetters {
			names = append(names, n)
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s %v", n, st.DeadLetters[n]))
		}
		fmt.Fprintf(w, "dead letters    %s\n", firstOf(strings.Join(parts, ", "), "no queues"))
	} else {
		fmt.Fprintln(w, "dead letters    not known (give --stack)")
	}
	fmt.Fprintf(w, "baseline        %s\n", firstOf(st.Baseline, "not read"))
	for _, p := range st.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
}
