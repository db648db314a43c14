package drift

import (
	"context"
	"time"
)

// Service names the AWS service that holds a kind's live state: the one
// whose reader observes it, whose writer reverts it, and whose CloudTrail
// events report it. Readers and writers are chosen by it, never by what an
// event claims about itself.
type Service string

// The services of the kinds.
const (
	ServiceEKS Service = "eks"
	ServiceIAM Service = "iam"
	ServiceS3  Service = "s3"
	// ServiceSSO is IAM Identity Center: eksdrift only reports its changes.
	ServiceSSO Service = "sso"
	// ServiceDeployment is the tamper kind's: eksdrift's own deployment,
	// across services. It has no reader or writer: tamper is judged from
	// the event alone and never reverted (tamper.go).
	ServiceDeployment Service = "eksdrift-deployment"
)

// Service gives the service that holds the kind, "" for a kind eksdrift
// does not know.
func (k Kind) Service() Service {
	switch k {
	case KindCluster, KindAccessEntry, KindAccessPolicy, KindAuthenticationMode, KindPodIdentity, KindIdentityProvider:
		return ServiceEKS
	case KindAwsAuth:
		// The ConfigMap lives in the cluster's Kubernetes API, which EKS
		// runs; its audit log is EKS's control-plane log.
		return ServiceEKS
	case KindRole, KindTrustPolicy, KindManagedPolicy, KindInlinePolicy, KindPermissionsBoundary, KindOIDCProvider, KindUser:
		return ServiceIAM
	case KindPermissionSet:
		return ServiceSSO
	case KindBaseline:
		return ServiceS3
	case KindTamper:
		return ServiceDeployment
	}
	return ""
}

// EventSource is the service's name as CloudTrail gives it in eventSource.
func (s Service) EventSource() string { return string(s) + ".amazonaws.com" }

// isAccountKind reports whether a kind belongs to the account (IAM, and the
// baseline object) rather than to a cluster.
func isAccountKind(k Kind) bool {
	s := k.Service()
	return s == ServiceIAM || s == ServiceS3 || s == ServiceSSO || s == ServiceDeployment
}

// Observation is the live state of a change's resource, read after the
// event: the detector decides on it, with the event as trigger and evidence.
type Observation struct {
	// Present says whether the resource exists now; Resource is its current
	// state when it does.
	Present  bool
	Resource Resource
	ReadAt   time.Time
}

// StateReader reads the live state of what a change touched, through
// read-only calls (EKS Describe/List, IAM Get/List).
type StateReader interface {
	Observe(ctx context.Context, c Change) (Observation, error)
}
