package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

// The forwarder is tested against moto's server: MiniStack serves no
// Security Hub, and no fake stands in for it.
func TestMain(m *testing.M) { os.Exit(lambdatest.MotoMain(m)) }

// motoAccount is moto's default account: the caller's, so the product's.
const motoAccount = "123456789012"

var productARN = "arn:aws:securityhub:" + awstest.Region + ":" + motoAccount + ":product/" + motoAccount + "/default"

func getenv(k string) string {
	return map[string]string{config.EnvSecurityHubProductARN: productARN}[k]
}

func start(t *testing.T) (handler, *sh.Client) {
	t.Helper()
	c := sh.NewFromConfig(awstest.Config(t))
	if _, err := c.EnableSecurityHub(context.Background(), &sh.EnableSecurityHubInput{}); err != nil {
		var already *types.ResourceConflictException
		if !errors.As(err, &already) {
			t.Fatalf("EnableSecurityHub: %v", err)
		}
	}
	h, err := build(context.Background(), getenv, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return h, c
}

// finding is a drift on a resource of its own, so that tests sharing the
// emulator do not share a Security Hub finding.
func finding(t *testing.T) drift.Finding {
	f := drifttest.SampleFinding(0)
	f.Account, f.Region, f.Cluster = motoAccount, awstest.Region, awstest.Name(t, "c")
	f.Drift, f.Decision, f.Outcome = true, drift.DecisionRevert, nil
	return f
}

// envelope is how the queue holds a message when raw delivery is off.
func envelope(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": string(b)})
	return string(e)
}

func raw(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func invoke(t *testing.T, h handler, bodies ...string) events.SQSEventResponse {
	t.Helper()
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m" + string(rune('0'+i)), Body: b})
	}
	resp, err := h(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// read gives the finding with this Id from Security Hub (moto ignores
// GetFindings' filters: every page is read).
func read(t *testing.T, c *sh.Client, id string) (types.AwsSecurityFinding, bool) {
	t.Helper()
	p := sh.NewGetFindingsPaginator(c, &sh.GetFindingsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		for _, f := range out.Findings {
			if aws.ToString(f.Id) == id {
				return f, true
			}
		}
	}
	return types.AwsSecurityFinding{}, false
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// TestRevertResolvesTheFinding: a drift finding is imported FAILED and
// ACTIVE; the outcome of its revert, later, re-imports the same Id PASSED
// and ARCHIVED with the outcome's time as UpdatedAt.
func TestRevertResolvesTheFinding(t *testing.T) {
	h, c := start(t)
	f := finding(t)
	id := securityhub.ID(f)
	if resp := invoke(t, h, envelope(t, f)); len(resp.BatchItemFailures) > 0 {
		t.Fatalf("finding: got failures %v, want none", resp.BatchItemFailures)
	}
	got, ok := read(t, c, id)
	if !ok {
		t.Fatalf("finding %s not in Security Hub", id)
	}
	if got.Compliance.Status != types.ComplianceStatusFailed || got.RecordState != types.RecordStateActive || aws.ToString(got.ProductArn) != productARN {
		t.Errorf("after the finding: got %v %v %v, want FAILED ACTIVE %v", got.Compliance.Status, got.RecordState, aws.ToString(got.ProductArn), productARN)
	}
	at := f.EventTime.Add(4 * time.Second)
	o := drift.Outcome{FindingID: f.ID(), Finding: f, Result: drift.RevertOutcome{Result: drift.ResultReverted, At: at}, At: at}
	if resp := invoke(t, h, raw(t, o)); len(resp.BatchItemFailures) > 0 {
		t.Fatalf("outcome: got failures %v, want none", resp.BatchItemFailures)
	}
	got, _ = read(t, c, id)
	if got.Compliance.Status != types.ComplianceStatusPassed || got.RecordState != types.RecordStateArchived {
		t.Errorf("after the revert: got %v %v, want PASSED ARCHIVED", got.Compliance.Status, got.RecordState)
	}
	if got, want := aws.ToString(got.UpdatedAt), stamp(at); got != want {
		t.Errorf("UpdatedAt: got %v, want %v", got, want)
	}
	if got.Workflow != nil && got.Workflow.Status != "" && got.Workflow.Status != types.WorkflowStatusNew {
		t.Errorf("Workflow: got %v, want Security Hub's own (eksdrift sets none)", got.Workflow.Status)
	}
}

// TestOneBatch: the finding and its outcome in one batch, the outcome
// first (an SQS queue does not keep order); a message that is neither, and
// eksdrift's own remediation. The outcome wins, the bad message alone
// fails, the remediation is not imported.
func TestOneBatch(t *testing.T) {
	h, c := start(t)
	f := finding(t)
	at := f.EventTime.Add(time.Second)
	o := drift.Outcome{FindingID: f.ID(), Finding: f, Result: drift.RevertOutcome{Result: drift.ResultReverted, At: at}, At: at}
	rem := finding(t)
	rem.Decision = drift.DecisionRemediation
	resp := invoke(t, h, raw(t, o), envelope(t, f), `{"not":"a finding"}`, raw(t, rem))
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m2" {
		t.Errorf("got failures %v, want only m2", resp.BatchItemFailures)
	}
	got, ok := read(t, c, securityhub.ID(f))
	if !ok || got.Compliance.Status != types.ComplianceStatusPassed || got.RecordState != types.RecordStateArchived {
		t.Errorf("got %v %v (found %v), want PASSED ARCHIVED", got.Compliance, got.RecordState, ok)
	}
	if _, ok := read(t, c, securityhub.ID(rem)); ok {
		t.Errorf("remediation %s: got imported, want skipped", securityhub.ID(rem))
	}
}

// TestHostileFindingsImport: a finding whose every string is an
// attacker's payload still imports, under the product's account whatever
// account it claims.
func TestHostileFindingsImport(t *testing.T) {
	h, c := start(t)
	payload := drifttest.HostilePayloads[2] + strings.Repeat("x", 3000)
	for _, hc := range drifttest.Hostile(finding(t), payload) {
		if hc.Field != "all" && hc.Field != "account" && hc.Field != "resource" {
			continue
		}
		t.Run(hc.Field, func(t *testing.T) {
			if resp := invoke(t, h, raw(t, hc.Finding)); len(resp.BatchItemFailures) > 0 {
				t.Fatalf("got failures %v, want none", resp.BatchItemFailures)
			}
			got, ok := read(t, c, securityhub.ID(hc.Finding))
			if !ok {
				t.Fatal("not imported")
			}
			if aws.ToString(got.AwsAccountId) != motoAccount {
				t.Errorf("AwsAccountId: got %v, want %v", aws.ToString(got.AwsAccountId), motoAccount)
			}
		})
	}
}

func TestBuildRefusesABadProduct(t *testing.T) {
	for _, arn := range []string{"", "arn:aws:sns:us-east-1:123456789012:topic", "arn:aws:securityhub:us-east-1:123456789012:product/aws/guardduty", "arn:aws:securityhub:evil:123456789012:product/123456789012/default"} {
		t.Run(arn, func(t *testing.T) {
			_, err := build(context.Background(), func(k string) string {
				return map[string]string{config.EnvSecurityHubProductARN: arn}[k]
			}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err == nil || !strings.Contains(err.Error(), config.EnvSecurityHubProductARN) {
				t.Errorf("got %v, want an error naming %s", err, config.EnvSecurityHubProductARN)
			}
		})
	}
}
