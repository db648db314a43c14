package eks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	account     = "000000000000"
	viewPolicy  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	editPolicy  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	adminPolicy = drift.PolicyClusterAdmin
)

// emulator gives an EKS client on MiniStack in region, and a reader built
// the way the detector builds it.
func emulator(t *testing.T, region string) (*eks.Client, *Reader) {
	t.Helper()
	cfg := awstest.Config(t)
	return eks.NewFromConfig(cfg, func(o *eks.Options) { o.Region = region }), NewReader(cfg)
}

func createCluster(t *testing.T, c *eks.Client, mode types.AuthenticationMode) string {
	t.Helper()
	name := awstest.Name(t, "cluster")
	_, err := c.CreateCluster(context.Background(), &eks.CreateClusterInput{
		Name:               aws.String(name),
		RoleArn:            aws.String("arn:aws:iam::" + account + ":role/eks-cluster"),
		ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-0a", "subnet-0b"}},
		AccessConfig:       &types.CreateAccessConfigRequest{AuthenticationMode: mode},
	})
	if err != nil {
		t.Fatalf("CreateCluster %s: %v", name, err)
	}
	return name
}

func roleARN(t *testing.T, prefix string) string {
	return "arn:aws:iam::" + account + ":role/" + awstest.Name(t, prefix)
}

func change(region, cluster string, op drift.Op, r drift.Resource) drift.Change {
	return drift.Change{
		Event:    drift.Event{ID: "event-1", Region: region, Account: account, Time: time.Now()},
		Op:       op,
		Cluster:  cluster,
		Resource: r,
	}
}

// check observes c and compares with want; a nil want means absent.
func check(t *testing.T, r *Reader, c drift.Change, want drift.Resource) {
	t.Helper()
	before := time.Now()
	obs, err := r.Observe(context.Background(), c)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if obs.ReadAt.Before(before.Add(-time.Second)) || obs.ReadAt.After(time.Now()) {
		t.Errorf("ReadAt: got %v, want about %v", obs.ReadAt, before)
	}
	if want == nil {
		if obs.Present || obs.Resource != nil {
			t.Errorf("got present %v %+v, want absent", obs.Present, obs.Resource)
		}
		return
	}
	if !obs.Present {
		t.Fatalf("got absent, want present %+v", want)
	}
	if obs.Resource.Key() != c.Resource.Key() {
		t.Errorf("Key: got %q, want the change's %q", obs.Resource.Key(), c.Resource.Key())
	}
	if !reflect.DeepEqual(obs.Resource, want) {
		t.Errorf("got %+v, want %+v", obs.Resource, want)
	}
}

func TestObserveCluster(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t, awstest.Region)
	name := createCluster(t, c, types.AuthenticationModeApi)
	deleted := createCluster(t, c, types.AuthenticationModeApi)
	if _, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String(deleted)}); err != nil {
		t.Fatalf("DeleteCluster: %v", err)
	}
	for _, tc := range []struct {
		name    string
		cluster string
		want    drift.Resource
	}{
		{"present", name, &drift.Cluster{Name: name}},
		{"deleted", deleted, nil},
		{"never created", awstest.Name(t, "missing"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, r, change(awstest.Region, tc.cluster, drift.OpAdded, &drift.Cluster{Name: tc.cluster}), tc.want)
		})
	}
}

