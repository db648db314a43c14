package eks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// scanAPI is the part of the EKS API a full scan calls. Every call is
// read-only.
type scanAPI interface {
	ListClusters(context.Context, *eks.ListClustersInput, ...func(*eks.Options)) (*eks.ListClustersOutput, error)
	DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	ListAccessEntries(context.Context, *eks.ListAccessEntriesInput, ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error)
	DescribeAccessEntry(context.Context, *eks.DescribeAccessEntryInput, ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
	ListAssociatedAccessPolicies(context.Context, *eks.ListAssociatedAccessPoliciesInput, ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error)
	ListPodIdentityAssociations(context.Context, *eks.ListPodIdentityAssociationsInput, ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error)
	DescribePodIdentityAssociation(context.Context, *eks.DescribePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error)
	ListIdentityProviderConfigs(context.Context, *eks.ListIdentityProviderConfigsInput, ...func(*eks.Options)) (*eks.ListIdentityProviderConfigsOutput, error)
	DescribeIdentityProviderConfig(context.Context, *eks.DescribeIdentityProviderConfigInput, ...func(*eks.Options)) (*eks.DescribeIdentityProviderConfigOutput, error)
}

var _ scanAPI = (*eks.Client)(nil)

// ScanActions are the IAM actions a Scanner calls, all read-only, for the
// policies of the roles that scan (the reconcile function's, a person's).
var ScanActions = []string{
	"eks:ListClusters", "eks:DescribeCluster", "eks:ListAccessEntries", "eks:DescribeAccessEntry",
	"eks:ListAssociatedAccessPolicies", "eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation",
	"eks:ListIdentityProviderConfigs", "eks:DescribeIdentityProviderConfig",
}

// DefaultScanConcurrency is how many EKS calls a Scanner has in flight
// unless told otherwise.
const DefaultScanConcurrency = 8

// MaxPageSize is the largest page EKS's List calls return.
const MaxPageSize = 100

// Scanner reads the whole access configuration of clusters (a full scan, as
// opposed to Reader, which reads the one resource an event touched): the
// authentication mode, every access entry with its access policies, every
// pod identity association and identity provider config. It pages through
// every list and keeps at most a fixed number of calls in flight, across
// all the clusters it scans at once, so that a large account is read at a
// pace EKS accepts; the SDK's retries (adaptive, in the functions and the
// command) slow it down further when EKS throttles. It is safe for
// concurrent use.
type Scanner struct {
	newClient func(region string) scanAPI
	sem       chan struct{}
	now       func() time.Time

	// PageSize is the maxResults of every List call; zero means
	// MaxPageSize. Set it before the first scan.
	PageSize int32

	calls atomic.Int64

	mu      sync.Mutex
	clients map[string]scanAPI // by region
}

// NewScanner gives a scanner that calls EKS with cfg's credentials, in each
// cluster's region, with at most concurrency calls in flight (zero means
// DefaultScanConcurrency).
func NewScanner(cfg aws.Config, concurrency int, optFns ...func(*eks.Options)) *Scanner {
	return newScanner(func(region string) scanAPI {
		opts := append([]func(*eks.Options){func(o *eks.Options) { o.Region = region }}, optFns...)
		return eks.NewFromConfig(cfg, opts...)
	}, concurrency)
}

func newScanner(newClient func(region string) scanAPI, concurrency int) *Scanner {
	if concurrency <= 0 {
		concurrency = DefaultScanConcurrency
	}
	return &Scanner{newClient: newClient, sem: make(chan struct{}, concurrency), now: time.Now, clients: map[string]scanAPI{}}
}

// Calls is how many EKS calls the scanner has made (pages included).
func (s *Scanner) Calls() int64 { return s.calls.Load() }

func (s *Scanner) client(region string) scanAPI {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[region]
	if !ok {
		c = s.newClient(region)
		s.clients[region] = c
	}
	return c
}

func (s *Scanner) limit() int32 {
	if s.PageSize <= 0 {
		return MaxPageSize
	}
	return s.PageSize
}

// call runs one API call in a slot of the scanner's bound.
func call[T any](ctx context.Context, s *Scanner, f func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-s.sem }()
	s.calls.Add(1)
	return f()
}

