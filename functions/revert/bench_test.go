package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
)

// BenchmarkDriftToRestored measures, on MiniStack, the time from the API
// call that makes the drift (an access entry for an undeclared role) to the
// state being restored: the detector under the runtime emulator judges the
// event, the finding goes through SNS to the reverter's SQS queue, and the
// reverter under the emulator deletes the entry and checks it is gone. It
// leaves out what AWS adds before the detector hears of the call
// (CloudTrail to EventBridge, typically seconds). Run it as
//
//	go test ./functions/revert -run '^$' -bench DriftToRestored -benchtime 200x
func BenchmarkDriftToRestored(b *testing.B) {
	w := setup(b)
	ctx := context.Background()
	event := sample(b, "eks-create-access-entry-undeclared-role.json")
	// Warm both functions: the figure is for a function already running.
	w.deliverN(b, withNewID(b, event), 1)
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		principal := fmt.Sprintf("arn:aws:iam::111122223333:role/bench-%d", i)
		ev := bytes.ReplaceAll(withNewID(b, event), []byte(contractor), []byte(principal))
		start := time.Now()
		_, err := w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(principal)})
		must(b, err)
		if found := w.deliverN(b, ev, 1); len(found) != 1 {
			b.Fatalf("drift %d: %d findings reached the reverter", i, len(found))
		}
		times = append(times, time.Since(start))
		if _, err := w.EKS.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(principal)}); err == nil {
			b.Fatalf("drift %d: the entry is still there", i)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	pct := func(p float64) float64 { return float64(times[int(p*float64(len(times)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