func TestObserveAccessEntry(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t, awstest.Region)
	cluster := createCluster(t, c, types.AuthenticationModeApi)

	plain, grouped, updated, deleted := roleARN(t, "plain"), roleARN(t, "grouped"), roleARN(t, "updated"), roleARN(t, "deleted")
	create := func(principal string, groups []string, username string) {
		t.Helper()
		in := &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), KubernetesGroups: groups}
		if username != "" {
			in.Username = aws.String(username)
		}
		if _, err := c.CreateAccessEntry(ctx, in); awstest.Created(err) != nil {
			t.Fatalf("CreateAccessEntry %s: %v", principal, err)
		}
	}
	create(plain, nil, "")
	create(grouped, []string{"viewers", "auditors"}, "auditor")
	create(updated, []string{"viewers"}, "")
	if _, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(updated),
		KubernetesGroups: []string{"editors", "viewers"}, Username: aws.String("editor"),
	}); err != nil {
		t.Fatalf("UpdateAccessEntry: %v", err)
	}
	create(deleted, nil, "")
	if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(deleted)}); err != nil {
		t.Fatalf("DeleteAccessEntry: %v", err)
	}

	for _, tc := range []struct {
		name    string
		cluster string
		op      drift.Op
		change  *drift.AccessEntry // what the event said
		want    drift.Resource
	}{
		{"present without groups", cluster, drift.OpAdded,
			&drift.AccessEntry{PrincipalARN: plain, Type: drift.EntryStandard, KubernetesGroups: []string{}},
			&drift.AccessEntry{PrincipalARN: plain, Type: drift.EntryStandard, KubernetesGroups: []string{}}},
		{"present with groups and username", cluster, drift.OpAdded,
			&drift.AccessEntry{PrincipalARN: grouped, Type: drift.EntryStandard, KubernetesGroups: []string{"viewers", "auditors"}, Username: "auditor"},
			&drift.AccessEntry{PrincipalARN: grouped, Type: drift.EntryStandard, KubernetesGroups: []string{"viewers", "auditors"}, Username: "auditor"}},
		{"modified after the event", cluster, drift.OpAdded,
			&drift.AccessEntry{PrincipalARN: updated, Type: drift.EntryStandard, KubernetesGroups: []string{"viewers"}},
			&drift.AccessEntry{PrincipalARN: updated, Type: drift.EntryStandard, KubernetesGroups: []string{"editors", "viewers"}, Username: "editor"}},
		{"deleted", cluster, drift.OpRemoved, &drift.AccessEntry{PrincipalARN: deleted}, nil},
		{"never created", cluster, drift.OpAdded, &drift.AccessEntry{PrincipalARN: roleARN(t, "stranger")}, nil},
		{"cluster gone", awstest.Name(t, "missing"), drift.OpAdded, &drift.AccessEntry{PrincipalARN: plain}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, r, change(awstest.Region, tc.cluster, tc.op, tc.change), tc.want)
		})
	}
}

