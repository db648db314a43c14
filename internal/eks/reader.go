// Package eks is eksdrift's adapter to the EKS API. Reader reads the live
// access configuration of clusters, so the detector decides on what a
// cluster allows now rather than on what an event said a moment ago: a later
// event may already have undone it, and a redelivered event may be hours
// old. Every call Reader makes is read-only (Describe and List), and the
// detector's role allows nothing else.
//
// Writer, used only by the reverter, makes the calls that undo drift.
package eks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// api is the part of the EKS API the reader calls. Tests replace single
// calls by embedding a real client and overriding a method.
type api interface {
	DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	DescribeAccessEntry(context.Context, *eks.DescribeAccessEntryInput, ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
	ListAssociatedAccessPolicies(context.Context, *eks.ListAssociatedAccessPoliciesInput, ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error)
	ListPodIdentityAssociations(context.Context, *eks.ListPodIdentityAssociationsInput, ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error)
	DescribePodIdentityAssociation(context.Context, *eks.DescribePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error)
	DescribeIdentityProviderConfig(context.Context, *eks.DescribeIdentityProviderConfigInput, ...func(*eks.Options)) (*eks.DescribeIdentityProviderConfigOutput, error)
}

var (
	_ api               = (*eks.Client)(nil)
	_ drift.StateReader = (*Reader)(nil)
)

// Reader observes the EKS kinds: clusters, access entries, access policies,
// authentication modes, pod identity associations and identity provider
// configs. It is safe for concurrent use.
type Reader struct {
	newClient func(region string) api
	now       func() time.Time

	mu      sync.Mutex
	clients map[string]api // by region
}

// NewReader gives a reader that calls EKS with cfg's credentials, in the
// region of each change's event. optFns apply to every client after the
// region is set.
func NewReader(cfg aws.Config, optFns ...func(*eks.Options)) *Reader {
	return newReader(func(region string) api {
		opts := append([]func(*eks.Options){func(o *eks.Options) { o.Region = region }}, optFns...)
		return eks.NewFromConfig(cfg, opts...)
	})
}

func newReader(newClient func(region string) api) *Reader {
	return &Reader{newClient: newClient, now: time.Now, clients: map[string]api{}}
}

// client gives the region's client, creating it on first use: a detector
// that watches one region never builds clients for the others.
func (r *Reader) client(region string) api {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.clients[region]
	if !ok {
		c = r.newClient(region)
		r.clients[region] = c
	}
	return c
}

// Observe reads the current state of the resource c touched, in the event's
// region and the change's cluster. A resource that is gone, or whose cluster
// is gone, is Present false; any other failure is an error, because a
// detector that cannot see must not conclude that nothing is there.
func (r *Reader) Observe(ctx context.Context, c drift.Change) (drift.Observation, error) {
	if c.Resource == nil {
		return drift.Observation{}, fmt.Errorf("eks: change of event %s has no resource", c.Event.ID)
	}
	if !handles(c.Resource) {
		return drift.Observation{}, fmt.Errorf("eks: cannot observe %s %q: not an EKS kind", c.Kind(), c.Resource.Key())
	}
	region := c.Event.Region
	if region == "" {
		return drift.Observation{}, fmt.Errorf("eks: cannot observe %s %q: event %s has no region", c.Kind(), c.Resource.Key(), c.Event.ID)
	}
	if c.Cluster == "" {
		return drift.Observation{}, fmt.Errorf("eks %s: cannot observe %s %q: change has no cluster", region, c.Kind(), c.Resource.Key())
	}
	q := query{api: r.client(region), region: region, cluster: c.Cluster}
	// Taken before the first call, so the state read is at least this fresh.
	readAt := r.now().UTC()
	var (
		got drift.Resource
		err error
	)
	switch res := c.Resource.(type) {
	case *drift.Cluster:
		got, err = q.clusterState(ctx)
	case *drift.AccessEntry:
		got, err = q.accessEntry(ctx, res)
	case *drift.AccessPolicy:
		got, err = q.accessPolicy(ctx, res)
	case *drift.AuthenticationMode:
		got, err = q.authenticationMode(ctx)
	case *drift.PodIdentityAssociation:
		got, err = q.podIdentity(ctx, res)
	case *drift.IdentityProviderConfig:
		got, err = q.identityProvider(ctx, res)
	}
	if err != nil {
		return drift.Observation{}, err
	}
	return drift.Observation{Present: got != nil, Resource: got, ReadAt: readAt}, nil
}

func handles(r drift.Resource) bool {
	switch r.(type) {
	case *drift.Cluster, *drift.AccessEntry, *drift.AccessPolicy, *drift.AuthenticationMode,
		*drift.PodIdentityAssociation, *drift.IdentityProviderConfig:
		return true
	}
	return false
}

// query reads one cluster in one region. Its methods return a nil resource
// when the thing is gone.
type query struct {
	api     api
	region  string
	cluster string
}

func (q query) errorf(call, what string, err error) error {
	if what == "" {
		return fmt.Errorf("eks %s/%s: %s: %w", q.region, q.cluster, call, err)
	}
	return fmt.Errorf("eks %s/%s: %s %s: %w", q.region, q.cluster, call, what, err)
}

// notFound reports whether EKS says the thing, or its cluster, does not exist.
func notFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

func (q query) describeCluster(ctx context.Context) (*types.Cluster, error) {
	out, err := q.api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(q.cluster)})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("DescribeCluster", "", err)
	}
	if out.Cluster == nil {
		return nil, q.errorf("DescribeCluster", "", errors.New("response has no cluster"))
	}
	return out.Cluster, nil
}

