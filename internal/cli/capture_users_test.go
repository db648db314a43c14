package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
)

// serviceCredentials stands in for ListServiceSpecificCredentials, which
// MiniStack 1.5.33 does not serve ("Unknown IAM action"), in front of the
// emulator's IAM: every other call is passed to MiniStack as it came.
type serviceCredentials struct {
	mu    sync.Mutex
	creds map[string][]iamtypes.ServiceSpecificCredentialMetadata // by user name
	next  http.Handler
}

func newServiceCredentials(t *testing.T) *serviceCredentials {
	u, err := url.Parse(awstest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	return &serviceCredentials{creds: map[string][]iamtypes.ServiceSpecificCredentialMetadata{}, next: httputil.NewSingleHostReverseProxy(u)}
}

func (s *serviceCredentials) add(user, id string, status iamtypes.StatusType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds[user] = append(s.creds[user], iamtypes.ServiceSpecificCredentialMetadata{ServiceSpecificCredentialId: aws.String(id), Status: status})
}

func (s *serviceCredentials) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") != "ListServiceSpecificCredentials" {
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.next.ServeHTTP(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var members strings.Builder
	for _, c := range s.creds[form.Get("UserName")] {
		fmt.Fprintf(&members, "<member><UserName>%[1]s</UserName><Status>%[2]s</Status><ServiceUserName>%[1]s-at-000000000000</ServiceUserName>"+
			"<CreateDate>2026-11-01T00:00:00Z</CreateDate><ServiceSpecificCredentialId>%[3]s</ServiceSpecificCredentialId><ServiceName>codecommit.amazonaws.com</ServiceName></member>",
			form.Get("UserName"), c.Status, aws.ToString(c.ServiceSpecificCredentialId))
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListServiceSpecificCredentialsResult>`+
		`<ServiceSpecificCredentials>%s</ServiceSpecificCredentials><IsTruncated>false</IsTruncated></ListServiceSpecificCredentialsResult>`+
		`<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></ListServiceSpecificCredentialsResponse>`, members.String())
}

// TestCapturePlanUsers captures a cluster whose access entry is an IAM
// user on MiniStack: the baseline declares the user whole under iamUsers
// (its active credentials only), validates, and plan against it finds no
// drift; then new credentials and permissions made with the SDK are
// exactly the user drift plan shows, with the calls that undo it.
func TestCapturePlanUsers(t *testing.T) {
	ctx := context.Background()
	fake := newServiceCredentials(t)
	proxy := httptest.NewServer(fake)
	t.Cleanup(proxy.Close)
	t.Setenv("AWS_ENDPOINT_URL_IAM", proxy.URL)
	cfg := awstest.Config(t)
	im, ek := awsiam.NewFromConfig(cfg), awseks.NewFromConfig(cfg)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	name, group, cluster := awstest.Name(t, "user"), awstest.Name(t, "group"), awstest.Name(t, "cluster")
	u, err := im.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/ops/")})
	must("CreateUser", err)
	userARN := aws.ToString(u.User.Arn)
	var keys []string
	for range 2 {
		k, err := im.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
		must("CreateAccessKey", err)
		keys = append(keys, aws.ToString(k.AccessKey.AccessKeyId))
	}
	_, err = im.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String(name), AccessKeyId: aws.String(keys[1]), Status: iamtypes.StatusTypeInactive})
	must("UpdateAccessKey", err)
	fake.add(name, "ACCAKNOWN", iamtypes.StatusTypeActive)
	fake.add(name, "ACCAOFF", iamtypes.StatusTypeInactive)
	_, err = im.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String(name), Password: aws.String("Correct-Horse-9")})
	err = awstest.Created(err)
	must("CreateLoginProfile", err)
	_, err = im.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	must("AttachUserPolicy", err)
	_, err = im.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("read-eks"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"Eks","Effect":"Allow","Action":"eks:Describe*","Resource":"*"}]}`)})
	must("PutUserPolicy", err)
	_, err = im.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String(group)})
	err = awstest.Created(err)
	must("CreateGroup", err)
	_, err = im.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(group)})
	must("AddUserToGroup", err)
	_, err = im.PutUserPermissionsBoundary(ctx, &awsiam.PutUserPermissionsBoundaryInput{UserName: aws.String(name), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})
	must("PutUserPermissionsBoundary", err)
	_, err = ek.CreateCluster(ctx, &awseks.CreateClusterInput{Name: aws.String(cluster), RoleArn: aws.String("arn:aws:iam::000000000000:role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
	must("CreateCluster", err)
	_, err = ek.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(userARN)})
	err = awstest.Created(err)
	must("CreateAccessEntry", err)
	_, err = ek.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(userARN),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	must("AssociateAccessPolicy", err)

	path := filepath.Join(t.TempDir(), "baseline.yaml")
	c := run(t, stateEnv(t), "baseline", "capture", "--region", cfg.Region, "--cluster", cluster, "-o", path)
	if c.code != ExitOK || !strings.Contains(c.stderr, "captured 1 clusters, 1 access entries, 0 roles and 1 user") {
		t.Fatalf("capture: got exit %d, stderr %q, want 0 and the user counted", c.code, c.stderr)
	}
	t.Logf("capture: %s", c.stderr)
	captured, err := os.ReadFile(path)
	must("read the capture", err)
	t.Logf("captured:\n%s", captured)
	b, err := baseline.Parse(path, captured)
	must("parse the capture", err)
	users := b.IAMUsers
	if len(users) != 1 {
		t.Fatalf("got %d users under iamUsers, want 1:\n%s", len(users), captured)
	}
	got := users[0]
	if got.ARN != userARN || !slices.Equal(got.AccessKeys, keys[:1]) || !slices.Equal(got.ServiceCredentials, []string{"ACCAKNOWN"}) || !got.ConsoleAccess ||
		!slices.Equal(got.Groups, []string{group}) || !slices.Equal(got.ManagedPolicies, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) ||
		got.PermissionsBoundary == nil || *got.PermissionsBoundary != "arn:aws:iam::aws:policy/PowerUserAccess" || got.InlinePolicies["read-eks"] == nil {
		t.Errorf("got user %+v, want %s whole, with its active key %s and credential ACCAKNOWN only", got, userARN, keys[0])
	}
	for _, want := range []string{"# behind access entry on " + cluster, "Sid: Eks"} {
		if !strings.Contains(string(captured), want) {
			t.Errorf("the captured baseline lacks %q:\n%s", want, captured)
		}
	}
	if v := run(t, stateEnv(t), "baseline", "validate", path); v.code != ExitOK {
		t.Fatalf("validate: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	plan := func() (int, []string, PlanReport) {
		t.Helper()
		p := run(t, stateEnv(t), "plan", "--baseline", path, "--output", "json")
		var rep PlanReport
		if err := json.Unmarshal([]byte(p.stdout), &rep); err != nil {
			t.Fatalf("plan exit %d, output not JSON (%v):\n%s\n%s", p.code, err, p.stdout, p.stderr)
		}
		var drift []string
		for _, it := range rep.Drift {
			drift = append(drift, string(it.Finding.Kind)+" "+string(it.Finding.Change)+" "+it.Finding.Resource)
		}
		slices.Sort(drift)
		return p.code, drift, rep
	}
	if code, d, rep := plan(); code != ExitOK || len(d) != 0 || rep.Scanned.Users != 1 {
		t.Fatalf("plan against the capture: got exit %d, drift %q, %d users read, want 0, none and 1", code, d, rep.Scanned.Users)
	}

	// Drift made with the SDK: a key, a credential, admin, a group left.
	k, err := im.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	must("CreateAccessKey", err)
	newKey := aws.ToString(k.AccessKey.AccessKeyId)
	fake.add(name, "ACCANEW", iamtypes.StatusTypeActive)
	_, err = im.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	must("AttachUserPolicy", err)
	_, err = im.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{UserName: aws.String(name), GroupName: aws.String(group)})
	must("RemoveUserFromGroup", err)
	want := []string{
		"iam-user added " + name + "|access-key|" + newKey,
		"iam-user added " + name + "|managed-policy|arn:aws:iam::aws:policy/AdministratorAccess",
		"iam-user added " + name + "|service-credential|ACCANEW",
		"iam-user removed " + name + "|group|" + group,
	}
	code, d, rep := plan()
	if code != ExitDrift || !slices.Equal(d, want) {
		t.Fatalf("plan after drift: got exit %d, drift %q, want 2 and %q", code, d, want)
	}
	for _, op := range []string{"iam:UpdateAccessKey " + name + "|access-key|" + newKey, "iam:DetachUserPolicy " + name + "|managed-policy|arn:aws:iam::aws:policy/AdministratorAccess"} {
		if !slices.Contains(rep.Operations, op) {
			t.Errorf("plan operations: got %q, want %q among them", rep.Operations, op)
		}
	}
	for _, it := range rep.Drift {
		if strings.Contains(it.Finding.Resource, "AdministratorAccess") && it.Finding.Severity != "critical" {
			t.Errorf("AdministratorAccess on a cluster-admin user: got severity %s, want critical", it.Finding.Severity)
		}
		if strings.Contains(it.Finding.Resource, "|group|") && !strings.Contains(it.CannotRevert, "never adds a user to a group") {
			t.Errorf("the group left: got cannotRevert %q, want why eksdrift does not add the user back", it.CannotRevert)
		}
	}
	text := run(t, stateEnv(t), "plan", "--baseline", path)
	t.Logf("plan:\n%s", text.stdout)
	if text.code != ExitDrift || !strings.Contains(text.stdout, "read 1 cluster, 0 roles and 1 user") || !strings.Contains(text.stdout, "IAM (account ") {
		t.Errorf("plan text: got exit %d:\n%s", text.code, text.stdout)
	}
}