func TestObserveAccessPolicy(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t, awstest.Region)
	cluster := createCluster(t, c, types.AuthenticationModeApi)

	admin, dev, gone := roleARN(t, "admin"), roleARN(t, "dev"), roleARN(t, "gone")
	for _, p := range []string{admin, dev, gone} {
		if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(p)}); awstest.Created(err) != nil {
			t.Fatalf("CreateAccessEntry %s: %v", p, err)
		}
	}
	associate := func(principal, policy string, namespaces ...string) {
		t.Helper()
		scope := &types.AccessScope{Type: types.AccessScopeTypeCluster}
		if len(namespaces) > 0 {
			scope = &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: namespaces}
		}
		if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
			ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), PolicyArn: aws.String(policy), AccessScope: scope,
		}); err != nil {
			t.Fatalf("AssociateAccessPolicy %s %s: %v", principal, policy, err)
		}
	}
	associate(admin, adminPolicy)
	associate(dev, viewPolicy)
	associate(dev, editPolicy, "team-a", "team-b")
	associate(gone, viewPolicy)
	// The view policy of dev is widened from two namespaces to the cluster
	// after the event said namespaces.
	associate(dev, adminPolicy, "team-a")
	associate(dev, adminPolicy)
	// Then edit is disassociated from admin, and gone's entry deleted.
	associate(admin, editPolicy)
	if _, err := c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(admin), PolicyArn: aws.String(editPolicy),
	}); err != nil {
		t.Fatalf("DisassociateAccessPolicy: %v", err)
	}
	if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(gone)}); err != nil {
		t.Fatalf("DeleteAccessEntry: %v", err)
	}

	clusterScope := drift.AccessScope{Type: drift.ScopeCluster}
	for _, tc := range []struct {
		name    string
		cluster string
		op      drift.Op
		change  *drift.AccessPolicy
		want    drift.Resource
	}{
		{"cluster scope", cluster, drift.OpAdded,
			&drift.AccessPolicy{PrincipalARN: admin, PolicyARN: adminPolicy, Scope: clusterScope},
			&drift.AccessPolicy{PrincipalARN: admin, PolicyARN: adminPolicy, Scope: clusterScope}},
		{"one of several", cluster, drift.OpAdded,
			&drift.AccessPolicy{PrincipalARN: dev, PolicyARN: viewPolicy, Scope: clusterScope},
			&drift.AccessPolicy{PrincipalARN: dev, PolicyARN: viewPolicy, Scope: clusterScope}},
		{"namespace scope", cluster, drift.OpAdded,
			&drift.AccessPolicy{PrincipalARN: dev, PolicyARN: editPolicy, Scope: drift.AccessScope{Type: drift.ScopeNamespace, Namespaces: []string{"team-a", "team-b"}}},
			&drift.AccessPolicy{PrincipalARN: dev, PolicyARN: editPolicy, Scope: drift.AccessScope{Type: drift.ScopeNamespace, Namespaces: []string{"team-a", "team-b"}}}},
		{"scope widened after the event", cluster, drift.OpAdded,
			&drift.AccessPolicy{PrincipalARN: dev, PolicyARN: adminPolicy, Scope: drift.AccessScope{Type: drift.ScopeNamespace, Namespaces: []string{"team-a"}}},
			&drift.AccessPolicy{PrincipalARN: dev, PolicyARN: adminPolicy, Scope: clusterScope}},
		{"disassociated", cluster, drift.OpRemoved, &drift.AccessPolicy{PrincipalARN: admin, PolicyARN: editPolicy}, nil},
		{"never associated", cluster, drift.OpAdded, &drift.AccessPolicy{PrincipalARN: admin, PolicyARN: viewPolicy}, nil},
		{"access entry deleted", cluster, drift.OpAdded, &drift.AccessPolicy{PrincipalARN: gone, PolicyARN: viewPolicy}, nil},
		{"cluster gone", awstest.Name(t, "missing"), drift.OpAdded, &drift.AccessPolicy{PrincipalARN: admin, PolicyARN: adminPolicy}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, r, change(awstest.Region, tc.cluster, tc.op, tc.change), tc.want)
		})
	}
}

// MiniStack 1.5.33 has no route for UpdateClusterConfig ("No route for POST
// /clusters/NAME/update-config"), so a mode that changed after the event is
// played as a cluster created with another mode than the event says.
func TestObserveAuthenticationMode(t *testing.T) {
	c, r := emulator(t, awstest.Region)
	api := createCluster(t, c, types.AuthenticationModeApi)
	both := createCluster(t, c, types.AuthenticationModeApiAndConfigMap)
	for _, tc := range []struct {
		name    string
		cluster string
		event   string
		want    drift.Resource
	}{
		{"API", api, drift.AuthModeAPI, &drift.AuthenticationMode{Mode: drift.AuthModeAPI}},
		{"API_AND_CONFIG_MAP", both, drift.AuthModeAPIAndConfigMap, &drift.AuthenticationMode{Mode: drift.AuthModeAPIAndConfigMap}},
		{"differs from the event", both, drift.AuthModeAPI, &drift.AuthenticationMode{Mode: drift.AuthModeAPIAndConfigMap}},
		{"cluster gone", awstest.Name(t, "missing"), drift.AuthModeAPI, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, r, change(awstest.Region, tc.cluster, drift.OpModified, &drift.AuthenticationMode{Mode: tc.event}), tc.want)
		})
	}
}