func (q query) clusterState(ctx context.Context) (drift.Resource, error) {
	cl, err := q.describeCluster(ctx)
	if cl == nil || err != nil {
		return nil, err
	}
	// A cluster being deleted still exists, and still lets its principals in.
	return &drift.Cluster{Name: q.cluster}, nil
}

func (q query) authenticationMode(ctx context.Context) (drift.Resource, error) {
	cl, err := q.describeCluster(ctx)
	if cl == nil || err != nil {
		return nil, err
	}
	if cl.AccessConfig == nil || cl.AccessConfig.AuthenticationMode == "" {
		// Guessing CONFIG_MAP here could hide a mode change; say so instead.
		return nil, q.errorf("DescribeCluster", "", errors.New("response has no accessConfig.authenticationMode"))
	}
	return &drift.AuthenticationMode{Mode: string(cl.AccessConfig.AuthenticationMode)}, nil
}

func (q query) accessEntry(ctx context.Context, want *drift.AccessEntry) (drift.Resource, error) {
	out, err := q.api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{
		ClusterName:  aws.String(q.cluster),
		PrincipalArn: aws.String(want.PrincipalARN),
	})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("DescribeAccessEntry", want.PrincipalARN, err)
	}
	e := out.AccessEntry
	if e == nil {
		return nil, q.errorf("DescribeAccessEntry", want.PrincipalARN, errors.New("response has no accessEntry"))
	}
	// The key comes from the change, so the observation pairs with it even
	// when EKS spells the ARN differently.
	return &drift.AccessEntry{
		PrincipalARN:     want.PrincipalARN,
		Type:             aws.ToString(e.Type),
		KubernetesGroups: append([]string{}, e.KubernetesGroups...),
		Username:         aws.ToString(e.Username),
	}, nil
}

