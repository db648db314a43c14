package revert

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestRevertsEveryEKSKind(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	want := baselineEntries(true)
	if got := e.entries(); got != want {
		t.Fatalf("the cluster does not start as the baseline says:\ngot\n%s\nwant\n%s", got, want)
	}
	steps := []struct {
		name  string
		drift func()
		f     func() drift.Finding
		ops   string
	}{
		{"undeclared entry with cluster-admin", func() {
			e.createEntry(intruder, []string{"viewers"})
			e.associate(intruder, clusterAdmin, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster})
		}, func() drift.Finding {
			return e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{"viewers"}})
		}, "eks:DeleteAccessEntry"},
		{"declared entry deleted", func() {
			_, err := e.eksc.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(developer)})
			must(t, err)
		}, func() drift.Finding {
			return e.finding(person, drift.OpRemoved, &drift.AccessEntry{PrincipalARN: developer})
		}, "eks:CreateAccessEntry"},
		{"groups changed", func() {
			_, err := e.eksc.UpdateAccessEntry(ctx, &awseks.UpdateAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(developer), KubernetesGroups: []string{"dev", "ops"}})
			must(t, err)
		}, func() drift.Finding {
			return e.finding(person, drift.OpModified, &drift.AccessEntry{PrincipalARN: developer, KubernetesGroups: []string{"dev", "ops"}})
		}, "eks:UpdateAccessEntry"},
		{"scope widened", func() {
			e.associate(developer, edit, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster})
		}, func() drift.Finding {
			return e.finding(person, drift.OpAdded, &drift.AccessPolicy{PrincipalARN: developer, PolicyARN: edit, Scope: drift.AccessScope{Type: "cluster"}})
		}, "eks:AssociateAccessPolicy"},
		{"declared policy disassociated", func() {
			_, err := e.eksc.DisassociateAccessPolicy(ctx, &awseks.DisassociateAccessPolicyInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(developer), PolicyArn: aws.String(edit)})
			must(t, err)
		}, func() drift.Finding {
			return e.finding(person, drift.OpRemoved, &drift.AccessPolicy{PrincipalARN: developer, PolicyARN: edit})
		}, "eks:AssociateAccessPolicy"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.drift()
			f := s.f()
			if f.Decision != drift.DecisionRevert {
				t.Fatalf("the finding's decision is %s: %s", f.Decision, f.Reason)
			}
			o := e.handle(f)
			if o.Result != drift.ResultReverted || !strings.HasPrefix(strings.Join(o.Operations, ";"), s.ops) {
				t.Fatalf("got %s %v (%s %s), want reverted with %s", o.Result, o.Operations, o.Reason, o.Error, s.ops)
			}
			if o.By != selfRole || o.At.IsZero() {
				t.Errorf("outcome does not say who and when: %+v", o)
			}
			if got := e.entries(); got != want {
				t.Errorf("after the revert:\ngot\n%s\nwant\n%s", got, want)
			}
			// Redelivery: nothing more is done or published.
			n := len(e.out.outcomes)
			must(t, e.rev.Handle(ctx, f))
			if len(e.out.outcomes) != n {
				t.Error("a redelivered finding was handled again")
			}
		})
	}
}

