package drift

import "testing"

// TestSweepScopeCoversDeclaredUsers: a user the sweep read covers its own
// findings (by account and name, whatever the case), not another user's
// nor another account's; a user behind an entry stays the cluster's.
func TestSweepScopeCoversDeclaredUsers(t *testing.T) {
	var s SweepScope
	s.AddUser(UserState{ARN: "arn:aws:iam::111122223333:user/ci/Deploy", Name: "Deploy", Account: "111122223333", Found: true})
	s.AddUser(UserState{ARN: "arn:aws:iam::111122223333:user/gone", Name: "gone", Account: "111122223333"})
	for _, tc := range []struct {
		name string
		f    Finding
		want bool
	}{
		{"its key", Finding{Kind: KindUser, Account: "111122223333", Resource: "Deploy|access-key|AKIA1"}, true},
		{"its name in another case", Finding{Kind: KindUser, Account: "111122223333", Resource: "deploy|login-profile"}, true},
		{"a user gone", Finding{Kind: KindUser, Account: "111122223333", Resource: "gone|group|admins"}, true},
		{"another user", Finding{Kind: KindUser, Account: "111122223333", Resource: "other|access-key|AKIA1"}, false},
		{"another account", Finding{Kind: KindUser, Account: "444455556666", Resource: "Deploy|access-key|AKIA1"}, false},
		{"behind an entry of a cluster not read", Finding{Kind: KindUser, Account: "111122223333", Region: "us-west-2", Cluster: "prod", Resource: "Deploy|user"}, false},
		{"a role of the same name", Finding{Kind: KindManagedPolicy, Account: "111122223333", Resource: "Deploy|arn:aws:iam::aws:policy/ReadOnlyAccess"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Covers(tc.f); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
