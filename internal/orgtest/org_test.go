package orgtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// The accounts. home runs eksdrift; member1 and member2 have the spoke
// roles (member2 only the read role, as a spoke deployed without revert
// mode); noRoles is listed as a member but its spoke was never deployed;
// outsider is not listed at all, yet trusts eksdrift's roles: a forged
// event naming it must not make eksdrift assume them.
const (
	home     = "100000000001"
	member1  = "200000000002"
	member2  = "300000000003"
	noRoles  = "400000000004"
	outsider = "500000000005"

	externalID = "eksdrift-test-external-id"
	region     = stacktest.EKSRegion
	clusterAdm = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
)

// IAM is enforced, so that the trust policies, the external ID and the
// member roles' permissions are checked as AWS checks them.
func TestMain(m *testing.M) {
	os.Exit(awstest.MainWith(m, awstest.Options{Account: home, Auth: true}))
}

// account is one emulated account, reached with its root's 12-digit key.
func account(t *testing.T, id string) aws.Config {
	cfg := awstest.Config(t)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(id, "test", "")
	return cfg
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func policy(actions ...string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
	return string(b)
}

// role creates a role with an inline policy.
func role(t *testing.T, cfg aws.Config, name, trust, perms string) string {
	t.Helper()
	c := awsiam.NewFromConfig(cfg)
	var arn string
	out, err := c.CreateRole(context.Background(), &awsiam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		// This test's MiniStack is its own: a role already there is this
		// call's, whose answer the emulator lost under load before the
		// SDK's retry (seen in make test). Its trust is set again below.
		got, gerr := c.GetRole(context.Background(), &awsiam.GetRoleInput{RoleName: aws.String(name)})
		must(t, gerr)
		_, err = c.UpdateAssumeRolePolicy(context.Background(), &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(trust)})
		arn = aws.ToString(got.Role.Arn)
	} else if err == nil {
		arn = aws.ToString(out.Role.Arn)
	}
	must(t, err)
	_, err = c.PutRolePolicy(context.Background(), &awsiam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("eksdrift"), PolicyDocument: aws.String(perms)})
	must(t, err)
	return arn
}

// trustOf is the spoke roles' trust policy: the home account's function
// role, with the external ID.
func trustOf(principal string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": principal}, "Action": "sts:AssumeRole",
		"Condition": map[string]any{"StringEquals": map[string]any{"sts:ExternalId": externalID}}}}})
	return string(b)
}

// functionRole creates the home function role and gives the credentials of
// a session of it, as Lambda gives a function its role's.
func functionRole(t *testing.T, name string) (arn string, env map[string]string) {
	t.Helper()
	return functionRoleWith(t, name)
}

// functionRoleWith is functionRole, whose role may also call actions.
func functionRoleWith(t *testing.T, name string, actions ...string) (arn string, env map[string]string) {
	t.Helper()
	cfg := account(t, home)
	self := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + home + `:root"},"Action":"sts:AssumeRole"}]}`
	arn = role(t, cfg, name, self, policy(append([]string{"s3:*", "dynamodb:*", "sns:*", "sts:AssumeRole", "sts:GetCallerIdentity", "eks:Describe*", "eks:List*"}, actions...)...))
	out, err := awssts.NewFromConfig(cfg).AssumeRole(context.Background(), &awssts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String(name)})
	must(t, err)
	c := out.Credentials
	return arn, map[string]string{"AWS_ACCESS_KEY_ID": aws.ToString(c.AccessKeyId), "AWS_SECRET_ACCESS_KEY": aws.ToString(c.SecretAccessKey), "AWS_SESSION_TOKEN": aws.ToString(c.SessionToken)}
}

// spoke creates in a member what the spoke stack creates: the read role
// and, in revert mode, the revert role; and a cluster prod with a
// cluster-admin entry.
func spoke(t *testing.T, id, detectRole, revertRole string, revertMode bool) *awseks.Client {
	t.Helper()
	cfg := account(t, id)
	role(t, cfg, config.DefaultMemberReadRole, trustOf(detectRole), policy(append(append([]string{}, eks.ScanActions...), iam.ScanActions...)...))
	if revertMode {
		role(t, cfg, config.DefaultMemberRevertRole, trustOf(revertRole), policy(append(append(append([]string{}, eks.ScanActions...), iam.ScanActions...), drift.RevertActions...)...))
	}
	return cluster(t, id)
}

