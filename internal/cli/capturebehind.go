package cli

import (
	"context"
	"fmt"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// captureBehind reads the roles and users behind the access of the
// clusters found, and gives the baseline that declares them all, with its
// notes.
func captureBehind(ctx context.Context, s *scan.Scanner, found []drift.ClusterState, account string, regions []string) (*drift.Baseline, baseline.Notes, []error) {
	roleARNs, why, other := scan.Behind(found, account)
	userARNs, userWhy, userOther := scan.UsersBehind(found, account)
	for arn, w := range userOther {
		other[arn] = w
	}
	s.Expect(0, len(roleARNs))
	s.ExpectUsers(len(userARNs))
	roles, errs := s.Roles(ctx, roleARNs)
	users, userErrs := s.Users(ctx, userARNs)
	if errs = append(errs, userErrs...); len(errs) > 0 {
		return nil, baseline.Notes{}, errs
	}
	notes := captureNotes(found, roles, why, other, account, regions)
	notes.Users = captureUserNotes(users, userWhy)
	return drift.Capture(found, roles, users), notes, nil
}

// captureCounts says what a captured baseline declares; users are named
// only when there are some.
func captureCounts(b *drift.Baseline) string {
	entries := 0
	for _, c := range b.Clusters {
		entries += len(c.AccessEntries)
	}
	if len(b.IAMUsers) > 0 {
		return fmt.Sprintf("%d clusters, %d access entries, %d roles and %s", len(b.Clusters), entries, len(b.IAMRoles), plural(len(b.IAMUsers), "user"))
	}
	return fmt.Sprintf("%d clusters, %d access entries and %d roles", len(b.Clusters), entries, len(b.IAMRoles))
}
