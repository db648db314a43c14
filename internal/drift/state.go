package drift

import "time"

// ClusterState is the live access configuration of one cluster, as a full
// scan reads it: everything a baseline can declare about the cluster.
//
// A nil list means the scan did not read that kind (it is then neither
// captured nor judged); an empty list means the cluster has none.
type ClusterState struct {
	Name    string
	Account string
	Region  string
	// Found is false when the cluster does not exist, as far as the
	// credentials that scanned it can see.
	Found bool

	AuthenticationMode      string
	AccessEntries           []EntryState
	PodIdentityAssociations []PodIdentityAssociation
	IdentityProviderConfigs []IdentityProviderConfig

	// ReadAt is when the scan of the cluster started: the state is at
	// least this fresh.
	ReadAt time.Time
}

// EntryState is an access entry with the access policies associated with it.
type EntryState struct {
	AccessEntry
	Policies []AccessPolicy
}

// RoleState is the live state of one IAM role, as a full scan reads it.
type RoleState struct {
	// ARN is the role's ARN with its path; Name its name without it.
	ARN     string
	Name    string
	Account string
	// Found is false when the role does not exist.
	Found bool

	TrustPolicy     *PolicyDocument
	ManagedPolicies []string
	InlinePolicies  map[string]*PolicyDocument
	// PermissionsBoundary is the boundary's ARN, "" when the role has none.
	PermissionsBoundary string

	ReadAt time.Time
}

// UserState is the live state of one IAM user, as a full scan reads it:
// everything an iamUsers entry can declare.
type UserState struct {
	// ARN is the user's ARN with its path; Name its name without it.
	ARN     string
	Name    string
	Account string
	// Found is false when the user does not exist.
	Found bool

	ManagedPolicies []string
	InlinePolicies  map[string]*PolicyDocument
	Groups          []string
	// PermissionsBoundary is the boundary's ARN, "" when the user has none.
	PermissionsBoundary string
	// AccessKeys and ServiceCredentials are every credential the user
	// holds, active or not; ConsoleAccess is whether it has a console
	// password (a login profile).
	AccessKeys         []Credential
	ServiceCredentials []Credential
	ConsoleAccess      bool

	ReadAt time.Time
}

// Credential is an access key or a service-specific credential: its ID and
// status (Active, Inactive; "" means Active, as User.Status).
type Credential struct {
	ID     string
	Status string
}

// Active reports whether the credential can be used.
func (c Credential) Active() bool { return (&User{Status: c.Status}).Active() }