// TOOLING.md lists pod identity associations as missing from MiniStack, but
// 1.5.33 serves Create, List (with the namespace and serviceAccount
// filters), Describe, Update and Delete; so they are tested here on it.
func TestObservePodIdentityAssociation(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t, awstest.Region)
	cluster := createCluster(t, c, types.AuthenticationModeApi)
	reader, writer := roleARN(t, "s3-reader"), roleARN(t, "s3-writer")
	create := func(ns, sa, role string) string {
		t.Helper()
		out, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
			ClusterName: aws.String(cluster), Namespace: aws.String(ns), ServiceAccount: aws.String(sa), RoleArn: aws.String(role),
		})
		if err != nil {
			t.Fatalf("CreatePodIdentityAssociation %s/%s: %v", ns, sa, err)
		}
		return aws.ToString(out.Association.AssociationId)
	}
	appID := create("shop", "app", reader)
	create("shop", "worker", writer) // same namespace, another account
	create("other", "app", writer)   // same account name, another namespace
	swappedID := create("shop", "swapped", reader)
	if _, err := c.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{
		ClusterName: aws.String(cluster), AssociationId: aws.String(swappedID), RoleArn: aws.String(writer),
	}); err != nil {
		t.Fatalf("UpdatePodIdentityAssociation: %v", err)
	}
	deletedID := create("shop", "deleted", reader)
	if _, err := c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{
		ClusterName: aws.String(cluster), AssociationId: aws.String(deletedID),
	}); err != nil {
		t.Fatalf("DeletePodIdentityAssociation: %v", err)
	}

	for _, tc := range []struct {
		name    string
		cluster string
		op      drift.Op
		change  *drift.PodIdentityAssociation
		want    drift.Resource
	}{
		{"present", cluster, drift.OpAdded,
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app", RoleARN: reader, AssociationID: appID},
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app", RoleARN: reader, AssociationID: appID}},
		{"event without association id", cluster, drift.OpAdded,
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app"},
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app", RoleARN: reader, AssociationID: appID}},
		{"role swapped after the event", cluster, drift.OpAdded,
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "swapped", RoleARN: reader, AssociationID: swappedID},
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "swapped", RoleARN: writer, AssociationID: swappedID}},
		{"deleted", cluster, drift.OpRemoved,
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "deleted", AssociationID: deletedID}, nil},
		{"never created", cluster, drift.OpAdded, &drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "nobody"}, nil},
		{"cluster gone", awstest.Name(t, "missing"), drift.OpAdded, &drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, r, change(awstest.Region, tc.cluster, tc.op, tc.change), tc.want)
		})
	}
}

// EKS allows one OIDC identity provider config per cluster, and MiniStack
// enforces it, so each case has its own cluster.
func TestObserveIdentityProviderConfig(t *testing.T) {
	ctx := context.Background()
	c, r := emulator(t, awstest.Region)
	associate := func(cluster, name, issuer, client string) {
		t.Helper()
		if _, err := c.AssociateIdentityProviderConfig(ctx, &eks.AssociateIdentityProviderConfigInput{
			ClusterName: aws.String(cluster),
			Oidc: &types.OidcIdentityProviderConfigRequest{
				IdentityProviderConfigName: aws.String(name), IssuerUrl: aws.String(issuer), ClientId: aws.String(client),
			},
		}); err != nil {
			t.Fatalf("AssociateIdentityProviderConfig %s: %v", name, err)
		}
	}
	disassociate := func(cluster, name string) {
		t.Helper()
		if _, err := c.DisassociateIdentityProviderConfig(ctx, &eks.DisassociateIdentityProviderConfigInput{
			ClusterName:            aws.String(cluster),
			IdentityProviderConfig: &types.IdentityProviderConfig{Type: aws.String("oidc"), Name: aws.String(name)},
		}); err != nil {
			t.Fatalf("DisassociateIdentityProviderConfig %s: %v", name, err)
		}
	}
	okta := createCluster(t, c, types.AuthenticationModeApi)
	associate(okta, "okta", "https://corp.okta.example.com", "kubernetes")
	// EKS cannot update a config; replacing one means disassociating it and
	// associating another of the same name.
	replaced := createCluster(t, c, types.AuthenticationModeApi)
	associate(replaced, "sso", "https://old.example.com", "old")
	disassociate(replaced, "sso")
	associate(replaced, "sso", "https://new.example.com", "new")
	removed := createCluster(t, c, types.AuthenticationModeApi)
	associate(removed, "sso", "https://gone.example.com", "gone")
	disassociate(removed, "sso")

	for _, tc := range []struct {
		name    string
		cluster string
		op      drift.Op
		change  *drift.IdentityProviderConfig
		want    drift.Resource
	}{
		{"present", okta, drift.OpAdded,
			&drift.IdentityProviderConfig{Name: "okta", Type: "oidc", IssuerURL: "https://corp.okta.example.com", ClientID: "kubernetes"},
			&drift.IdentityProviderConfig{Name: "okta", Type: "oidc", IssuerURL: "https://corp.okta.example.com", ClientID: "kubernetes"}},
		{"event without type", okta, drift.OpAdded, &drift.IdentityProviderConfig{Name: "okta"},
			&drift.IdentityProviderConfig{Name: "okta", Type: "oidc", IssuerURL: "https://corp.okta.example.com", ClientID: "kubernetes"}},
		{"replaced after the event", replaced, drift.OpAdded,
			&drift.IdentityProviderConfig{Name: "sso", Type: "oidc", IssuerURL: "https://old.example.com", ClientID: "old"},
			&drift.IdentityProviderConfig{Name: "sso", Type: "oidc", IssuerURL: "https://new.example.com", ClientID: "new"}},
		{"disassociated", removed, drift.OpRemoved, &drift.IdentityProviderConfig{Name: "sso", Type: "oidc"}, nil},
		{"another name", okta, drift.OpAdded, &drift.IdentityProviderConfig{Name: "nobody", Type: "oidc"}, nil},
		{"cluster gone", awstest.Name(t, "missing"), drift.OpAdded, &drift.IdentityProviderConfig{Name: "okta", Type: "oidc"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, r, change(awstest.Region, tc.cluster, tc.op, tc.change), tc.want)
		})
	}
}

