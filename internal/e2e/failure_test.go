package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// poisonScenario is scenario 4's first half: an event the detector cannot
// read is kept, with its reason, in the detector's dead-letter queue.
func poisonScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	{
		// A watched call the rule lets through, whose record names no
		// cluster: the detector cannot read it, retrying will not help.
		id := uuid()
		detail := fmt.Sprintf(`{"eventVersion":"1.11","eventSource":"eks.amazonaws.com","eventName":"CreateAccessEntry","awsRegion":%q,"eventID":%q,
			"eventTime":"2026-10-03T13:06:58Z","userIdentity":{"type":"Root","arn":"arn:aws:iam::%s:root","accountId":%q},
			"requestParameters":{},"responseElements":{},"readOnly":false,"eventType":"AwsApiCall","recipientAccountId":%q}`, region, id, account, account, account)
		ev := fmt.Appendf(nil, `{"source":"aws.eks","detail-type":"AWS API Call via CloudTrail","resources":[],"detail":%s}`, detail)
		if _, err := s.putEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		dlq := s.queueURL(t, "Detector/DeadLetters/Resource")
		// Lambda retries an asynchronous invocation twice before the
		// dead-letter queue (MiniStack spaces the retries 1 s and 2 s).
		var found bool
		for deadline := time.Now().Add(60 * time.Second); !found && time.Now().Before(deadline); {
			for _, m := range s.drain(t, dlq, 2*time.Second) {
				all := aws.ToString(m.Body)
				for _, a := range m.MessageAttributes {
					all += " " + aws.ToString(a.StringValue)
				}
				if !strings.Contains(all, id) {
					continue
				}
				found = true
				// AWS puts the reason in the ErrorMessage attribute;
				// MiniStack sends the Destinations envelope, whose
				// responsePayload holds the function's error.
				if !strings.Contains(all, "malformed event") || !strings.Contains(all, "no cluster name") {
					t.Errorf("got dead letter %s with attributes %v, want the reason (malformed event: ... no cluster name)", aws.ToString(m.Body), m.MessageAttributes)
				}
			}
		}
		if !found {
			qs, _ := s.sqs.ListQueues(ctx, &awssqs.ListQueuesInput{})
			for _, q := range qs.QueueUrls {
				a, _ := s.sqs.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(q), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
				if a != nil {
					t.Logf("queue %s: %v", q, a.Attributes)
				}
			}
			t.Fatalf("event %s is not in the detector's dead-letter queue %s", id, dlq)
		}
		if _, found, _ := s.history.Get(ctx, id+"#access-entry#prod#"); found {
			t.Error("the poisoned event was recorded")
		}
	}
}

// badBaselineScenario is scenario 4's second half: a baseline that cannot
// be used gives alert-only findings and no revert. It runs last: the
// detector revalidates its cached baseline at most once a minute
// (EKSDRIFT_BASELINE_REVALIDATE), so it probes with a compliant sample
// until the new version is in use, and the baseline is restored after.
func badBaselineScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	{
		body, err := os.ReadFile(filepath.Join(p.root, "events", "baseline.yaml"))
		must(t, err)
		t.Cleanup(func() {
			if _, err := s.uploadBaseline(ctx, body); err != nil {
				t.Errorf("restoring the baseline: %v", err)
			}
			s.eks.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})
		})
		if _, err := s.uploadBaseline(ctx, []byte("version: 1\nclusters:\n  - name: prod\n    acount: x\n")); err != nil {
			t.Fatal(err)
		}
		s.awaitUnjudged(t, 90*time.Second)
		must(t, err2(s.eks.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})))
		must(t, err2(s.eks.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor),
			PolicyArn: aws.String(drift.PolicyClusterAdmin), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})))
		sample := "eks-associate-access-policy-cluster-admin.json"
		ev, id := fresh(t, sample)
		fid := goldenOf(t, sample, id)[0].ID()
		if _, err := s.putEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		m, ok := s.awaitFindings(t, []string{fid}, "finding", 60*time.Second)[fid]
		if !ok {
			t.Fatalf("no finding %s", fid)
		}
		f := m.Finding
		if f.Decision != drift.DecisionAlert || !f.Drift || !strings.HasPrefix(f.Reason, "not judged: ") || !strings.Contains(f.Reason, "baseline.yaml:4") {
			t.Errorf("got decision %s drift %v reason %q, want an unjudged alert naming baseline.yaml:4", f.Decision, f.Drift, f.Reason)
		}
		if m.Attrs["decision"] != "alert" {
			t.Errorf("got decision attribute %s, want alert", m.Attrs["decision"])
		}
		if _, ok := s.slack.await(30*time.Second, id); !ok {
			t.Errorf("no Slack post names event %s", id)
		}
		// No revert: no outcome comes, and the drift is still live.
		if o, ok := s.awaitFindings(t, []string{fid}, "outcome", 8*time.Second)[fid]; ok {
			t.Errorf("got outcome %+v, want none", o.Outcome.Result)
		}
		aps, err := s.eks.ListAssociatedAccessPolicies(ctx, &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})
		if err != nil || len(aps.AssociatedAccessPolicies) != 1 {
			t.Errorf("got %+v (error %v), want contractor's cluster-admin still there", aps, err)
		}
	}
}

