package stacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awscfn "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsevents "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// The accounts of infra's caseMembers, whose spoke template is
// infra/testdata/spoke.template.json: the security account and two members.
const (
	securityAccount = "111122223333"
	memberA         = "444455556666"
	memberB         = "777788889999"
	// spokeExternalID is any external ID of 16 characters or more.
	spokeExternalID = "0123456789abcdef-eksdrift"
)

// The spoke template's parameters (infra.SpokeParam*: this test does not
// link the CDK app, and the golden template is the contract).
const (
	paramDetector  = "DetectorRoleArn"
	paramReconcile = "ReconcileRoleArn"
	paramReverter  = "ReverterRoleArn"
	paramExternal  = "ExternalId"
)

func TestMain(m *testing.M) {
	// IAM enforced: a session may only do what its role's policies allow.
	// The launcher gives CloudFormation's conditions the pseudo parameters
	// (launcher.py says why).
	os.Exit(awstest.MainWith(m, awstest.Options{Account: securityAccount, Auth: true, Launcher: "internal/stacktest/launcher.py"}))
}

// as gives a configuration whose credentials are account's root (a
// 12-digit access key is the account on MiniStack).
func as(t *testing.T, account string) aws.Config {
	cfg := awstest.Config(t)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(account, "test", "")
	return cfg
}

// assume gives a configuration with the credentials of a session of
// roleARN, or the error of AssumeRole.
func assume(t *testing.T, from aws.Config, roleARN, externalID string) (aws.Config, error) {
	in := &awssts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: aws.String("eksdrift-test")}
	if externalID != "" {
		in.ExternalId = &externalID
	}
	out, err := awssts.NewFromConfig(from).AssumeRole(context.Background(), in)
	if err != nil {
		return aws.Config{}, err
	}
	cfg := from.Copy()
	c := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	return cfg, nil
}

// hubRole makes a role in the security account standing in for one of the
// stack's function roles: assumable by the account (the test, as its
// root), allowed sts:AssumeRole on the member role name, as
// infra.grantAssumeMemberRole grants it.
func hubRole(t *testing.T, hub aws.Config, name, memberRole string) string {
	ctx := context.Background()
	c := awsiam.NewFromConfig(hub)
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, securityAccount)
	out, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust})
	must(t, err)
	if memberRole != "" {
		pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/%s"}]}`, memberRole)
		must(t, err2(c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: &name, PolicyName: aws.String("member"), PolicyDocument: &pol})))
	}
	return *out.Role.Arn
}

