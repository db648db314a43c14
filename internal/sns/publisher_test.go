package sns

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// critical is a finding as the evaluator writes one.
func critical() drift.Finding {
	return drift.Finding{
		EventID:        "5f2a1c3e-0d4b-4c1e-9a7f-2b8e6d1c0a91",
		EventTime:      time.Date(2026, 11, 28, 9, 41, 7, 0, time.UTC),
		EventName:      "AssociateAccessPolicy",
		EventSource:    "eks.amazonaws.com",
		Account:        "111122223333",
		Region:         "eu-west-1",
		Cluster:        "prod",
		Kind:           drift.KindAccessPolicy,
		Resource:       "arn:aws:iam::111122223333:role/contractors/contractor|" + drift.PolicyClusterAdmin,
		Principal:      "arn:aws:iam::111122223333:role/contractors/contractor",
		Change:         drift.OpAdded,
		Drift:          true,
		Severity:       drift.SeverityCritical,
		SeverityReason: "AmazonEKSClusterAdminPolicy on the whole cluster is cluster-admin",
		Decision:       drift.DecisionRevert,
		Reason:         "contractor has no access policy declared on cluster prod <script>&",
		Actor:          "arn:aws:iam::111122223333:role/Admin",
		ActorType:      "AssumedRole",
		ActorSession:   "jane@example.com",
		SourceIP:       "198.51.100.7",
		UserAgent:      "aws-cli/2.22.0",
		Expected:       nil,
		Before:         nil,
		After:          json.RawMessage(`{"principalArn":"arn:aws:iam::111122223333:role/contractors/contractor","policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy","accessScope":{"type":"cluster"}}`),
		BaselineSource: "s3://baselines/prod.yaml",
		DetectedBy:     drift.DetectedByEvent,
	}
}

func low() drift.Finding {
	f := critical()
	f.EventID = "0c9d8e7f-1a2b-4c3d-8e9f-a0b1c2d3e4f5"
	f.Kind = drift.KindAccessEntry
	f.Resource = "arn:aws:iam::111122223333:role/developers"
	f.Severity = drift.SeverityLow
	f.Decision = drift.DecisionAlert
	f.After = json.RawMessage(`{"principalArn":"arn:aws:iam::111122223333:role/developers","type":"STANDARD"}`)
	return f
}

type emulator struct {
	sns *sns.Client
	sqs *sqs.Client
}

func (e emulator) topic(t *testing.T) string {
	t.Helper()
	out, err := e.sns.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(awstest.Name(t, "findings"))})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	return aws.ToString(out.TopicArn)
}

// queue creates a queue subscribed to topic with the given subscription
// attributes, and gives its URL.
func (e emulator) queue(t *testing.T, topic string, attrs map[string]string) string {
	t.Helper()
	ctx := context.Background()
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "subscriber"))})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	a, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if _, err := e.sns.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:   aws.String(topic),
		Protocol:   aws.String("sqs"),
		Endpoint:   aws.String(a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		Attributes: attrs,
	}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return aws.ToString(q.QueueUrl)
}

// receive drains the queue: it waits up to wait for the first message and
// then takes whatever else is there.
func (e emulator) receive(t *testing.T, queue string, wait time.Duration) []sqstypes.Message {
	t.Helper()
	var out []sqstypes.Message
	deadline := time.Now().Add(wait)
	for {
		r, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		out = append(out, r.Messages...)
		if (len(out) > 0 && len(r.Messages) == 0) || time.Now().After(deadline) {
			return out
		}
	}
}

