package drift

import (
	"fmt"
	"slices"
	"strings"
)

// AwsAuthName is the ConfigMap that maps IAM principals to Kubernetes users
// and groups while a cluster's authentication mode includes CONFIG_MAP.
const AwsAuthName = "kube-system/aws-auth"

// GroupMasters is the Kubernetes group that RBAC binds to cluster-admin.
const GroupMasters = "system:masters"

// AwsAuthRole is one entry of the ConfigMap's mapRoles, in its own shape.
type AwsAuthRole struct {
	RoleARN  string   `json:"rolearn"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// AwsAuthUser is one entry of the ConfigMap's mapUsers.
type AwsAuthUser struct {
	UserARN  string   `json:"userarn"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// AwsAuthBaseline is a cluster's declared aws-auth ConfigMap. A nil list
// declares none of that section.
type AwsAuthBaseline struct {
	MapRoles    []AwsAuthRole `json:"mapRoles"`
	MapUsers    []AwsAuthUser `json:"mapUsers"`
	MapAccounts []string      `json:"mapAccounts"`
}

// AwsAuth is the aws-auth ConfigMap as a write left it: the mappings of its
// result, or (Unresolved) only the patch that made it when the audit event
// does not hold the result and nothing has read the ConfigMap since.
type AwsAuth struct {
	MapRoles    []AwsAuthRole `json:"mapRoles,omitempty"`
	MapUsers    []AwsAuthUser `json:"mapUsers,omitempty"`
	MapAccounts []string      `json:"mapAccounts,omitempty"`
	// Unresolved says the mappings above are unknown: Patch is the
	// request's body, the only evidence of what changed.
	Unresolved bool   `json:"unresolved,omitempty"`
	Patch      string `json:"patch,omitempty"`
}

func (a *AwsAuth) Kind() Kind  { return KindAwsAuth }
func (a *AwsAuth) Key() string { return AwsAuthName }

// Principal is the first principal the ConfigMap maps to system:masters,
// the one an alert is about when there is one.
func (a *AwsAuth) Principal() string {
	for _, r := range a.MapRoles {
		if slices.Contains(r.Groups, GroupMasters) {
			return r.RoleARN
		}
	}
	for _, u := range a.MapUsers {
		if slices.Contains(u.Groups, GroupMasters) {
			return u.UserARN
		}
	}
	return ""
}

// awsAuthDiff is what a ConfigMap has that its baseline does not say, and
// what the baseline declares that it lacks, each as a sentence.
type awsAuthDiff struct {
	undeclared, changed, missing []string
	// masters names the undeclared or changed mappings to system:masters.
	masters []string
}

func (d awsAuthDiff) empty() bool {
	return len(d.undeclared)+len(d.changed)+len(d.missing) == 0
}

func mappingText(arn, username string, groups []string) string {
	s := arn
	if username != "" {
		s += " as " + username
	}
	if len(groups) > 0 {
		s += " in " + strings.Join(groups, ",")
	}
	return s
}

// diffAwsAuth compares a ConfigMap with its declaration: roles and users by
// ARN (username and groups must match, groups as a set), accounts by ID.
func diffAwsAuth(got *AwsAuth, want *AwsAuthBaseline) awsAuthDiff {
	var d awsAuthDiff
	roles := map[string]AwsAuthRole{}
	for _, r := range want.MapRoles {
		roles[r.RoleARN] = r
	}
	for _, r := range got.MapRoles {
		d.compare("role", r.RoleARN, r.Username, r.Groups, roles[r.RoleARN].RoleARN != "", roles[r.RoleARN].Username, roles[r.RoleARN].Groups)
		delete(roles, r.RoleARN)
	}
	for _, r := range want.MapRoles {
		if _, left := roles[r.RoleARN]; left {
			d.missing = append(d.missing, "role "+mappingText(r.RoleARN, r.Username, r.Groups))
		}
	}
	users := map[string]AwsAuthUser{}
	for _, u := range want.MapUsers {
		users[u.UserARN] = u
	}
	for _, u := range got.MapUsers {
		d.compare("user", u.UserARN, u.Username, u.Groups, users[u.UserARN].UserARN != "", users[u.UserARN].Username, users[u.UserARN].Groups)
		delete(users, u.UserARN)
	}
	for _, u := range want.MapUsers {
		if _, left := users[u.UserARN]; left {
			d.missing = append(d.missing, "user "+mappingText(u.UserARN, u.Username, u.Groups))
		}
	}
	for _, a := range got.MapAccounts {
		if !slices.Contains(want.MapAccounts, a) {
			d.undeclared = append(d.undeclared, "account "+a)
		}
	}
	for _, a := range want.MapAccounts {
		if !slices.Contains(got.MapAccounts, a) {
			d.missing = append(d.missing, "account "+a)
		}
	}
	return d
}

func (d *awsAuthDiff) compare(what, arn, username string, groups []string, declared bool, wantUser string, wantGroups []string) {
	text := what + " " + mappingText(arn, username, groups)
	switch {
	case !declared:
		d.undeclared = append(d.undeclared, text)
	case username != wantUser || !SameSet(groups, wantGroups):
		d.changed = append(d.changed, fmt.Sprintf("%s, want %s", text, mappingText(arn, wantUser, wantGroups)))
	default:
		return
	}
	if slices.Contains(groups, GroupMasters) && !(declared && slices.Contains(wantGroups, GroupMasters)) {
		d.masters = append(d.masters, arn)
	}
}

// AwsAuthFromBaseline is the ConfigMap a declaration describes.
func AwsAuthFromBaseline(b *AwsAuthBaseline) *AwsAuth {
	return &AwsAuth{MapRoles: b.MapRoles, MapUsers: b.MapUsers, MapAccounts: b.MapAccounts}
}

// awsAuth reports what a new baseline version lets the aws-auth ConfigMap
// grant that the version before did not: each mapping it newly declares
// (critical into system:masters) and each one it widens.
func (d *differ) awsAuth(where string, prev, next *AwsAuthBaseline) {
	d.unmanaged(where, "aws-auth mappings", prev != nil, next != nil)
	if next == nil {
		return
	}
	if prev == nil {
		prev = &AwsAuthBaseline{}
	}
	diff := diffAwsAuth(AwsAuthFromBaseline(next), prev)
	for _, m := range append(diff.undeclared, diff.changed...) {
		sev := SeverityHigh
		for _, arn := range diff.masters {
			if strings.Contains(m, arn+" ") {
				sev = SeverityCritical
			}
		}
		d.add(sev, OpModified, where, "aws-auth may map %s", m)
	}
	for _, m := range diff.missing {
		d.add(SeverityLow, OpRemoved, where, "aws-auth no longer maps %s", m)
	}
}

// checkAwsAuth rejects a declared ConfigMap that maps one principal or
// account twice: the two would disagree on what it gets.
func checkAwsAuth(i int, c *ClusterBaseline) error {
	if c.AwsAuth == nil {
		return nil
	}
	seen := map[string]bool{}
	dup := func(field, key string) error {
		if seen[key] {
			return &InvalidBaselineError{Field: fmt.Sprintf("clusters[%d].awsAuth.%s", i, field), Problem: fmt.Sprintf("%s is mapped twice on cluster %s", key, c.Name)}
		}
		seen[key] = true
		return nil
	}
	for j, r := range c.AwsAuth.MapRoles {
		if err := dup(fmt.Sprintf("mapRoles[%d].rolearn", j), r.RoleARN); err != nil {
			return err
		}
	}
	for j, u := range c.AwsAuth.MapUsers {
		if err := dup(fmt.Sprintf("mapUsers[%d].userarn", j), u.UserARN); err != nil {
			return err
		}
	}
	for j, a := range c.AwsAuth.MapAccounts {
		if err := dup(fmt.Sprintf("mapAccounts[%d]", j), a); err != nil {
			return err
		}
	}
	return nil
}
