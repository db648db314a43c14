package sns

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

var update = flag.Bool("update", false, "rewrite the golden e-mails under testdata")

// TestEmail checks what e-mail subscribers read, against golden files: a
// person, not a parser, reads it.
func TestEmail(t *testing.T) {
	trust := critical()
	trust.Cluster, trust.Region, trust.Kind, trust.Change = "", "us-east-1", drift.KindTrustPolicy, drift.OpModified
	trust.Resource, trust.Principal, trust.Decision = "developers", "arn:aws:iam::111122223333:role/developers", drift.DecisionAlert
	trust.SeverityReason = "trusts another account (444455556666)"
	trust.Reason = "trust policy of arn:aws:iam::111122223333:role/developers differs from the baseline; trusts AWS:arn:aws:iam::444455556666:root"
	trust.Expected = json.RawMessage(`{"Statement":[{"Action":["sts:assumerole"],"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/admin"]}}],"Version":"2012-10-17"}`)
	trust.After = json.RawMessage(`{"roleArn":"arn:aws:iam::111122223333:role/developers","roleName":"developers","document":{"Statement":[{"Action":["sts:assumerole"],"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root"]}}],"Version":"2012-10-17"}}`)
	compliant := low()
	compliant.Drift, compliant.Severity, compliant.Decision, compliant.SeverityReason = false, drift.SeverityInfo, drift.DecisionNone, "compliant"
	compliant.Reason = "access entry for arn:aws:iam::111122223333:role/developers matches the baseline"

	baselineWrite := drifttest.FixtureFinding(t, "baseline")
	for name, f := range map[string]drift.Finding{"critical": critical(), "trust-policy": trust, "compliant": compliant, "baseline": baselineWrite} {
		t.Run(name, func(t *testing.T) {
			var in *sns.PublishInput
			p := NewPublisher(fakePublisher(func(i *sns.PublishInput) error { in = i; return nil }), "arn:aws:sns:eu-west-1:1:findings")
			if err := p.Publish(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if aws.ToString(in.MessageStructure) != "json" {
				t.Fatalf("MessageStructure: got %q, want json", aws.ToString(in.MessageStructure))
			}
			var m map[string]string
			if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &m); err != nil {
				t.Fatal(err)
			}
			exact, _ := json.Marshal(f)
			if m["default"] != string(exact) {
				t.Errorf("default: got %s, want the finding's JSON %s", m["default"], exact)
			}
			if len(m) != 2 {
				t.Errorf("got protocols %v, want default and email", m)
			}
			golden := filepath.Join("testdata", "email-"+name+".txt")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(golden, []byte(m["email"]), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/sns -run TestEmail -update)", err)
			}
			if m["email"] != string(want) {
				t.Errorf("%s differs; if intended, run with -update and review the diff.\ngot:\n%s", golden, m["email"])
			}
		})
	}
}

func TestEmailWhenLarge(t *testing.T) {
	publish := func(f drift.Finding) *sns.PublishInput {
		t.Helper()
		var in *sns.PublishInput
		p := NewPublisher(fakePublisher(func(i *sns.PublishInput) error { in = i; return nil }), "arn:aws:sns:eu-west-1:1:findings")
		if err := p.Publish(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		return in
	}
	t.Run("documents left out", func(t *testing.T) {
		f := critical()
		doc := `{"roleName":"r","document":"` + strings.Repeat("x", 250*1024) + `"}`
		f.After = json.RawMessage(doc)
		in := publish(f)
		var m map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &m); err != nil || aws.ToString(in.MessageStructure) != "json" {
			t.Fatalf("got %v, %q, want a per-protocol message", err, aws.ToString(in.MessageStructure))
		}
		if !strings.Contains(m["email"], "too large for this e-mail") || strings.Contains(m["email"], "xxxxxxxx") {
			t.Errorf("the e-mail holds the documents, or does not say it left them out")
		}
	})
	t.Run("too large for two: the JSON for everyone", func(t *testing.T) {
		f := critical()
		f.Reason = strings.Repeat("\"", 100*1024) // doubles when escaped
		in := publish(f)
		exact, _ := json.Marshal(f)
		if in.MessageStructure != nil || aws.ToString(in.Message) != string(exact) {
			t.Errorf("got MessageStructure %v, want the plain finding JSON", in.MessageStructure)
		}
	})
}

func TestFilterPolicy(t *testing.T) {
	got, err := FilterPolicy(DefaultAlertSeverities, DefaultAlertDecisions)
	if want := `{"decision":["alert","break-glass","dry-run","revert"],"severity":["critical","high","medium"]}`; err != nil || got != want {
		t.Errorf("default: got %s, %v, want %s", got, err, want)
	}
	if got, err := FilterPolicy([]drift.Severity{drift.SeverityHigh, drift.SeverityCritical, drift.SeverityHigh}, nil); err != nil || got != `{"severity":["critical","high"]}` {
		t.Errorf("severities only: got %s, %v", got, err)
	}
	for name, tt := range map[string]struct {
		sev []drift.Severity
		dec []drift.Decision
		say string
	}{
		"unknown severity": {[]drift.Severity{"urgent"}, nil, `unknown severity "urgent"`},
		"unknown decision": {nil, []drift.Decision{"block"}, `unknown decision "block"`},
		"nothing":          {nil, nil, "leave the filter policy out"},
	} {
		if _, err := FilterPolicy(tt.sev, tt.dec); err == nil || !strings.Contains(err.Error(), tt.say) {
			t.Errorf("%s: got %v, want an error saying %q", name, err, tt.say)
		}
	}
}

// TestFilterPolicyRoutes subscribes a queue with the default policy and
// checks what reaches it: drift of medium or worse, and outcomes of it.
func TestFilterPolicyRoutes(t *testing.T) {
	cfg := awstest.Config(t)
	e := emulator{sns: sns.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
	topic := e.topic(t)
	policy, err := FilterPolicy(DefaultAlertSeverities, DefaultAlertDecisions)
	if err != nil {
		t.Fatal(err)
	}
	q := e.queue(t, topic, map[string]string{"RawMessageDelivery": "true", "FilterPolicy": policy})

	compliant := low()
	compliant.EventID, compliant.Drift, compliant.Severity, compliant.Decision = "c0", false, drift.SeverityInfo, drift.DecisionNone
	p := NewPublisher(e.sns, topic)
	for _, f := range []drift.Finding{low(), compliant, critical()} {
		if err := p.Publish(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	// An outcome, as the reverter publishes it: the finding's attributes
	// and messageType=outcome.
	attrs := messageAttributes(findingAttributes(critical()))
	attrs[AttrMessageType] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(MessageTypeOutcome)}
	if _, err := e.sns.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(`{"findingId":"x"}`), MessageAttributes: attrs}); err != nil {
		t.Fatal(err)
	}
	msgs := e.receive(t, q, 5*time.Second)
	var got []string
	for _, m := range msgs {
		kind := "finding"
		if v, ok := m.MessageAttributes[AttrMessageType]; ok {
			kind = aws.ToString(v.StringValue)
		}
		got = append(got, kind+":"+aws.ToString(m.MessageAttributes[AttrSeverity].StringValue))
	}
	if strings.Join(got, ",") != "finding:critical,outcome:critical" {
		t.Errorf("got %v, want the critical finding and its outcome only", got)
	}
}
