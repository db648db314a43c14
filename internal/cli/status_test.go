package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/reconcile"
)

// statusStack deploys, on MiniStack's CloudFormation, a stack with a
// dead-letter queue and the outputs status reads, over a history table
// and a versioned baselines bucket made here.
type statusStack struct {
	name, table, bucket, queueURL string
	store                         *dynamodb.Store
}

func newStatusStack(t *testing.T) *statusStack {
	t.Helper()
	ctx, cfg := t.Context(), awstest.Config(t)
	s := &statusStack{name: awstest.Name(t, "eksdrift"), table: awstest.Name(t, "history"), bucket: awstest.Name(t, "baselines")}
	ddb := awsdynamodb.NewFromConfig(cfg)
	if err := dynamodb.CreateTable(ctx, ddb, s.table); err != nil {
		t.Fatal(err)
	}
	s.store = dynamodb.New(ddb, s.table)
	s3c := awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(s.bucket)}); awstest.Created(err) != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: aws.String(s.bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String("baseline.yaml"), Body: strings.NewReader("version: 1\n")}); err != nil {
		t.Fatal(err)
	}
	tpl := fmt.Sprintf(`{"Resources":{"DetectorDeadLetters1A2B3C4D":{"Type":"AWS::SQS::Queue"}},
		"Outputs":{"HistoryTable":{"Value":%q},"BaselineBucket":{"Value":%q},"StackName":{"Value":%q}}}`, s.table, s.bucket, s.name)
	cfn := awscfn.NewFromConfig(cfg)
	// A create whose answer the emulator lost is retried by the SDK and
	// meets "already exists": this test's own stack (its name is unique),
	// so the wait below settles it.
	if _, err := cfn.CreateStack(ctx, &awscfn.CreateStackInput{StackName: aws.String(s.name), TemplateBody: aws.String(tpl)}); err != nil && !strings.Contains(err.Error(), "AlreadyExistsException") {
		t.Fatal(err)
	}
	t.Cleanup(func() { cfn.DeleteStack(context.Background(), &awscfn.DeleteStackInput{StackName: aws.String(s.name)}) })
	for i := 0; ; i++ {
		d, err := readStack(ctx, cfn, s.name)
		if err == nil && len(d.deadLetters) == 1 && d.outputs["HistoryTable"] == s.table {
			s.queueURL = d.deadLetters[0]
			break
		}
		if i == 50 {
			t.Fatalf("the stack did not come up: %v %+v", err, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

// TestStatusOnMiniStack runs eksdrift status against a deployment on
// MiniStack: healthy when the heartbeat and the sweep are recent and
// nothing waits; exit 1, saying why, for each way eksdrift goes blind.
func TestStatusOnMiniStack(t *testing.T) {
	now := time.Now().UTC()
	heartbeat := func(age time.Duration) drift.Finding {
		at := now.Add(-age)
		return drift.HeartbeatFinding("hb-"+at.Format("150405.000"), "111122223333", "us-west-2", "eksdrift-heartbeat", at, at)
	}
	tamper := drift.Finding{EventID: "t-1", EventTime: now.Add(-time.Hour), Kind: drift.KindTamper, Resource: "rule:eksdrift-eks", Account: "111122223333",
		Region: "us-west-2", Change: drift.OpModified, Drift: true, Severity: drift.SeverityCritical, Decision: drift.DecisionAlert,
		Expected: json.RawMessage("null"), Before: json.RawMessage("null"), After: json.RawMessage("null"), DetectedBy: drift.DetectedByEvent}
	tests := []struct {
		name       string
		findings   []drift.Finding
		sweepAge   time.Duration // 0: no sweep ever
		deadLetter bool
		args       []string
		healthy    bool
		says       string
	}{
		{"healthy", []drift.Finding{heartbeat(40 * time.Minute), heartbeat(time.Minute)}, 20 * time.Minute, false, nil, true, "eksdrift: healthy"},
		{"the heartbeat stopped", []drift.Finding{heartbeat(40 * time.Minute)}, 20 * time.Minute, false, nil, false, "the last heartbeat is 40m"},
		{"no sweep for three hours", []drift.Finding{heartbeat(time.Minute)}, 3 * time.Hour, false, nil, false, "the last sweep is 3h"},
		{"no sweep ever", []drift.Finding{heartbeat(time.Minute)}, 0, false, nil, false, "no sweep has completed"},
		// Not "1 messages": under load MiniStack may lose SendMessage's
		// answer and the SDK's retry puts a second copy (seen in make test).
		{"an event in a dead-letter queue", []drift.Finding{heartbeat(time.Minute)}, 20 * time.Minute, true, nil, false, " messages in the dead-letter queue"},
		{"open tamper", []drift.Finding{heartbeat(time.Minute), tamper}, 20 * time.Minute, false, nil, false, "1 open tamper findings"},
		{"a longer heartbeat period", []drift.Finding{heartbeat(40 * time.Minute)}, 20 * time.Minute, false, []string{"--heartbeat-every", "30m"}, true, "eksdrift: healthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStatusStack(t)
			if _, err := s.store.Record(t.Context(), tt.findings); err != nil {
				t.Fatal(err)
			}
			if tt.sweepAge > 0 {
				if err := s.store.SetCheckpoint(t.Context(), reconcile.CheckpointName, now.Add(-tt.sweepAge)); err != nil {
					t.Fatal(err)
				}
			}
			if tt.deadLetter {
				if _, err := awssqs.NewFromConfig(awstest.Config(t)).SendMessage(t.Context(), &awssqs.SendMessageInput{QueueUrl: aws.String(s.queueURL), MessageBody: aws.String("{}")}); err != nil {
					t.Fatal(err)
				}
			}
			r := run(t, awsEnv(t), append([]string{"status", "--stack", s.name}, tt.args...)...)
			want := ExitOK
			if !tt.healthy {
				want = ExitError
			}
			if r.code != want || !strings.Contains(r.stdout, tt.says) {
				t.Errorf("got exit %d, stdout:\n%s\nstderr: %s\nwant exit %d saying %q", r.code, r.stdout, r.stderr, want, tt.says)
			}
			if !strings.Contains(r.stdout, "baseline        ") || strings.Contains(r.stdout, "baseline        not read") {
				t.Errorf("the baseline version is not shown:\n%s", r.stdout)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		s := newStatusStack(t)
		if _, err := s.store.Record(t.Context(), []drift.Finding{heartbeat(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		r := run(t, awsEnv(t), "status", "--table", s.table, "--bucket", s.bucket, "-o", "json")
		var st Status
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
			t.Fatalf("%v: %s", err, r.stdout)
		}
		if r.code != ExitError || st.Healthy || st.LastHeartbeat == nil || st.LastSweep != nil || st.Baseline == "" || st.DeadLetters != nil {
			t.Errorf("got exit %d, %+v, want unhealthy (no sweep) with the heartbeat and the baseline, no dead letters known", r.code, st)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"status"}, {"status", "--stack", "a", "--table", "b"}, {"status", "--table", "b", "-o", "xml"}} {
			if r := run(t, stateEnv(t), args...); r.code != ExitUsage {
				t.Errorf("%v: got exit %d, want %d", args, r.code, ExitUsage)
			}
		}
	})
}