// MiniStack keeps each region apart, as EKS does: the reader must look in
// the event's region, not the configuration's.
func TestObserveReadsInTheEventsRegion(t *testing.T) {
	const west = "us-west-2"
	c, _ := emulator(t, west)
	cluster := createCluster(t, c, types.AuthenticationModeApi)

	var mu sync.Mutex
	built := map[string]int{}
	cfg := awstest.Config(t)
	r := newReader(func(region string) api {
		mu.Lock()
		built[region]++
		mu.Unlock()
		return eks.NewFromConfig(cfg, func(o *eks.Options) { o.Region = region })
	})
	res := &drift.Cluster{Name: cluster}
	t.Run("event region", func(t *testing.T) {
		check(t, r, change(west, cluster, drift.OpAdded, res), res)
	})
	t.Run("another region", func(t *testing.T) {
		check(t, r, change(awstest.Region, cluster, drift.OpAdded, res), nil)
	})
	t.Run("clients are cached", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.Observe(context.Background(), change(west, cluster, drift.OpAdded, res)); err != nil {
					t.Errorf("Observe: %v", err)
				}
			}()
		}
		wg.Wait()
		want := map[string]int{west: 1, awstest.Region: 1}
		if !reflect.DeepEqual(built, want) {
			t.Errorf("clients built: got %v, want %v", built, want)
		}
	})
}

// fakeAPI answers only the calls a test sets; the others fail the test.
type fakeAPI struct {
	t                   *testing.T
	describeCluster     func(*eks.DescribeClusterInput) (*eks.DescribeClusterOutput, error)
	describeAccessEntry func(*eks.DescribeAccessEntryInput) (*eks.DescribeAccessEntryOutput, error)
	listAccessPolicies  func(*eks.ListAssociatedAccessPoliciesInput) (*eks.ListAssociatedAccessPoliciesOutput, error)
	listPodIdentities   func(*eks.ListPodIdentityAssociationsInput) (*eks.ListPodIdentityAssociationsOutput, error)
	describePodIdentity func(*eks.DescribePodIdentityAssociationInput) (*eks.DescribePodIdentityAssociationOutput, error)
	describeIdP         func(*eks.DescribeIdentityProviderConfigInput) (*eks.DescribeIdentityProviderConfigOutput, error)
}

func unexpected[T any](t *testing.T, call string) (T, error) {
	t.Helper()
	t.Errorf("unexpected call to %s", call)
	var zero T
	return zero, errors.New("unexpected call to " + call)
}

func (f *fakeAPI) DescribeCluster(_ context.Context, in *eks.DescribeClusterInput, _ ...func(*eks.Options)) (*eks.DescribeClusterOutput, error) {
	if f.describeCluster == nil {
		return unexpected[*eks.DescribeClusterOutput](f.t, "DescribeCluster")
	}
	return f.describeCluster(in)
}

