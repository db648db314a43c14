package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/scan"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

// These tests run the reconciler on the real detector and SQLite history,
// with stand-ins for what reads AWS: the scanners (whose live state the
// test sets), CloudTrail's LookupEvents (real-shaped records from the
// samples in events/) and the checkpoint store. functions/reconcile's
// end-to-end test runs the real adapters on MiniStack.

const (
	acct       = "111122223333"
	contractor = "arn:aws:iam::111122223333:role/contractor"
	developers = "arn:aws:iam::111122223333:role/developers"
)

// world is the live account: clusters, roles and users as the scanners
// read them. userFail makes the read of one user (by ARN) fail.
type world struct {
	mu       sync.Mutex
	clusters map[string]drift.ClusterState // region/name
	roles    map[string]drift.RoleState    // ARN
	users    map[string]drift.UserState    // ARN
	fail     error
	userFail map[string]error
}

func (w *world) ScanCluster(_ context.Context, region, name string) (drift.ClusterState, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil {
		return drift.ClusterState{}, w.fail
	}
	c, ok := w.clusters[region+"/"+name]
	if !ok {
		return drift.ClusterState{Name: name, Region: region}, nil
	}
	return c, nil
}

func (w *world) ScanRole(_ context.Context, arn string) (drift.RoleState, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.roles[arn]; ok {
		return r, nil
	}
	name, _ := drift.RoleName(arn)
	return drift.RoleState{ARN: arn, Name: name, Account: acct}, nil
}

func (w *world) ScanUser(_ context.Context, arn string) (drift.UserState, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.userFail[arn]; err != nil {
		return drift.UserState{}, err
	}
	if u, ok := w.users[arn]; ok {
		return u, nil
	}
	name, _ := drift.UserName(arn)
	return drift.UserState{ARN: arn, Name: name, Account: drift.AccountOf(arn)}, nil
}

// asDeclared gives a world whose state is exactly what b declares.
func asDeclared(b *drift.Baseline) *world {
	w := &world{clusters: map[string]drift.ClusterState{}, roles: map[string]drift.RoleState{}, users: map[string]drift.UserState{}}
	for _, c := range b.Clusters {
		cs := drift.ClusterState{Name: c.Name, Account: c.Account, Region: c.Region, Found: true, AuthenticationMode: c.AuthenticationMode,
			AccessEntries: []drift.EntryState{}, PodIdentityAssociations: []drift.PodIdentityAssociation{}, IdentityProviderConfigs: []drift.IdentityProviderConfig{}}
		for _, e := range c.AccessEntries {
			es := drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: e.PrincipalARN, Type: e.Type, KubernetesGroups: e.KubernetesGroups, Username: e.Username}}
			for _, p := range e.AccessPolicies {
				es.Policies = append(es.Policies, drift.AccessPolicy{PrincipalARN: e.PrincipalARN, PolicyARN: p.PolicyARN, Scope: p.Scope})
			}
			cs.AccessEntries = append(cs.AccessEntries, es)
		}
		cs.PodIdentityAssociations = append(cs.PodIdentityAssociations, c.PodIdentityAssociations...)
		cs.IdentityProviderConfigs = append(cs.IdentityProviderConfigs, c.IdentityProviderConfigs...)
		w.clusters[c.Region+"/"+c.Name] = cs
	}
	for _, r := range b.IAMRoles {
		rs := drift.RoleState{ARN: r.ARN, Name: r.Name(), Account: r.Account(), Found: true, TrustPolicy: r.TrustPolicy,
			ManagedPolicies: append([]string{}, r.ManagedPolicies...), InlinePolicies: map[string]*drift.PolicyDocument{}}
		for k, v := range r.InlinePolicies {
			rs.InlinePolicies[k] = v
		}
		if r.PermissionsBoundary != nil {
			rs.PermissionsBoundary = *r.PermissionsBoundary
		}
		w.roles[r.ARN] = rs
	}
	for _, u := range b.IAMUsers {
		us := drift.UserState{ARN: u.ARN, Name: u.Name(), Account: u.Account(), Found: true, ConsoleAccess: u.ConsoleAccess,
			ManagedPolicies: append([]string{}, u.ManagedPolicies...), Groups: append([]string{}, u.Groups...), InlinePolicies: map[string]*drift.PolicyDocument{}}
		for k, v := range u.InlinePolicies {
			us.InlinePolicies[k] = v
		}
		if u.PermissionsBoundary != nil {
			us.PermissionsBoundary = *u.PermissionsBoundary
		}
		for _, k := range u.AccessKeys {
			us.AccessKeys = append(us.AccessKeys, drift.Credential{ID: k, Status: "Active"})
		}
		for _, c := range u.ServiceCredentials {
			us.ServiceCredentials = append(us.ServiceCredentials, drift.Credential{ID: c, Status: "Active"})
		}
		w.users[u.ARN] = us
	}
	return w
}