func cluster(t *testing.T, id string) *awseks.Client {
	t.Helper()
	ctx := context.Background()
	// Under AUTH the cluster's role must exist.
	eksTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role(t, account(t, id), "eks-cluster", eksTrust, policy("ec2:Describe*"))
	c := awseks.NewFromConfig(account(t, id), func(o *awseks.Options) { o.Region = region })
	_, err := c.CreateCluster(ctx, &awseks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::" + id + ":role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}})
	must(t, err)
	admin := "arn:aws:iam::" + id + ":role/platform-admin"
	_, err = c.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(admin)})
	err = awstest.Created(err)
	must(t, err)
	_, err = c.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(admin),
		PolicyArn: aws.String(clusterAdm), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	must(t, err)
	// The drift: a contractor given an entry by hand.
	_, err = c.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor(id)), KubernetesGroups: []string{"viewers"}})
	err = awstest.Created(err)
	must(t, err)
	return c
}

func contractor(id string) string { return "arn:aws:iam::" + id + ":role/contractor" }

// clusterYAML declares cluster prod of an account, in revert mode, with its
// cluster-admin only.
func clusterYAML(id string) string {
	return fmt.Sprintf(`  - name: prod
    account: "%s"
    region: %s
    mode: revert
    accessEntries:
      - principalArn: arn:aws:iam::%s:role/platform-admin
        accessPolicies:
          - {policyArn: %s, accessScope: {type: cluster}}
`, id, region, id, clusterAdm)
}

// event is the sample CreateAccessEntry event, made in account id.
func event(t *testing.T, id string) []byte { return eventN(t, id, "c92177ec") }

// eventN is the sample with another event ID: another change.
func eventN(t *testing.T, id, prefix string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/eks-create-access-entry-undeclared-role.json")
	must(t, err)
	s := strings.ReplaceAll(string(b), "111122223333", id)
	s = strings.Replace(s, "c92177ec-ccf9-448f-938d-bba74982b3a7", prefix+"-ccf9-448f-938d-"+id, 1)
	return []byte(s)
}

// forged is the sample as sender would put it on the hub's bus to speak
// for claimed: its detail (recipientAccountId, ARNs, caller) says claimed,
// its envelope says sender, as EventBridge sets it.
func forged(t *testing.T, sender, claimed string) []byte {
	t.Helper()
	s := strings.Replace(string(eventN(t, claimed, "f0f0f0f0")), `"account": "`+claimed+`"`, `"account": "`+sender+`"`, 1)
	if !strings.Contains(s, `"account": "`+sender+`"`) {
		t.Fatal("the sample's envelope has no account field to forge")
	}
	return []byte(s)
}

func findingOf(t *testing.T, w *stacktest.World, id string) drift.Finding {
	t.Helper()
	return findingAt(t, w, "c92177ec-ccf9-448f-938d-"+id, id)
}

// findingAt is the finding of event eventID about the contractor's entry
// on cluster prod of account id.
func findingAt(t *testing.T, w *stacktest.World, eventID, id string) drift.Finding {
	t.Helper()
	key := eventID + "#" + string(drift.KindAccessEntry) + "#prod#" + contractor(id)
	f, found, err := w.History.Get(context.Background(), key)
	must(t, err)
	if !found {
		t.Fatalf("no finding %s in the central history", key)
	}
	return f
}

