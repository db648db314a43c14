package drift

import (
	"fmt"
	"strings"
	"time"
)

// Mode is what eksdrift does about drift.
type Mode string

// The modes a baseline can ask for.
const (
	ModeAlert  Mode = "alert"   // report it
	ModeDryRun Mode = "dry-run" // report it and what a revert would do
	ModeRevert Mode = "revert"  // report it and undo it
)

// Baseline declares who may reach each cluster. It is loaded and validated by
// an adapter (package baseline); here it is plain data.
//
// A nil list means "not managed": eksdrift does not judge that kind of
// resource there. An empty, non-nil list means "none allowed".
type Baseline struct {
	Version    int
	Mode       Mode
	BreakGlass []BreakGlass
	Clusters   []ClusterBaseline
	IAMRoles   []RoleBaseline
	IAMUsers   []UserBaseline // nil when IAM users are not managed
	// OIDCProviders lists the ARNs of the IAM OIDC providers the account may
	// have; nil when not managed.
	OIDCProviders []string

	// Source says where the baseline came from (a file path, an s3:// URI)
	// and VersionID which version of it (an S3 version id or a content hash).
	Source    string
	VersionID string
}

// BreakGlass names an actor whose changes are reported but never reverted,
// until Expires (zero means no expiry).
type BreakGlass struct {
	Principal string
	Expires   time.Time
	Reason    string
	// LongExpiry is the reason given in the baseline for an entry with no
	// expiry or one more than MaxBreakGlass after validation; "" when the
	// entry asks for no such override.
	LongExpiry string
}

// MaxBreakGlass is the longest a break-glass entry may run, from the time
// the baseline is validated, unless it gives a reason (allowLongExpiry).
const MaxBreakGlass = 30 * 24 * time.Hour

// ClusterBaseline is what one cluster may have.
type ClusterBaseline struct {
	Name    string
	Account string
	Region  string
	Mode    Mode // "" inherits the baseline's

	AuthenticationMode      string // "" when not managed
	AccessEntries           []AccessEntryBaseline
	PodIdentityAssociations []PodIdentityAssociation
	IdentityProviderConfigs []IdentityProviderConfig
	// RevertNodeEntries opts in to reverting entries of the node and Fargate
	// types, which EKS manages and which are otherwise only reported.
	RevertNodeEntries bool
	// AwsAuth is the declared aws-auth ConfigMap; nil when not managed.
	AwsAuth *AwsAuthBaseline
	// Approvers are the Slack users (U…, W…) and user groups (S…) who may
	// act on this cluster's findings from Slack's buttons; none when empty.
	Approvers []string
}

// AccessEntryBaseline is a declared access entry with its policies. An entry
// is always declared whole: no kubernetesGroups means none, no accessPolicies
// means none.
type AccessEntryBaseline struct {
	PrincipalARN     string                 `json:"principalArn"`
	Type             string                 `json:"type,omitempty"` // STANDARD when empty
	KubernetesGroups []string               `json:"kubernetesGroups,omitempty"`
	Username         string                 `json:"username,omitempty"` // "" when EKS may choose it
	AccessPolicies   []AccessPolicyBaseline `json:"accessPolicies,omitempty"`
}

// AccessPolicyBaseline is a declared access policy association.
type AccessPolicyBaseline struct {
	PolicyARN string      `json:"policyArn"`
	Scope     AccessScope `json:"accessScope"`
}

// RoleBaseline is what a role behind cluster access may be. Roles not
// declared are out of scope.
type RoleBaseline struct {
	ARN  string
	Mode Mode // "" inherits the baseline's

	TrustPolicy *PolicyDocument // nil when not managed
	// ManagedPolicies and InlinePolicies are nil when not managed.
	ManagedPolicies []string
	InlinePolicies  map[string]*PolicyDocument
	// PermissionsBoundary is nil when not managed; a pointer to "" means the
	// role must have none.
	PermissionsBoundary *string
}

// Name gives the role's name without its path.
func (r RoleBaseline) Name() string {
	n, _ := RoleName(r.ARN)
	return n
}

// Account gives the role's account.
func (r RoleBaseline) Account() string { return AccountOf(r.ARN) }

// UserBaseline is what an IAM user behind cluster access may be. Its
// credentials are always judged: a credential the baseline does not list
// is drift.
type UserBaseline struct {
	ARN  string
	Mode Mode // "" inherits the baseline's

	// ManagedPolicies, InlinePolicies and Groups are nil when not managed.
	ManagedPolicies []string
	InlinePolicies  map[string]*PolicyDocument
	Groups          []string
	// PermissionsBoundary is nil when not managed; a pointer to "" means the
	// user must have none.
	PermissionsBoundary *string
	// AccessKeys and ServiceCredentials are the IDs the user may hold;
	// ConsoleAccess says whether it may have a console password.
	AccessKeys         []string
	ServiceCredentials []string
	ConsoleAccess      bool
}

