package baseline

import (
	"errors"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

const validAwsAuth = `version: 1
mode: alert
clusters:
  - name: staging
    account: "111122223333"
    region: us-west-2
    authenticationMode: API_AND_CONFIG_MAP
    awsAuth:
      mapRoles:
        - rolearn: arn:aws:iam::111122223333:role/eks-node-role
          username: "system:node:{{EC2PrivateDNSName}}"
          groups: [system:bootstrappers, system:nodes]
      mapUsers:
        - {userarn: arn:aws:iam::111122223333:user/alice, username: alice, groups: [view]}
      mapAccounts: ["111122223333"]
`

func TestAwsAuthLoadsInItsOwnShape(t *testing.T) {
	b, err := Parse("b.yaml", []byte(validAwsAuth))
	if err != nil {
		t.Fatal(err)
	}
	a := b.Clusters[0].AwsAuth
	if a == nil || len(a.MapRoles) != 1 || a.MapRoles[0].Username != "system:node:{{EC2PrivateDNSName}}" || len(a.MapRoles[0].Groups) != 2 ||
		len(a.MapUsers) != 1 || a.MapUsers[0].UserARN != "arn:aws:iam::111122223333:user/alice" || len(a.MapAccounts) != 1 {
		t.Errorf("got %+v, want the declared mappings", a)
	}
	// What capture and plan write reads back the same.
	out, err := Marshal(b, Notes{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if a := back.Clusters[0].AwsAuth; a == nil || len(a.MapRoles) != 1 || len(a.MapUsers) != 1 || len(a.MapAccounts) != 1 || a.MapRoles[0].Username != "system:node:{{EC2PrivateDNSName}}" {
		t.Errorf("written and read back: got %+v\n%s", a, out)
	}
}

func TestAwsAuthValidation(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		line    int
		field   string
		problem string
	}{
		{"rolearn not a role", func(s string) string {
			return strings.Replace(s, "rolearn: arn:aws:iam::111122223333:role/eks-node-role", "rolearn: arn:aws:iam::111122223333:user/eks-node-role", 1)
		}, 10, "clusters[0].awsAuth.mapRoles[0].rolearn", ""},
		{"the aws-iam-authenticator spelling roleARN", func(s string) string {
			return strings.Replace(s, "rolearn:", "roleARN:", 1)
		}, 10, "clusters[0].awsAuth.mapRoles[0]", ""},
		{"unquoted account", func(s string) string {
			return strings.Replace(s, `mapAccounts: ["111122223333"]`, "mapAccounts: [111122223333]", 1)
		}, 15, "clusters[0].awsAuth.mapAccounts[0]", ""},
		{"userarn not a user", func(s string) string {
			return strings.Replace(s, "userarn: arn:aws:iam::111122223333:user/alice", "userarn: arn:aws:iam::111122223333:role/alice", 1)
		}, 14, "clusters[0].awsAuth.mapUsers[0].userarn", ""},
		{"a role mapped twice", func(s string) string {
			return strings.Replace(s, "      mapUsers:", "        - {rolearn: arn:aws:iam::111122223333:role/eks-node-role, groups: [system:masters]}\n      mapUsers:", 1)
		}, 13, "clusters[0].awsAuth.mapRoles[1].rolearn", "mapped twice"},
		{"unknown section", func(s string) string {
			return strings.Replace(s, "      mapUsers:", "      mapGroups: []\n      mapUsers:", 1)
		}, 13, "clusters[0].awsAuth.mapGroups", "unknown field \"mapGroups\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("b.yaml", []byte(tt.edit(validAwsAuth)))
			var ie *drift.InvalidBaselineError
			if !errors.As(err, &ie) {
				t.Fatalf("got %T %v, want an InvalidBaselineError", err, err)
			}
			if ie.Source != "b.yaml" || ie.Line != tt.line || (tt.field != "" && ie.Field != tt.field) || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("got %s line %d field %q (%v), want b.yaml line %d field %q mentioning %q", ie.Source, ie.Line, ie.Field, err, tt.line, tt.field, tt.problem)
			}
		})
	}
}
