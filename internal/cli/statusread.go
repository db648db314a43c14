package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/reconcile"
)

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
	steps := []func() error{
		func() error { return readFindings(ctx, st, src, o, now) },
		func() error { return readSweep(ctx, st, src, o, now) },
		func() error { return readDeadLetters(ctx, st, src) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	readBaselineVersion(ctx, st, src)
	st.Healthy = len(st.Problems) == 0
	return st, nil
}

// readFindings reads the last heartbeat and the open findings.
func readFindings(ctx context.Context, st *Status, src statusSources, o statusOptions, now time.Time) error {
	findings, err := src.history.Query(ctx, drift.HistoryQuery{Since: now.Add(-o.window)})
	if err != nil {
		return fmt.Errorf("status: reading the history: %w", err)
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
	return nil
}

// readSweep reads the last completed sweep: the catch-up's checkpoint.
func readSweep(ctx context.Context, st *Status, src statusSources, o statusOptions, now time.Time) error {
	at, found, err := src.checkpoints.Checkpoint(ctx, reconcile.CheckpointName)
	switch {
	case err != nil:
		return fmt.Errorf("status: reading the sweep's checkpoint: %w", err)
	case !found:
		st.Problems = append(st.Problems, "no sweep has completed")
	default:
		st.LastSweep = &at
		if now.Sub(at) > 2*o.sweepEvery {
			st.Problems = append(st.Problems, fmt.Sprintf("the last sweep is %s old, over two periods of %s", now.Sub(at).Round(time.Second), o.sweepEvery))
		}
	}
	return nil
}

// readDeadLetters reads the depth of each dead-letter queue, when the
// stack named them.
func readDeadLetters(ctx context.Context, st *Status, src statusSources) error {
	if !src.stackGiven {
		return nil
	}
	st.DeadLetters = map[string]float64{}
	for _, u := range src.queueURLs {
		out, err := src.queues.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			return fmt.Errorf("status: dead-letter queue %s: %w", u, err)
		}
		n, _ := strconv.ParseFloat(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], 64)
		name := u[strings.LastIndexByte(u, '/')+1:]
		st.DeadLetters[name] = n
		if n > 0 {
			st.Problems = append(st.Problems, fmt.Sprintf("%v messages in the dead-letter queue %s: events nothing judged", n, name))
		}
	}
	return nil
}

// readBaselineVersion reads the version of the baseline in force.
func readBaselineVersion(ctx context.Context, st *Status, src statusSources) {
	if src.bucket == "" {
		return
	}
	out, err := src.objects.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(src.bucket), Key: aws.String(src.key)})
	if err != nil {
		st.Problems = append(st.Problems, fmt.Sprintf("the baseline s3://%s/%s cannot be read: %v", src.bucket, src.key, err))
		return
	}
	st.Baseline = firstOf(aws.ToString(out.VersionId), aws.ToString(out.ETag))
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
