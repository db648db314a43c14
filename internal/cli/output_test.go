package cli

import (
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestShortActor(t *testing.T) {
	tests := []struct {
		actor, session, want string
	}{
		{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_AdministratorAccess_0123456789abcdef", "alice@example.com", "alice@example.com (sso AdministratorAccess)"},
		{"arn:aws:iam::111122223333:role/ci/ci-deployer", "github-actions-1234", "github-actions-1234 (ci-deployer)"},
		{"arn:aws:iam::111122223333:user/bob", "", "user/bob"},
		{"arn:aws:iam::444455556666:role/vendor", "", "444455556666:role/vendor"},
		{"eks.amazonaws.com", "", "eks.amazonaws.com"},
	}
	for _, tt := range tests {
		f := &drift.Finding{Actor: tt.actor, ActorSession: tt.session, Account: "111122223333"}
		if got := shortActor(f); got != tt.want {
			t.Errorf("shortActor(%s, %s): got %q, want %q", tt.actor, tt.session, got, tt.want)
		}
	}
}

func TestShortResource(t *testing.T) {
	f := &drift.Finding{Account: "111122223333", Resource: "arn:aws:iam::111122223333:role/contractor|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}
	if got := shortResource(f); got != "role/contractor AmazonEKSClusterAdminPolicy" {
		t.Errorf("got %q", got)
	}
}
