package eks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestScanClusterOnMiniStack(t *testing.T) {
	ctx := context.Background()
	c, _ := emulator(t, awstest.Region)
	name := createCluster(t, c, types.AuthenticationModeApiAndConfigMap)
	dev, ops, node := roleARN(t, "dev"), roleARN(t, "ops"), roleARN(t, "node")
	for _, in := range []*eks.CreateAccessEntryInput{
		{PrincipalArn: aws.String(dev), KubernetesGroups: []string{"dev", "audit"}, Username: aws.String("dev-user")},
		{PrincipalArn: aws.String(ops)},
		{PrincipalArn: aws.String(node), Type: aws.String(drift.EntryEC2Linux)},
	} {
		in.ClusterName = aws.String(name)
		if _, err := c.CreateAccessEntry(ctx, in); awstest.Created(err) != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct {
		principal, policy string
		scope             types.AccessScope
	}{
		{dev, editPolicy, types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"jobs", "app"}}},
		{dev, viewPolicy, types.AccessScope{Type: types.AccessScopeTypeCluster}},
		{ops, adminPolicy, types.AccessScope{Type: types.AccessScopeTypeCluster}},
	} {
		if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(name), PrincipalArn: aws.String(a.principal),
			PolicyArn: aws.String(a.policy), AccessScope: &a.scope}); err != nil {
			t.Fatal(err)
		}
	}
	pod, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(name),
		Namespace: aws.String("app"), ServiceAccount: aws.String("api"), RoleArn: aws.String(dev)})
	if err != nil {
		t.Fatal(err)
	}

	s := NewScanner(awstest.Config(t), 4)
	got, err := s.ScanCluster(ctx, awstest.Region, name)
	if err != nil {
		t.Fatal(err)
	}
	want := drift.ClusterState{
		Name: name, Account: account, Region: awstest.Region, Found: true, AuthenticationMode: drift.AuthModeAPIAndConfigMap, ReadAt: got.ReadAt,
		AccessEntries: []drift.EntryState{
			{AccessEntry: drift.AccessEntry{PrincipalARN: dev, Type: drift.EntryStandard, KubernetesGroups: []string{"dev", "audit"}, Username: "dev-user"},
				Policies: []drift.AccessPolicy{
					{PrincipalARN: dev, PolicyARN: editPolicy, Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"jobs", "app"}}},
					{PrincipalARN: dev, PolicyARN: viewPolicy, Scope: drift.AccessScope{Type: "cluster"}},
				}},
			{AccessEntry: drift.AccessEntry{PrincipalARN: node, Type: drift.EntryEC2Linux, KubernetesGroups: []string{}}, Policies: []drift.AccessPolicy{}},
			{AccessEntry: drift.AccessEntry{PrincipalARN: ops, Type: drift.EntryStandard, KubernetesGroups: []string{}},
				Policies: []drift.AccessPolicy{{PrincipalARN: ops, PolicyARN: adminPolicy, Scope: drift.AccessScope{Type: "cluster"}}}},
		},
		PodIdentityAssociations: []drift.PodIdentityAssociation{{Namespace: "app", ServiceAccount: "api", RoleARN: dev, AssociationID: aws.ToString(pod.Association.AssociationId)}},
		IdentityProviderConfigs: []drift.IdentityProviderConfig{},
	}
	// The creator's cluster-admin (bootstrapClusterCreatorAdminPermissions).
	creator := "arn:aws:iam::" + account + ":root"
	want.AccessEntries = append(want.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: creator, Type: drift.EntryStandard, KubernetesGroups: []string{}},
		Policies: []drift.AccessPolicy{{PrincipalARN: creator, PolicyARN: adminPolicy, Scope: drift.AccessScope{Type: "cluster"}}}})
	// Entries come sorted by principal; the random names decide the order.
	slices.SortFunc(want.AccessEntries, func(a, b drift.EntryState) int { return strings.Compare(a.PrincipalARN, b.PrincipalARN) })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	if time.Since(got.ReadAt) > time.Minute {
		t.Errorf("ReadAt: got %v, want now", got.ReadAt)
	}

	missing, err := s.ScanCluster(ctx, awstest.Region, awstest.Name(t, "missing"))
	if err != nil || missing.Found {
		t.Errorf("a cluster that does not exist: got found=%v err=%v, want not found and no error", missing.Found, err)
	}
	names, err := s.Clusters(ctx, awstest.Region)
	if err != nil || !slices.Contains(names, name) {
		t.Errorf("Clusters: got %v, %v, want a list with %s", names, err, name)
	}
}

