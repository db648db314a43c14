package config

// Environment variables of an organization deployment (docs/deploy.md,
// "Deploying to an organization"): the stack sets them on the detector,
// the reconcile function and the reverter when member accounts are
// watched, and each member account's spoke stack creates the roles they
// name.
const (
	// EnvMemberReadRole is the name of the read-only role in each member
	// account (the spoke's), which the detector and the sweep assume.
	EnvMemberReadRole = "EKSDRIFT_MEMBER_READ_ROLE" // default DefaultMemberReadRole
	// EnvMemberRevertRole is the name of the member accounts' revert role,
	// which only the reverter assumes (revert mode).
	EnvMemberRevertRole = "EKSDRIFT_MEMBER_REVERT_ROLE" // default DefaultMemberRevertRole
	// EnvMemberExternalID is the sts:ExternalId both member roles require.
	EnvMemberExternalID = "EKSDRIFT_MEMBER_EXTERNAL_ID"
	// EnvOrganizationID is the organization (o-...) whose accounts are
	// watched; optional.
	EnvOrganizationID = "EKSDRIFT_ORGANIZATION_ID"
	// EnvMemberAccounts lists the watched member accounts, comma-separated
	// 12-digit IDs; optional.
	EnvMemberAccounts = "EKSDRIFT_MEMBER_ACCOUNTS"
	// EnvRegions lists the watched regions, comma-separated.
	EnvRegions = "EKSDRIFT_REGIONS"
)

// Default names of the member accounts' roles, which the spoke stack
// creates.
const (
	DefaultMemberReadRole   = "eksdrift-read"
	DefaultMemberRevertRole = "eksdrift-revert"
)
