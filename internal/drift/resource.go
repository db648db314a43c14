package drift

import (
	"slices"
	"strings"
)

// Resource is one piece of access configuration. Key identifies it within
// its cluster (EKS kinds) or its account (IAM kinds); two resources with the
// same kind and key are the same thing in two states.
type Resource interface {
	Kind() Kind
	Key() string
	// Principal is the IAM principal whose access the resource shapes, when
	// there is one: the entry's principal, the role of an association.
	Principal() string
}

// Access entry types, as EKS names them.
const (
	EntryStandard     = "STANDARD"
	EntryEC2Linux     = "EC2_LINUX"
	EntryEC2Windows   = "EC2_WINDOWS"
	EntryFargateLinux = "FARGATE_LINUX"
	// EntryEC2 is EKS Auto Mode's node type; hybrid nodes and SageMaker
	// HyperPod nodes have their own.
	EntryEC2           = "EC2"
	EntryHybridLinux   = "HYBRID_LINUX"
	EntryHyperPodLinux = "HYPERPOD_LINUX"
)

// IsNodeEntryType reports whether EKS manages entries of this type for
// nodes or Fargate pods; they are never reverted without an explicit opt-in.
func IsNodeEntryType(t string) bool {
	switch t {
	case EntryEC2Linux, EntryEC2Windows, EntryFargateLinux, EntryEC2, EntryHybridLinux, EntryHyperPodLinux:
		return true
	}
	return false
}

// Cluster is the creation of a cluster.
type Cluster struct {
	Name string `json:"name"`
}

func (c *Cluster) Kind() Kind        { return KindCluster }
func (c *Cluster) Key() string       { return c.Name }
func (c *Cluster) Principal() string { return "" }

// AccessEntry lets an IAM principal authenticate to a cluster.
type AccessEntry struct {
	PrincipalARN     string   `json:"principalArn"`
	Type             string   `json:"type,omitempty"`
	KubernetesGroups []string `json:"kubernetesGroups,omitempty"`
	Username         string   `json:"username,omitempty"`
}

func (e *AccessEntry) Kind() Kind        { return KindAccessEntry }
func (e *AccessEntry) Key() string       { return e.PrincipalARN }
func (e *AccessEntry) Principal() string { return e.PrincipalARN }

// AccessScope limits an access policy to the cluster or to namespaces.
type AccessScope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// Scope types, as EKS names them.
const (
	ScopeCluster   = "cluster"
	ScopeNamespace = "namespace"
)

// Equal compares scopes as EKS does: namespaces are a set.
func (s AccessScope) Equal(o AccessScope) bool {
	return strings.EqualFold(s.Type, o.Type) && SameSet(s.Namespaces, o.Namespaces)
}

// AccessPolicy is an access policy associated with an access entry.
type AccessPolicy struct {
	PrincipalARN string      `json:"principalArn"`
	PolicyARN    string      `json:"policyArn"`
	Scope        AccessScope `json:"accessScope"`
}

func (p *AccessPolicy) Kind() Kind        { return KindAccessPolicy }
func (p *AccessPolicy) Key() string       { return p.PrincipalARN + "|" + p.PolicyARN }
func (p *AccessPolicy) Principal() string { return p.PrincipalARN }

// AuthenticationMode is a cluster's authentication mode.
type AuthenticationMode struct {
	Mode string `json:"authenticationMode"`
}

// Authentication modes, as EKS names them.
const (
	AuthModeAPI             = "API"
	AuthModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
	AuthModeConfigMap       = "CONFIG_MAP"
)

func (m *AuthenticationMode) Kind() Kind        { return KindAuthenticationMode }
func (m *AuthenticationMode) Key() string       { return "authenticationMode" }
func (m *AuthenticationMode) Principal() string { return "" }