func (w *world) edit(f func(*world)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(w)
}

func (w *world) cluster(name string) drift.ClusterState { return w.clusters["us-west-2/"+name] }

// liveReader answers the detector's live-state reads from the world.
type liveReader struct{ w *world }

func (l liveReader) Observe(_ context.Context, c drift.Change) (drift.Observation, error) {
	return drift.Observation{Present: false, ReadAt: time.Now()}, nil
}

type outbox struct {
	mu   sync.Mutex
	sent []drift.Finding
}

func (o *outbox) Publish(_ context.Context, f drift.Finding) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, f)
	return nil
}

// checkpoints is a checkpoint store in memory.
type checkpoints struct {
	at    map[string]time.Time
	fail  error
	moved int
}

func (c *checkpoints) Checkpoint(_ context.Context, name string) (time.Time, bool, error) {
	if c.fail != nil {
		return time.Time{}, false, c.fail
	}
	t, ok := c.at[name]
	return t, ok, nil
}

func (c *checkpoints) SetCheckpoint(_ context.Context, name string, t time.Time) error {
	c.at[name] = t
	c.moved++
	return nil
}

// trail is CloudTrail's LookupEvents over a set of real-shaped records.
type trail struct {
	records []json.RawMessage
	calls   []string // region/name
	fail    error
}

func (tr *trail) lookup(_ context.Context, region, name string, from, to time.Time) ([]json.RawMessage, error) {
	tr.calls = append(tr.calls, region+"/"+name)
	if tr.fail != nil {
		return nil, tr.fail
	}
	var out []json.RawMessage
	for _, r := range tr.records {
		var h struct {
			EventName string `json:"eventName"`
			EventTime string `json:"eventTime"`
			AWSRegion string `json:"awsRegion"`
		}
		if json.Unmarshal(r, &h) != nil {
			out = append(out, r)
			continue
		}
		t, _ := time.Parse(time.RFC3339, h.EventTime)
		if h.EventName == name && h.AWSRegion == region && !t.Before(from) && !t.After(to) {
			out = append(out, r)
		}
	}
	return out, nil
}

// detail is the CloudTrail record inside an EventBridge sample: what
// LookupEvents returns as CloudTrailEvent.
func detail(t *testing.T, sample string) (record, event json.RawMessage) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", sample))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e.Detail, b
}