func (f *fakeAPI) DescribeAccessEntry(_ context.Context, in *eks.DescribeAccessEntryInput, _ ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error) {
	if f.describeAccessEntry == nil {
		return unexpected[*eks.DescribeAccessEntryOutput](f.t, "DescribeAccessEntry")
	}
	return f.describeAccessEntry(in)
}

func (f *fakeAPI) ListAssociatedAccessPolicies(_ context.Context, in *eks.ListAssociatedAccessPoliciesInput, _ ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error) {
	if f.listAccessPolicies == nil {
		return unexpected[*eks.ListAssociatedAccessPoliciesOutput](f.t, "ListAssociatedAccessPolicies")
	}
	return f.listAccessPolicies(in)
}

func (f *fakeAPI) ListPodIdentityAssociations(_ context.Context, in *eks.ListPodIdentityAssociationsInput, _ ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error) {
	if f.listPodIdentities == nil {
		return unexpected[*eks.ListPodIdentityAssociationsOutput](f.t, "ListPodIdentityAssociations")
	}
	return f.listPodIdentities(in)
}

func (f *fakeAPI) DescribePodIdentityAssociation(_ context.Context, in *eks.DescribePodIdentityAssociationInput, _ ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error) {
	if f.describePodIdentity == nil {
		return unexpected[*eks.DescribePodIdentityAssociationOutput](f.t, "DescribePodIdentityAssociation")
	}
	return f.describePodIdentity(in)
}

func (f *fakeAPI) DescribeIdentityProviderConfig(_ context.Context, in *eks.DescribeIdentityProviderConfigInput, _ ...func(*eks.Options)) (*eks.DescribeIdentityProviderConfigOutput, error) {
	if f.describeIdP == nil {
		return unexpected[*eks.DescribeIdentityProviderConfigOutput](f.t, "DescribeIdentityProviderConfig")
	}
	return f.describeIdP(in)
}

func fakeReader(f *fakeAPI) *Reader { return newReader(func(string) api { return f }) }

// pages serves items n at a time, with the next offset as the token.
func pages[T any](items []T, n int, token *string) (page []T, next *string) {
	start := 0
	if token != nil {
		start, _ = strconv.Atoi(*token)
	}
	end := min(start+n, len(items))
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next
}