// awaitUnjudged puts fresh copies of a compliant sample on the bus until
// the detector records one unjudged: it then uses the baseline just put.
func (s *stack) awaitUnjudged(t *testing.T, wait time.Duration) {
	t.Helper()
	sample := "eks-create-access-entry-declared.json"
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
		ev, id := fresh(t, sample)
		fid := goldenOf(t, sample, id)[0].ID()
		if _, err := s.putEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		if m, ok := s.awaitFindings(t, []string{fid}, "finding", 20*time.Second)[fid]; ok && strings.HasPrefix(m.Finding.Reason, "not judged: ") {
			return
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("the detector did not take up the new baseline within %s", wait)
}

// reconcileScenario is scenario 5: the reconcile function, invoked with
// the event its schedule sends, records drift no event reported.
func reconcileScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	shadow := "arn:aws:iam::111122223333:role/e2e-shadow"
	must(t, s.createRole(ctx, drift.RoleBaseline{ARN: shadow}))
	// Behind eksdrift's back: no event is put on the bus.
	must(t, err2(s.eks.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("staging"), PrincipalArn: aws.String(shadow)})))
	t.Cleanup(func() {
		s.eks.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String("staging"), PrincipalArn: aws.String(shadow)})
	})

	fn := s.out["ReconcileFunction"]
	if fn == "" {
		t.Fatal("the stack has no ReconcileFunction output")
	}
	now := time.Now().UTC()
	event := fmt.Appendf(nil, `{"version":"0","id":%q,"detail-type":"Scheduled Event","source":"aws.events","account":%q,"time":%q,"region":%q,"resources":[%q],"detail":{}}`,
		uuid(), account, now.Format(time.RFC3339), region, fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", region, account, s.res["Reconciler/Schedule/Resource"]))
	// Synchronously, to know when the sweep is over; the payload is the
	// schedule's.
	out, err := s.lambda.Invoke(ctx, &awslambda.InvokeInput{FunctionName: aws.String(fn), Payload: event, InvocationType: lambdatypes.InvocationTypeRequestResponse})
	if err != nil {
		t.Fatalf("invoking %s: %v", fn, err)
	}
	if out.FunctionError != nil {
		t.Fatalf("the sweep failed: %s: %s", aws.ToString(out.FunctionError), out.Payload)
	}

	found, err := s.history.Query(ctx, drift.HistoryQuery{Cluster: "staging"})
	must(t, err)
	var sweep *drift.Finding
	for i, f := range found {
		if f.DetectedBy == drift.DetectedBySweep && f.Principal == shadow && f.Kind == drift.KindAccessEntry {
			sweep = &found[i]
		}
	}
	if sweep == nil {
		b, _ := json.Marshal(found)
		t.Fatalf("no sweep finding for %s on staging in the history: %s", shadow, b)
	}
	if !sweep.Drift || sweep.Change != drift.OpAdded || sweep.Decision != drift.DecisionAlert {
		t.Errorf("got drift %v change %s decision %s, want drift, added, alert (staging is alert-only)", sweep.Drift, sweep.Change, sweep.Decision)
	}
	if m, ok := s.awaitFindings(t, []string{sweep.ID()}, "finding", 30*time.Second)[sweep.ID()]; !ok {
		t.Errorf("the sweep finding %s was not published", sweep.ID())
	} else if m.Finding.DetectedBy != drift.DetectedBySweep {
		t.Errorf("got detectedBy %s on the topic, want sweep", m.Finding.DetectedBy)
	}
}