// More entries than one page. MiniStack 1.5.33 cannot page EKS lists: it
// cuts the answer at maxResults and returns no nextToken. The test asks it
// first; while it cannot page, the scanner reads with a page larger than the
// cluster (and the paging loop itself is tested on a fake below, in
// TestScanPagesThroughEveryList). Once MiniStack pages, this test reads 150
// entries 40 at a time.
func TestScanManyEntriesOnMiniStack(t *testing.T) {
	ctx := context.Background()
	c, _ := emulator(t, awstest.Region)
	name := createCluster(t, c, types.AuthenticationModeApi)
	const n = 150
	var want []string
	for i := range n {
		p := fmt.Sprintf("arn:aws:iam::%s:role/many-%03d", account, i)
		want = append(want, p)
		if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(p)}); awstest.Created(err) != nil {
			t.Fatal(err)
		}
	}
	const page = 40
	probe, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String(name), MaxResults: aws.Int32(page)})
	if err != nil {
		t.Fatal(err)
	}
	s := NewScanner(awstest.Config(t), 8)
	s.PageSize = page
	if probe.NextToken == nil {
		t.Logf("MiniStack returned %d of %d entries and no nextToken for maxResults %d: it cannot page, so this run reads one page of %d", len(probe.AccessEntries), n, page, 2*n)
		s.PageSize = 2 * n
	}
	got, err := s.ScanCluster(ctx, awstest.Region, name)
	if err != nil {
		t.Fatal(err)
	}
	var principals []string
	for _, e := range got.AccessEntries {
		if strings.HasPrefix(e.PrincipalARN, "arn:aws:iam::"+account+":role/many-") { // not the creator's
			principals = append(principals, e.PrincipalARN)
		}
	}
	if !slices.Equal(principals, want) {
		t.Errorf("got %d entries, want all %d", len(principals), n)
	}
}

// memEKS is an in-memory EKS that pages every list the way EKS does:
// maxResults items at a time, with a nextToken while more remain. It counts
// the pages served and the calls in flight.
type memEKS struct {
	clusters map[string]memCluster

	mu            sync.Mutex
	pages         map[string]int // List call -> pages served
	maxResults    map[string][]int32
	inFlight, max atomic.Int32
	delay         time.Duration
	fail          map[string]error // call -> error to return
}

type memCluster struct {
	mode     types.AuthenticationMode
	entries  []drift.EntryState
	pods     []drift.PodIdentityAssociation
	idps     []drift.IdentityProviderConfig
	vanished map[string]bool // principals listed but gone by the describe
}

func (m *memEKS) enter(call string, maxResults *int32) func() {
	n := m.inFlight.Add(1)
	for {
		old := m.max.Load()
		if n <= old || m.max.CompareAndSwap(old, n) {
			break
		}
	}
	m.mu.Lock()
	if maxResults != nil {
		if m.pages == nil {
			m.pages, m.maxResults = map[string]int{}, map[string][]int32{}
		}
		m.pages[call]++
		m.maxResults[call] = append(m.maxResults[call], *maxResults)
	}
	m.mu.Unlock()
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	return func() { m.inFlight.Add(-1) }
}

