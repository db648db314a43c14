package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// captureNotes are the comments of a captured baseline: where it came from,
// which entries EKS manages, what each role is behind.
func captureNotes(clusters []drift.ClusterState, roles []drift.RoleState, why, other map[string]string, account string, regions []string) baseline.Notes {
	n := baseline.Notes{
		Header: []string{
			fmt.Sprintf("Captured by eksdrift baseline capture at %s from account %s (%s).", time.Now().UTC().Format(time.RFC3339), account, joinComma(regions)),
			"It declares the access that existed then, in mode alert. Review it before use:",
			"remove what should not be allowed, then choose a mode (docs/baseline.md).",
		},
		Entries: map[string]string{},
		Roles:   map[string]string{},
	}
	for _, c := range clusters {
		for _, e := range c.AccessEntries {
			var lines []string
			switch e.Type {
			case drift.EntryEC2Linux, drift.EntryEC2Windows:
				lines = append(lines, e.Type+": managed by EKS for the nodes that use this role; only alerted on unless revertNodeEntries is set")
			case drift.EntryFargateLinux:
				lines = append(lines, e.Type+": managed by EKS for the pods of a Fargate profile; only alerted on unless revertNodeEntries is set")
			}
			if w := other[e.PrincipalARN]; w != "" {
				lines = append(lines, w)
			}
			if len(lines) > 0 {
				n.Entries[baseline.EntryNote(c.Account, c.Region, c.Name, e.PrincipalARN)] = strings.Join(lines, "\n")
			}
		}
	}
	// Entries name a role as they were created with it; the captured ARN is
	// the one IAM gives back, whose path may differ: match by name.
	byName := map[string]string{}
	for arn, w := range why {
		if name, ok := drift.RoleName(arn); ok {
			byName[strings.ToLower(name)] = w
		}
	}
	for _, r := range roles {
		if w := why[r.ARN]; w != "" {
			n.Roles[r.ARN] = w
		} else if w := byName[strings.ToLower(r.Name)]; w != "" {
			n.Roles[r.ARN] = w
		}
	}
	return n
}

// captureUserNotes say what each captured user is behind; why is keyed by
// the entries' ARNs, matched by identity (IAM gives the user back with its
// path).
func captureUserNotes(users []drift.UserState, why map[string]string) map[string]string {
	byID := map[string]string{}
	for arn, w := range why {
		byID[drift.IdentityKey(arn)] = w
	}
	notes := map[string]string{}
	for _, u := range users {
		if w := byID[drift.IdentityKey(u.ARN)]; w != "" {
			notes[u.ARN] = w
		}
	}
	return notes
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