func TestRevertsEveryIAMKind(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	role := aws.String(e.role)
	steps := []struct {
		name  string
		drift func() error
		f     func() drift.Finding
		check func() error
	}{
		{"trust opened to anyone", func() error {
			_, err := e.iamc.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: role, PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)})
			return err
		}, func() drift.Finding {
			d, _ := drift.ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)
			return e.finding(person, drift.OpModified, &drift.TrustPolicy{RoleName: e.role, Document: d})
		}, func() error {
			out, err := e.iamc.GetRole(ctx, &awsiam.GetRoleInput{RoleName: role})
			if err != nil {
				return err
			}
			got, _ := drift.ParsePolicyDocument(aws.ToString(out.Role.AssumeRolePolicyDocument))
			want, _ := drift.ParsePolicyDocument(trustDoc)
			if !got.Equal(want) {
				return errors.New("trust policy is " + got.String())
			}
			return nil
		}},
		{"AdministratorAccess attached", func() error {
			_, err := e.iamc.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: role, PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		}, func() drift.Finding {
			return e.finding(person, drift.OpAdded, &drift.ManagedPolicy{RoleName: e.role, PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
		}, func() error { return e.attached("arn:aws:iam::aws:policy/ReadOnlyAccess") }},
		{"declared policy detached", func() error {
			_, err := e.iamc.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: role, PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}, func() drift.Finding {
			return e.finding(person, drift.OpRemoved, &drift.ManagedPolicy{RoleName: e.role, PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
		}, func() error { return e.attached("arn:aws:iam::aws:policy/ReadOnlyAccess") }},
		{"inline policy added", func() error {
			_, err := e.iamc.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String("debug"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)})
			return err
		}, func() drift.Finding {
			d, _ := drift.ParsePolicyDocument(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
			return e.finding(person, drift.OpAdded, &drift.InlinePolicy{RoleName: e.role, PolicyName: "debug", Document: d})
		}, func() error { return e.inline("describe") }},
		{"inline policy changed", func() error {
			_, err := e.iamc.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String("describe"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}`)})
			return err
		}, func() drift.Finding {
			d, _ := drift.ParsePolicyDocument(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"eks:*","Resource":"*"}}`)
			return e.finding(person, drift.OpAdded, &drift.InlinePolicy{RoleName: e.role, PolicyName: "describe", Document: d})
		}, func() error { return e.inline("describe") }},
		{"boundary removed", func() error {
			_, err := e.iamc.DeleteRolePermissionsBoundary(ctx, &awsiam.DeleteRolePermissionsBoundaryInput{RoleName: role})
			return err
		}, func() drift.Finding {
			return e.finding(person, drift.OpRemoved, &drift.PermissionsBoundary{RoleName: e.role})
		}, func() error {
			out, err := e.iamc.GetRole(ctx, &awsiam.GetRoleInput{RoleName: role})
			if err != nil {
				return err
			}
			if out.Role.PermissionsBoundary == nil || aws.ToString(out.Role.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::111122223333:policy/boundary" {
				return errors.New("boundary not restored")
			}
			return nil
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			must(t, s.drift())
			o := e.handle(s.f())
			if o.Result != drift.ResultReverted {
				t.Fatalf("got %s %v (%s %s), want reverted", o.Result, o.Operations, o.Reason, o.Error)
			}
			must(t, s.check())
		})
	}
}

func (e *env) attached(want ...string) error {
	out, err := e.iamc.ListAttachedRolePolicies(context.Background(), &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String(e.role)})
	if err != nil {
		return err
	}
	var got []string
	for _, p := range out.AttachedPolicies {
		got = append(got, aws.ToString(p.PolicyArn))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return errors.New("attached: " + strings.Join(got, ","))
	}
	return nil
}

func (e *env) inline(want ...string) error {
	out, err := e.iamc.ListRolePolicies(context.Background(), &awsiam.ListRolePoliciesInput{RoleName: aws.String(e.role)})
	if err != nil {
		return err
	}
	if strings.Join(out.PolicyNames, ",") != strings.Join(want, ",") {
		return errors.New("inline: " + strings.Join(out.PolicyNames, ","))
	}
	doc, err := e.iamc.GetRolePolicy(context.Background(), &awsiam.GetRolePolicyInput{RoleName: aws.String(e.role), PolicyName: aws.String("describe")})
	if err != nil {
		return err
	}
	got, _ := drift.ParsePolicyDocument(aws.ToString(doc.PolicyDocument))
	w, _ := drift.ParsePolicyDocument(inlineDoc)
	if !got.Equal(w) {
		return errors.New("describe is " + got.String())
	}
	return nil
}