// Clusters lists the clusters of a region, sorted.
func (s *Scanner) Clusters(ctx context.Context, region string) ([]string, error) {
	c := s.client(region)
	p := eks.NewListClustersPaginator(c, &eks.ListClustersInput{}, func(o *eks.ListClustersPaginatorOptions) { o.Limit = s.limit() })
	var names []string
	for p.HasMorePages() {
		page, err := call(ctx, s, func() (*eks.ListClustersOutput, error) { return p.NextPage(ctx) })
		if err != nil {
			return nil, fmt.Errorf("eks %s: ListClusters: %w", region, err)
		}
		names = append(names, page.Clusters...)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// ScanCluster reads everything about one cluster's access. A cluster that
// does not exist is Found false, without error; any other failure is an
// error, because a scan that cannot see must not conclude that nothing is
// there.
func (s *Scanner) ScanCluster(ctx context.Context, region, name string) (drift.ClusterState, error) {
	q := scanQuery{s: s, api: s.client(region), query: query{region: region, cluster: name}}
	st := drift.ClusterState{Name: name, Region: region, ReadAt: s.now().UTC()}
	out, err := call(ctx, s, func() (*eks.DescribeClusterOutput, error) {
		return q.api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	})
	if notFound(err) {
		return st, nil
	}
	if err != nil {
		return st, q.errorf("DescribeCluster", "", err)
	}
	if out.Cluster == nil {
		return st, q.errorf("DescribeCluster", "", errors.New("response has no cluster"))
	}
	st.Found = true
	if a, ok := drift.ParseARN(aws.ToString(out.Cluster.Arn)); ok {
		st.Account = a.Account
	}
	if ac := out.Cluster.AccessConfig; ac != nil {
		st.AuthenticationMode = string(ac.AuthenticationMode)
	}
	// The three lists are independent: read them at once.
	var (
		wg                    sync.WaitGroup
		errEntries, errPods   error
		errIDPs               error
		entries               []drift.EntryState
		pods                  []drift.PodIdentityAssociation
		idps                  []drift.IdentityProviderConfig
		entriesGone, podsGone bool
	)
	if st.AuthenticationMode == string(types.AuthenticationModeConfigMap) {
		// A cluster that authenticates with the aws-auth ConfigMap only has
		// no access entries, and EKS refuses to list them.
		entries = []drift.EntryState{}
	} else {
		wg.Go(func() { entries, entriesGone, errEntries = q.accessEntries(ctx) })
	}
	wg.Go(func() { pods, podsGone, errPods = q.podIdentities(ctx) })
	wg.Go(func() { idps, errIDPs = q.identityProviders(ctx) })
	wg.Wait()
	if err := errors.Join(errEntries, errPods, errIDPs); err != nil {
		return st, err
	}
	if entriesGone || podsGone {
		// Deleted while we read it.
		return drift.ClusterState{Name: name, Region: region, ReadAt: st.ReadAt}, nil
	}
	st.AccessEntries, st.PodIdentityAssociations, st.IdentityProviderConfigs = entries, pods, idps
	return st, nil
}

// scanQuery reads one cluster for a scan. It embeds Reader's query for its
// region, cluster and error messages; api, the scan's, shadows query's.
type scanQuery struct {
	query
	s   *Scanner
	api scanAPI
}

// each runs f on every item with the scanner's bound on calls; the first
// error stops the others from starting.
func each[T any](ctx context.Context, s *Scanner, items []T, f func(context.Context, T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan T)
	)
	for range min(cap(s.sem), len(items)) {
		wg.Go(func() {
			for it := range next {
				if err := f(ctx, it); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
feed:
	for _, it := range items {
		select {
		case next <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// accessEntries reads every entry and its policies; gone is true when the
// cluster disappeared meanwhile.
func (q scanQuery) accessEntries(ctx context.Context) (entries []drift.EntryState, gone bool, err error) {
	p := eks.NewListAccessEntriesPaginator(q.api, &eks.ListAccessEntriesInput{ClusterName: aws.String(q.cluster)},
		func(o *eks.ListAccessEntriesPaginatorOptions) { o.Limit = q.s.limit() })
	var principals []string
	for p.HasMorePages() {
		page, err := call(ctx, q.s, func() (*eks.ListAccessEntriesOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, q.errorf("ListAccessEntries", "", err)
		}
		principals = append(principals, page.AccessEntries...)
	}
	slices.Sort(principals)
	principals = slices.Compact(principals)
	found := make([]*drift.EntryState, len(principals))
	idx := make(map[string]int, len(principals))
	for i, pr := range principals {
		idx[pr] = i
	}
	err = each(ctx, q.s, principals, func(ctx context.Context, principal string) error {
		e, err := q.entry(ctx, principal)
		found[idx[principal]] = e
		return err
	})
	if err != nil {
		return nil, false, err
	}
	entries = make([]drift.EntryState, 0, len(found))
	for _, e := range found {
		if e != nil { // nil: deleted between the list and the describe
			entries = append(entries, *e)
		}
	}
	return entries, false, nil
}

func (q scanQuery) entry(ctx context.Context, principal string) (*drift.EntryState, error) {
	out, err := call(ctx, q.s, func() (*eks.DescribeAccessEntryOutput, error) {
		return q.api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(q.cluster), PrincipalArn: aws.String(principal)})
	})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, q.errorf("DescribeAccessEntry", principal, err)
	}
	if out.AccessEntry == nil {
		return nil, q.errorf("DescribeAccessEntry", principal, errors.New("response has no accessEntry"))
	}
	e := &drift.EntryState{AccessEntry: drift.AccessEntry{
		PrincipalARN:     principal,
		Type:             aws.ToString(out.AccessEntry.Type),
		KubernetesGroups: append([]string{}, out.AccessEntry.KubernetesGroups...),
		Username:         aws.ToString(out.AccessEntry.Username),
	}}
	if e.Type == "" {
		e.Type = drift.EntryStandard
	}
	p := eks.NewListAssociatedAccessPoliciesPaginator(q.api, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(q.cluster), PrincipalArn: aws.String(principal)},
		func(o *eks.ListAssociatedAccessPoliciesPaginatorOptions) { o.Limit = q.s.limit() })
	e.Policies = []drift.AccessPolicy{}
	for p.HasMorePages() {
		page, err := call(ctx, q.s, func() (*eks.ListAssociatedAccessPoliciesOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, q.errorf("ListAssociatedAccessPolicies", principal, err)
		}
		for _, a := range page.AssociatedAccessPolicies {
			ap := drift.AccessPolicy{PrincipalARN: principal, PolicyARN: aws.ToString(a.PolicyArn)}
			if s := a.AccessScope; s != nil {
				ap.Scope.Type = string(s.Type)
				if len(s.Namespaces) > 0 {
					ap.Scope.Namespaces = append([]string(nil), s.Namespaces...)
				}
			}
			e.Policies = append(e.Policies, ap)
		}
	}
	slices.SortFunc(e.Policies, func(a, b drift.AccessPolicy) int { return strings.Compare(a.PolicyARN, b.PolicyARN) })
	return e, nil
}

func (q scanQuery) podIdentities(ctx context.Context) ([]drift.PodIdentityAssociation, bool, error) {
	p := eks.NewListPodIdentityAssociationsPaginator(q.api, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(q.cluster)},
		func(o *eks.ListPodIdentityAssociationsPaginatorOptions) { o.Limit = q.s.limit() })
	var ids []string
	for p.HasMorePages() {
		page, err := call(ctx, q.s, func() (*eks.ListPodIdentityAssociationsOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, q.errorf("ListPodIdentityAssociations", "", err)
		}
		for _, a := range page.Associations {
			ids = append(ids, aws.ToString(a.AssociationId))
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	found := make([]*drift.PodIdentityAssociation, len(ids))
	idx := make(map[string]int, len(ids))
	for i, id := range ids {
		idx[id] = i
	}
	err := each(ctx, q.s, ids, func(ctx context.Context, id string) error {
		out, err := call(ctx, q.s, func() (*eks.DescribePodIdentityAssociationOutput, error) {
			return q.api.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String(q.cluster), AssociationId: aws.String(id)})
		})
		if notFound(err) {
			return nil
		}
		if err != nil {
			return q.errorf("DescribePodIdentityAssociation", id, err)
		}
		a := out.Association
		if a == nil {
			return q.errorf("DescribePodIdentityAssociation", id, errors.New("response has no association"))
		}
		p, err := podOf(a)
		if err != nil {
			return q.errorf("DescribePodIdentityAssociation", id, err)
		}
		found[idx[id]] = p
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	pods := make([]drift.PodIdentityAssociation, 0, len(found))
	for _, a := range found {
		if a != nil {
			pods = append(pods, *a)
		}
	}
	return pods, false, nil
}

func (q scanQuery) identityProviders(ctx context.Context) ([]drift.IdentityProviderConfig, error) {
	p := eks.NewListIdentityProviderConfigsPaginator(q.api, &eks.ListIdentityProviderConfigsInput{ClusterName: aws.String(q.cluster)},
		func(o *eks.ListIdentityProviderConfigsPaginatorOptions) { o.Limit = q.s.limit() })
	var names []string
	for p.HasMorePages() {
		page, err := call(ctx, q.s, func() (*eks.ListIdentityProviderConfigsOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return []drift.IdentityProviderConfig{}, nil
		}
		if err != nil {
			return nil, q.errorf("ListIdentityProviderConfigs", "", err)
		}
		for _, c := range page.IdentityProviderConfigs {
			if t := aws.ToString(c.Type); t == "" || t == idpTypeOIDC {
				names = append(names, aws.ToString(c.Name))
			}
		}
	}
	slices.Sort(names)
	idps := make([]drift.IdentityProviderConfig, 0, len(names))
	for _, n := range names {
		out, err := call(ctx, q.s, func() (*eks.DescribeIdentityProviderConfigOutput, error) {
			return q.api.DescribeIdentityProviderConfig(ctx, &eks.DescribeIdentityProviderConfigInput{ClusterName: aws.String(q.cluster),
				IdentityProviderConfig: &types.IdentityProviderConfig{Type: aws.String(idpTypeOIDC), Name: aws.String(n)}})
		})
		if notFound(err) {
			continue
		}
		if err != nil {
			return nil, q.errorf("DescribeIdentityProviderConfig", n, err)
		}
		c := drift.IdentityProviderConfig{Name: n, Type: idpTypeOIDC}
		if out.IdentityProviderConfig != nil && out.IdentityProviderConfig.Oidc != nil {
			c.IssuerURL = aws.ToString(out.IdentityProviderConfig.Oidc.IssuerUrl)
			c.ClientID = aws.ToString(out.IdentityProviderConfig.Oidc.ClientId)
		}
		idps = append(idps, c)
	}
	return idps, nil
}