// page serves items from the offset in token, n at a time.
func page[T any](items []T, n *int32, token *string) ([]T, *string) {
	size := 100
	if n != nil {
		size = int(*n)
	}
	start := 0
	if token != nil {
		start, _ = strconv.Atoi(*token)
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next
}

func (m *memEKS) cluster(name *string) (memCluster, error) {
	c, ok := m.clusters[aws.ToString(name)]
	if !ok {
		return c, &types.ResourceNotFoundException{Message: aws.String("no cluster " + aws.ToString(name))}
	}
	return c, nil
}

func (m *memEKS) ListClusters(_ context.Context, in *eks.ListClustersInput, _ ...func(*eks.Options)) (*eks.ListClustersOutput, error) {
	defer m.enter("ListClusters", in.MaxResults)()
	var names []string
	for n := range m.clusters {
		names = append(names, n)
	}
	slices.Sort(names)
	p, next := page(names, in.MaxResults, in.NextToken)
	return &eks.ListClustersOutput{Clusters: p, NextToken: next}, nil
}

func (m *memEKS) DescribeCluster(_ context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	defer m.enter("DescribeCluster", nil)()
	c, err := m.cluster(in.Name)
	if err != nil {
		return nil, err
	}
	return &eks.DescribeClusterOutput{Cluster: &types.Cluster{Name: in.Name, Arn: aws.String("arn:aws:eks:eu-west-1:111122223333:cluster/" + aws.ToString(in.Name)),
		AccessConfig: &types.AccessConfigResponse{AuthenticationMode: c.mode}}}, nil
}

func (m *memEKS) ListAccessEntries(_ context.Context, in *eks.ListAccessEntriesInput, _ ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error) {
	defer m.enter("ListAccessEntries", in.MaxResults)()
	c, err := m.cluster(in.ClusterName)
	if err != nil {
		return nil, err
	}
	var principals []string
	for _, e := range c.entries {
		principals = append(principals, e.PrincipalARN)
	}
	for p := range c.vanished {
		principals = append(principals, p)
	}
	p, next := page(principals, in.MaxResults, in.NextToken)
	return &eks.ListAccessEntriesOutput{AccessEntries: p, NextToken: next}, nil
}

func (m *memEKS) entry(in *string, principal string) (drift.EntryState, error) {
	c, err := m.cluster(in)
	if err != nil {
		return drift.EntryState{}, err
	}
	for _, e := range c.entries {
		if e.PrincipalARN == principal {
			return e, nil
		}
	}
	return drift.EntryState{}, &types.ResourceNotFoundException{Message: aws.String("no entry")}
}

func (m *memEKS) DescribeAccessEntry(_ context.Context, in *eks.DescribeAccessEntryInput, _ ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error) {
	defer m.enter("DescribeAccessEntry", nil)()
	if err := m.fail["DescribeAccessEntry"]; err != nil {
		return nil, err
	}
	e, err := m.entry(in.ClusterName, aws.ToString(in.PrincipalArn))
	if err != nil {
		return nil, err
	}
	return &eks.DescribeAccessEntryOutput{AccessEntry: &types.AccessEntry{PrincipalArn: in.PrincipalArn, Type: aws.String(e.Type),
		KubernetesGroups: e.KubernetesGroups, Username: aws.String(e.Username)}}, nil
}

func (m *memEKS) ListAssociatedAccessPolicies(_ context.Context, in *eks.ListAssociatedAccessPoliciesInput, _ ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error) {
	defer m.enter("ListAssociatedAccessPolicies", in.MaxResults)()
	e, err := m.entry(in.ClusterName, aws.ToString(in.PrincipalArn))
	if err != nil {
		return nil, err
	}
	var all []types.AssociatedAccessPolicy
	for _, p := range e.Policies {
		all = append(all, types.AssociatedAccessPolicy{PolicyArn: aws.String(p.PolicyARN),
			AccessScope: &types.AccessScope{Type: types.AccessScopeType(p.Scope.Type), Namespaces: p.Scope.Namespaces}})
	}
	p, next := page(all, in.MaxResults, in.NextToken)
	return &eks.ListAssociatedAccessPoliciesOutput{AssociatedAccessPolicies: p, NextToken: next}, nil
}

func (m *memEKS) ListPodIdentityAssociations(_ context.Context, in *eks.ListPodIdentityAssociationsInput, _ ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error) {
	defer m.enter("ListPodIdentityAssociations", in.MaxResults)()
	c, err := m.cluster(in.ClusterName)
	if err != nil {
		return nil, err
	}
	var all []types.PodIdentityAssociationSummary
	for _, a := range c.pods {
		all = append(all, types.PodIdentityAssociationSummary{AssociationId: aws.String(a.AssociationID), Namespace: aws.String(a.Namespace), ServiceAccount: aws.String(a.ServiceAccount)})
	}
	p, next := page(all, in.MaxResults, in.NextToken)
	return &eks.ListPodIdentityAssociationsOutput{Associations: p, NextToken: next}, nil
}

func (m *memEKS) DescribePodIdentityAssociation(_ context.Context, in *eks.DescribePodIdentityAssociationInput, _ ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error) {
	defer m.enter("DescribePodIdentityAssociation", nil)()
	c, err := m.cluster(in.ClusterName)
	if err != nil {
		return nil, err
	}
	for _, a := range c.pods {
		if a.AssociationID == aws.ToString(in.AssociationId) {
			return &eks.DescribePodIdentityAssociationOutput{Association: &types.PodIdentityAssociation{AssociationId: in.AssociationId,
				Namespace: aws.String(a.Namespace), ServiceAccount: aws.String(a.ServiceAccount), RoleArn: aws.String(a.RoleARN)}}, nil
		}
	}
	return nil, &types.ResourceNotFoundException{Message: aws.String("no association")}
}

func (m *memEKS) ListIdentityProviderConfigs(_ context.Context, in *eks.ListIdentityProviderConfigsInput, _ ...func(*eks.Options)) (*eks.ListIdentityProviderConfigsOutput, error) {
	defer m.enter("ListIdentityProviderConfigs", in.MaxResults)()
	c, err := m.cluster(in.ClusterName)
	if err != nil {
		return nil, err
	}
	var all []types.IdentityProviderConfig
	for _, p := range c.idps {
		all = append(all, types.IdentityProviderConfig{Name: aws.String(p.Name), Type: aws.String("oidc")})
	}
	p, next := page(all, in.MaxResults, in.NextToken)
	return &eks.ListIdentityProviderConfigsOutput{IdentityProviderConfigs: p, NextToken: next}, nil
}

func (m *memEKS) DescribeIdentityProviderConfig(_ context.Context, in *eks.DescribeIdentityProviderConfigInput, _ ...func(*eks.Options)) (*eks.DescribeIdentityProviderConfigOutput, error) {
	defer m.enter("DescribeIdentityProviderConfig", nil)()
	c, err := m.cluster(in.ClusterName)
	if err != nil {
		return nil, err
	}
	for _, p := range c.idps {
		if p.Name == aws.ToString(in.IdentityProviderConfig.Name) {
			return &eks.DescribeIdentityProviderConfigOutput{IdentityProviderConfig: &types.IdentityProviderConfigResponse{
				Oidc: &types.OidcIdentityProviderConfig{IssuerUrl: aws.String(p.IssuerURL), ClientId: aws.String(p.ClientID)}}}, nil
		}
	}
	return nil, &types.ResourceNotFoundException{Message: aws.String("no config")}
}

// sampleCluster has n of everything, sorted as a scan returns them.
func sampleCluster(n int) memCluster {
	c := memCluster{mode: types.AuthenticationModeApi, entries: []drift.EntryState{}, pods: []drift.PodIdentityAssociation{}, idps: []drift.IdentityProviderConfig{}}
	for i := range n {
		p := fmt.Sprintf("arn:aws:iam::111122223333:role/r%02d", i)
		e := drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: p, Type: drift.EntryStandard, KubernetesGroups: []string{"g"}, Username: "u"}, Policies: []drift.AccessPolicy{}}
		for j := range n {
			e.Policies = append(e.Policies, drift.AccessPolicy{PrincipalARN: p, PolicyARN: fmt.Sprintf("arn:aws:eks::aws:cluster-access-policy/P%02d", j),
				Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"ns"}}})
		}
		c.entries = append(c.entries, e)
		c.pods = append(c.pods, drift.PodIdentityAssociation{Namespace: "ns", ServiceAccount: fmt.Sprintf("sa%02d", i), RoleARN: p, AssociationID: fmt.Sprintf("a-%02d", i)})
		c.idps = append(c.idps, drift.IdentityProviderConfig{Name: fmt.Sprintf("idp%02d", i), Type: "oidc", IssuerURL: "https://issuer", ClientID: "c"})
	}
	return c
}

