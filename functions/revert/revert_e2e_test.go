package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// The end-to-end tests run the detector and then the reverter, both real
// bootstraps under the runtime emulator, against MiniStack: the drift is
// made with the SDK, the detector hears of it through the sample event,
// the finding travels through SNS to the reverter's SQS queue (filtered on
// the decision), and the reverter's invocation is that queue's message.

func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

const (
	reverterRole = "arn:aws:iam::111122223333:role/eksdrift-revert"
	developers   = "arn:aws:iam::111122223333:role/developers"
	platform     = "arn:aws:iam::111122223333:role/platform/platform-admin"
	contractor   = "arn:aws:iam::111122223333:role/contractor"
	appAPI       = "arn:aws:iam::111122223333:role/app-api"
	clusterAdmin = drift.PolicyClusterAdmin
	edit         = drift.PolicyEdit
)

type world struct {
	*stacktest.World
	revertQ          string
	detector, revert *lambdatest.Function
	iam              *awsiam.Client
}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", name))
	must(t, err)
	return b
}

// setup builds the sample baseline's world, with cluster prod and role
// app-api as the baseline declares them, and starts both functions.
func setup(t testing.TB) *world {
	t.Helper()
	w := &world{World: stacktest.New(t, sample(t, "baseline.yaml"))}
	w.revertQ = w.Subscribe(t, `{"messageType":["finding"],"decision":["revert","dry-run"]}`)
	w.iam = awsiam.NewFromConfig(w.Config)
	w.CreateCluster(t, "prod")
	w.resetCluster(t)
	ctx := context.Background()
	_, err := w.iam.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("app-api"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`),
		PermissionsBoundary:      aws.String("arn:aws:iam::111122223333:policy/workload-boundary")})
	if err != nil && !strings.Contains(err.Error(), "EntityAlreadyExists") {
		t.Fatal(err)
	}
	w.Env[config.EnvReverterRoleARN] = reverterRole
	w.Env[config.EnvRevertBackoff] = "10ms"
	// The baseline was uploaded a moment ago: without this, every restore
	// would wait out the hold-down (tested in internal/revert). The world's
	// baseline declares a cluster-admin that the tests restore.
	w.Env[config.EnvBaselineHoldDown] = "0s"
	w.Env[config.EnvAllowGrantingAdmin] = "true"
	// Every case reverts on prod; the breaker has its own test.
	w.Env[config.EnvBreakerLimit] = "1000"
	w.detector = lambdatest.Start(t, lambdatest.Build(t, "./functions/detect"), w.Env)
	w.revert = lambdatest.Start(t, lambdatest.Build(t, "./functions/revert"), w.Env)
	return w
}

// resetCluster makes prod's access exactly what the baseline declares.
func (w *world) resetCluster(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	prod := aws.String("prod")
	list, err := w.EKS.ListAccessEntries(ctx, &awseks.ListAccessEntriesInput{ClusterName: prod})
	must(t, err)
	for _, p := range list.AccessEntries {
		must(t, err2(w.EKS.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(p)})))
	}
	pods, err := w.EKS.ListPodIdentityAssociations(ctx, &awseks.ListPodIdentityAssociationsInput{ClusterName: prod})
	must(t, err)
	for _, a := range pods.Associations {
		must(t, err2(w.EKS.DeletePodIdentityAssociation(ctx, &awseks.DeletePodIdentityAssociationInput{ClusterName: prod, AssociationId: a.AssociationId})))
	}
	must(t, err2(w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(developers), KubernetesGroups: []string{"dev"}})))
	must(t, err2(w.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: prod, PrincipalArn: aws.String(developers), PolicyArn: aws.String(edit),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"app"}}})))
	must(t, err2(w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(platform)})))
	must(t, err2(w.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: prod, PrincipalArn: aws.String(platform), PolicyArn: aws.String(clusterAdmin),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})))
	must(t, err2(w.EKS.CreatePodIdentityAssociation(ctx, &awseks.CreatePodIdentityAssociationInput{ClusterName: prod, Namespace: aws.String("app"),
		ServiceAccount: aws.String("api"), RoleArn: aws.String(appAPI)})))
}

// clusterState describes prod's access as sorted lines.
func (w *world) clusterState(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	prod := aws.String("prod")
	var lines []string
	list, err := w.EKS.ListAccessEntries(ctx, &awseks.ListAccessEntriesInput{ClusterName: prod})
	must(t, err)
	for _, p := range list.AccessEntries {
		d, err := w.EKS.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(p)})
		must(t, err)
		groups := slices.Clone(d.AccessEntry.KubernetesGroups)
		slices.Sort(groups)
		lines = append(lines, fmt.Sprintf("entry %s %v", p, groups))
		pols, err := w.EKS.ListAssociatedAccessPolicies(ctx, &awseks.ListAssociatedAccessPoliciesInput{ClusterName: prod, PrincipalArn: aws.String(p)})
		must(t, err)
		for _, ap := range pols.AssociatedAccessPolicies {
			lines = append(lines, fmt.Sprintf("policy %s %s %s%v", p, aws.ToString(ap.PolicyArn), ap.AccessScope.Type, ap.AccessScope.Namespaces))
		}
	}
	pods, err := w.EKS.ListPodIdentityAssociations(ctx, &awseks.ListPodIdentityAssociationsInput{ClusterName: prod})
	must(t, err)
	for _, a := range pods.Associations {
		d, err := w.EKS.DescribePodIdentityAssociation(ctx, &awseks.DescribePodIdentityAssociationInput{ClusterName: prod, AssociationId: a.AssociationId})
		must(t, err)
		lines = append(lines, fmt.Sprintf("pod %s/%s %s", aws.ToString(a.Namespace), aws.ToString(a.ServiceAccount), aws.ToString(d.Association.RoleArn)))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// roleState describes app-api's inline policies and boundary.
func (w *world) roleState(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	r, err := w.iam.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("app-api")})
	must(t, err)
	inline, err := w.iam.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: aws.String("app-api")})
	must(t, err)
	boundary := ""
	if r.Role.PermissionsBoundary != nil {
		boundary = aws.ToString(r.Role.PermissionsBoundary.PermissionsBoundaryArn)
	}
	return fmt.Sprintf("boundary=%s inline=%v", boundary, inline.PolicyNames)
}

// deliver runs the detector on an event and, for each finding that reached
// the reverter's queue, runs the reverter on that message.
func (w *world) deliver(t testing.TB, event []byte) []drift.Finding {
	t.Helper()
	return w.deliverN(t, event, 0)
}

// deliverN is deliver when n findings are expected: it stops waiting for
// the queue once they have come (0: wait until the queue is quiet).
func (w *world) deliverN(t testing.TB, event []byte, n int) []drift.Finding {
	t.Helper()
	if r := w.detector.Invoke(t, event); r.Error != "" {
		t.Fatalf("detector: %s", r.Error)
	}
	var msgs []sqstypes.Message
	if n > 0 {
		msgs = w.ReceiveN(t, w.revertQ, n, 5*time.Second)
	} else {
		msgs = w.Receive(t, w.revertQ, 3*time.Second)
	}
	var found []drift.Finding
	for _, m := range msgs {
		var f drift.Finding
		must(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &f))
		found = append(found, f)
		sqsEvent, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)}}})
		r := w.revert.Invoke(t, sqsEvent)
		if r.Error != "" || strings.Contains(string(r.Body), "itemIdentifier") {
			t.Fatalf("reverter: %s %s", r.Error, r.Body)
		}
	}
	return found
}

func TestDetectThenRevertEveryKind(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	prod := aws.String("prod")
	want := w.clusterState(t)
	wantRole := w.roleState(t)
	cases := []struct {
		sample string
		drift  func()
	}{
		{"eks-create-access-entry-undeclared-role.json", func() {
			must(t, err2(w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(contractor), KubernetesGroups: []string{"viewers"}})))
		}},
		{"eks-associate-access-policy-cluster-admin.json", func() {
			must(t, err2(w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(contractor)})))
			must(t, err2(w.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: prod, PrincipalArn: aws.String(contractor), PolicyArn: aws.String(clusterAdmin),
				AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})))
		}},
		{"eks-update-access-entry-adds-group.json", func() {
			must(t, err2(w.EKS.UpdateAccessEntry(ctx, &awseks.UpdateAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(developers), KubernetesGroups: []string{"dev", "cluster-admins"}})))
		}},
		{"eks-associate-access-policy-scope-widened.json", func() {
			must(t, err2(w.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: prod, PrincipalArn: aws.String(developers), PolicyArn: aws.String(edit),
				AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})))
		}},
		{"eks-delete-access-entry-declared.json", func() {
			must(t, err2(w.EKS.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: prod, PrincipalArn: aws.String(developers)})))
		}},
		{"eks-disassociate-access-policy-url-encoded.json", func() {
			must(t, err2(w.EKS.DisassociateAccessPolicy(ctx, &awseks.DisassociateAccessPolicyInput{ClusterName: prod, PrincipalArn: aws.String(platform), PolicyArn: aws.String(clusterAdmin)})))
		}},
		{"eks-create-pod-identity-association-undeclared.json", func() {
			must(t, err2(w.EKS.CreatePodIdentityAssociation(ctx, &awseks.CreatePodIdentityAssociationInput{ClusterName: prod, Namespace: aws.String("kube-system"),
				ServiceAccount: aws.String("debug"), RoleArn: aws.String(platform)})))
		}},
		{"eks-update-pod-identity-association.json", func() {
			pods, err := w.EKS.ListPodIdentityAssociations(ctx, &awseks.ListPodIdentityAssociationsInput{ClusterName: prod, Namespace: aws.String("app"), ServiceAccount: aws.String("api")})
			must(t, err)
			must(t, err2(w.EKS.UpdatePodIdentityAssociation(ctx, &awseks.UpdatePodIdentityAssociationInput{ClusterName: prod, AssociationId: pods.Associations[0].AssociationId, RoleArn: aws.String(platform)})))
		}},
		{"eks-delete-pod-identity-association.json", func() {
			pods, err := w.EKS.ListPodIdentityAssociations(ctx, &awseks.ListPodIdentityAssociationsInput{ClusterName: prod, Namespace: aws.String("app"), ServiceAccount: aws.String("api")})
			must(t, err)
			must(t, err2(w.EKS.DeletePodIdentityAssociation(ctx, &awseks.DeletePodIdentityAssociationInput{ClusterName: prod, AssociationId: pods.Associations[0].AssociationId})))
		}},
		{"iam-put-role-policy-admin-inline.json", func() {
			must(t, err2(w.iam.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("app-api"), PolicyName: aws.String("debug"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})))
		}},
		{"iam-delete-role-permissions-boundary.json", func() {
			must(t, err2(w.iam.DeleteRolePermissionsBoundary(ctx, &awsiam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app-api")})))
		}},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.sample, ".json"), func(t *testing.T) {
			c.drift()
			if w.clusterState(t) == want && w.roleState(t) == wantRole {
				t.Fatal("the drift did not change anything")
			}
			found := w.deliver(t, inOrder(sample(t, c.sample)))
			if c.sample == "eks-associate-access-policy-cluster-admin.json" {
				// The entry's own event comes too, so both are undone.
				// A new event: the sample's own was delivered by the first case.
				found = append(found, w.deliver(t, inOrder(withNewID(t, sample(t, "eks-create-access-entry-undeclared-role.json"))))...)
			}
			if len(found) == 0 {
				t.Fatal("no finding reached the reverter")
			}
			if got := w.clusterState(t); got != want {
				t.Errorf("cluster after the revert:\n%s\nwant\n%s", got, want)
			}
			if got := w.roleState(t); got != wantRole {
				t.Errorf("role after the revert: %s, want %s", got, wantRole)
			}
			for _, f := range found {
				stored, ok, err := w.History.Get(ctx, f.ID())
				must(t, err)
				if !ok || stored.Outcome == nil || (stored.Outcome.Result != drift.ResultReverted && stored.Outcome.Result != drift.ResultAlreadyCompliant) {
					t.Errorf("history outcome of %s: %+v", f.ID(), stored.Outcome)
				}
			}
		})
	}
}

func TestReverterOwnEventsAreRemediation(t *testing.T) {
	w := setup(t)
	// The reverter's DeleteAccessEntry comes back through CloudTrail.
	event := sample(t, "eks-delete-access-entry-declared.json")
	event = bytes.ReplaceAll(event, []byte("arn:aws:iam::111122223333:user/bob"), []byte("arn:aws:sts::111122223333:assumed-role/eksdrift-revert/revert"))
	event = bytes.Replace(event, []byte(`"type": "IAMUser"`), []byte(`"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "`+reverterRole+`"}}`), 1)
	if found := w.deliver(t, event); len(found) != 0 {
		t.Errorf("the reverter's own change reached the reverter: %+v", found)
	}
	id := stacktest.EventID(t, event) + "#access-entry#prod#" + developers
	f, ok, err := w.History.Get(context.Background(), id)
	must(t, err)
	if !ok || f.Decision != drift.DecisionRemediation {
		t.Errorf("got found=%v decision=%s (%s), want remediation", ok, f.Decision, f.Reason)
	}
}

// TestReverterLogsTheBaselineItLoads checks the reverter says, as the
// detector and the sweep do, which baseline it loaded, and counts the
// reload: it used to load it silently.
func TestReverterLogsTheBaselineItLoads(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	must(t, err2(w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor), KubernetesGroups: []string{"viewers"}})))
	if found := w.deliver(t, inOrder(withNewID(t, sample(t, "eks-create-access-entry-undeclared-role.json")))); len(found) == 0 {
		t.Fatal("no finding reached the reverter")
	}
	uri := "s3://" + w.Env[config.EnvBaselineBucket] + "/" + w.Env[config.EnvBaselineKey]
	// The emulator answers before it has copied every line the function
	// printed; the metrics line comes last.
	metricsLogged := w.revert.LogsContain(`"`+metrics.BaselineReloads+`"`, 5*time.Second)
	var loaded string
	for _, l := range strings.Split(w.revert.Logs(), "\n") {
		if strings.Contains(l, "baseline loaded") {
			loaded = l
		}
	}
	if !strings.Contains(loaded, uri) {
		t.Errorf("reverter's log: got %q, want a line \"baseline loaded\" naming %s", loaded, uri)
	}
	if !metricsLogged {
		t.Errorf("reverter's metrics: got no %s, want one", metrics.BaselineReloads)
	}
}