func TestPublishThroughFilterPolicy(t *testing.T) {
	cfg := awstest.Config(t)
	e := emulator{sns: sns.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
	topic := e.topic(t)
	urgent := e.queue(t, topic, map[string]string{
		"RawMessageDelivery": "true",
		"FilterPolicy":       `{"` + AttrSeverity + `":["critical","high"]}`,
	})
	everything := e.queue(t, topic, nil) // SNS envelopes, to see the subject

	p := NewPublisher(e.sns, topic)
	// The low one first: if the filter let it through, it would be there by
	// the time the critical one arrives.
	for _, f := range []drift.Finding{low(), critical()} {
		if err := p.Publish(context.Background(), f); err != nil {
			t.Fatalf("Publish %s: %v", f.Severity, err)
		}
	}

	msgs := e.receive(t, urgent, 5*time.Second)
	if len(msgs) != 1 {
		var bodies []string
		for _, m := range msgs {
			bodies = append(bodies, aws.ToString(m.Body))
		}
		t.Fatalf("urgent queue: got %d messages, want only the critical one:\n%s", len(msgs), strings.Join(bodies, "\n"))
	}
	m := msgs[0]
	want := critical()

	t.Run("body is the finding's JSON", func(t *testing.T) {
		exact, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(m.Body); got != string(exact) {
			t.Errorf("body:\ngot  %s\nwant %s", got, exact)
		}
		var got drift.Finding
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &got); err != nil {
			t.Fatalf("body is not a finding: %v", err)
		}
		if got.ID() != want.ID() {
			t.Errorf("ID: got %s, want %s", got.ID(), want.ID())
		}
		if !got.EventTime.Equal(want.EventTime) {
			t.Errorf("EventTime: got %v, want %v", got.EventTime, want.EventTime)
		}
		if string(got.After) != string(want.After) {
			t.Errorf("After: got %s, want %s", got.After, want.After)
		}
		// Every other field, compared with the raw JSON ones set aside.
		got.EventTime, want.EventTime = time.Time{}, time.Time{}
		got.Expected, got.Before, got.After = nil, nil, nil
		want.Expected, want.Before, want.After = nil, nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("finding:\ngot  %+v\nwant %+v", got, want)
		}
	})

	t.Run("attributes", func(t *testing.T) {
		wantAttrs := map[string]string{
			AttrSeverity: "critical", AttrDecision: "revert", AttrKind: "access-policy",
			AttrCluster: "prod", AttrAccount: "111122223333", AttrDrift: "true",
			AttrMessageType: MessageTypeFinding,
		}
		got := map[string]string{}
		for k, v := range m.MessageAttributes {
			if aws.ToString(v.DataType) != "String" {
				t.Errorf("attribute %s: got type %s, want String", k, aws.ToString(v.DataType))
			}
			got[k] = aws.ToString(v.StringValue)
		}
		if !reflect.DeepEqual(got, wantAttrs) {
			t.Errorf("got %v, want %v", got, wantAttrs)
		}
	})

	t.Run("unfiltered subscriber gets both, with subjects", func(t *testing.T) {
		msgs := e.receive(t, everything, 5*time.Second)
		subjects := map[string]string{}
		for _, m := range msgs {
			var env struct{ Subject, Message string }
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
				t.Fatalf("not an SNS envelope: %v: %s", err, aws.ToString(m.Body))
			}
			var f drift.Finding
			if err := json.Unmarshal([]byte(env.Message), &f); err != nil {
				t.Fatalf("envelope message is not a finding: %v", err)
			}
			subjects[string(f.Severity)] = env.Subject
		}
		wantSubjects := map[string]string{
			"critical": "eksdrift CRITICAL drift: prod access-policy added contractor AmazonEKSClusterAdminPolicy",
			"low":      "eksdrift LOW drift: prod access-entry added developers",
		}
		if !reflect.DeepEqual(subjects, wantSubjects) {
			t.Errorf("got %v, want %v", subjects, wantSubjects)
		}
	})
}

