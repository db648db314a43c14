package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

const (
	contractor = "arn:aws:iam::111122223333:role/contractor"
	developers = "arn:aws:iam::111122223333:role/developers"
)

// goldenOf gives a sample's golden findings, renamed to a new event ID.
func goldenOf(t *testing.T, sample, eventID string) []drift.Finding {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.root, "internal", "replay", "testdata", "golden", strings.TrimSuffix(sample, ".json")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for i := range g.Findings {
		g.Findings[i].EventID = eventID
	}
	return g.Findings
}

// reverted puts a fresh copy of sample on the bus and waits for the
// reverter's outcome of its one finding; it checks the finding, the
// outcome message and the history, and gives the outcome.
func reverted(t *testing.T, s *stack, sample string) (drift.Finding, *drift.Outcome) {
	t.Helper()
	ctx := context.Background()
	ev, id := fresh(t, sample)
	want := goldenOf(t, sample, id)
	if len(want) != 1 {
		t.Fatalf("sample %s has %d findings, want 1", sample, len(want))
	}
	fid := want[0].ID()
	sent, err := s.putEvent(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := s.awaitFindings(t, []string{fid}, "finding", 60*time.Second)[fid]
	if !ok {
		t.Fatalf("no finding %s", fid)
	}
	if f.Finding.Decision != drift.DecisionRevert || f.Attrs["decision"] != "revert" {
		t.Fatalf("got decision %s (reason %q), want revert", f.Finding.Decision, f.Finding.Reason)
	}
	o, ok := s.awaitFindings(t, []string{fid}, "outcome", 90*time.Second)[fid]
	if !ok {
		t.Fatalf("no outcome for %s on the findings topic", fid)
	}
	latencies.add("scenario 2: PutEvents to outcome", o.Received.Sub(sent))
	if o.Outcome.FindingID != fid || o.Attrs["result"] != o.Outcome.Result.Result {
		t.Errorf("got outcome %s with attribute result %s, want finding %s and result %s", o.Outcome.FindingID, o.Attrs["result"], fid, o.Outcome.Result.Result)
	}
	reverter := s.roleARN(t, "Reverter/Role/Resource")
	if o.Outcome.Result.By == "" || !strings.Contains(o.Outcome.Result.By, reverter[strings.LastIndex(reverter, "/")+1:]) {
		t.Errorf("got outcome by %q, want the reverter's role %s", o.Outcome.Result.By, reverter)
	}
	stored, found, err := s.history.Get(ctx, fid)
	if err != nil || !found {
		t.Fatalf("history %s: found %v, error %v", fid, found, err)
	}
	if stored.Outcome == nil || stored.Outcome.Result != o.Outcome.Result.Result {
		t.Errorf("got history outcome %+v, want result %s", stored.Outcome, o.Outcome.Result.Result)
	}
	// The outcome reaches people too, worded by internal/notice.
	label := notice.ResultLabel(o.Outcome.Result)
	if _, ok := s.slack.await(30*time.Second, id, label); !ok {
		t.Errorf("no Slack post names event %s with %q", id, label)
	}
	return f.Finding, o.Outcome
}

// TestRevertMode is scenario 2: the deployed reverter, under its own role,
// undoes drift the detector found, and says so.
func revertScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()

	t.Run("undeclared cluster-admin is removed", func(t *testing.T) {
		// The drift, for real, then the event that reports it.
		must(t, err2(s.eks.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})))
		must(t, err2(s.eks.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor),
			PolicyArn: aws.String(drift.PolicyClusterAdmin), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})))
		_, o := reverted(t, s, "eks-associate-access-policy-cluster-admin.json")
		if o.Result.Result != drift.ResultReverted {
			t.Fatalf("got result %s (%s %s), want reverted", o.Result.Result, o.Result.Error, o.Result.Reason)
		}
		live, err := s.eks.ListAssociatedAccessPolicies(ctx, &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})
		if err == nil {
			for _, ap := range live.AssociatedAccessPolicies {
				if aws.ToString(ap.PolicyArn) == drift.PolicyClusterAdmin {
					t.Errorf("contractor still has %s on prod after the revert", drift.PolicyClusterAdmin)
				}
			}
		}
		s.eks.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})
	})

	// The declared entry of developers holds AmazonEKSEditPolicy (in
	// namespace app). Edit is rated critical (it impersonates kube-system's
	// service accounts), and the reverter never grants a critical access
	// policy at any scope unless allowGrantingAdmin is set: the stack's
	// condition keys cannot tell a namespace list that reaches kube-system
	// from one that does not. So the deployed reverter holds the whole
	// revert back and says what to restore by hand; nothing is recreated.
	t.Run("declared entry with a critical policy deleted is held back", func(t *testing.T) {
		must(t, err2(s.eks.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(developers)})))
		_, o := reverted(t, s, "eks-delete-access-entry-declared.json")
		if o.Result.Result != drift.ResultHeldBack || !strings.Contains(o.Result.Reason, drift.PolicyEdit) || !strings.Contains(o.Result.Reason, "allowGrantingAdmin") {
			t.Fatalf("got result %s (%s %s), want held back naming %s and allowGrantingAdmin", o.Result.Result, o.Result.Error, o.Result.Reason, drift.PolicyEdit)
		}
		if _, err := s.eks.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(developers)}); err == nil {
			t.Error("developers' entry was recreated: the reverter granted a critical access policy")
		}
		// Restored by hand, as the outcome says, for the scenarios after.
		must(t, err2(s.eks.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(developers), KubernetesGroups: []string{"dev"}})))
		must(t, err2(s.eks.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(developers),
			PolicyArn: aws.String(drift.PolicyEdit), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"app"}}})))
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func err2[T any](_ T, err error) error { return err }
