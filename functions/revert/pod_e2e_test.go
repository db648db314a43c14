package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The session fields of a pod identity association, end to end: the
// baseline (events/baseline.yaml) declares data/reader with a target role in
// 444455556666, a session policy and session tags off. An attacker points
// the target role at an outside account, or the policy goes; the detector
// hears of it, the finding reaches the reverter, and the reverter's
// UpdatePodIdentityAssociation sets the association back on MiniStack.

const (
	dataBroker    = "arn:aws:iam::111122223333:role/data-broker"
	dataReader    = "arn:aws:iam::444455556666:role/data-reader"
	outsideTarget = "arn:aws:iam::999988887777:role/exfil"
	sessionPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::analytics-data","arn:aws:s3:::analytics-data/*"]}]}`
	widePolicy    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
)

// readerState describes data/reader on prod: its roles, its session policy
// by meaning, and its session tags.
func (w *world) readerState(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	pods, err := w.EKS.ListPodIdentityAssociations(ctx, &awseks.ListPodIdentityAssociationsInput{ClusterName: aws.String("prod"), Namespace: aws.String("data"), ServiceAccount: aws.String("reader")})
	must(t, err)
	if len(pods.Associations) != 1 {
		return fmt.Sprintf("%d associations", len(pods.Associations))
	}
	d, err := w.EKS.DescribePodIdentityAssociation(ctx, &awseks.DescribePodIdentityAssociationInput{ClusterName: aws.String("prod"), AssociationId: pods.Associations[0].AssociationId})
	must(t, err)
	a := d.Association
	policy := "none"
	if p := aws.ToString(a.Policy); p != "" {
		doc, err := drift.ParsePolicyDocument(p)
		must(t, err)
		policy = doc.String()
	}
	return fmt.Sprintf("role=%s target=%s policy=%s tagsOff=%v", aws.ToString(a.RoleArn), aws.ToString(a.TargetRoleArn), policy, aws.ToBool(a.DisableSessionTags))
}

func TestDetectThenRevertPodIdentitySessionFields(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	prod := aws.String("prod")
	declared, err := drift.ParsePolicyDocument(sessionPolicy)
	must(t, err)
	want := fmt.Sprintf("role=%s target=%s policy=%s tagsOff=true", dataBroker, dataReader, declared.String())
	create := func(target, policy string) {
		in := &awseks.CreatePodIdentityAssociationInput{ClusterName: prod, Namespace: aws.String("data"), ServiceAccount: aws.String("reader"),
			RoleArn: aws.String(dataBroker), TargetRoleArn: aws.String(target), DisableSessionTags: aws.Bool(true)}
		if policy != "" {
			in.Policy = aws.String(policy)
		}
		must(t, err2(w.EKS.CreatePodIdentityAssociation(ctx, in)))
	}
	cases := []struct {
		sample   string
		drift    func()
		severity drift.Severity
	}{
		{"eks-create-pod-identity-association-cross-account-target.json", func() { create(outsideTarget, widePolicy) }, drift.SeverityCritical},
		{"eks-update-pod-identity-association-removes-session-policy.json", func() { create(dataReader, "") }, drift.SeverityHigh},
	}
	for _, c := range cases {
		t.Run(c.sample, func(t *testing.T) {
			w.resetCluster(t)
			c.drift()
			if got := w.readerState(t); got == want {
				t.Fatal("the drift did not change anything")
			}
			found := w.deliver(t, inOrder(sample(t, c.sample)))
			if len(found) != 1 || found[0].Severity != c.severity || found[0].Decision != drift.DecisionRevert {
				t.Fatalf("got %d findings %+v, want one %s revert", len(found), found, c.severity)
			}
			if got := w.readerState(t); got != want {
				t.Errorf("data/reader after the revert: got %s, want %s", got, want)
			}
			stored, ok, err := w.History.Get(ctx, found[0].ID())
			must(t, err)
			if !ok || stored.Outcome == nil || stored.Outcome.Result != drift.ResultReverted {
				t.Errorf("history outcome of %s: got %+v, want reverted", found[0].ID(), stored.Outcome)
			}
		})
	}
}
