package slack

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// describeAwsAuth shows the aws-auth ConfigMap's mappings beside the
// declared ones, one line a mapping, and the mappings that differ.
func describeAwsAuth(c change, f drift.Finding, state json.RawMessage) change {
	r, ok := decode[drift.AwsAuth](state)
	d, declared := decode[drift.AwsAuthBaseline](f.Expected)
	var now, want []string
	if ok {
		now = awsAuthLines(r.MapRoles, r.MapUsers, r.MapAccounts)
		switch {
		case f.Change == drift.OpRemoved:
			c.now = "*deleted*"
		case r.Unresolved:
			c.now = "_unconfirmed: patch without result_"
		default:
			c.now = strings.Join(now, "\n")
		}
	}
	if declared {
		want = awsAuthLines(d.MapRoles, d.MapUsers, d.MapAccounts)
		c.baseline = strings.Join(want, "\n")
		if c.baseline == "" {
			c.baseline = "_no mappings_"
		}
	}
	if ok && declared && !r.Unresolved && f.Change != drift.OpRemoved {
		for _, l := range now {
			if !slices.Contains(want, l) {
				c.diff = append(c.diff, plus+l)
			}
		}
		for _, l := range want {
			if !slices.Contains(now, l) {
				c.diff = append(c.diff, minus+l)
			}
		}
	}
	return c
}

func awsAuthLines(roles []drift.AwsAuthRole, users []drift.AwsAuthUser, accounts []string) []string {
	var out []string
	line := func(what, arn, username string, groups []string) string {
		s := what + " " + code(arn)
		if username != "" {
			s += " as " + code(username)
		}
		g := slices.Clone(groups)
		slices.Sort(g)
		return s + ", groups " + codes(g)
	}
	for _, r := range roles {
		out = append(out, line("role", r.RoleARN, r.Username, r.Groups))
	}
	for _, u := range users {
		out = append(out, line("user", u.UserARN, u.Username, u.Groups))
	}
	for _, a := range accounts {
		out = append(out, "account "+code(a))
	}
	return out
}
