package interact

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/revert"
	"github.com/eksdrift/eksdrift/internal/slack"
)

type noOutcomes struct{}

func (noOutcomes) PublishOutcome(context.Context, drift.Outcome) error { return nil }

// TestButtonToRevertLatency presses Revert now (a signed HTTP request to the
// handler) on an alert finding about an undeclared access entry on a
// MiniStack cluster, carries the request from the SQS queue to the real
// reverter, and logs the time from the press to the entry being gone.
func TestButtonToRevertLatency(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	cfg := awstest.Config(t)
	const (
		account  = "111122223333"
		region   = "us-west-2"
		admin    = "arn:aws:iam::111122223333:role/platform-admin"
		intruder = "arn:aws:iam::111122223333:role/contractor"
	)
	cluster := awstest.Name(t, "c")
	ec := awseks.NewFromConfig(cfg, func(o *awseks.Options) { o.Region = region })
	_, err := ec.CreateCluster(ctx, &awseks.CreateClusterInput{Name: aws.String(cluster), RoleArn: aws.String("arn:aws:iam::111122223333:role/eks"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
	must(t, err)
	for _, p := range []string{admin, intruder} {
		_, err := ec.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(p)})
		err = awstest.Created(err)
		must(t, err)
	}
	_, err = ec.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(admin),
		PolicyArn: aws.String(drift.PolicyClusterAdmin), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	must(t, err)
	ix, err := baseline.Index("b.yaml", []byte(fmt.Sprintf(`version: 1
mode: alert
clusters:
  - name: %s
    account: "%s"
    region: %s
    approvers: [%s]
    accessEntries:
      - principalArn: %s
        accessPolicies:
          - {policyArn: %s, accessScope: {type: cluster}}
`, cluster, account, region, approver, admin, drift.PolicyClusterAdmin)))
	must(t, err)
	w.h.Baseline = func(context.Context) (*drift.Index, error) { return ix, nil }
	f := drift.NewEvaluator(ix).Evaluate(drift.Change{Cluster: cluster, Op: drift.OpAdded, Resource: &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD"},
		Event: drift.Event{ID: "ev-" + cluster, Time: time.Now().Add(-time.Minute).UTC(), Name: "CreateAccessEntry", Account: account, Region: region,
			Actor: drift.Actor{ARN: "arn:aws:iam::111122223333:role/person", Type: "AssumedRole"}}})
	if f.Decision != drift.DecisionAlert {
		t.Fatalf("got decision %s (%s), want alert", f.Decision, f.Reason)
	}
	_, err = w.store.Record(ctx, []drift.Finding{f})
	must(t, err)
	writer := eks.NewWriter(cfg)
	r := &revert.Reverter{
		Baseline: func(context.Context) (*drift.Index, error) { return ix, nil },
		EKS:      eks.NewReader(cfg), IAM: iam.NewReader(cfg), EKSWriter: writer, IAMWriter: iam.NewWriter(cfg), Admins: writer,
		History: w.store, Leases: w.store, Approvals: w.store, Publisher: noOutcomes{},
		HoldDown: -1, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), By: "test", BreakerLimit: 100,
	}

	start := time.Now()
	if got := w.post(payload(approver, slack.ActionRevert, f.ID(), w.respURL()), secret, time.Now()); got != 200 {
		t.Fatalf("press: got %d, want 200", got)
	}
	answered := time.Since(start)
	out, err := w.sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL), WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("got %d requests (%v), want 1", len(out.Messages), err)
	}
	var req drift.RevertRequest
	must(t, json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &req))
	must(t, r.HandleApproved(ctx, req))
	took := time.Since(start)
	if _, err := ec.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(intruder)}); err == nil {
		got, _, _ := w.store.Get(ctx, f.ID())
		t.Fatalf("the undeclared entry is still there (outcome %+v)", got.Outcome)
	}
	stored, _, err := w.store.Get(ctx, f.ID())
	must(t, err)
	if stored.Outcome == nil || stored.Outcome.Result != drift.ResultReverted {
		t.Fatalf("got outcome %+v, want reverted", stored.Outcome)
	}
	t.Logf("button press to revert applied on MiniStack: %s (Slack answered after %s)", took.Round(time.Millisecond), answered.Round(time.Millisecond))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
