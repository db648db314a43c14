package drift

import (
	"slices"
	"strings"
	"testing"
)

// TestReverterDeniesEveryCriticalAccessPolicy walks the rating table: an
// access policy rated critical at any scope is one the reverter must never
// grant by restoring unless allowGrantingAdmin, so it must be in
// ReverterDeniedAccessPolicies (which the stack's explicit deny is built
// from), and the planner's guard must hold it back in every scope and
// partition.
func TestReverterDeniesEveryCriticalAccessPolicy(t *testing.T) {
	scopes := map[string]AccessScope{
		"cluster":                 {Type: "cluster"},
		"namespace":               {Type: ScopeNamespace, Namespaces: []string{"team-a"}},
		"namespace kube-*":        {Type: ScopeNamespace, Namespaces: []string{"kube-*"}},
		"namespace with no names": {Type: ScopeNamespace},
	}
	criticals := 0
	for _, p := range AccessPolicies() {
		if p.Cluster != SeverityCritical && p.Namespaced != SeverityCritical {
			continue
		}
		criticals++
		t.Run(p.Name, func(t *testing.T) {
			if !slices.Contains(ReverterDeniedAccessPolicies, p.ARN()) {
				t.Fatalf("got %v, want %s in ReverterDeniedAccessPolicies: the table rates it critical", ReverterDeniedAccessPolicies, p.ARN())
			}
			for name, scope := range scopes {
				for _, partition := range []string{"aws", "aws-cn", "aws-us-gov"} {
					arn := strings.Replace(p.ARN(), "arn:aws:", "arn:"+partition+":", 1)
					op := Operation{Action: ActAssociateAccessPolicy, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/dev", PolicyARN: arn, Scope: scope}}
					if got := AdminGrant(op); got != arn {
						t.Errorf("%s, %s: AdminGrant got %q, want %q", name, partition, got, arn)
					}
				}
			}
		})
	}
	if criticals == 0 {
		t.Fatal("got no critical row in the access policy table, want at least AmazonEKSClusterAdminPolicy")
	}
	// The list holds only what the table knows: a name there that the table
	// does not rate critical is a typo that denies nothing real.
	for _, arn := range ReverterDeniedAccessPolicies {
		p, ok := lookupAccessPolicy(arn)
		if !ok || (p.Cluster != SeverityCritical && p.Namespaced != SeverityCritical) {
			t.Errorf("got %s in ReverterDeniedAccessPolicies, want only policies the table rates critical", arn)
		}
	}
}

func TestAdminGrant(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/dev"
	tests := []struct {
		name string
		op   Operation
		want string
	}{
		{"view policy", Operation{Action: ActAssociateAccessPolicy, Resource: &AccessPolicy{PrincipalARN: role, PolicyARN: accessPolicyPrefix + "AmazonEKSViewPolicy"}}, ""},
		{"edit at cluster scope", Operation{Action: ActAssociateAccessPolicy, Resource: &AccessPolicy{PrincipalARN: role, PolicyARN: accessPolicyPrefix + "AmazonEKSEditPolicy", Scope: AccessScope{Type: "cluster"}}},
			accessPolicyPrefix + "AmazonEKSEditPolicy"},
		{"a lookalike is not denied, nor rated low", Operation{Action: ActAssociateAccessPolicy, Resource: &AccessPolicy{PrincipalARN: role, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/amazonekseditpolicy"}}, ""},
		{"AdministratorAccess in aws-us-gov", Operation{Action: ActAttachRolePolicy, Resource: &ManagedPolicy{RoleName: "dev", PolicyARN: "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}},
			"arn:aws-us-gov:iam::aws:policy/AdministratorAccess"},
		{"AdministratorAccess as a boundary in aws-cn", Operation{Action: ActPutRolePermissionsBoundary, Resource: &PermissionsBoundary{RoleName: "dev", PolicyARN: "arn:aws-cn:iam::aws:policy/AdministratorAccess"}},
			"arn:aws-cn:iam::aws:policy/AdministratorAccess"},
		{"a user's boundary in aws-cn", Operation{Action: ActPutUserPermissionsBoundary, Resource: &User{Aspect: UserBoundary, Name: "arn:aws-cn:iam::aws:policy/IAMFullAccess"}},
			"arn:aws-cn:iam::aws:policy/IAMFullAccess"},
		{"a customer policy", Operation{Action: ActAttachRolePolicy, Resource: &ManagedPolicy{RoleName: "dev", PolicyARN: "arn:aws:iam::111122223333:policy/AdministratorAccess"}}, ""},
		{"not an ARN", Operation{Action: ActAttachRolePolicy, Resource: &ManagedPolicy{RoleName: "dev", PolicyARN: "AdministratorAccess"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AdminGrant(tt.op); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
