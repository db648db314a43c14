package cli

import (
	"context"
	"fmt"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// readBehind reads the roles and users of account behind the captured
// clusters' access entries; what could not be read is returned.
func (c *captured) readBehind(ctx context.Context, s *scan.Scanner, account string) []error {
	roleARNs, why, other := scan.Behind(c.found, account)
	userARNs, userWhy, userOther := scan.UsersBehind(c.found, account)
	for arn, w := range userOther {
		other[arn] = w
	}
	c.why, c.other, c.userWhy = why, other, userWhy
	s.Expect(0, len(roleARNs))
	s.ExpectUsers(len(userARNs))
	roles, errs := s.Roles(ctx, roleARNs)
	users, userErrs := s.Users(ctx, userARNs)
	c.roles, c.users = roles, users
	return append(errs, userErrs...)
}

// baseline is the captured baseline of c, with its notes.
func (c captured) baseline(account string, regions []string) (*drift.Baseline, baseline.Notes) {
	notes := captureNotes(c.found, c.roles, c.why, c.other, account, regions)
	notes.Users = captureUserNotes(c.users, c.userWhy)
	return drift.Capture(c.found, c.roles, c.users), notes
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