// PodIdentityAssociation gives a service account the permissions of a role.
// TargetRoleARN, when set, is the role (often in another account) that EKS
// assumes from RoleARN and whose credentials the pods get; Policy is a
// session policy that narrows those credentials; DisableSessionTags turns off
// the session tags EKS adds (nil means false). As declared, read live or from
// a call's response, the association is whole: no target role and no policy
// mean none. Unknown names the fields (PodTargetRole, PodPolicy,
// PodSessionTags) that an update's request left out and no response told:
// they are unknown, not removed.
type PodIdentityAssociation struct {
	Namespace          string          `json:"namespace"`
	ServiceAccount     string          `json:"serviceAccount"`
	RoleARN            string          `json:"roleArn,omitempty"`
	TargetRoleARN      string          `json:"targetRoleArn,omitempty"`
	Policy             *PolicyDocument `json:"policy,omitempty"`
	DisableSessionTags *bool           `json:"disableSessionTags,omitempty"`
	AssociationID      string          `json:"associationId,omitempty"`
	Unknown            []string        `json:"unknown,omitempty"`
}

// The fields of a pod identity association that an event may leave unknown.
const (
	PodTargetRole  = "targetRoleArn"
	PodPolicy      = "policy"
	PodSessionTags = "disableSessionTags"
)

// Knows reports whether the association says what field is.
func (p *PodIdentityAssociation) Knows(field string) bool { return !slices.Contains(p.Unknown, field) }

// SessionTagsDisabled reports whether EKS adds no session tags.
func (p *PodIdentityAssociation) SessionTagsDisabled() bool {
	return p.DisableSessionTags != nil && *p.DisableSessionTags
}

func (p *PodIdentityAssociation) Kind() Kind        { return KindPodIdentity }
func (p *PodIdentityAssociation) Key() string       { return p.Namespace + "/" + p.ServiceAccount }
func (p *PodIdentityAssociation) Principal() string { return p.RoleARN }

// IdentityProviderConfig lets an OIDC issuer's users authenticate to a cluster.
type IdentityProviderConfig struct {
	Name      string `json:"name"`
	Type      string `json:"type,omitempty"`
	IssuerURL string `json:"issuerUrl,omitempty"`
	ClientID  string `json:"clientId,omitempty"`
}

func (i *IdentityProviderConfig) Kind() Kind        { return KindIdentityProvider }
func (i *IdentityProviderConfig) Key() string       { return i.Name }
func (i *IdentityProviderConfig) Principal() string { return "" }

// Role is an IAM role created or deleted. IAM events name roles without
// their path, so IAM resources are keyed by role name, which is unique in an
// account regardless of path and case (the baseline index folds case).
type Role struct {
	ARN         string          `json:"arn"`
	Name        string          `json:"roleName"`
	TrustPolicy *PolicyDocument `json:"trustPolicy,omitempty"`
}

func (r *Role) Kind() Kind        { return KindRole }
func (r *Role) Key() string       { return r.Name }
func (r *Role) Principal() string { return r.ARN }

// TrustPolicy is a role's assume-role policy.
type TrustPolicy struct {
	RoleARN  string          `json:"roleArn"`
	RoleName string          `json:"roleName"`
	Document *PolicyDocument `json:"document"`
}

func (t *TrustPolicy) Kind() Kind        { return KindTrustPolicy }
func (t *TrustPolicy) Key() string       { return t.RoleName }
func (t *TrustPolicy) Principal() string { return t.RoleARN }

// ManagedPolicy is a managed policy attached to a role.
type ManagedPolicy struct {
	RoleARN   string `json:"roleArn"`
	RoleName  string `json:"roleName"`
	PolicyARN string `json:"policyArn"`
}

func (m *ManagedPolicy) Kind() Kind        { return KindManagedPolicy }
func (m *ManagedPolicy) Key() string       { return m.RoleName + "|" + m.PolicyARN }
func (m *ManagedPolicy) Principal() string { return m.RoleARN }

// InlinePolicy is a policy embedded in a role.
type InlinePolicy struct {
	RoleARN    string          `json:"roleArn"`
	RoleName   string          `json:"roleName"`
	PolicyName string          `json:"policyName"`
	Document   *PolicyDocument `json:"document,omitempty"`
}

