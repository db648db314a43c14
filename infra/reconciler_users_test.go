package infra

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/iam"
)

// userActionsOn gives, for each action of stmts allowed on a user or in
// iam.UserScanActions, the resources it is allowed on.
func userActionsOn(t *testing.T, stmts []statement, normalize func([]any) []any) map[string][]string {
	t.Helper()
	on := map[string][]string{}
	for _, st := range stmts {
		if st.raw["Effect"] == "Deny" {
			continue
		}
		res := st.resources
		if normalize != nil {
			res = normalize(res)
		}
		onUser := slices.ContainsFunc(res, func(r any) bool { return strings.Contains(fmt.Sprint(r), ":user/") })
		for _, a := range st.actions {
			if !onUser && !slices.Contains(iam.UserScanActions, a) {
				continue
			}
			for _, r := range res {
				on[a] = append(on[a], fmt.Sprint(r))
			}
		}
	}
	for a := range on {
		slices.Sort(on[a])
		on[a] = slices.Compact(on[a])
	}
	return on
}

// TestReconcilerReadsTheDeclaredUsers: the sweep scans the baseline's
// users, so the reconciler may make exactly iam.UserScanActions, on the
// users the stack names (-c users=) and nothing wider; with users "*"
// (the default), on the account's users.
func TestReconcilerReadsTheDeclaredUsers(t *testing.T) {
	for _, tc := range []struct {
		c     synthCase
		users []string
	}{
		{caseRevert, []string{"arn:aws:iam::111122223333:user/ops/auditor", "arn:aws:iam::111122223333:user/release-bot"}},
		{casePinned, []string{"arn:aws:iam::111122223333:user/*"}},
	} {
		t.Run(tc.c.name, func(t *testing.T) {
			s := synth(t, tc.c)
			on := userActionsOn(t, roleStatements(t, s, s.stacks.Reconciler.Role), nil)
			want := map[string][]string{}
			for _, a := range iam.UserScanActions {
				want[a] = tc.users
			}
			if !reflect.DeepEqual(on, want) {
				t.Errorf("user actions: got %v, want %v", on, want)
			}
		})
	}
}

// TestSpokeReadRoleReadsTheDeclaredUsers: a member's read role lets the
// sweep scan the member's declared users (iam.UserScanActions), on the
// users in scope only.
func TestSpokeReadRoleReadsTheDeclaredUsers(t *testing.T) {
	for _, tc := range []struct {
		c     synthCase
		users []string
	}{
		{caseOrg, []string{"arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"}},
		{caseOrgRevert, []string{"arn:${AWS::Partition}:iam::${AWS::AccountId}:user/release-bot"}},
	} {
		t.Run(tc.c.name, func(t *testing.T) {
			tpl := spokeOf(t, tc.c)
			_, role, stmts := spokeRole(t, tpl, config.DefaultMemberReadRole)
			if role == nil {
				t.Fatal("no read role in the spoke")
			}
			on := userActionsOn(t, stmts, func(r []any) []any { return normalizeTokens(t, r) })
			want := map[string][]string{}
			for _, a := range iam.UserScanActions {
				want[a] = tc.users
			}
			if !reflect.DeepEqual(on, want) {
				t.Errorf("user actions: got %v, want %v", on, want)
			}
		})
	}
}
