package baseline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/eksdrift/eksdrift/internal/drift"
)

const (
	acct  = "111122223333"
	role  = "arn:aws:iam::111122223333:role/"
	admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	edit  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	view  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
)

func change(cluster string, op drift.Op, r drift.Resource) drift.Change {
	return drift.Change{
		Event: drift.Event{ID: "ev-1", Time: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), Name: "Call", Account: acct, Region: "us-west-2",
			Actor: drift.Actor{ARN: role + "someone", Type: "AssumedRole"}},
		Op: op, Cluster: cluster, Resource: r,
	}
}

func doc(t *testing.T, s string) *drift.PolicyDocument {
	t.Helper()
	d, err := drift.ParsePolicyDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAmend: each kind that can be accepted, edited into the example
// baseline; the result is compared with its golden file (-update rewrites
// them), must load and validate as any baseline, and must declare the
// change: judged against the amended baseline, the same change is no drift.
// Comments of the file survive every edit.
func TestAmend(t *testing.T) {
	before, err := os.ReadFile("testdata/amend/before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	tests := []struct {
		name string
		c    drift.Change
	}{
		{"access-entry-added", change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci", Type: "STANDARD", KubernetesGroups: []string{"ci"}, Username: "ci"})},
		{"access-entry-modified", change("prod", drift.OpModified, &drift.AccessEntry{PrincipalARN: role + "developers", KubernetesGroups: []string{"dev", "ops"}})},
		{"access-entry-removed", change("staging", drift.OpRemoved, &drift.AccessEntry{PrincipalARN: role + "developers"})},
		{"access-policy-added", change("prod", drift.OpAdded, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: view, Scope: drift.AccessScope{Type: "cluster"}})},
		{"access-policy-widened", change("prod", drift.OpModified, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: edit, Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"app", "jobs"}}})},
		{"access-policy-cluster-admin", change("staging", drift.OpAdded, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: admin, Scope: drift.AccessScope{Type: "cluster"}})},
		{"access-policy-removed", change("prod", drift.OpRemoved, &drift.AccessPolicy{PrincipalARN: role + "developers", PolicyARN: edit})},
		{"authentication-mode", change("staging", drift.OpModified, &drift.AuthenticationMode{Mode: "API"})},
		{"pod-identity-added", change("prod", drift.OpAdded, &drift.PodIdentityAssociation{Namespace: "app", ServiceAccount: "worker", RoleARN: role + "app-api", AssociationID: "a-1"})},
		{"pod-identity-modified", change("prod", drift.OpModified, &drift.PodIdentityAssociation{Namespace: "data", ServiceAccount: "reader", RoleARN: role + "data-broker", DisableSessionTags: &yes})},
		{"pod-identity-removed", change("prod", drift.OpRemoved, &drift.PodIdentityAssociation{Namespace: "app", ServiceAccount: "api"})},
		{"identity-provider-added", change("prod", drift.OpAdded, &drift.IdentityProviderConfig{Name: "okta", Type: "oidc", IssuerURL: "https://corp.okta.com", ClientID: "eks"})},
		{"identity-provider-removed", change("staging", drift.OpRemoved, &drift.IdentityProviderConfig{Name: "legacy-dex"})},
		{"trust-policy", change("", drift.OpModified, &drift.TrustPolicy{RoleARN: role + "developers", RoleName: "developers",
			Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`)})},
		{"managed-policy-attached", change("", drift.OpAdded, &drift.ManagedPolicy{RoleARN: role + "app-api", RoleName: "app-api", PolicyARN: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})},
		{"managed-policy-detached", change("", drift.OpRemoved, &drift.ManagedPolicy{RoleARN: role + "developers", RoleName: "developers", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"})},
		{"inline-policy-put", change("", drift.OpAdded, &drift.InlinePolicy{RoleARN: role + "app-api", RoleName: "app-api", PolicyName: "queue",
			Document: doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`)})},
		{"inline-policy-deleted", change("", drift.OpRemoved, &drift.InlinePolicy{RoleARN: role + "developers", RoleName: "developers", PolicyName: "eks-describe"})},
		{"permissions-boundary-removed", change("", drift.OpRemoved, &drift.PermissionsBoundary{RoleARN: role + "platform/platform-admin", RoleName: "platform-admin"})},
		{"oidc-provider-added", change("", drift.OpAdded, &drift.OIDCProvider{ARN: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/NEW"})},
		{"iam-user-access-key", change("", drift.OpAdded, &drift.User{UserARN: "arn:aws:iam::111122223333:user/release-bot", UserName: "release-bot", Aspect: drift.UserAccessKey, Name: "AKIARZ7QF3D5RBNEWKEY"})},
		{"iam-user-login-profile-removed", change("", drift.OpRemoved, &drift.User{UserARN: "arn:aws:iam::111122223333:user/auditor", UserName: "auditor", Aspect: drift.UserLoginProfile})},
		{"iam-user-group", change("", drift.OpAdded, &drift.User{UserARN: "arn:aws:iam::111122223333:user/release-bot", UserName: "release-bot", Aspect: drift.UserGroup, Name: "deployers"})},
		{"aws-auth", change("staging", drift.OpModified, &drift.AwsAuth{MapRoles: []drift.AwsAuthRole{
			{RoleARN: role + "eks-node-role", Username: "system:node:{{EC2PrivateDNSName}}", Groups: []string{"system:bootstrappers", "system:nodes"}},
			{RoleARN: role + "developers", Username: "developers", Groups: []string{"dev"}},
			{RoleARN: role + "ops", Username: "ops", Groups: []string{"ops"}},
		}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Amend(before, tt.c)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "amend", tt.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			ix, err := IndexAt(time.Time{}, golden, got)
			if err != nil {
				t.Fatalf("the amended baseline does not load: %v", err)
			}
			if f := drift.NewEvaluator(ix).Evaluate(tt.c); f.Drift {
				t.Errorf("got drift (%s), want the change declared", f.Reason)
			}
			for _, comment := range []string{"# The baseline that `make demo` replays", "# IAM users behind access entries", "# cluster-admin on analytics"} {
				if !strings.Contains(string(got), comment) {
					t.Errorf("got no %q, want the comments kept", comment)
				}
			}
		})
	}
}

// TestAmendRefuses: what is never accepted, and what cannot be, says why
// and edits nothing.
func TestAmendRefuses(t *testing.T) {
	before, err := os.ReadFile("testdata/amend/before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withAlias := strings.Replace(string(before), "kubernetesGroups: [dev]\n        accessPolicies:\n          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
		"kubernetesGroups: &g [dev]\n        accessPolicies:\n          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", 1)
	withAlias = strings.Replace(withAlias, "kubernetesGroups: [dev]", "kubernetesGroups: *g", 1)
	if withAlias == string(before) {
		t.Fatal("the alias fixture did not apply")
	}
	tests := []struct {
		name string
		data string
		c    drift.Change
		want string
	}{
		{"cluster", string(before), change("new", drift.OpAdded, &drift.Cluster{Name: "new"}), "declared by hand"},
		{"iam-role", string(before), change("", drift.OpAdded, &drift.Role{ARN: role + "new", Name: "new"}), "declared by hand"},
		{"tamper", string(before), change("", drift.OpModified, &drift.TamperTarget{}), "never accepted"},
		{"baseline", string(before), change("", drift.OpModified, &drift.BaselineObject{URI: "s3://b/k"}), "nothing to declare"},
		{"sso", string(before), change("", drift.OpModified, &drift.PermissionSet{PermissionSetARN: "arn:aws:sso:::permissionSet/x"}), "permission sets"},
		{"undeclared cluster", string(before), change("dev", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci"}), "declares no cluster"},
		{"policy of an undeclared entry", string(before), change("prod", drift.OpAdded, &drift.AccessPolicy{PrincipalARN: role + "ci", PolicyARN: admin, Scope: drift.AccessScope{Type: "cluster"}}), "accept the entry first"},
		{"unknown pod fields", string(before), change("prod", drift.OpModified, &drift.PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: role + "x", Unknown: []string{drift.PodPolicy}}), "did not say"},
		{"unresolved aws-auth", string(before), change("staging", drift.OpModified, &drift.AwsAuth{Unresolved: true, Patch: "{}"}), "only the patch"},
		{"undeclared role", string(before), change("", drift.OpAdded, &drift.ManagedPolicy{RoleARN: role + "other", RoleName: "other", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}), "does not declare the role"},
		{"another account's role", string(before), change("", drift.OpAdded, &drift.ManagedPolicy{RoleARN: "arn:aws:iam::444455556666:role/developers", RoleName: "developers", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}), "does not declare the role"},
		{"aliases", withAlias, change("prod", drift.OpModified, &drift.AccessEntry{PrincipalARN: role + "developers", KubernetesGroups: []string{"dev", "ops"}}), "aliases"},
		{"removal of what is not declared", string(before), change("prod", drift.OpRemoved, &drift.AccessEntry{PrincipalARN: role + "ci"}), "nothing to remove"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Amend([]byte(tt.data), tt.c)
			if err == nil || !IsNotAcceptable(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v (%d bytes), want a refusal saying %q", err, len(got), tt.want)
			}
		})
	}
}

// TestEveryKindIsAcceptedOrSaysWhyNot: a new kind must either be declared
// by Amend or have its reason in NeverAccepted.
func TestEveryKindIsAcceptedOrSaysWhyNot(t *testing.T) {
	before, err := os.ReadFile("testdata/amend/before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range drift.Kinds {
		if _, ok := NeverAccepted[k]; ok {
			continue
		}
		r, err := drift.DecodeResource(k, json.RawMessage(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		_, err = Amend(before, change("prod", drift.OpAdded, r))
		if err != nil && strings.Contains(err.Error(), "does not know how to declare") {
			t.Errorf("kind %s: got %v, want Amend to declare it or NeverAccepted to say why not", k, err)
		}
	}
}

// TestAmendIsStableAfterTheFirst: the first acceptance rewrites the file in
// eksdrift's YAML layout; an acceptance into a file already in it changes
// only the lines of its resource, so a reviewer's diff shows just that.
func TestAmendIsStableAfterTheFirst(t *testing.T) {
	before, err := os.ReadFile("testdata/amend/access-entry-added.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Amend(before, change("prod", drift.OpAdded, &drift.IdentityProviderConfig{Name: "okta", IssuerURL: "https://corp.okta.com"}))
	if err != nil {
		t.Fatal(err)
	}
	a, b := strings.Split(string(before), "\n"), strings.Split(string(got), "\n")
	if len(a) != len(b) {
		t.Fatalf("got %d lines, want %d", len(b), len(a))
	}
	var changed []string
	for i := range a {
		if a[i] != b[i] {
			changed = append(changed, b[i])
		}
	}
	if want := "    identityProviderConfigs: [{name: okta, issuerUrl: 'https://corp.okta.com'}]"; len(changed) != 1 || changed[0] != want {
		t.Errorf("got changed lines %q, want only %q", changed, want)
	}
}

// TestAmendHostileStrings: the strings of a change come from an attacker's
// API call; written into the YAML they stay one value each (quoted where
// YAML would read them otherwise), never new keys, anchors, aliases or
// comments.
func TestAmendHostileStrings(t *testing.T) {
	before, err := os.ReadFile("testdata/amend/before.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range []string{
		"x\nmode: revert", "*alias", "&anchor x", "{mode: revert}", "[a, b]", "# comment", "'q'", `"d"`, "a: b", "- item",
		"true", "123", "null", "~", "!!binary aGk=", "x #c", " lead", "trail ", "\ttab", "é\u2028line", "}{][",
	} {
		t.Run(payload, func(t *testing.T) {
			c := change("prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: role + "ci", KubernetesGroups: []string{payload}, Username: payload})
			got, err := Amend(before, c)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Mode     any `yaml:"mode"`
				Clusters []struct {
					Name          string `yaml:"name"`
					AccessEntries []struct {
						PrincipalArn     string `yaml:"principalArn"`
						KubernetesGroups []any  `yaml:"kubernetesGroups"`
						Username         any    `yaml:"username"`
					} `yaml:"accessEntries"`
				} `yaml:"clusters"`
			}
			if err := yaml.Unmarshal(got, &doc); err != nil {
				t.Fatalf("the amended file does not parse: %v", err)
			}
			if doc.Mode != "alert" {
				t.Errorf("got mode %v, want alert", doc.Mode)
			}
			es := doc.Clusters[0].AccessEntries
			e := es[len(es)-1]
			if e.PrincipalArn != role+"ci" || e.Username != payload || len(e.KubernetesGroups) != 1 || e.KubernetesGroups[0] != payload {
				t.Errorf("got entry %+v, want username and group %q", e, payload)
			}
		})
	}
}