func (p *InlinePolicy) Kind() Kind        { return KindInlinePolicy }
func (p *InlinePolicy) Key() string       { return p.RoleName + "|" + p.PolicyName }
func (p *InlinePolicy) Principal() string { return p.RoleARN }

// PermissionsBoundary is the managed policy that bounds a role.
type PermissionsBoundary struct {
	RoleARN   string `json:"roleArn"`
	RoleName  string `json:"roleName"`
	PolicyARN string `json:"policyArn,omitempty"`
}

func (b *PermissionsBoundary) Kind() Kind        { return KindPermissionsBoundary }
func (b *PermissionsBoundary) Key() string       { return b.RoleName }
func (b *PermissionsBoundary) Principal() string { return b.RoleARN }

// The parts of an IAM user a User change touches (User.Aspect).
const (
	UserItself            = "user"                 // the user, as an access entry's principal
	UserAccessKey         = "access-key"           // Name: the access key ID
	UserLoginProfile      = "login-profile"        // a console password
	UserServiceCredential = "service-credential"   // Name: the service-specific credential ID
	UserManagedPolicy     = "managed-policy"       // Name: the policy ARN
	UserInlinePolicy      = "inline-policy"        // Name: the policy name
	UserGroup             = "group"                // Name: the group name
	UserBoundary          = "permissions-boundary" // Name: the boundary's policy ARN
)

// User is one credential or permission of an IAM user. Users are keyed by
// name, which IAM events give without the path, like roles.
type User struct {
	UserARN  string `json:"userArn"`
	UserName string `json:"userName"`
	Aspect   string `json:"aspect"`
	Name     string `json:"name,omitempty"`
	// Status is a credential's status (Active, Inactive); "" means Active.
	Status   string          `json:"status,omitempty"`
	Document *PolicyDocument `json:"document,omitempty"`
}

func (u *User) Kind() Kind { return KindUser }
func (u *User) Key() string {
	if u.Aspect == UserLoginProfile || u.Aspect == UserBoundary || u.Aspect == UserItself {
		return u.UserName + "|" + u.Aspect
	}
	return u.UserName + "|" + u.Aspect + "|" + u.Name
}
func (u *User) Principal() string { return u.UserARN }

// Active reports whether a credential can be used.
func (u *User) Active() bool { return u.Status == "" || strings.EqualFold(u.Status, "Active") }

// PermissionSet is an IAM Identity Center permission set changed, or
// assigned to (or taken from) a principal in an account. Identity Center
// provisions it as the AWSReservedSSO_ role in that account.
type PermissionSet struct {
	InstanceARN      string `json:"instanceArn,omitempty"`
	PermissionSetARN string `json:"permissionSetArn"`
	// Account is the target account of an assignment or provisioning, ""
	// when the call names none (a change to the set itself).
	Account string `json:"account,omitempty"`
	// What is the call's subject: the policy ARN, inline-policy, boundary,
	// the assigned principal (USER:id, GROUP:id), or provision.
	What string `json:"what,omitempty"`
}

func (p *PermissionSet) Kind() Kind { return KindPermissionSet }
func (p *PermissionSet) Key() string {
	return p.PermissionSetARN + "|" + p.Account + "|" + p.What
}
func (p *PermissionSet) Principal() string { return "" }

// OIDCProvider is an IAM OpenID Connect identity provider: whoever it
// vouches for can assume roles that trust it.
type OIDCProvider struct {
	ARN string `json:"arn"`
	URL string `json:"url,omitempty"`
}

func (o *OIDCProvider) Kind() Kind        { return KindOIDCProvider }
func (o *OIDCProvider) Key() string       { return o.ARN }
func (o *OIDCProvider) Principal() string { return "" }

// SameSet reports whether a and b hold the same strings, ignoring order and
// repetition.
func SameSet(a, b []string) bool {
	return slices.Equal(normSet(a), normSet(b))
}

func normSet(a []string) []string {
	s := slices.Clone(a)
	slices.Sort(s)
	return slices.Compact(s)
}