func (q query) accessPolicy(ctx context.Context, want *drift.AccessPolicy) (drift.Resource, error) {
	p := eks.NewListAssociatedAccessPoliciesPaginator(q.api, &eks.ListAssociatedAccessPoliciesInput{
		ClusterName:  aws.String(q.cluster),
		PrincipalArn: aws.String(want.PrincipalARN),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if notFound(err) {
			// The access entry, and with it every association, is gone.
			return nil, nil
		}
		if err != nil {
			return nil, q.errorf("ListAssociatedAccessPolicies", want.PrincipalARN, err)
		}
		for _, a := range page.AssociatedAccessPolicies {
			if aws.ToString(a.PolicyArn) != want.PolicyARN {
				continue
			}
			got := &drift.AccessPolicy{PrincipalARN: want.PrincipalARN, PolicyARN: want.PolicyARN}
			if s := a.AccessScope; s != nil {
				got.Scope.Type = string(s.Type)
				if len(s.Namespaces) > 0 {
					got.Scope.Namespaces = append([]string(nil), s.Namespaces...)
				}
			}
			return got, nil
		}
	}
	return nil, nil
}

func (q query) podIdentity(ctx context.Context, want *drift.PodIdentityAssociation) (drift.Resource, error) {
	what := want.Namespace + "/" + want.ServiceAccount
	p := eks.NewListPodIdentityAssociationsPaginator(q.api, &eks.ListPodIdentityAssociationsInput{
		ClusterName:    aws.String(q.cluster),
		Namespace:      aws.String(want.Namespace),
		ServiceAccount: aws.String(want.ServiceAccount),
	})
	var ids []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if notFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, q.errorf("ListPodIdentityAssociations", what, err)
		}
		for _, a := range page.Associations {
			// Checked again here: the filter is the server's to apply.
			if aws.ToString(a.Namespace) == want.Namespace && aws.ToString(a.ServiceAccount) == want.ServiceAccount {
				ids = append(ids, aws.ToString(a.AssociationId))
			}
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// EKS allows one association per service account; should it ever list
	// more, the one the event named is the one to judge.
	id := ids[0]
	for _, i := range ids {
		if want.AssociationID != "" && i == want.AssociationID {
			id = i
		}
	}
	out, err := q.api.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{
		ClusterName:   aws.String(q.cluster),
		AssociationId: aws.String(id),
	})
	if notFound(err) {
		// Deleted between the list and the describe.
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("DescribePodIdentityAssociation", what+" ("+id+")", err)
	}
	if out.Association == nil {
		return nil, q.errorf("DescribePodIdentityAssociation", what+" ("+id+")", errors.New("response has no association"))
	}
	got, err := podOf(out.Association)
	if err != nil {
		return nil, q.errorf("DescribePodIdentityAssociation", what+" ("+id+")", err)
	}
	got.Namespace, got.ServiceAccount = want.Namespace, want.ServiceAccount
	return got, nil
}

// podOf reads an association as EKS describes it, whole: its roles, its
// session policy and whether session tags are off (nil when they are on).
func podOf(a *types.PodIdentityAssociation) (*drift.PodIdentityAssociation, error) {
	p := &drift.PodIdentityAssociation{
		Namespace:      aws.ToString(a.Namespace),
		ServiceAccount: aws.ToString(a.ServiceAccount),
		RoleARN:        aws.ToString(a.RoleArn),
		TargetRoleARN:  aws.ToString(a.TargetRoleArn),
		AssociationID:  aws.ToString(a.AssociationId),
	}
	if aws.ToBool(a.DisableSessionTags) {
		p.DisableSessionTags = aws.Bool(true)
	}
	if text := aws.ToString(a.Policy); text != "" {
		d, err := drift.ParsePolicyDocument(text)
		if err != nil {
			return nil, fmt.Errorf("session policy of %s/%s: %w", p.Namespace, p.ServiceAccount, err)
		}
		p.Policy = d
	}
	return p, nil
}

// idpTypeOIDC is the only identity provider type EKS has.
const idpTypeOIDC = "oidc"

func (q query) identityProvider(ctx context.Context, want *drift.IdentityProviderConfig) (drift.Resource, error) {
	typ := want.Type
	if typ == "" {
		typ = idpTypeOIDC
	}
	out, err := q.api.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{
		ClusterName:            aws.String(q.cluster),
		IdentityProviderConfig: &types.IdentityProviderConfig{Type: aws.String(typ), Name: aws.String(want.Name)},
	})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("DescribeIdentityProviderConfig", typ+" "+want.Name, err)
	}
	if out.IdentityProviderConfig == nil || out.IdentityProviderConfig.Oidc == nil {
		return nil, q.errorf("DescribeIdentityProviderConfig", typ+" "+want.Name, errors.New("response has no oidc config"))
	}
	o := out.IdentityProviderConfig.Oidc
	return &drift.IdentityProviderConfig{
		Name:      want.Name,
		Type:      idpTypeOIDC,
		IssuerURL: aws.ToString(o.IssuerUrl),
		ClientID:  aws.ToString(o.ClientId),
	}, nil
}
