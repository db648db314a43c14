package scan

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

type fakeEKS map[string]drift.ClusterState // region/name

func (f fakeEKS) ScanCluster(_ context.Context, region, name string) (drift.ClusterState, error) {
	if name == "broken" {
		return drift.ClusterState{}, errors.New("AccessDeniedException")
	}
	if c, ok := f[region+"/"+name]; ok {
		return c, nil
	}
	return drift.ClusterState{Name: name, Region: region}, nil
}

type fakeIAM struct{}

func (fakeIAM) ScanRole(_ context.Context, arn string) (drift.RoleState, error) {
	name, _ := drift.RoleName(arn)
	return drift.RoleState{ARN: arn, Name: name, Account: drift.AccountOf(arn), Found: true}, nil
}

func TestScanner(t *testing.T) {
	eks := fakeEKS{
		"us-west-2/prod":  {Name: "prod", Region: "us-west-2", Account: "111122223333", Found: true, AccessEntries: make([]drift.EntryState, 3)},
		"us-west-2/other": {Name: "other", Region: "us-west-2", Account: "999999999999", Found: true},
	}
	var (
		mu   sync.Mutex
		last Progress
	)
	s := &Scanner{EKS: eks, IAM: fakeIAM{}, Parallel: 2, OnProgress: func(p Progress) { mu.Lock(); last = p; mu.Unlock() }}
	s.Expect(4, 1)
	states, errs := s.Clusters(context.Background(), []Cluster{
		{Region: "us-west-2", Name: "prod", Account: "111122223333"},
		{Region: "us-west-2", Name: "other", Account: "111122223333"},
		{Region: "us-west-2", Name: "broken"},
		{Region: "us-west-2", Name: "gone", Account: "111122223333"},
	})
	if len(states) != 2 || states[0].Name != "prod" || states[1].Name != "gone" || states[1].Found || states[1].Account != "111122223333" {
		t.Errorf("got states %+v, want prod and gone (not found, in its declared account)", states)
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "declared in account 111122223333, but the one these credentials see is in account 999999999999") {
		t.Errorf("got errors %v, want the other account's and the denied cluster's", errs)
	}
	roles, errs := s.Roles(context.Background(), []string{"arn:aws:iam::111122223333:role/dev"})
	if len(roles) != 1 || len(errs) != 0 {
		t.Errorf("got %v, %v", roles, errs)
	}
	if want := (Progress{ClustersDone: 4, ClustersTotal: 4, RolesDone: 1, RolesTotal: 1, Entries: 3}); last != want {
		t.Errorf("progress: got %+v, want %+v", last, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, errs := s.Clusters(ctx, []Cluster{{Region: "us-west-2", Name: "prod"}}); len(errs) == 0 || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("canceled: got %v", errs)
	}
}

func TestBaselineTargets(t *testing.T) {
	b := &drift.Baseline{
		Clusters: []drift.ClusterBaseline{{Name: "prod", Account: "111122223333", Region: "us-west-2"}, {Name: "lab", Account: "111122223333", Region: "eu-west-1"},
			{Name: "prod", Account: "444455556666", Region: "us-west-2"}},
		IAMRoles: []drift.RoleBaseline{{ARN: "arn:aws:iam::111122223333:role/dev"}, {ARN: "arn:aws:iam::444455556666:role/dev"}},
	}
	got := BaselineTargets(b, "111122223333")
	if len(got.Clusters) != 2 || len(got.Roles) != 1 || got.ElsewhereClusters != 1 || got.ElsewhereRoles != 1 {
		t.Errorf("got %+v", got)
	}
	if r := got.Regions(); !slices.Equal(r, []string{"eu-west-1", "us-west-2"}) {
		t.Errorf("regions: got %v", r)
	}
	if all := BaselineTargets(b, ""); len(all.Clusters) != 3 || len(all.Roles) != 2 {
		t.Errorf("every account: got %+v", all)
	}
}

func TestBehind(t *testing.T) {
	dev, nodes, app := "arn:aws:iam::111122223333:role/teams/dev", "arn:aws:iam::111122223333:role/nodes", "arn:aws:iam::111122223333:role/app"
	vendor := "arn:aws:iam::444455556666:role/vendor"
	cluster := func(name string) drift.ClusterState {
		return drift.ClusterState{Name: name, AccessEntries: []drift.EntryState{
			{AccessEntry: drift.AccessEntry{PrincipalARN: dev}},
			{AccessEntry: drift.AccessEntry{PrincipalARN: nodes, Type: drift.EntryEC2Linux}},
			{AccessEntry: drift.AccessEntry{PrincipalARN: vendor}},
			{AccessEntry: drift.AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:user/bob"}},
		}, PodIdentityAssociations: []drift.PodIdentityAssociation{{Namespace: "app", ServiceAccount: "api", RoleARN: app}}}
	}
	roles, why, other := Behind([]drift.ClusterState{cluster("a"), cluster("b"), cluster("c"), cluster("d")}, "111122223333")
	if want := []string{app, nodes, dev}; !slices.Equal(roles, want) {
		t.Errorf("got roles %v, want %v: roles only, of this account, once each", roles, want)
	}
	if w := why[nodes]; w != "behind EC2_LINUX access entry on a; EC2_LINUX access entry on b; EC2_LINUX access entry on c; and 1 more" {
		t.Errorf("why nodes: got %q", w)
	}
	if w := why[app]; !strings.HasPrefix(w, "behind pod identity association app/api on a") {
		t.Errorf("why app: got %q", w)
	}
	if !strings.Contains(other[vendor], "account 444455556666") {
		t.Errorf("other: got %v", other)
	}
}
