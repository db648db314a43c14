package sns

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestPublishOutcome(t *testing.T) {
	cfg := awstest.Config(t)
	e := emulator{sns: sns.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
	topic := e.topic(t)
	outcomes := e.queue(t, topic, map[string]string{"RawMessageDelivery": "true", "FilterPolicy": `{"messageType":["outcome"],"severity":["critical"]}`})
	f := low()
	at := time.Date(2026, 10, 14, 9, 30, 0, 0, time.UTC)
	p := NewPublisher(e.sns, topic)
	failed := drift.Outcome{FindingID: f.ID(), Finding: f, At: at, Result: drift.RevertOutcome{
		Result: drift.ResultRevertFailed, Critical: true, Error: "AccessDeniedException", Operations: []string{"eks:DeleteAccessEntry prod x"}, At: at}}
	done := drift.Outcome{FindingID: f.ID(), Finding: f, At: at, Result: drift.RevertOutcome{Result: drift.ResultReverted, At: at}}
	for _, o := range []drift.Outcome{failed, done} {
		if err := p.PublishOutcome(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	msgs := e.receive(t, outcomes, 3*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("got %d messages through the critical-outcome filter, want 1 (the failed revert of a low finding)", len(msgs))
	}
	var got drift.Outcome
	if err := json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &got); err != nil {
		t.Fatal(err)
	}
	if got.FindingID != f.ID() || got.Result.Result != drift.ResultRevertFailed || got.Finding.Reason != f.Reason {
		t.Errorf("got %+v", got)
	}
	if r := aws.ToString(msgs[0].MessageAttributes[AttrResult].StringValue); r != drift.ResultRevertFailed {
		t.Errorf("result attribute: got %q", r)
	}
	if s := outcomeSubject(failed); !strings.HasPrefix(s, "eksdrift REVERT FAILED: prod access-entry") || len(s) > maxSubject {
		t.Errorf("subject: got %q", s)
	}
}