// Name gives the user's name without its path.
func (u UserBaseline) Name() string {
	a, ok := ParseARN(u.ARN)
	if !ok {
		return ""
	}
	return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
}

// Account gives the user's account.
func (u UserBaseline) Account() string { return AccountOf(u.ARN) }

// Index is a baseline prepared for lookups that cost the same whatever its
// size. Build it once per baseline load; it is safe for concurrent reads.
type Index struct {
	Baseline *Baseline
	clusters map[string]*clusterIndex // account/region/name
	roles    map[string]*RoleBaseline // account/lower(name)
	users    map[string]*UserBaseline // account/lower(name)
	// admins holds the identities (IdentityKey) with cluster-admin at
	// cluster scope on some baseline cluster.
	admins map[string]bool
	oidc   map[string]bool
	glass  map[string][]BreakGlass
}

type clusterIndex struct {
	c        *ClusterBaseline
	entries  map[string]*AccessEntryBaseline
	policies map[string]*AccessPolicyBaseline // principal|policy
	pods     map[string]*PodIdentityAssociation
	idps     map[string]*IdentityProviderConfig
	// admin says whether the baseline declares a principal with
	// cluster-admin on the whole cluster: mode revert needs one.
	admin bool
}

// NewIndex indexes a baseline. It rejects what validation of the file
// format cannot see, such as a cluster or an entry declared twice.
func NewIndex(b *Baseline) (*Index, error) {
	ix := &Index{
		Baseline: b,
		clusters: make(map[string]*clusterIndex, len(b.Clusters)),
		roles:    make(map[string]*RoleBaseline, len(b.IAMRoles)),
		glass:    map[string][]BreakGlass{},
		admins:   map[string]bool{},
	}
	for i := range b.Clusters {
		c := &b.Clusters[i]
		k := clusterKey(c.Account, c.Region, c.Name)
		if _, dup := ix.clusters[k]; dup {
			return nil, &InvalidBaselineError{Field: fmt.Sprintf("clusters[%d]", i), Problem: fmt.Sprintf("cluster %s in %s/%s is declared twice", c.Name, c.Account, c.Region)}
		}
		ci := &clusterIndex{
			c:        c,
			entries:  make(map[string]*AccessEntryBaseline, len(c.AccessEntries)),
			policies: map[string]*AccessPolicyBaseline{},
			pods:     make(map[string]*PodIdentityAssociation, len(c.PodIdentityAssociations)),
			idps:     map[string]*IdentityProviderConfig{},
		}
		for j := range c.AccessEntries {
			e := &c.AccessEntries[j]
			if _, dup := ci.entries[e.PrincipalARN]; dup {
				return nil, &InvalidBaselineError{Field: fmt.Sprintf("clusters[%d].accessEntries[%d].principalArn", i, j), Problem: fmt.Sprintf("principal %s is declared twice on cluster %s", e.PrincipalARN, c.Name)}
			}
			ci.entries[e.PrincipalARN] = e
			for k := range e.AccessPolicies {
				p := &e.AccessPolicies[k]
				pk := e.PrincipalARN + "|" + p.PolicyARN
				if _, dup := ci.policies[pk]; dup {
					return nil, &InvalidBaselineError{Field: fmt.Sprintf("clusters[%d].accessEntries[%d].accessPolicies[%d].policyArn", i, j, k), Problem: fmt.Sprintf("policy %s is declared twice for %s", p.PolicyARN, e.PrincipalARN)}
				}
				ci.policies[pk] = p
				if p.PolicyARN == PolicyClusterAdmin && strings.EqualFold(p.Scope.Type, ScopeCluster) {
					ci.admin = true
					ix.admins[IdentityKey(e.PrincipalARN)] = true
				}
			}
		}
		for j := range c.PodIdentityAssociations {
			p := &c.PodIdentityAssociations[j]
			if _, dup := ci.pods[p.Key()]; dup {
				return nil, &InvalidBaselineError{Field: fmt.Sprintf("clusters[%d].podIdentityAssociations[%d]", i, j), Problem: fmt.Sprintf("service account %s is declared twice on cluster %s", p.Key(), c.Name)}
			}
			if p.Policy != nil && !p.SessionTagsDisabled() {
				return nil, &InvalidBaselineError{Field: fmt.Sprintf("clusters[%d].podIdentityAssociations[%d].policy", i, j), Problem: fmt.Sprintf("service account %s has a session policy but not disableSessionTags: true, which EKS requires with one", p.Key())}
			}
			ci.pods[p.Key()] = p
		}
		for j := range c.IdentityProviderConfigs {
			p := &c.IdentityProviderConfigs[j]
			ci.idps[p.Name] = p
		}
		if err := checkAwsAuth(i, c); err != nil {
			return nil, err
		}
		ix.clusters[k] = ci
	}
	for i := range b.IAMRoles {
		r := &b.IAMRoles[i]
		k := roleIndexKey(r.Account(), r.Name())
		if _, dup := ix.roles[k]; dup {
			return nil, &InvalidBaselineError{Field: fmt.Sprintf("iamRoles[%d].arn", i), Problem: fmt.Sprintf("role %s is declared twice (role names are unique per account, whatever their path or case)", r.ARN)}
		}
		ix.roles[k] = r
	}
	if err := ix.indexUsers(b.IAMUsers); err != nil {
		return nil, err
	}
	if b.OIDCProviders != nil {
		ix.oidc = make(map[string]bool, len(b.OIDCProviders))
		for _, p := range b.OIDCProviders {
			ix.oidc[p] = true
		}
	}
	for _, g := range b.BreakGlass {
		k := IdentityKey(g.Principal)
		ix.glass[k] = append(ix.glass[k], g)
	}
	return ix, nil
}

