package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/iam"
)

// TestReconcilerReadsTheHomeAccountInEveryWatchedRegion: in an
// organization deployment the fan-out sweeps the home (security) account's
// own targets with the function's own role, in every region of
// EKSDRIFT_REGIONS (the regions setting), as it sweeps the members'
// through their read role. So the reconciler's role may make every call of
// the sweep on the scope's clusters of the home account in each of those
// regions, not only the stack's, and read the scope's roles and users.
func TestReconcilerReadsTheHomeAccountInEveryWatchedRegion(t *testing.T) {
	for _, c := range []synthCase{caseOrg, caseOrgRevert, caseMembers} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			on := map[string][]string{}
			for _, st := range roleStatements(t, s, s.stacks.Reconciler.Role) {
				if st.raw["Effect"] != "Allow" || st.raw["Condition"] != nil {
					continue
				}
				for _, a := range st.actions {
					for _, r := range st.resources {
						on[a] = append(on[a], fmt.Sprint(r))
					}
				}
			}
			regions := s.settings.Organization.Regions
			if len(regions) < 2 && c.name != caseOrgRevert.name {
				t.Fatalf("case %s: got regions %v, want at least two (the test needs a region besides the stack's)", c.name, regions)
			}
			home := s.settings.Account
			for _, cluster := range s.settings.Clusters {
				for _, region := range regions {
					arns := map[string]bool{fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", region, home, cluster): true}
					for _, kind := range clusterChildren {
						arns[fmt.Sprintf("arn:aws:eks:%s:%s:%s/%s/*", region, home, kind, cluster)] = true
					}
					for _, a := range reconcileScanActions {
						for arn := range arns {
							if !slices.Contains(on[a], arn) {
								t.Errorf("reconciler may not %s on %s (home account, watched region %s): got it on %v", a, arn, region, on[a])
							}
						}
					}
				}
			}
			for _, role := range s.settings.Roles {
				arn := "arn:aws:iam::" + home + ":role/" + role
				for _, a := range iam.ScanActions {
					if !slices.Contains(on[a], arn) {
						t.Errorf("reconciler may not %s on %s (home account): got it on %v", a, arn, on[a])
					}
				}
			}
			for _, user := range s.settings.Users {
				arn := "arn:aws:iam::" + home + ":user/" + user
				for _, a := range iam.UserScanActions {
					if !slices.Contains(on[a], arn) {
						t.Errorf("reconciler may not %s on %s (home account): got it on %v", a, arn, on[a])
					}
				}
			}
			// Its own reads stay in the home account: the members' go
			// through their read role.
			for _, a := range reconcileScanActions {
				for _, r := range on[a] {
					if !strings.Contains(r, ":"+home+":") {
						t.Errorf("reconciler may %s on %s: want the home account's scope only", a, r)
					}
				}
			}
		})
	}
}
