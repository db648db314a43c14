package eks

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// MiniStack 1.5.33 serves targetRoleArn, policy and disableSessionTags on
// pod identity associations; the reader, the scanner and the writer are
// tested on it: an attacker's target role in another account and a removed
// session policy are read, and the writer's update sets both back.
func TestPodIdentitySessionFieldsOnMiniStack(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t, awstest.Region)
	cluster := createCluster(t, c, types.AuthenticationModeApi)
	role := roleARN(t, "broker")
	target := "arn:aws:iam::444455556666:role/" + awstest.Name(t, "reader")
	outside := "arn:aws:iam::999988887777:role/" + awstest.Name(t, "exfil")
	const policy = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`
	doc, err := drift.ParsePolicyDocument(policy)
	if err != nil {
		t.Fatal(err)
	}
	on := true
	out, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
		Namespace: aws.String("data"), ServiceAccount: aws.String("reader"), RoleArn: aws.String(role),
		TargetRoleArn: aws.String(target), Policy: aws.String(policy), DisableSessionTags: aws.Bool(true)})
	if err != nil {
		t.Fatalf("CreatePodIdentityAssociation: %v", err)
	}
	id := aws.ToString(out.Association.AssociationId)
	declared := &drift.PodIdentityAssociation{Namespace: "data", ServiceAccount: "reader", RoleARN: role, TargetRoleARN: target, Policy: doc, DisableSessionTags: &on, AssociationID: id}
	ch := change(awstest.Region, cluster, drift.OpModified, &drift.PodIdentityAssociation{Namespace: "data", ServiceAccount: "reader"})
	observe := func(t *testing.T, want *drift.PodIdentityAssociation) {
		t.Helper()
		obs, err := r.Observe(ctx, ch)
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		got, _ := obs.Resource.(*drift.PodIdentityAssociation)
		if got == nil || got.RoleARN != want.RoleARN || got.TargetRoleARN != want.TargetRoleARN || !got.Policy.Equal(want.Policy) ||
			got.SessionTagsDisabled() != want.SessionTagsDisabled() || got.AssociationID != id {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	t.Run("read as created", func(t *testing.T) { observe(t, declared) })

	// The attack: the target role moves to an outside account, the session
	// policy is widened and session tags come back. (MiniStack, like EKS's
	// documentation, has no way to take a policy away by update.)
	const wide = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	wideDoc, err := drift.ParsePolicyDocument(wide)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id),
		TargetRoleArn: aws.String(outside), Policy: aws.String(wide), DisableSessionTags: aws.Bool(false)}); err != nil {
		t.Fatalf("UpdatePodIdentityAssociation: %v", err)
	}
	attacked := &drift.PodIdentityAssociation{Namespace: "data", ServiceAccount: "reader", RoleARN: role, TargetRoleARN: outside, Policy: wideDoc, AssociationID: id}
	t.Run("read after the attack", func(t *testing.T) { observe(t, attacked) })
	t.Run("scanned after the attack", func(t *testing.T) {
		st, err := NewScanner(awstest.Config(t), 2).ScanCluster(ctx, awstest.Region, cluster)
		if err != nil {
			t.Fatal(err)
		}
		got := st.PodIdentityAssociations
		if len(got) != 1 || got[0].TargetRoleARN != outside || !got[0].Policy.Equal(wideDoc) || got[0].SessionTagsDisabled() || got[0].AssociationID != id {
			t.Errorf("got %+v, want %+v", got, attacked)
		}
	})

	t.Run("the writer's update sets every field back", func(t *testing.T) {
		w := NewWriter(awstest.Config(t))
		if err := w.Apply(ctx, drift.Operation{Action: drift.ActUpdatePodIdentityAssociation, Region: awstest.Region, Cluster: cluster, Resource: declared}); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		observe(t, declared)
	})
}