func memScanner(m *memEKS, concurrency int) *Scanner {
	return newScanner(func(string) scanAPI { return m }, concurrency)
}

// The paging loop of every List call, on a fake: MiniStack cannot page
// (see TestScanManyEntriesOnMiniStack).
func TestScanPagesThroughEveryList(t *testing.T) {
	ctx := context.Background()
	m := &memEKS{clusters: map[string]memCluster{}}
	for i := range 5 {
		m.clusters[fmt.Sprintf("c%d", i)] = sampleCluster(5)
	}
	s := memScanner(m, 3)
	s.PageSize = 2
	names, err := s.Clusters(ctx, "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"c0", "c1", "c2", "c3", "c4"}; !slices.Equal(names, want) {
		t.Errorf("Clusters: got %v, want %v", names, want)
	}
	got, err := s.ScanCluster(ctx, "eu-west-1", "c2")
	if err != nil {
		t.Fatal(err)
	}
	want := sampleCluster(5)
	if !got.Found || got.Account != "111122223333" || !reflect.DeepEqual(got.AccessEntries, want.entries) ||
		!reflect.DeepEqual(got.PodIdentityAssociations, want.pods) || !reflect.DeepEqual(got.IdentityProviderConfigs, want.idps) {
		t.Errorf("got %+v, want every item of every list", got)
	}
	for call, pages := range map[string]int{
		"ListClusters": 3, "ListAccessEntries": 3, "ListAssociatedAccessPolicies": 5 * 3,
		"ListPodIdentityAssociations": 3, "ListIdentityProviderConfigs": 3,
	} {
		if m.pages[call] != pages {
			t.Errorf("%s: got %d pages, want %d", call, m.pages[call], pages)
		}
		for _, n := range m.maxResults[call] {
			if n != 2 {
				t.Errorf("%s: got maxResults %d, want the page size 2", call, n)
			}
		}
	}
}

