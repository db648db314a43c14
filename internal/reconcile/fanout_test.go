package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/scan"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

// These tests run the fan-out on the real detector and SQLite history, with
// member accounts whose scanners are stand-ins (each counts its reads and
// advances a shared clock); fanout_ministack_test.go runs the real EKS and
// IAM adapters of several accounts on MiniStack.

var fanRegions = []string{"eu-west-1", "us-west-2"}

// orgBaseline declares, in each account, a cluster "prod" in both regions
// with one admin entry, and one role.
func orgBaseline(t *testing.T, accounts ...string) *drift.Index {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\nmode: alert\nclusters:\n")
	for _, a := range accounts {
		for _, reg := range fanRegions {
			fmt.Fprintf(&b, `  - name: prod
    account: "%[1]s"
    region: %[2]s
    authenticationMode: API
    accessEntries:
      - principalArn: arn:aws:iam::%[1]s:role/admin
        accessPolicies:
          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
            accessScope: {type: cluster}
`, a, reg)
		}
	}
	b.WriteString("iamRoles:\n")
	for _, a := range accounts {
		fmt.Fprintf(&b, `  - arn: arn:aws:iam::%s:role/admin
    trustPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
    managedPolicies: []
    inlinePolicies: {}
`, a)
	}
	ix, err := baseline.Index("org.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// member is one account's live state: as declared, plus an undeclared
// cluster-admin on every cluster.
type member struct {
	account string
	w       *world
	clock   *fakeClock
	mu      sync.Mutex
	reads   map[string]int // what was read, how often
}

func (m *member) ScanCluster(ctx context.Context, region, name string) (drift.ClusterState, error) {
	m.count(region + "/" + name)
	return m.w.ScanCluster(ctx, region, name)
}

func (m *member) ScanRole(ctx context.Context, arn string) (drift.RoleState, error) {
	m.count(arn)
	return m.w.ScanRole(ctx, arn)
}

func (m *member) count(what string) {
	m.mu.Lock()
	m.reads[what]++
	m.mu.Unlock()
	m.clock.advance(time.Minute) // each read takes a minute of the invocation
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// records is the sweep record's store in memory.
type records struct {
	mu   sync.Mutex
	doc  map[string][]byte
	fail error
}

func (r *records) SweepRecord(_ context.Context, name string) ([]byte, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.doc[name]
	return d, ok, nil
}

func (r *records) SaveSweepRecord(_ context.Context, name string, doc []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.doc[name] = doc
	return nil
}

type org struct {
	r       *Reconciler
	members map[string]*member
	store   *sqlite.Store
	clock   *fakeClock
	records *records
}

func setupOrg(t *testing.T, accounts []string, unreadable map[string]error) *org {
	t.Helper()
	ix := orgBaseline(t, accounts...)
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := &fakeClock{t: t0}
	o := &org{members: map[string]*member{}, store: store, clock: clock, records: &records{doc: map[string][]byte{}}}
	for _, a := range accounts {
		w := asDeclared(orgBaseline(t, a).Baseline) // one world per account: the world keys clusters by region/name
		for k, cs := range w.clusters {
			cs.AccessEntries = append(cs.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: "arn:aws:iam::" + a + ":role/intruder", Type: "STANDARD"}})
			w.clusters[k] = cs
		}
		o.members[a] = &member{account: a, w: w, clock: clock, reads: map[string]int{}}
	}
	set := &metrics.Set{}
	d := &detect.Detector{Baseline: func(context.Context) (*drift.Index, error) { return ix, nil }, History: store, Publisher: &outbox{},
		Metrics: set, Log: slogDiscard()}
	o.r = &Reconciler{
		Baseline: func(context.Context) (*drift.Index, error) { return ix, nil },
		History:  store, Detector: d, Metrics: set, Grace: -1,
		Members:         accounts,
		AccountParallel: 1,
		Progress:        o.records,
		Now:             clock.now,
		ScannerFor: func(_ context.Context, account string) (*scan.Scanner, error) {
			if err := unreadable[account]; err != nil {
				return nil, err
			}
			m := o.members[account]
			return &scan.Scanner{EKS: m, IAM: m, UserScanner: m, Parallel: 1}, nil
		},
	}
	return o
}

func TestFanOutResumesWhereTheDeadlineCutIt(t *testing.T) {
	accounts := []string{"111111111111", "222222222222", "333333333333", "444444444444"}
	o := setupOrg(t, accounts, nil)
	const targets = 12 // 4 accounts x (2 regions + IAM)

	// The invocation has 7 minutes and a 1 minute margin: six reads fit,
	// about half of the twelve targets.
	ctx, cancel := context.WithDeadline(context.Background(), t0.Add(7*time.Minute))
	defer cancel()
	o.r.Margin = time.Minute
	first, err := o.r.Sweep(withClock(ctx, o.clock), t0)
	if err != nil {
		t.Fatalf("first invocation: %v", err)
	}
	if first.Remaining == 0 || first.Targets == 0 || first.Targets+first.Remaining != targets || first.Resumed {
		t.Fatalf("first invocation: got %d targets swept and %d remaining (resumed %v), want both above zero, adding up to %d, not resumed",
			first.Targets, first.Remaining, first.Resumed, targets)
	}

	t.Logf("first invocation: %d targets swept, %d left to the next", first.Targets, first.Remaining)
	second, err := o.r.Sweep(context.Background(), t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("second invocation: %v", err)
	}
	if !second.Resumed || second.Targets != first.Remaining || second.Remaining != 0 || !second.Round.Equal(t0) {
		t.Errorf("second invocation: got resumed %v, %d targets, %d remaining, round %v; want resumed round %v, %d targets, 0 remaining",
			second.Resumed, second.Targets, second.Remaining, second.Round, t0, first.Remaining)
	}
	// Nothing skipped, nothing twice: every cluster and role read once.
	for _, a := range accounts {
		m := o.members[a]
		want := []string{"arn:aws:iam::" + a + ":role/admin", "eu-west-1/prod", "us-west-2/prod"}
		got := slices.Sorted(func(yield func(string) bool) {
			for k := range m.reads {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(got, want) {
			t.Errorf("account %s: got reads of %v, want %v", a, got, want)
		}
		for k, n := range m.reads {
			if n != 1 {
				t.Errorf("account %s: got %s read %d times, want once", a, k, n)
			}
		}
	}
	all, err := o.store.Query(context.Background(), drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	intruders := map[string]int{}
	for _, f := range all {
		if f.Drift && strings.HasSuffix(f.Resource, ":role/intruder") {
			intruders[f.Account+"/"+f.Region]++
		}
	}
	if len(intruders) != 8 {
		t.Errorf("got intruder drift in %d clusters (%v), want all 8", len(intruders), intruders)
	}
	for k, n := range intruders {
		if n != 1 {
			t.Errorf("cluster %s: got %d intruder findings, want 1", k, n)
		}
	}

	third, err := o.r.Sweep(context.Background(), t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if third.Resumed || third.Targets != targets || !third.Round.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("after a complete round: got resumed %v, %d targets, round %v; want a new round of %d targets", third.Resumed, third.Targets, third.Round, targets)
	}
}

// withClock lets the context's deadline be read against the fake clock:
// the fan-out reads ctx.Deadline() and compares it with Now; the real
// clock is not consulted, so the context itself must not expire.
func withClock(ctx context.Context, _ *fakeClock) context.Context {
	d, _ := ctx.Deadline()
	return deadlineOnly{Context: context.WithoutCancel(ctx), d: d}
}

type deadlineOnly struct {
	context.Context
	d time.Time
}

func (c deadlineOnly) Deadline() (time.Time, bool) { return c.d, true }

func TestFanOutReportsAnUnreadableMemberAndSweepsTheOthers(t *testing.T) {
	accounts := []string{"111111111111", "222222222222", "333333333333"}
	denied := errors.New("sts AssumeRole arn:aws:iam::222222222222:role/eksdrift-read: AccessDenied")
	o := setupOrg(t, accounts, map[string]error{"222222222222": denied})
	o.r.AccountParallel = 3
	rep, err := o.r.Sweep(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Errorf("got error %v, want one saying what could not be read", err)
	}
	if rep.Accounts != 3 || rep.Targets != 9 || rep.Clusters != 4 || rep.Roles != 2 || rep.Remaining != 0 {
		t.Errorf("got %d accounts, %d targets, %d clusters, %d roles, %d remaining; want 3, 9, 4, 2, 0", rep.Accounts, rep.Targets, rep.Clusters, rep.Roles, rep.Remaining)
	}
	want := []Unread{
		{Account: "222222222222", What: "credentials", Why: denied.Error()},
		{Account: "222222222222", Region: "eu-west-1", What: "credentials", Why: denied.Error()},
		{Account: "222222222222", Region: "us-west-2", What: "credentials", Why: denied.Error()},
	}
	if !slices.Equal(rep.Unread, want) {
		t.Errorf("got unread %+v, want %+v", rep.Unread, want)
	}
	if got := o.r.Metrics.Get(metrics.SweepUnread); got != 3 {
		t.Errorf("SweepUnread: got %v, want 3", got)
	}
	if rep.Recorded != 4 {
		t.Errorf("got %d drift recorded, want 4 (the intruders of the readable members)", rep.Recorded)
	}
	doc := string(o.records.doc[SweepRecordName])
	if !strings.Contains(doc, `"complete":true`) || !strings.Contains(doc, `"what":"credentials"`) {
		t.Errorf("got sweep record %s, want a complete round naming what it could not read", doc)
	}
}

func TestFanOutReportsAClusterThatCannotBeRead(t *testing.T) {
	accounts := []string{"111111111111", "222222222222"}
	o := setupOrg(t, accounts, nil)
	o.members["222222222222"].w.fail = errors.New("eks DescribeCluster prod: AccessDeniedException")
	rep, err := o.r.Sweep(context.Background(), t0)
	if err == nil {
		t.Error("got no error, want the unreadable clusters reported")
	}
	var got []string
	for _, u := range rep.Unread {
		got = append(got, u.Account+" "+u.Region+" "+u.What)
	}
	want := []string{"222222222222 eu-west-1 cluster eu-west-1/prod", "222222222222 us-west-2 cluster us-west-2/prod"}
	if !slices.Equal(got, want) {
		t.Errorf("got unread %v, want %v", got, want)
	}
	if rep.Clusters != 2 || rep.Roles != 2 {
		t.Errorf("got %d clusters and %d roles read, want 2 and 2", rep.Clusters, rep.Roles)
	}
}

func TestNoMembersSweepsOneAccountAsBefore(t *testing.T) {
	f := setup(t)
	f.r.Progress = &records{doc: map[string][]byte{}}
	rep := f.sweep(t, t0)
	if rep.Accounts != 0 || rep.Targets != 0 || rep.Round != nil || rep.Unread != nil || rep.Clusters != 3 || rep.Roles != 4 {
		t.Errorf("got %+v, want the single-account report: 3 clusters, 4 roles, no fan-out fields", rep)
	}
	if n := len(f.r.Progress.(*records).doc); n != 0 {
		t.Errorf("got %d sweep records, want none without members", n)
	}
}

// cuttingClock is a fake clock that also ends the invocation's context
// when it passes the deadline, as Lambda's does.
type cuttingClock struct {
	*fakeClock
	mu       sync.Mutex
	deadline time.Time
	cancel   context.CancelFunc
}

func (c *cuttingClock) invocation(minutes int) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	c.deadline, c.cancel = c.now().Add(time.Duration(minutes)*time.Minute), cancel
	return deadlineOnly{Context: ctx, d: c.deadline}
}

func (c *cuttingClock) advance(d time.Duration) {
	c.fakeClock.advance(d)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil && !c.now().Before(c.deadline) {
		c.cancel()
	}
}

// slowMember takes a minute of the invocation for each cluster or role.
type slowMember struct {
	w     *world
	clock *cuttingClock
	mu    sync.Mutex
	reads map[string]int
}

func (m *slowMember) ScanCluster(ctx context.Context, region, name string) (drift.ClusterState, error) {
	if err := ctx.Err(); err != nil {
		return drift.ClusterState{}, err
	}
	m.mu.Lock()
	m.reads[region+"/"+name]++
	m.mu.Unlock()
	m.clock.advance(time.Minute)
	if err := ctx.Err(); err != nil {
		return drift.ClusterState{}, err // cut off before the answer came
	}
	return m.w.ScanCluster(ctx, region, name)
}

func (m *slowMember) ScanRole(ctx context.Context, arn string) (drift.RoleState, error) {
	return m.w.ScanRole(ctx, arn)
}

// A region whose clusters take longer to read than an invocation has must
// still be swept: the round goes on cluster by cluster, each read once,
// instead of the region being cut off and started over in every
// invocation.
func TestFanOutFinishesARegionLongerThanAnInvocation(t *testing.T) {
	const account, clusters = "111111111111", 6
	var y strings.Builder
	y.WriteString("version: 1\nmode: alert\nclusters:\n")
	for c := range clusters {
		fmt.Fprintf(&y, "  - name: c%d\n    account: %q\n    region: eu-west-1\n    authenticationMode: API\n    accessEntries: []\n", c, account)
	}
	ix, err := baseline.Index("org.yaml", []byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := &cuttingClock{fakeClock: &fakeClock{t: t0}}
	m := &slowMember{w: asDeclared(ix.Baseline), clock: clock, reads: map[string]int{}}
	baselineOf := func(context.Context) (*drift.Index, error) { return ix, nil }
	set := &metrics.Set{}
	r := &Reconciler{
		Baseline: baselineOf, History: store, Metrics: set, Grace: -1,
		Detector: &detect.Detector{Baseline: baselineOf, History: store, Publisher: &outbox{}, Metrics: set, Log: slogDiscard()},
		Members:  []string{account}, AccountParallel: 1, Margin: time.Minute,
		Progress: &records{doc: map[string][]byte{}}, Now: clock.now,
		ScannerFor: func(context.Context, string) (*scan.Scanner, error) {
			return &scan.Scanner{EKS: m, IAM: m, Parallel: 1}, nil
		},
	}

	// Each invocation has 4 minutes: 3 clusters fit before its margin, not
	// the region's 6.
	const invocations = 4
	var remaining []int
	for i := range invocations {
		rep, err := r.Sweep(clock.invocation(4), t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatalf("invocation %d: %v", i+1, err)
		}
		remaining = append(remaining, rep.Remaining)
		if rep.Remaining == 0 {
			break
		}
	}
	if last := remaining[len(remaining)-1]; last != 0 {
		t.Fatalf("got targets remaining %v after %d invocations, want the round complete", remaining, len(remaining))
	}
	for c := range clusters {
		if n := m.reads[fmt.Sprintf("eu-west-1/c%d", c)]; n != 1 {
			t.Errorf("cluster c%d: got %d reads, want 1", c, n)
		}
	}
}

// A round's record can name targets the baseline no longer declares (a
// cluster removed mid-round, or a record written when the unit was a
// region): they must not count toward the round's end.
func TestFanOutRecordNamingGoneTargetsDoesNotEndTheRoundEarly(t *testing.T) {
	const account = "111111111111"
	o := setupOrg(t, []string{account}, nil)
	stale, err := json.Marshal(SweepRecord{Round: t0, Targets: 3, Done: []string{account + "/eu-west-1/gone", account + "/ap-south-1", "999999999999/iam"}})
	if err != nil {
		t.Fatal(err)
	}
	o.records.doc[SweepRecordName] = stale
	// Two minutes less the one-minute margin: one read fits.
	ctx, cancel := context.WithDeadline(context.Background(), t0.Add(2*time.Minute))
	defer cancel()
	o.r.Margin = time.Minute
	rep, err := o.r.Sweep(withClock(ctx, o.clock), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Targets != 1 || rep.Remaining != 2 {
		t.Errorf("got %d targets swept and %d remaining, want 1 and 2", rep.Targets, rep.Remaining)
	}
	if doc := string(o.records.doc[SweepRecordName]); strings.Contains(doc, `"complete":true`) {
		t.Errorf("got sweep record %s, want the round still open", doc)
	}
}

func (m *member) ScanUser(ctx context.Context, arn string) (drift.UserState, error) {
	m.count(arn)
	return m.w.ScanUser(ctx, arn)
}

// withUsers declares a user "deploy" in each account (no credentials, no
// permissions) and gives each member's live user an undeclared access key.
func (o *org) withUsers(t *testing.T, accounts ...string) {
	t.Helper()
	ix, err := o.r.Baseline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := *ix.Baseline
	none := ""
	for _, a := range accounts {
		arn := "arn:aws:iam::" + a + ":user/deploy"
		b.IAMUsers = append(b.IAMUsers, drift.UserBaseline{ARN: arn, ManagedPolicies: []string{}, InlinePolicies: map[string]*drift.PolicyDocument{},
			Groups: []string{}, PermissionsBoundary: &none})
		if m, ok := o.members[a]; ok { // a user of another account is declared, not read
			m.w.users = map[string]drift.UserState{arn: {ARN: arn, Name: "deploy", Account: a, Found: true,
				AccessKeys: []drift.Credential{{ID: "AKIA" + a, Status: "Active"}}}}
		}
	}
	withUsers, err := drift.NewIndex(&b)
	if err != nil {
		t.Fatal(err)
	}
	of := func(context.Context) (*drift.Index, error) { return withUsers, nil }
	o.r.Baseline = of
	o.r.Detector.(*detect.Detector).Baseline = of
}

// Each member's declared users are read with its roles, through the
// member's own scanner; a user that cannot be read is reported with its
// account, and the other members' users are judged all the same.
func TestFanOutSweepsTheMembersUsers(t *testing.T) {
	accounts := []string{"111111111111", "222222222222", "333333333333"}
	o := setupOrg(t, accounts, nil)
	o.withUsers(t, append(accounts, "999999999999")...)
	o.members["222222222222"].w.userFail = map[string]error{"arn:aws:iam::222222222222:user/deploy": errors.New("iam GetUser deploy: AccessDenied")}
	o.r.AccountParallel = 3
	rep, err := o.r.Sweep(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "users") {
		t.Errorf("got error %v, want the unreadable user reported", err)
	}
	if rep.Targets != 9 || rep.Users != 2 || rep.ElsewhereUsers != 1 || rep.Roles != 3 || rep.Clusters != 6 {
		t.Errorf("got %d targets, %d users (%d elsewhere), %d roles, %d clusters; want 9, 2 (1), 3, 6", rep.Targets, rep.Users, rep.ElsewhereUsers, rep.Roles, rep.Clusters)
	}
	want := []Unread{{Account: "222222222222", What: "user arn:aws:iam::222222222222:user/deploy"}}
	if len(rep.Unread) != 1 || rep.Unread[0].Account != want[0].Account || rep.Unread[0].What != want[0].What || !strings.Contains(rep.Unread[0].Why, "AccessDenied") {
		t.Errorf("got unread %+v, want %+v, why AccessDenied", rep.Unread, want)
	}
	all, err := o.store.Query(context.Background(), drift.HistoryQuery{Kind: drift.KindUser})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range all {
		if f.Drift {
			got = append(got, f.Account+" "+f.Resource)
		}
	}
	slices.Sort(got)
	wantDrift := []string{"111111111111 deploy|access-key|AKIA111111111111", "333333333333 deploy|access-key|AKIA333333333333"}
	if !slices.Equal(got, wantDrift) {
		t.Errorf("got user drift %q, want %q", got, wantDrift)
	}
	if n := o.members["111111111111"].reads["arn:aws:iam::111111111111:user/deploy"]; n != 1 {
		t.Errorf("got the member's user read %d times, want once, by its own scanner", n)
	}
	if got := o.r.Metrics.Get(metrics.UsersScanned); got != 2 {
		t.Errorf("UsersScanned: got %v, want 2", got)
	}
}