func TestPublishErrors(t *testing.T) {
	t.Run("unknown topic", func(t *testing.T) {
		topic := "arn:aws:sns:us-east-1:000000000000:" + awstest.Name(t, "missing")
		err := NewPublisher(sns.NewFromConfig(awstest.Config(t)), topic).Publish(context.Background(), critical())
		if err == nil || !strings.HasPrefix(err.Error(), "sns "+topic+": publishing finding "+critical().ID()+": ") {
			t.Errorf("got %v, want an error naming the topic and the finding", err)
		}
	})
	t.Run("client error is wrapped", func(t *testing.T) {
		boom := errors.New("throttled")
		err := NewPublisher(fakePublisher(func(*sns.PublishInput) error { return boom }), "arn:aws:sns:eu-west-1:1:findings").Publish(context.Background(), critical())
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "arn:aws:sns:eu-west-1:1:findings") {
			t.Errorf("got %v, want %v wrapped with the topic ARN", err, boom)
		}
	})
	t.Run("no topic", func(t *testing.T) {
		err := NewPublisher(fakePublisher(func(*sns.PublishInput) error { t.Error("unexpected Publish"); return nil }), "").Publish(context.Background(), critical())
		if err == nil || !strings.Contains(err.Error(), "no topic ARN") {
			t.Errorf("got %v, want an error about the missing topic ARN", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		f := critical()
		f.Reason = strings.Repeat("x", maxPayload)
		err := NewPublisher(fakePublisher(func(*sns.PublishInput) error { t.Error("unexpected Publish"); return nil }), "arn:aws:sns:eu-west-1:1:findings").Publish(context.Background(), f)
		if err == nil || !strings.Contains(err.Error(), "over the 262144 bytes") {
			t.Errorf("got %v, want an error about the size", err)
		}
	})
}

type fakePublisher func(*sns.PublishInput) error

func (f fakePublisher) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if err := f(in); err != nil {
		return nil, err
	}
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

func TestPublishInput(t *testing.T) {
	var got *sns.PublishInput
	p := NewPublisher(fakePublisher(func(in *sns.PublishInput) error { got = in; return nil }), "arn:aws:sns:eu-west-1:1:findings")
	f := critical()
	f.Cluster, f.Decision, f.Kind = "", "", drift.KindRole // an IAM finding, before a decision
	if err := p.Publish(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for k, v := range got.MessageAttributes {
		attrs[k] = aws.ToString(v.StringValue)
	}
	want := map[string]string{
		AttrSeverity: "critical", AttrDecision: "none", AttrKind: "iam-role",
		AttrCluster: "none", AttrAccount: "111122223333", AttrDrift: "true",
		AttrMessageType: MessageTypeFinding,
	}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attributes: got %v, want %v", attrs, want)
	}
	if aws.ToString(got.TopicArn) != "arn:aws:sns:eu-west-1:1:findings" {
		t.Errorf("TopicArn: got %s, want the publisher's", aws.ToString(got.TopicArn))
	}
}

func TestSubject(t *testing.T) {
	base := critical()
	with := func(change func(f *drift.Finding)) drift.Finding {
		f := base
		change(&f)
		return f
	}
	for _, tc := range []struct {
		name string
		f    drift.Finding
		want string
	}{
		{"drift", base, "eksdrift CRITICAL drift: prod access-policy added contractor AmazonEKSClusterAdminPolicy"},
		{"compliant", with(func(f *drift.Finding) {
			f.Drift, f.Severity, f.Kind = false, drift.SeverityInfo, drift.KindAccessEntry
			f.Resource = "arn:aws:iam::111122223333:role/developers"
		}), "eksdrift info: prod access-entry added developers (compliant)"},
		{"IAM finding names the account", with(func(f *drift.Finding) {
			f.Cluster, f.Kind, f.Severity = "", drift.KindManagedPolicy, drift.SeverityCritical
			f.Resource = "deploy|arn:aws:iam::aws:policy/AdministratorAccess"
		}), "eksdrift CRITICAL drift: 111122223333 iam-managed-policy added deploy AdministratorAccess"},
		{"inline policy", with(func(f *drift.Finding) {
			f.Cluster, f.Kind, f.Change, f.Severity = "", drift.KindInlinePolicy, drift.OpRemoved, drift.SeverityHigh
			f.Resource = "deploy|eks-read"
		}), "eksdrift HIGH drift: 111122223333 iam-inline-policy removed deploy eks-read"},
		{"pod identity", with(func(f *drift.Finding) {
			f.Kind, f.Severity, f.Resource = drift.KindPodIdentity, drift.SeverityHigh, "kube-system/aws-node"
		}), "eksdrift HIGH drift: prod pod-identity-association added kube-system/aws-node"},
		{"cross-account root", with(func(f *drift.Finding) {
			f.Kind, f.Resource = drift.KindAccessEntry, "arn:aws:iam::999999999999:root"
		}), "eksdrift CRITICAL drift: prod access-entry added 999999999999:root"},
		{"OIDC provider", with(func(f *drift.Finding) {
			f.Cluster, f.Kind, f.Severity = "", drift.KindOIDCProvider, drift.SeverityHigh
			f.Resource = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
		}), "eksdrift HIGH drift: 111122223333 iam-oidc-provider added token.actions.githubusercontent.com"},
		{"authentication mode by its mode", with(func(f *drift.Finding) {
			f.Kind, f.Change, f.Severity, f.Resource = drift.KindAuthenticationMode, drift.OpModified, drift.SeverityHigh, "authenticationMode"
			f.After = json.RawMessage(`{"authenticationMode":"API_AND_CONFIG_MAP"}`)
		}), "eksdrift HIGH drift: prod authentication-mode modified API_AND_CONFIG_MAP"},
		{"no severity", with(func(f *drift.Finding) { f.Severity = "" }),
			"eksdrift NONE drift: prod access-policy added contractor AmazonEKSClusterAdminPolicy"},
		{"control and non-ASCII characters", with(func(f *drift.Finding) {
			f.Cluster, f.Kind, f.Resource = "prod\r\nBcc: x", drift.KindPodIdentity, "équipe/sérvice\taccount"
		}), "eksdrift CRITICAL drift: prod Bcc: x pod-identity-association added ?quipe/s?rvice account"},
		{"long drift is cut", with(func(f *drift.Finding) {
			f.Cluster = strings.Repeat("c", 40)
			f.Resource = "arn:aws:iam::111122223333:role/" + strings.Repeat("r", 64) + "|" + drift.PolicyClusterAdmin
		}), "eksdrift CRITICAL drift: " + strings.Repeat("c", 40) + " access-policy added " + strings.Repeat("r", 10) + "..."},
		{"long compliant keeps its mark", with(func(f *drift.Finding) {
			f.Drift, f.Severity = false, drift.SeverityInfo
			f.Resource = "arn:aws:iam::111122223333:role/" + strings.Repeat("r", 120)
		}), "eksdrift info: prod access-policy added " + strings.Repeat("r", 99-len("eksdrift info: prod access-policy added ")-len("... (compliant)")) + "... (compliant)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := subject(tc.f)
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if len(got) > maxSubject {
				t.Errorf("length: got %d, want at most %d", len(got), maxSubject)
			}
			for i := 0; i < len(got); i++ {
				if c := got[i]; c < 0x20 || c > 0x7e {
					t.Errorf("byte %d: got %q, want printable ASCII", i, c)
				}
			}
		})
	}
}