func TestScanBoundsCallsInFlight(t *testing.T) {
	m := &memEKS{clusters: map[string]memCluster{"a": sampleCluster(10), "b": sampleCluster(10)}, delay: 2 * time.Millisecond}
	s := memScanner(m, 3)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wg.Go(func() {
			if _, err := s.ScanCluster(context.Background(), "eu-west-1", name); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := m.max.Load(); got > 3 || got < 2 {
		t.Errorf("got at most %d calls in flight, want 3 (two clusters share one bound)", got)
	}
	if s.Calls() == 0 {
		t.Error("calls are not counted")
	}
}

func TestScanErrorsAndRaces(t *testing.T) {
	ctx := context.Background()
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	t.Run("a failed call fails the scan, with context", func(t *testing.T) {
		m := &memEKS{clusters: map[string]memCluster{"prod": sampleCluster(3)}, fail: map[string]error{"DescribeAccessEntry": throttled}}
		_, err := memScanner(m, 2).ScanCluster(ctx, "eu-west-1", "prod")
		if !errors.Is(err, throttled) || !strings.Contains(err.Error(), "eks eu-west-1/prod: DescribeAccessEntry arn:aws:iam::111122223333:role/r0") {
			t.Errorf("got %v, want the throttling error with the call and the entry", err)
		}
	})
	t.Run("an entry deleted between list and describe is left out", func(t *testing.T) {
		c := sampleCluster(2)
		c.vanished = map[string]bool{"arn:aws:iam::111122223333:role/gone": true}
		got, err := memScanner(&memEKS{clusters: map[string]memCluster{"prod": c}}, 2).ScanCluster(ctx, "eu-west-1", "prod")
		if err != nil || len(got.AccessEntries) != 2 {
			t.Errorf("got %d entries, %v, want the 2 that exist", len(got.AccessEntries), err)
		}
	})
	t.Run("a CONFIG_MAP cluster has no entries to list", func(t *testing.T) {
		c := sampleCluster(2)
		c.mode = types.AuthenticationModeConfigMap
		m := &memEKS{clusters: map[string]memCluster{"old": c}}
		got, err := memScanner(m, 2).ScanCluster(ctx, "eu-west-1", "old")
		if err != nil || got.AccessEntries == nil || len(got.AccessEntries) != 0 || m.pages["ListAccessEntries"] != 0 || len(got.PodIdentityAssociations) != 2 {
			t.Errorf("got %+v, %v, %d ListAccessEntries pages: want no entries, read without asking, and the rest read", got, err, m.pages["ListAccessEntries"])
		}
	})
	t.Run("canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := memScanner(&memEKS{clusters: map[string]memCluster{"prod": sampleCluster(3)}}, 2).ScanCluster(cctx, "eu-west-1", "prod")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

// The policy of a role that scans is built from ScanActions: it must name
// every call the scanner makes.
func TestScanActionsNameEveryCall(t *testing.T) {
	api := reflect.TypeOf((*scanAPI)(nil)).Elem()
	for i := range api.NumMethod() {
		if a := "eks:" + api.Method(i).Name; !slices.Contains(ScanActions, a) {
			t.Errorf("ScanActions lacks %s", a)
		}
	}
	if len(ScanActions) != api.NumMethod() {
		t.Errorf("got %d actions for %d calls", len(ScanActions), api.NumMethod())
	}
}