type fixture struct {
	r     *Reconciler
	w     *world
	store *sqlite.Store
	out   *outbox
	trail *trail
	cp    *checkpoints
	det   *detect.Detector
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ix, err := baseline.Load("../../events/baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := asDeclared(ix.Baseline)
	out := &outbox{}
	set := &metrics.Set{}
	d := &detect.Detector{
		Baseline:  func(context.Context) (*drift.Index, error) { return ix, nil },
		EKS:       liveReader{w},
		IAM:       liveReader{w},
		History:   store,
		Publisher: out,
		Metrics:   set,
		Log:       slogDiscard(),
	}
	tr := &trail{}
	cp := &checkpoints{at: map[string]time.Time{}}
	r := &Reconciler{
		Baseline:    func(context.Context) (*drift.Index, error) { return ix, nil },
		Account:     acct,
		Scanner:     &scan.Scanner{EKS: w, IAM: w, UserScanner: w, Parallel: 2},
		History:     store,
		Detector:    d,
		Lookup:      tr.lookup,
		Checkpoints: cp,
		Metrics:     set,
	}
	return &fixture{r: r, w: w, store: store, out: out, trail: tr, cp: cp, det: d}
}

func (f *fixture) sweep(t *testing.T, at time.Time) SweepReport {
	t.Helper()
	rep, err := f.r.Sweep(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func (f *fixture) history(t *testing.T) []drift.Finding {
	t.Helper()
	all, err := f.store.Query(context.Background(), drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

var t0 = time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC)

func TestSweepOfTheDeclaredStateFindsNothing(t *testing.T) {
	f := setup(t)
	rep := f.sweep(t, t0)
	if rep.Clusters != 3 || rep.Roles != 4 || rep.Drift != 0 || rep.Recorded != 0 || len(f.history(t)) != 0 {
		t.Errorf("got %+v and %d findings, want 3 clusters and 4 roles read, nothing recorded", rep, len(f.history(t)))
	}
}

func TestSweepRecordsDriftOnceAndResolvesIt(t *testing.T) {
	f := setup(t)
	f.w.edit(func(w *world) {
		c := w.cluster("prod")
		c.AccessEntries = append(c.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: contractor, Type: drift.EntryStandard},
			Policies: []drift.AccessPolicy{{PrincipalARN: contractor, PolicyARN: drift.PolicyClusterAdmin, Scope: drift.AccessScope{Type: drift.ScopeCluster}}}})
		w.clusters["us-west-2/prod"] = c
		r := w.roles[developers]
		r.ManagedPolicies = append(r.ManagedPolicies, "arn:aws:iam::aws:policy/AdministratorAccess")
		w.roles[developers] = r
	})
	rep := f.sweep(t, t0)
	if rep.Drift != 3 || rep.Recorded != 3 || rep.Resolved != 0 {
		t.Fatalf("first sweep: got %+v, want 3 drift recorded", rep)
	}
	all := f.history(t)
	if len(all) != 3 || len(f.out.sent) != 3 {
		t.Fatalf("got %d findings and %d messages, want 3 and 3", len(all), len(f.out.sent))
	}
	for _, x := range all {
		if x.DetectedBy != drift.DetectedBySweep || !x.Drift || x.NotifiedAt == nil || x.Actor != "" {
			t.Errorf("got %+v, want a published sweep drift finding without actor", x)
		}
		// prod is in revert mode, but the sweep is the first to see this
		// drift: it may be a change whose event (a break-glass one,
		// perhaps) is still on its way, so it is held for the grace period.
		if x.Kind == drift.KindAccessPolicy && (x.Decision != drift.DecisionAlert || x.Severity != drift.SeverityCritical || !strings.Contains(x.Reason, "first seen by this sweep")) {
			t.Errorf("cluster-admin on prod: got %s %s (%s), want alert critical, held for the grace period", x.Decision, x.Severity, x.Reason)
		}
	}

	// The same run again (a retried invocation): nothing new.
	if rep := f.sweep(t, t0); rep.Recorded != 0 || rep.AlreadyOpen != 3 || rep.Resolved != 0 || rep.Rejudged != 0 {
		t.Errorf("sweep again at t0: got %+v, want the 3 drifts already open", rep)
	}
	// The next run, after the grace period: prod's drift (the entry and its
	// policy) is offered to the reverter, once.
	for i := range 2 {
		rep := f.sweep(t, t0.Add(time.Hour))
		if want := 2 * (1 - i); rep.Recorded != want || rep.Rejudged != want || rep.AlreadyOpen != 3 {
			t.Errorf("sweep %d after the grace period: got %+v, want %d re-judged", i+1, rep, want)
		}
	}
	all = f.history(t)
	if n := len(all); n != 5 || len(f.out.sent) != 5 {
		t.Errorf("got %d findings and %d messages after the reruns, want 5 and 5", n, len(f.out.sent))
	}
	rejudged := 0
	for _, x := range all {
		if strings.Contains(x.Reason, "re-judged by the sweep") {
			rejudged++
			if x.Decision != drift.DecisionRevert || x.Cluster != "prod" {
				t.Errorf("got %s on %s, want revert on prod", x.Decision, x.Cluster)
			}
		}
	}
	if rejudged != 2 {
		t.Errorf("got %d re-judged findings, want 2", rejudged)
	}

	// Someone removes the contractor's entry outside eksdrift.
	f.w.edit(func(w *world) {
		c := w.cluster("prod")
		c.AccessEntries = slices.DeleteFunc(c.AccessEntries, func(e drift.EntryState) bool { return e.PrincipalARN == contractor })
		w.clusters["us-west-2/prod"] = c
	})
	rep = f.sweep(t, t0.Add(2*time.Hour))
	if rep.Resolved != 2 || rep.Recorded != 0 || rep.AlreadyOpen != 1 {
		t.Fatalf("after the fix: got %+v, want the entry and its policy resolved", rep)
	}
	var resolutions int
	for _, x := range f.history(t) {
		if !x.Drift {
			resolutions++
			if x.DetectedBy != drift.DetectedBySweep || !strings.HasPrefix(x.Reason, drift.ReasonFixedOutside) || x.Change != drift.OpRemoved {
				t.Errorf("resolution: got %+v", x)
			}
		}
	}
	if resolutions != 2 {
		t.Errorf("got %d resolutions in history, want 2", resolutions)
	}
	if open := drift.OpenDrift(f.history(t)); len(open) != 1 {
		t.Errorf("got %d open drifts, want only the AdministratorAccess one", len(open))
	}
	if rep := f.sweep(t, t0.Add(3*time.Hour)); rep.Resolved != 0 || rep.Recorded != 0 {
		t.Errorf("the sweep after: got %+v, want nothing more", rep)
	}
	if got := f.r.Metrics.Get(metrics.SweepResolved); got != 2 {
		t.Errorf("SweepResolved: got %v, want 2", got)
	}
}

func TestSweepDoesNotDuplicateTheEventPath(t *testing.T) {
	f := setup(t)
	// The event path saw the contractor's entry being created...
	_, event := detail(t, "eks-create-access-entry-undeclared-role.json")
	if err := f.det.Handle(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	// ...and it is there.
	f.w.edit(func(w *world) {
		c := w.cluster("prod")
		c.AccessEntries = append(c.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: contractor, Type: drift.EntryStandard, KubernetesGroups: []string{"viewers"}}})
		w.clusters["us-west-2/prod"] = c
	})
	rep := f.sweep(t, t0)
	if rep.Drift != 1 || rep.AlreadyOpen != 1 || rep.Recorded != 0 {
		t.Errorf("got %+v, want the drift found open from the event", rep)
	}
}

func TestSweepOfAnUnreadableClusterResolvesNothingThere(t *testing.T) {
	f := setup(t)
	f.w.edit(func(w *world) {
		c := w.cluster("prod")
		c.AccessEntries = append(c.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: contractor, Type: drift.EntryStandard}})
		w.clusters["us-west-2/prod"] = c
	})
	f.sweep(t, t0)
	denied := errors.New("AccessDeniedException")
	f.w.edit(func(w *world) { w.fail = denied })
	rep, err := f.r.Sweep(context.Background(), t0.Add(time.Hour))
	if !errors.Is(err, denied) || rep.Errors != 3 || rep.Resolved != 0 {
		t.Errorf("got %+v, %v, want the error and nothing resolved", rep, err)
	}
}