// MiniStack 1.5.33 does not page: its List calls cut the answer at
// maxResults and return no nextToken. Paging is tested on a fake.
func TestObservePagesThroughLists(t *testing.T) {
	const cluster, region = "prod", "eu-west-1"
	principal := "arn:aws:iam::" + account + ":role/dev"
	var policies []types.AssociatedAccessPolicy
	for _, p := range []string{"A", "B", "C", "D", "E"} {
		policies = append(policies, types.AssociatedAccessPolicy{
			PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/" + p),
			AccessScope: &types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: []string{"ns-" + p}},
		})
	}
	var calls int
	f := &fakeAPI{t: t, listAccessPolicies: func(in *eks.ListAssociatedAccessPoliciesInput) (*eks.ListAssociatedAccessPoliciesOutput, error) {
		calls++
		if aws.ToString(in.ClusterName) != cluster || aws.ToString(in.PrincipalArn) != principal {
			t.Errorf("ListAssociatedAccessPolicies(%s, %s): want (%s, %s)", aws.ToString(in.ClusterName), aws.ToString(in.PrincipalArn), cluster, principal)
		}
		page, next := pages(policies, 2, in.NextToken)
		return &eks.ListAssociatedAccessPoliciesOutput{AssociatedAccessPolicies: page, NextToken: next}, nil
	}}
	r := fakeReader(f)
	for _, tc := range []struct {
		name      string
		policy    string
		want      drift.Resource
		wantCalls int
	}{
		{"first page", "A", &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/A",
			Scope: drift.AccessScope{Type: drift.ScopeNamespace, Namespaces: []string{"ns-A"}}}, 1},
		{"last page", "E", &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/E",
			Scope: drift.AccessScope{Type: drift.ScopeNamespace, Namespaces: []string{"ns-E"}}}, 3},
		{"on no page", "Z", nil, 3},
	} {
		t.Run("access policies/"+tc.name, func(t *testing.T) {
			calls = 0
			check(t, r, change(region, cluster, drift.OpAdded, &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: "arn:aws:eks::aws:cluster-access-policy/" + tc.policy}), tc.want)
			if calls != tc.wantCalls {
				t.Errorf("ListAssociatedAccessPolicies calls: got %d, want %d", calls, tc.wantCalls)
			}
		})
	}

	// EKS filters by service account; pages may still come back empty
	// with a token, and the match may sit on the last one.
	assocs := [][]types.PodIdentityAssociationSummary{
		{}, {}, {{Namespace: aws.String("shop"), ServiceAccount: aws.String("app"), AssociationId: aws.String("a-3")}},
	}
	f.listPodIdentities = func(in *eks.ListPodIdentityAssociationsInput) (*eks.ListPodIdentityAssociationsOutput, error) {
		if aws.ToString(in.Namespace) != "shop" || aws.ToString(in.ServiceAccount) != "app" {
			t.Errorf("ListPodIdentityAssociations filter: got %s/%s, want shop/app", aws.ToString(in.Namespace), aws.ToString(in.ServiceAccount))
		}
		page, next := pages(assocs, 1, in.NextToken)
		return &eks.ListPodIdentityAssociationsOutput{Associations: page[0], NextToken: next}, nil
	}
	f.describePodIdentity = func(in *eks.DescribePodIdentityAssociationInput) (*eks.DescribePodIdentityAssociationOutput, error) {
		if got := aws.ToString(in.AssociationId); got != "a-3" {
			t.Errorf("DescribePodIdentityAssociation id: got %s, want a-3", got)
		}
		return &eks.DescribePodIdentityAssociationOutput{Association: &types.PodIdentityAssociation{
			AssociationId: aws.String("a-3"), Namespace: aws.String("shop"), ServiceAccount: aws.String("app"), RoleArn: aws.String(principal),
		}}, nil
	}
	t.Run("pod identity associations/last page", func(t *testing.T) {
		check(t, r, change(region, cluster, drift.OpAdded, &drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app"}),
			&drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app", RoleARN: principal, AssociationID: "a-3"})
	})
}

// A detector that cannot see must not conclude that nothing is there.
// MiniStack cannot be made to throttle or deny, so these run on a fake.
func TestObserveReturnsErrors(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	denied := &types.AccessDeniedException{Message: aws.String("not authorized to perform eks:DescribeAccessEntry")}
	principal := "arn:aws:iam::" + account + ":role/dev"
	f := &fakeAPI{
		t: t,
		describeCluster: func(*eks.DescribeClusterInput) (*eks.DescribeClusterOutput, error) {
			return nil, throttled
		},
		describeAccessEntry: func(*eks.DescribeAccessEntryInput) (*eks.DescribeAccessEntryOutput, error) {
			return nil, denied
		},
		listAccessPolicies: func(in *eks.ListAssociatedAccessPoliciesInput) (*eks.ListAssociatedAccessPoliciesOutput, error) {
			if in.NextToken == nil {
				return &eks.ListAssociatedAccessPoliciesOutput{NextToken: aws.String("2")}, nil
			}
			return nil, throttled // on the second page
		},
		listPodIdentities: func(*eks.ListPodIdentityAssociationsInput) (*eks.ListPodIdentityAssociationsOutput, error) {
			return &eks.ListPodIdentityAssociationsOutput{Associations: []types.PodIdentityAssociationSummary{
				{Namespace: aws.String("shop"), ServiceAccount: aws.String("app"), AssociationId: aws.String("a-1")},
			}}, nil
		},
		describePodIdentity: func(*eks.DescribePodIdentityAssociationInput) (*eks.DescribePodIdentityAssociationOutput, error) {
			return nil, throttled
		},
		describeIdP: func(*eks.DescribeIdentityProviderConfigInput) (*eks.DescribeIdentityProviderConfigOutput, error) {
			return nil, denied
		},
	}
	r := fakeReader(f)
	for _, tc := range []struct {
		name    string
		res     drift.Resource
		wantMsg string
		want    error
	}{
		{"cluster", &drift.Cluster{Name: "prod"}, "eks eu-west-1/prod: DescribeCluster: ", throttled},
		{"authentication mode", &drift.AuthenticationMode{Mode: "API"}, "eks eu-west-1/prod: DescribeCluster: ", throttled},
		{"access entry", &drift.AccessEntry{PrincipalARN: principal}, "eks eu-west-1/prod: DescribeAccessEntry " + principal + ": ", denied},
		{"access policy", &drift.AccessPolicy{PrincipalARN: principal, PolicyARN: adminPolicy}, "eks eu-west-1/prod: ListAssociatedAccessPolicies " + principal + ": ", throttled},
		{"pod identity", &drift.PodIdentityAssociation{Namespace: "shop", ServiceAccount: "app"}, "eks eu-west-1/prod: DescribePodIdentityAssociation shop/app (a-1): ", throttled},
		{"identity provider", &drift.IdentityProviderConfig{Name: "okta"}, "eks eu-west-1/prod: DescribeIdentityProviderConfig oidc okta: ", denied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := r.Observe(context.Background(), change("eu-west-1", "prod", drift.OpAdded, tc.res))
			if err == nil {
				t.Fatalf("got %+v, want an error", obs)
			}
			if !strings.HasPrefix(err.Error(), tc.wantMsg) {
				t.Errorf("error: got %q, want it to start %q", err, tc.wantMsg)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error: got %v, want it to wrap %v", err, tc.want)
			}
			if obs.Present || obs.Resource != nil {
				t.Errorf("observation: got %+v, want none", obs)
			}
		})
	}

	t.Run("no accessConfig", func(t *testing.T) {
		f := &fakeAPI{t: t, describeCluster: func(*eks.DescribeClusterInput) (*eks.DescribeClusterOutput, error) {
			return &eks.DescribeClusterOutput{Cluster: &types.Cluster{Name: aws.String("prod")}}, nil
		}}
		_, err := fakeReader(f).Observe(context.Background(), change("eu-west-1", "prod", drift.OpModified, &drift.AuthenticationMode{Mode: "API"}))
		if err == nil || !strings.Contains(err.Error(), "accessConfig.authenticationMode") {
			t.Errorf("got %v, want an error about the missing accessConfig.authenticationMode", err)
		}
	})

	t.Run("network", func(t *testing.T) {
		port, err := awstest.FreePort() // nothing listens there
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(awstest.Config(t), func(o *eks.Options) {
			o.BaseEndpoint = aws.String(fmt.Sprintf("http://127.0.0.1:%d", port))
			o.RetryMaxAttempts = 1
		})
		_, err = r.Observe(context.Background(), change(awstest.Region, "prod", drift.OpAdded, &drift.AccessEntry{PrincipalARN: principal}))
		if err == nil || !strings.HasPrefix(err.Error(), "eks us-east-1/prod: DescribeAccessEntry "+principal+": ") {
			t.Errorf("got %v, want a DescribeAccessEntry error with its context", err)
		}
	})
}

func TestObserveRejects(t *testing.T) {
	r := fakeReader(&fakeAPI{t: t}) // no call may be made
	for _, tc := range []struct {
		name    string
		change  drift.Change
		wantMsg string
	}{
		{"IAM kind", change("eu-west-1", "", drift.OpAdded, &drift.Role{Name: "deploy"}), `eks: cannot observe iam-role "deploy": not an EKS kind`},
		{"no resource", drift.Change{Event: drift.Event{ID: "e-1", Region: "eu-west-1"}, Cluster: "prod"}, "eks: change of event e-1 has no resource"},
		{"no region", change("", "prod", drift.OpAdded, &drift.Cluster{Name: "prod"}), "has no region"},
		{"no cluster", change("eu-west-1", "", drift.OpAdded, &drift.AccessEntry{PrincipalARN: "arn:aws:iam::1:role/x"}), "change has no cluster"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Observe(context.Background(), tc.change)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got %v, want an error containing %q", err, tc.wantMsg)
			}
		})
	}
}