// Cluster finds a declared cluster.
func (ix *Index) Cluster(account, region, name string) (*ClusterBaseline, bool) {
	ci, ok := ix.clusters[clusterKey(account, region, name)]
	if !ok {
		return nil, false
	}
	return ci.c, true
}

// Role finds a declared role by account and name.
func (ix *Index) Role(account, name string) (*RoleBaseline, bool) {
	r, ok := ix.roles[roleIndexKey(account, name)]
	return r, ok
}

func (ix *Index) indexUsers(users []UserBaseline) error {
	ix.users = make(map[string]*UserBaseline, len(users))
	for i := range users {
		u := &users[i]
		k := roleIndexKey(u.Account(), u.Name())
		if _, dup := ix.users[k]; dup {
			return &InvalidBaselineError{Field: fmt.Sprintf("iamUsers[%d].arn", i), Problem: fmt.Sprintf("user %s is declared twice (user names are unique per account, whatever their path or case)", u.ARN)}
		}
		ix.users[k] = u
	}
	return nil
}

// User finds a declared user by account and name.
func (ix *Index) User(account, name string) (*UserBaseline, bool) {
	u, ok := ix.users[roleIndexKey(account, name)]
	return u, ok
}

// HoldsClusterAdmin reports whether the baseline gives principal
// cluster-admin on the whole of some cluster.
func (ix *Index) HoldsClusterAdmin(principal string) bool { return ix.admins[IdentityKey(principal)] }

// BreakGlassFor gives the break-glass entry that covers principal at t.
// Principals match as IAM matches identities (IdentityKey): same account,
// role or user name in any case, any path.
func (ix *Index) BreakGlassFor(principal string, t time.Time) (BreakGlass, bool) {
	for _, g := range ix.glass[IdentityKey(principal)] {
		if g.Expires.IsZero() || t.Before(g.Expires) {
			return g, true
		}
	}
	return BreakGlass{}, false
}

// ExpiredBreakGlassFor gives a break-glass entry for principal that had
// expired by t, so findings can say why it no longer protects.
func (ix *Index) ExpiredBreakGlassFor(principal string, t time.Time) (BreakGlass, bool) {
	for _, g := range ix.glass[IdentityKey(principal)] {
		if !g.Expires.IsZero() && !t.Before(g.Expires) {
			return g, true
		}
	}
	return BreakGlass{}, false
}

func clusterKey(account, region, name string) string {
	return account + "/" + region + "/" + name
}

func roleIndexKey(account, name string) string {
	return account + "/" + strings.ToLower(name)
}

// InvalidBaselineError says what is wrong with a baseline and where.
type InvalidBaselineError struct {
	Source  string // file or URI
	Line    int    // 0 when unknown
	Column  int
	Field   string // path of the offending field, e.g. clusters[0].accessEntries[2].type
	Problem string
}

func (e *InvalidBaselineError) Error() string {
	var b strings.Builder
	b.WriteString("invalid baseline")
	if e.Source != "" {
		b.WriteString(" ")
		b.WriteString(e.Source)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Column)
			}
		}
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}