func TestCatchUpFeedsOnlyUnknownEvents(t *testing.T) {
	f := setup(t)
	// Events of 2026-10-03 on prod; the event path delivered the first only.
	entry, entryEvent := detail(t, "eks-create-access-entry-undeclared-role.json")
	policy, _ := detail(t, "eks-associate-access-policy-cluster-admin.json")
	failed, _ := detail(t, "eks-create-access-entry-failed.json")
	f.trail.records = []json.RawMessage{policy, entry, failed, json.RawMessage(`{"eventVersion":"1.08","eventID":"bad-1","eventTime":"2026-10-03T12:00:00Z","eventName":"CreateAccessEntry","eventSource":"eks.amazonaws.com","awsRegion":"us-west-2"}`)}
	if err := f.det.Handle(context.Background(), entryEvent); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 3, 14, 0, 0, 0, time.UTC)
	f.r.FirstLookback = 48 * time.Hour
	rep, err := f.r.CatchUp(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Known != 1 || rep.New != 1 || rep.Ignored != 1 || rep.Malformed != 1 {
		t.Errorf("got %+v, want 1 known, 1 new, 1 ignored (failed call), 1 malformed", rep)
	}
	if n := len(f.history(t)); n != 2 || len(f.out.sent) != 2 {
		t.Errorf("got %d findings and %d messages, want 2 and 2: no duplicate of the event path", n, len(f.out.sent))
	}
	// 12 EKS names in us-west-2 (the baseline's region) and 25 IAM names in us-east-1.
	if len(f.trail.calls) != 37 || !slices.Contains(f.trail.calls, "us-east-1/AttachRolePolicy") || !slices.Contains(f.trail.calls, "us-west-2/CreateAccessEntry") {
		t.Errorf("got lookups %v", f.trail.calls)
	}
	if cp := f.cp.at[CheckpointName]; !cp.Equal(at) || !rep.From.Equal(at.Add(-48*time.Hour)) {
		t.Errorf("got window from %v, checkpoint %v, want from the first lookback and the checkpoint at %v", rep.From, cp, at)
	}

	// The next run starts at the checkpoint, less the overlap, and finds everything known.
	rep, err = f.r.CatchUp(context.Background(), at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.From.Equal(at.Add(-DefaultOverlap)) || rep.New != 0 {
		t.Errorf("second run: got %+v, want it to start %v before the checkpoint and find nothing new", rep, DefaultOverlap)
	}
}

func TestCatchUpKeepsTheCheckpointOnError(t *testing.T) {
	f := setup(t)
	at := time.Date(2026, 10, 3, 14, 0, 0, 0, time.UTC)
	f.cp.at[CheckpointName] = at.Add(-time.Hour)
	f.trail.fail = errors.New("ThrottlingException")
	if _, err := f.r.CatchUp(context.Background(), at); !errors.Is(err, f.trail.fail) {
		t.Errorf("got %v, want the lookup error", err)
	}
	if f.cp.moved != 0 {
		t.Error("the checkpoint moved although the window was not read")
	}
	f.cp.fail = errors.New("no table")
	if _, err := f.r.Run(context.Background(), at); !errors.Is(err, f.cp.fail) {
		t.Errorf("Run: got %v, want the checkpoint error", err)
	}
}

func TestRunCatchesUpBeforeSweeping(t *testing.T) {
	f := setup(t)
	// A missed event: the contractor's entry was created, and is still there.
	entry, _ := detail(t, "eks-create-access-entry-undeclared-role.json")
	f.trail.records = []json.RawMessage{entry}
	f.w.edit(func(w *world) {
		c := w.cluster("prod")
		c.AccessEntries = append(c.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: contractor, Type: drift.EntryStandard, KubernetesGroups: []string{"viewers"}}})
		w.clusters["us-west-2/prod"] = c
	})
	f.r.FirstLookback = 48 * time.Hour
	rep, err := f.r.Run(context.Background(), time.Date(2026, 10, 3, 14, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if rep.CatchUp.New != 1 || rep.Sweep.AlreadyOpen != 1 || rep.Sweep.Recorded != 0 {
		t.Errorf("got %+v, want the event recorded (with its actor) and the sweep to find it open", rep)
	}
	all := f.history(t)
	if len(all) != 1 || all[0].DetectedBy != drift.DetectedByEvent || all[0].Actor == "" {
		t.Errorf("got %+v, want one finding from the event, with its actor", all)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestCatchUpLooksUpTamperCalls: the catch-up looks up the tamper calls by
// the names CloudTrail records them under (Lambda's versioned ones), once
// per name and only in the deployment's region, and the detector judges
// what it finds as it judges live events: tamper on the deployment is
// critical, a redeploy compliant, a role call on its roles tamper.
func TestCatchUpLooksUpTamperCalls(t *testing.T) {
	f := setup(t)
	b, err := os.ReadFile("../../events/deployment.outputs")
	if err != nil {
		t.Fatal(err)
	}
	if f.det.Deployment, err = drift.ParseOutputsFile(b); err != nil {
		t.Fatal(err)
	}
	f.r.TamperRegions = []string{"us-west-2", "us-west-2"}
	samples := []struct {
		sample, resource string
		drift            bool
	}{
		{"events-disable-rule-detector.json", "rule:eksdrift-RoutingeksaccesschangesD1C2B3A4-1A2B3C4D5E6F", true},
		{"lambda-update-function-code-detector.json", "function:eksdrift-DetectorFunction5B2C1D3E-Wq8rT2yU4iO6", true},
		{"lambda-update-function-configuration-redeploy.json", "function:eksdrift-DetectorFunction5B2C1D3E-Wq8rT2yU4iO6", false},
		{"s3-put-bucket-policy-baseline-bucket.json", "bucket:eksdrift-baselines-111122223333", true},
		{"iam-update-role-max-session-detector-role.json", "role:eksdrift-DetectorFunctionServiceRole3A4B5C6D-ZX12CV34BN56", true},
	}
	var ids []string
	for _, s := range samples {
		rec, _ := detail(t, s.sample)
		f.trail.records = append(f.trail.records, rec)
		var h struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(rec, &h); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.EventID+"#"+string(drift.KindTamper)+"##"+s.resource)
	}
	at := time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	f.r.FirstLookback = 48 * time.Hour
	rep, err := f.r.CatchUp(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	if rep.New != len(samples) {
		t.Errorf("got %+v, want %d new events", rep, len(samples))
	}
	for i, s := range samples {
		got, found, err := f.store.Get(context.Background(), ids[i])
		if err != nil || !found {
			t.Errorf("%s: no finding %s (error %v)", s.sample, ids[i], err)
			continue
		}
		if got.Drift != s.drift || (s.drift && got.Severity != drift.SeverityCritical) {
			t.Errorf("%s: got drift %v %s, want drift %v (critical if drift): %s", s.sample, got.Drift, got.Severity, s.drift, got.Reason)
		}
	}
	names := cloudtrail.TamperLookupNames()
	counts := map[string]int{}
	for _, c := range f.trail.calls {
		counts[c]++
	}
	for _, n := range names {
		if counts["us-west-2/"+n] != 1 {
			t.Errorf("got %d lookups of %s in us-west-2, want 1", counts["us-west-2/"+n], n)
		}
	}
	for _, want := range []string{"us-west-2/UpdateFunctionCode20150331v2", "us-west-2/PutBucketNotification", "us-west-2/StopLogging", "us-east-1/UpdateRole"} {
		if counts[want] == 0 {
			t.Errorf("no lookup of %s", want)
		}
	}
	for _, never := range []string{"us-west-2/UpdateFunctionCode", "us-west-2/PutBucketNotificationConfiguration"} {
		if counts[never] != 0 {
			t.Errorf("looked up %s, a name CloudTrail never records", never)
		}
	}
	if len(f.trail.calls) != 12+25+len(names) {
		t.Errorf("got %d lookups, want %d: 12 EKS and 25 IAM names, and the tamper names once", len(f.trail.calls), 12+25+len(names))
	}
	// A run over the same window again finds every one known (the role
	// call too, though its change is an IAM one until judged): no finding
	// is made twice.
	f.cp.at[CheckpointName] = at.Add(-48 * time.Hour)
	f.r.Overlap = time.Minute
	rep, err = f.r.CatchUp(context.Background(), at)
	if err != nil || rep.New != 0 || rep.Known != len(samples) {
		t.Errorf("second run: got %+v, %v, want %d known and nothing new", rep, err, len(samples))
	}
}