func TestOrganization(t *testing.T) {
	ctx := context.Background()
	detectRole, detectEnv := functionRole(t, "eksdrift-detect")
	revertRole, revertEnv := functionRole(t, "eksdrift-revert-fn")
	eks1 := spoke(t, member1, detectRole, revertRole, true)
	spoke(t, member2, detectRole, revertRole, false)
	cluster(t, noRoles)
	spoke(t, outsider, detectRole, revertRole, true)

	// The shared baseline declares the outsider's cluster, so that its
	// event drifts and would need a live read; member files declare
	// their own. noRoles has a file too: its roles are what is missing.
	shared := "version: 1\nmode: alert\nclusters:\n" + clusterYAML(outsider)
	w := stacktest.New(t, []byte(shared))
	s3c := awss3.NewFromConfig(w.Config, func(o *awss3.Options) { o.UsePathStyle = true })
	for _, id := range []string{member1, member2, noRoles} {
		body := "version: 1\nclusters:\n" + clusterYAML(id)
		_, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.Bucket, Key: aws.String("baselines/" + id + ".yaml"), Body: strings.NewReader(body)})
		must(t, err)
	}
	env := func(fn map[string]string) map[string]string {
		e := map[string]string{}
		for k, v := range w.Env {
			e[k] = v
		}
		for k, v := range fn {
			e[k] = v
		}
		e[config.EnvMemberAccounts] = strings.Join([]string{member1, member2, noRoles}, ",")
		e[config.EnvMemberExternalID] = externalID
		return e
	}

	detect := lambdatest.Start(t, lambdatest.Build(t, "./functions/detect"), env(detectEnv))
	invoke := func(id string) lambdatest.Result {
		r := detect.Invoke(t, event(t, id))
		if r.Error != "" {
			t.Fatalf("event in %s: invocation failed: %s", id, r.Error)
		}
		return r
	}
	// The first event of member1 assumes its read role; the second, another
	// change in the same account, uses the cached credentials.
	first := invoke(member1)
	if r := detect.Invoke(t, event(t, member1)); r.Error != "" { // a redelivery: recorded once
		t.Fatal(r.Error)
	}
	second := detect.Invoke(t, eventN(t, member1, "d92177ec"))
	if second.Error != "" {
		t.Fatal(second.Error)
	}
	invoke(noRoles)
	warm := invoke(member2) // a warm function's first event in a new account
	invoke(outsider)
	// member1 speaks for member2: the event's record is member2's, its
	// envelope member1's.
	invokeForged := detect.Invoke(t, forged(t, member1, member2))
	if invokeForged.Error != "" {
		t.Fatalf("forged event: invocation failed: %s", invokeForged.Error)
	}
	t.Logf("assume-role cost: first event of %s (cold start, assume, read) %v; next event there (cached credentials, read) %v; first event of %s in the warm function (assume, account file, read) %v",
		member1, first.Duration, second.Duration, member2, warm.Duration)
	for _, line := range strings.Split(detect.Logs(), "\n") {
		if strings.Contains(line, `"member role assumed"`) {
			t.Logf("%s", line)
		}
	}

	t.Run("members' events are recorded centrally with their account", func(t *testing.T) {
		for _, id := range []string{member1, member2} {
			f := findingOf(t, w, id)
			if f.Account != id || f.Decision != drift.DecisionRevert || f.Live == nil || !f.Live.Present || f.NotifiedAt == nil {
				t.Errorf("%s: got account %s decision %s live %+v notified %v, want %s, revert, confirmed present, notified", id, f.Account, f.Decision, f.Live, f.NotifiedAt, id)
			}
		}
	})
	t.Run("a member without its roles is reported unconfirmed and never reverted", func(t *testing.T) {
		f := findingOf(t, w, noRoles)
		if f.Decision != drift.DecisionAlert || f.Live != nil || !strings.Contains(f.Reason, "unconfirmed: cannot assume eksdrift-read in account "+noRoles) {
			t.Errorf("got decision %s live %+v reason %q, want alert, unread, unconfirmed: cannot assume", f.Decision, f.Live, f.Reason)
		}
	})
	t.Run("a forged event for an unlisted account assumes nothing", func(t *testing.T) {
		f := findingOf(t, w, outsider)
		if f.Decision != drift.DecisionAlert || f.Live != nil || !strings.Contains(f.Reason, "unconfirmed: account "+outsider+" is neither eksdrift's own nor a member: nothing assumed") {
			t.Errorf("got decision %s live %+v reason %q, want alert, unread, refused", f.Decision, f.Live, f.Reason)
		}
		if strings.Contains(detect.Logs(), `"account":"`+outsider+`","role"`) {
			t.Errorf("the detector tried a role in %s:\n%s", outsider, detect.Logs())
		}
	})
	t.Run("an event a member puts on the bus about another member is recorded under the sender, unjudged", func(t *testing.T) {
		f := findingAt(t, w, "f0f0f0f0-ccf9-448f-938d-"+member2, member2)
		if f.Account != member1 || f.Decision != drift.DecisionAlert || f.Live != nil ||
			!strings.Contains(f.Reason, "not judged: "+drift.ReasonAccountsDisagree+": the event came from account "+member1+" but its record says account "+member2) {
			t.Errorf("got account %s decision %s live %+v reason %q, want %s, alert, unread, the accounts disagree", f.Account, f.Decision, f.Live, f.Reason, member1)
		}
	})
	t.Run("each member's role is assumed once", func(t *testing.T) {
		logs := detect.Logs()
		for _, id := range []string{member1, member2} {
			if n := strings.Count(logs, `"message":"member role assumed","account":"`+id+`"`); n != 1 {
				t.Errorf("%s: got %d assumes, want 1", id, n)
			}
		}
	})

	revert := lambdatest.Start(t, lambdatest.Build(t, "./functions/revert"), env(revertEnv))
	revertOf := func(id string) drift.Finding {
		f := findingOf(t, w, id)
		body, err := json.Marshal(f)
		must(t, err)
		msg, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"messageId": "m-" + id, "body": string(body)}}})
		r := revert.Invoke(t, msg)
		if r.Error != "" {
			t.Fatalf("revert of %s: invocation failed: %s", id, r.Error)
		}
		if strings.Contains(string(r.Body), "m-"+id) {
			t.Errorf("revert of %s: the message is to be retried (%s), want it done", id, r.Body)
		}
		return findingOf(t, w, id)
	}
	t.Run("a revert in a member account through its revert role", func(t *testing.T) {
		f := revertOf(member1)
		if f.Outcome == nil || f.Outcome.Result != drift.ResultReverted {
			t.Fatalf("got outcome %+v, want reverted", f.Outcome)
		}
		_, err := eks1.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor(member1))})
		if err == nil || !strings.Contains(err.Error(), "ResourceNotFound") {
			t.Errorf("the contractor's entry in %s: got %v, want it deleted", member1, err)
		}
		if _, err := eks1.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String("arn:aws:iam::" + member1 + ":role/platform-admin")}); err != nil {
			t.Errorf("the cluster-admin's entry in %s: got %v, want it kept", member1, err)
		}
	})
	t.Run("the forged event's finding reverts nothing in either account", func(t *testing.T) {
		f := findingAt(t, w, "f0f0f0f0-ccf9-448f-938d-"+member2, member2)
		body, err := json.Marshal(f)
		must(t, err)
		msg, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"messageId": "m-forged", "body": string(body)}}})
		if r := revert.Invoke(t, msg); r.Error != "" {
			t.Fatalf("revert of the forged finding: invocation failed: %s", r.Error)
		}
		f = findingAt(t, w, "f0f0f0f0-ccf9-448f-938d-"+member2, member2)
		if f.Outcome == nil || f.Outcome.Result != drift.ResultSkipped {
			t.Errorf("got outcome %+v, want skipped", f.Outcome)
		}
		if strings.Contains(revert.Logs(), `"account":"`+member2+`","role":"`+config.DefaultMemberRevertRole+`"`) {
			t.Errorf("the reverter tried %s's revert role for the forged finding:\n%s", member2, revert.Logs())
		}
	})
	t.Run("a member without a revert role: failed with the reason, not retried", func(t *testing.T) {
		f := revertOf(member2)
		if f.Outcome == nil || f.Outcome.Result != drift.ResultRevertFailed || !strings.Contains(f.Outcome.Error, "cannot assume eksdrift-revert in account "+member2) {
			t.Errorf("got outcome %+v, want revert-failed: cannot assume eksdrift-revert", f.Outcome)
		}
		eks2 := awseks.NewFromConfig(account(t, member2), func(o *awseks.Options) { o.Region = region })
		if _, err := eks2.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor(member2))}); err != nil {
			t.Errorf("the contractor's entry in %s: got %v, want it untouched", member2, err)
		}
	})
}