// deploySpoke creates the spoke stack in account from the golden template,
// as the StackSet would, and waits for it.
func deploySpoke(t *testing.T, account string, params map[string]string) {
	ctx := context.Background()
	indented, err := os.ReadFile(filepath.Join("..", "..", "infra", "testdata", "spoke.template.json"))
	must(t, err)
	// Compact, as the StackSet's TemplateBody is (infra.jsonString): the
	// golden file is indented for review, and CloudFormation takes 51,200
	// bytes at most.
	var body bytes.Buffer
	must(t, json.Compact(&body, indented))
	cfn := awscfn.NewFromConfig(as(t, account))
	name := awstest.Name(t, "eksdrift-spoke")
	var ps []cfntypes.Parameter
	for k, v := range params {
		ps = append(ps, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	_, err = cfn.CreateStack(ctx, &awscfn.CreateStackInput{
		StackName: &name, TemplateBody: aws.String(body.String()), Parameters: ps,
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam},
	})
	if err != nil && !strings.Contains(err.Error(), "AlreadyExistsException") {
		t.Fatalf("account %s: create the spoke stack: %v", account, err)
	}
	t.Cleanup(func() { cfn.DeleteStack(context.Background(), &awscfn.DeleteStackInput{StackName: &name}) })
	for i := 0; ; i++ {
		out, err := cfn.DescribeStacks(ctx, &awscfn.DescribeStacksInput{StackName: &name})
		must(t, err)
		st := out.Stacks[0].StackStatus
		if st == cfntypes.StackStatusCreateComplete {
			return
		}
		if strings.HasSuffix(string(st), "FAILED") || strings.Contains(string(st), "ROLLBACK") || i == 100 {
			ev, _ := cfn.DescribeStackEvents(ctx, &awscfn.DescribeStackEventsInput{StackName: &name})
			var why []string
			if ev != nil {
				for _, e := range ev.StackEvents {
					if e.ResourceStatusReason != nil {
						why = append(why, aws.ToString(e.LogicalResourceId)+": "+*e.ResourceStatusReason)
					}
				}
			}
			t.Fatalf("account %s: spoke stack %s: %s", account, st, strings.Join(why, "; "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func denied(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	c := ae.ErrorCode()
	return strings.Contains(c, "AccessDenied") || c == "UnauthorizedOperation" || c == "AuthorizationError"
}

// TestSpokeOnMiniStack deploys the spoke template into two member accounts
// through CloudFormation, then reads a member's cluster from the security
// account through the spoke's read role, and checks who else may not.
func TestSpokeOnMiniStack(t *testing.T) {
	ctx := context.Background()
	hub := as(t, securityAccount)
	detector := hubRole(t, hub, awstest.Name(t, "detect"), config.DefaultMemberReadRole)
	reconcile := hubRole(t, hub, awstest.Name(t, "reconcile"), config.DefaultMemberReadRole)
	reverter := hubRole(t, hub, awstest.Name(t, "revert"), config.DefaultMemberRevertRole)
	// A role of the security account the spoke does not trust, with the
	// same grant: the notifier, say, or an attacker's.
	other := hubRole(t, hub, awstest.Name(t, "other"), config.DefaultMemberReadRole)
	params := map[string]string{paramDetector: detector, paramReconcile: reconcile, paramReverter: reverter, paramExternal: spokeExternalID}

	for _, member := range []string{memberA, memberB} {
		deploySpoke(t, member, params)
		clusters := []string{"prod"}
		if member == memberA {
			clusters = append(clusters, "staging") // outside the baseline
		}
		m := as(t, member)
		// What the spoke made: its roles, and the rules forwarding to the
		// security account's bus.
		for _, role := range []string{config.DefaultMemberReadRole, config.DefaultMemberRevertRole} {
			if _, err := awsiam.NewFromConfig(m).GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
				t.Errorf("account %s: role %s: %v", member, role, err)
			}
		}
		rules, err := awsevents.NewFromConfig(m).ListRules(ctx, &awsevents.ListRulesInput{})
		must(t, err)
		// EKS's and IAM's forwarding rules, and the spoke's tamper rules
		// (us-east-1 has all five), each named drift.SpokePrefix-...
		want := []string{drift.SpokePrefix + "eks-access-changes", drift.SpokePrefix + "iam-access-changes"}
		for _, r := range routing.SpokeTamperRules(routing.SpokeScope{}, false) {
			want = append(want, drift.SpokePrefix+r.Name)
		}
		var forwarding []string
		for _, r := range rules.Rules {
			tg, err := awsevents.NewFromConfig(m).ListTargetsByRule(ctx, &awsevents.ListTargetsByRuleInput{Rule: r.Name})
			must(t, err)
			for _, x := range tg.Targets {
				if aws.ToString(x.Arn) == "arn:aws:events:us-east-1:"+securityAccount+":event-bus/default" && x.RoleArn != nil {
					forwarding = append(forwarding, aws.ToString(r.Name))
				}
			}
		}
		slices.Sort(forwarding)
		slices.Sort(want)
		if !slices.Equal(forwarding, want) {
			t.Errorf("account %s: got rules forwarding to the security account's bus %v, want %v", member, forwarding, want)
		}
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		clusterRole, err := awsiam.NewFromConfig(m).CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(awstest.Name(t, "eks")), AssumeRolePolicyDocument: &trust})
		must(t, err)
		for _, name := range clusters {
			must(t, err2(awseks.NewFromConfig(m).CreateCluster(ctx, &awseks.CreateClusterInput{
				Name: aws.String(name), RoleArn: clusterRole.Role.Arn,
				ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
				AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi},
			})))
		}
	}

	readRole := func(account string) string {
		return "arn:aws:iam::" + account + ":role/" + config.DefaultMemberReadRole
	}
	detectorSession, err := assume(t, hub, detector, "")
	must(t, err)
	for _, member := range []string{memberA, memberB} {
		t.Run("detector reads "+member, func(t *testing.T) {
			read, err := assume(t, detectorSession, readRole(member), spokeExternalID)
			if err != nil {
				t.Fatalf("assume %s with the external ID: %v", readRole(member), err)
			}
			out, err := awseks.NewFromConfig(read).DescribeCluster(ctx, &awseks.DescribeClusterInput{Name: aws.String("prod")})
			if err != nil {
				t.Fatalf("describe the member's cluster: %v", err)
			}
			if got, want := aws.ToString(out.Cluster.Arn), "arn:aws:eks:us-east-1:"+member+":cluster/prod"; got != want {
				t.Errorf("cluster: got %v, want %v (the member's own)", got, want)
			}
			// Read-only: no write through the read role.
			_, err = awseks.NewFromConfig(read).CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{
				ClusterName: aws.String("prod"), PrincipalArn: aws.String("arn:aws:iam::" + member + ":role/attacker"),
			})
			if !denied(err) {
				t.Errorf("CreateAccessEntry through the read role: got %v, want access denied", err)
			}
		})
	}

	t.Run("reverter writes "+memberA+" within the denies", func(t *testing.T) {
		session, err := assume(t, hub, reverter, "")
		must(t, err)
		rv, err := assume(t, session, "arn:aws:iam::"+memberA+":role/"+config.DefaultMemberRevertRole, spokeExternalID)
		if err != nil {
			t.Fatalf("assume the revert role with the external ID: %v", err)
		}
		c := awseks.NewFromConfig(rv)
		principal := "arn:aws:iam::" + memberA + ":role/developers"
		if _, err := c.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: &principal}); awstest.Created(err) != nil {
			t.Fatalf("CreateAccessEntry on the baseline's cluster: %v", err)
		}
		// The admin-policy denies (eks:policyArn) are not checked here:
		// MiniStack gives that condition key no value, so no deny on it
		// can hold; infra's TestSpokeRevertRoleDeniesLikeTheHub checks the
		// template holds the hub reverter's denies.
		_, err = c.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("staging"), PrincipalArn: &principal})
		if !denied(err) {
			t.Errorf("CreateAccessEntry on a cluster outside the baseline: got %v, want access denied", err)
		}
		_, err = c.DeleteCluster(ctx, &awseks.DeleteClusterInput{Name: aws.String("prod")})
		if !denied(err) {
			t.Errorf("DeleteCluster: got %v, want access denied (not a revert call)", err)
		}
	})

	// Who may not assume the read role.
	otherSession, err := assume(t, hub, other, "")
	must(t, err)
	for name, attempt := range map[string]func() error{
		"without the external ID": func() error { _, err := assume(t, detectorSession, readRole(memberA), ""); return err },
		"with another external ID": func() error {
			_, err := assume(t, detectorSession, readRole(memberA), "fedcba9876543210-eksdrift")
			return err
		},
		"from an untrusted role of the security account": func() error {
			_, err := assume(t, otherSession, readRole(memberA), spokeExternalID)
			return err
		},
		"from the other member account": func() error {
			_, err := assume(t, as(t, memberB), readRole(memberA), spokeExternalID)
			return err
		},
		"the revert role from the detector": func() error {
			_, err := assume(t, detectorSession, "arn:aws:iam::"+memberA+":role/"+config.DefaultMemberRevertRole, spokeExternalID)
			return err
		},
	} {
		t.Run("refused "+name, func(t *testing.T) {
			if err := attempt(); err == nil {
				t.Errorf("assume: got a session, want a refusal")
			}
		})
	}
}
