package drift

import "testing"

func TestCanonicalPrincipal(t *testing.T) {
	tests := []struct {
		name, arn, issuer, want, session string
	}{
		{"assumed role keeps issuer path",
			"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com",
			"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_Admin_abc",
			"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_Admin_abc", "alice@example.com"},
		{"assumed role without issuer loses path",
			"arn:aws:sts::111122223333:assumed-role/ci-deployer/github-actions-1234", "",
			"arn:aws:iam::111122223333:role/ci-deployer", "github-actions-1234"},
		{"other partition",
			"arn:aws-us-gov:sts::111122223333:assumed-role/ops/bob", "",
			"arn:aws-us-gov:iam::111122223333:role/ops", "bob"},
		{"iam user unchanged", "arn:aws:iam::111122223333:user/bob", "", "arn:aws:iam::111122223333:user/bob", ""},
		{"root unchanged", "arn:aws:iam::111122223333:root", "", "arn:aws:iam::111122223333:root", ""},
		{"role unchanged", "arn:aws:iam::111122223333:role/path/x", "", "arn:aws:iam::111122223333:role/path/x", ""},
		{"federated user", "arn:aws:sts::111122223333:federated-user/carol", "", "arn:aws:iam::111122223333:root", "carol"},
		{"not an arn", "eks.amazonaws.com", "", "eks.amazonaws.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sess := CanonicalPrincipal(tt.arn, tt.issuer)
			if got != tt.want || sess != tt.session {
				t.Errorf("got %q, %q, want %q, %q", got, sess, tt.want, tt.session)
			}
		})
	}
}

func TestUnescapeARN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdevelopers", "arn:aws:iam::111122223333:role/developers"},
		{"arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FAmazonEKSClusterAdminPolicy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"},
		{"arn:aws:iam::111122223333:role/developers", "arn:aws:iam::111122223333:role/developers"},
		{"arn%ZZbad", "arn%ZZbad"},
	}
	for _, tt := range tests {
		if got := UnescapeARN(tt.in); got != tt.want {
			t.Errorf("UnescapeARN(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRoleNameAndAccount(t *testing.T) {
	tests := []struct {
		arn, name, account string
		ok                 bool
	}{
		{"arn:aws:iam::111122223333:role/platform/platform-admin", "platform-admin", "111122223333", true},
		{"arn:aws:iam::111122223333:role/developers", "developers", "111122223333", true},
		{"arn:aws:iam::111122223333:user/bob", "", "111122223333", false},
		{"444455556666", "", "444455556666", false},
		{"nonsense", "", "", false},
	}
	for _, tt := range tests {
		name, ok := RoleName(tt.arn)
		if name != tt.name || ok != tt.ok {
			t.Errorf("RoleName(%q): got %q, %v, want %q, %v", tt.arn, name, ok, tt.name, tt.ok)
		}
		if got := AccountOf(tt.arn); got != tt.account {
			t.Errorf("AccountOf(%q): got %q, want %q", tt.arn, got, tt.account)
		}
	}
}
