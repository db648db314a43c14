package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

func rieEnv(t *testing.T, product string) map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":              awstest.Endpoint(t),
		"AWS_ACCESS_KEY_ID":             "test",
		"AWS_SECRET_ACCESS_KEY":         "test",
		"AWS_REGION":                    awstest.Region,
		"AWS_EC2_METADATA_DISABLED":     "true",
		config.EnvSecurityHubProductARN: product,
	}
}

func sqsEventOf(t *testing.T, bodies ...string) []byte {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "rie-" + string(rune('a'+i)), Body: b, EventSource: "aws:sqs"})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBootstrapUnderRIE runs the real bootstrap under the Lambda Runtime
// Interface Emulator against moto: a queued finding is imported, then the
// outcome of its revert resolves it, and the answer names no failure.
func TestBootstrapUnderRIE(t *testing.T) {
	_, c := start(t) // enables Security Hub
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/securityhub"), rieEnv(t, productARN))
	f := finding(t)
	at := f.EventTime.Add(3 * time.Second)
	o := drift.Outcome{FindingID: f.ID(), Finding: f, Result: drift.RevertOutcome{Result: drift.ResultReverted, At: at}, At: at}
	for i, body := range []string{raw(t, f), raw(t, o)} {
		r := fn.Invoke(t, sqsEventOf(t, body))
		if r.Error != "" {
			t.Fatalf("invocation %d: %s", i+1, r.Error)
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(r.Body, &resp); err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("invocation %d: got %s (%v), want no batch item failures", i+1, r.Body, err)
		}
		t.Logf("invocation %d (%s) answered in %s", i+1, []string{"finding", "outcome"}[i], r.Duration)
	}
	got, ok := read(t, c, securityhub.ID(f))
	if !ok || got.Compliance.Status != types.ComplianceStatusPassed || got.RecordState != types.RecordStateArchived || aws.ToString(got.UpdatedAt) != stamp(at) {
		t.Errorf("got %v (found %v), want PASSED ARCHIVED updated at %v", got, ok, stamp(at))
	}
	if !fn.LogsContain(`"SecurityHubImported":1`, 5*time.Second) {
		t.Errorf("no SecurityHubImported metric in the logs:\n%s", fn.Logs())
	}
}

// TestBootstrapRefusesABadProduct: a product ARN that is not the account's
// own custom integration stops the function at start, naming the variable.
func TestBootstrapRefusesABadProduct(t *testing.T) {
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/securityhub"), rieEnv(t, "arn:aws:securityhub:us-east-1:123456789012:product/aws/guardduty"))
	r := fn.Invoke(t, sqsEventOf(t, "{}"))
	if r.Error == "" {
		t.Fatalf("got %s, want the invocation to fail", r.Body)
	}
	if !fn.LogsContain(config.EnvSecurityHubProductARN, 5*time.Second) || !strings.Contains(fn.Logs(), "cannot start") {
		t.Errorf("logs do not say why it cannot start:\n%s", fn.Logs())
	}
}
