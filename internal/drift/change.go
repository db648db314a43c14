package drift

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Kind names the piece of access configuration a change touches.
type Kind string

// The kinds eksdrift watches. Their string values are part of the public
// finding contract (the `kind` field) and of the history stores' keys.
const (
	KindCluster             Kind = "cluster"
	KindAccessEntry         Kind = "access-entry"
	KindAccessPolicy        Kind = "access-policy"
	KindAuthenticationMode  Kind = "authentication-mode"
	KindPodIdentity         Kind = "pod-identity-association"
	KindIdentityProvider    Kind = "identity-provider-config"
	KindRole                Kind = "iam-role"
	KindTrustPolicy         Kind = "iam-trust-policy"
	KindManagedPolicy       Kind = "iam-managed-policy"
	KindInlinePolicy        Kind = "iam-inline-policy"
	KindPermissionsBoundary Kind = "iam-permissions-boundary"
	KindOIDCProvider        Kind = "iam-oidc-provider"
	// KindUser is an IAM user's credentials or permissions: the user may be
	// the principal of an access entry.
	KindUser Kind = "iam-user"
	// KindPermissionSet is an IAM Identity Center permission set or account
	// assignment: Identity Center rewrites the AWSReservedSSO_ roles from it.
	KindPermissionSet Kind = "sso-permission-set"
	// KindBaseline is a new version (or the deletion) of the baseline
	// object itself: it says what the reverter restores, so every write to
	// it is judged by what it grants that the version before did not.
	KindBaseline Kind = "baseline"
	// KindAwsAuth is the aws-auth ConfigMap, written through the Kubernetes
	// API and seen in the control plane's audit log, not in CloudTrail.
	KindAwsAuth Kind = "aws-auth"
)

// Kinds lists every kind, in the order documentation and summaries show them.
var Kinds = []Kind{
	KindCluster, KindAccessEntry, KindAccessPolicy, KindAuthenticationMode,
	KindPodIdentity, KindIdentityProvider, KindRole, KindTrustPolicy,
	KindManagedPolicy, KindInlinePolicy, KindPermissionsBoundary, KindOIDCProvider,
	KindUser,
	KindPermissionSet,
	KindBaseline,
	KindAwsAuth,
	KindTamper,
}

// Op says what a change did to its resource.
type Op string

// The operations of the public finding contract (the `change` field).
const (
	OpAdded    Op = "added"
	OpRemoved  Op = "removed"
	OpModified Op = "modified"
)

// Actor is who made a change, canonicalised: an assumed-role session is
// reported as the role ARN with its path, and the session name kept apart.
type Actor struct {
	ARN         string `json:"arn"`
	Type        string `json:"type,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	InvokedBy   string `json:"invokedBy,omitempty"`
	SourceIP    string `json:"sourceIp,omitempty"`
	UserAgent   string `json:"userAgent,omitempty"`
	Console     bool   `json:"console,omitempty"`
	MFA         bool   `json:"mfa,omitempty"`
}

// IsAWSService reports whether an AWS service, not a person or a workload,
// made the call (EKS creating the access entry of a Fargate profile, say).
func (a Actor) IsAWSService() bool { return a.Type == "AWSService" }

// Event is what eksdrift keeps of the CloudTrail record behind a change.
type Event struct {
	ID      string
	Time    time.Time
	Name    string
	Source  string
	Account string
	Region  string
	Actor   Actor
}

// Change is one normalised access change. A CloudTrail event yields zero or
// more changes: CreateCluster, for one, sets the authentication mode and may
// grant its creator cluster-admin.
//
// For OpRemoved, Resource describes what was removed as far as the event
// tells it (a DeleteAccessEntry names only the principal).
type Change struct {
	Event    Event
	Op       Op
	Cluster  string // empty for IAM resources, which belong to the account
	Resource Resource
	// Note carries what the parser learned that the resource cannot say,
	// such as "granted by bootstrapClusterCreatorAdminPermissions".
	Note string
}

// Kind is the kind of the changed resource.
func (c Change) Kind() Kind { return c.Resource.Kind() }

// that a function that receives only the finding (the reverter) can plan
// from it.
func ChangeOf(f Finding) (Change, error) {
	raw := f.After
	if f.Change == OpRemoved || isNullJSON(raw) {
		raw = f.Before
	}
	res, err := DecodeResource(f.Kind, raw)
	if err != nil {
		return Change{}, fmt.Errorf("finding %s: %w", f.ID(), err)
	}
	return Change{
		Event: Event{ID: f.EventID, Time: f.EventTime, Name: f.EventName, Source: f.EventSource, Account: f.Account, Region: f.Region,
			Actor: Actor{ARN: f.Actor, Type: f.ActorType, SessionName: f.ActorSession, SourceIP: f.SourceIP, UserAgent: f.UserAgent}},
		Op:       f.Change,
		Cluster:  f.Cluster,
		Resource: res,
	}, nil
}

// DecodeResource reads a resource of a kind from its JSON form.
func DecodeResource(k Kind, raw json.RawMessage) (Resource, error) {
	var r Resource
	switch k {
	case KindCluster:
		r = &Cluster{}
	case KindAccessEntry:
		r = &AccessEntry{}
	case KindAccessPolicy:
		r = &AccessPolicy{}
	case KindAuthenticationMode:
		r = &AuthenticationMode{}
	case KindPodIdentity:
		r = &PodIdentityAssociation{}
	case KindIdentityProvider:
		r = &IdentityProviderConfig{}
	case KindRole:
		r = &Role{}
	case KindTrustPolicy:
		r = &TrustPolicy{}
	case KindManagedPolicy:
		r = &ManagedPolicy{}
	case KindInlinePolicy:
		r = &InlinePolicy{}
	case KindPermissionsBoundary:
		r = &PermissionsBoundary{}
	case KindOIDCProvider:
		r = &OIDCProvider{}
	case KindUser:
		r = &User{}
	case KindPermissionSet:
		r = &PermissionSet{}
	case KindBaseline:
		r = &BaselineObject{}
	case KindAwsAuth:
		r = &AwsAuth{}
	case KindTamper:
		r = &TamperTarget{}
	default:
		return nil, fmt.Errorf("unknown kind %q", k)
	}
	if isNullJSON(raw) {
		return nil, fmt.Errorf("no %s state to decode", k)
	}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", k, err)
	}
	return r, nil
}

func isNullJSON(b json.RawMessage) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == "null"
}