var idCount int

var (
	eventTime = regexp.MustCompile(`"eventTime": *"[^"]+"`)
	lastEvent = time.Now().UTC().Truncate(time.Second)
)

// inOrder dates a sample after every sample delivered before it, as the
// drift each case makes happens after the previous case's: the reverter
// lets newer changes to a resource win over older findings, and the samples'
// own times are in no such order.
func inOrder(event []byte) []byte {
	lastEvent = lastEvent.Add(time.Second)
	return eventTime.ReplaceAll(event, []byte(`"eventTime": "`+lastEvent.Format(time.RFC3339)+`"`))
}

// withNewID gives a sample a new, unique CloudTrail event id.
func withNewID(t testing.TB, event []byte) []byte {
	idCount++
	id := stacktest.EventID(t, event)
	return bytes.Replace(event, []byte(id), []byte(fmt.Sprintf("%s-%05d", id[:len(id)-6], idCount)), 1)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func err2[T any](_ T, err error) error { return err }

// TestUserDriftIsReverted: release-bot (iamUsers, mode revert) gets a new
// access key, a console password, AdministratorAccess and a group on
// MiniStack's IAM; each event goes through the detector and the reverter,
// which deactivate the key (never delete it) and take the rest away.
func TestUserDriftIsReverted(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	user := aws.String("release-bot")
	_, err := w.iam.CreateUser(ctx, &awsiam.CreateUserInput{UserName: user})
	must(t, err)
	key, err := w.iam.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: user})
	must(t, err)
	id := aws.ToString(key.AccessKey.AccessKeyId)
	must(t, err2(w.iam.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: user, Password: aws.String("Correct-Horse-9")})))
	must(t, err2(w.iam.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: user, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})))
	must(t, err2(w.iam.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("admins")})))
	must(t, err2(w.iam.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{UserName: user, GroupName: aws.String("admins")})))

	for _, s := range []string{"iam-create-access-key-cluster-admin-user.json", "iam-create-login-profile-cluster-admin-user.json",
		"iam-attach-user-policy-administrator-access.json", "iam-add-user-to-group-undeclared.json"} {
		ev := bytes.ReplaceAll(sample(t, s), []byte("AKIARZ7QF3D5RBNEWKEY"), []byte(id))
		found := w.deliverN(t, inOrder(ev), 1)
		if len(found) != 1 {
			t.Fatalf("%s: got %d findings at the reverter, want 1", s, len(found))
		}
		stored, ok, err := w.History.Get(ctx, found[0].ID())
		must(t, err)
		if !ok || stored.Outcome == nil || stored.Outcome.Result != drift.ResultReverted {
			t.Errorf("%s: got outcome %+v, want reverted", s, stored.Outcome)
		}
	}
	keys, err := w.iam.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: user})
	must(t, err)
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].Status != "Inactive" {
		t.Errorf("got keys %+v, want the one key kept and inactive", keys.AccessKeyMetadata)
	}
	if _, err := w.iam.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: user}); err == nil {
		t.Error("got a login profile, want it deleted")
	}
	attached, err := w.iam.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: user})
	must(t, err)
	groups, err := w.iam.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: user})
	must(t, err)
	if len(attached.AttachedPolicies) != 0 || len(groups.Groups) != 0 {
		t.Errorf("got policies %v and groups %v, want none", attached.AttachedPolicies, groups.Groups)
	}
}
