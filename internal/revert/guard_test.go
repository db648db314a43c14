package revert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/iam"
)

// Each guardrail has its own test: the drift is real (made on MiniStack),
// and each test checks both the outcome and that the live state is as the
// guardrail says.

func intruderEntry() *drift.AccessEntry {
	return &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{}}
}

func (e *env) hasEntry(principal string) bool {
	return strings.Contains(e.entries(), short(principal)+" groups=")
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, options{mode: "dry-run"})
	e.createEntry(intruder, nil)
	f := e.finding(person, drift.OpAdded, intruderEntry())
	o := e.handle(f)
	if f.Decision != drift.DecisionDryRun || o.Result != drift.ResultDryRun || !strings.Contains(o.Reason, "would revert: eks:DeleteAccessEntry") {
		t.Errorf("got decision %s, outcome %+v", f.Decision, o)
	}
	if !e.hasEntry(intruder) {
		t.Error("a dry run deleted the entry")
	}
}

func TestBreakGlassIsNeverReverted(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	o := e.handle(e.finding(breakRole, drift.OpAdded, intruderEntry()))
	if o.Result != drift.ResultSkipped || !strings.Contains(o.Reason, "break-glass") {
		t.Errorf("got %+v", o)
	}
	if !e.hasEntry(intruder) {
		t.Error("a break-glass change was reverted")
	}
}

func TestExpiredBreakGlassNoLongerProtects(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	f := e.finding(oldGlass, drift.OpAdded, intruderEntry())
	if o := e.handle(f); o.Result != drift.ResultReverted || !strings.Contains(f.Reason, "expired") {
		t.Errorf("got %+v (%s)", o, f.Reason)
	}
	if e.hasEntry(intruder) {
		t.Error("the entry is still there")
	}
}

func TestNeverRemovesTheLastClusterAdmin(t *testing.T) {
	// The baseline declares no cluster-admin; the only one is undeclared.
	e := newEnv(t, options{noAdmins: true})
	e.createEntry(intruder, nil)
	e.associate(intruder, clusterAdmin, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster})
	for _, f := range []drift.Finding{
		e.finding(person, drift.OpAdded, &drift.AccessPolicy{PrincipalARN: intruder, PolicyARN: clusterAdmin, Scope: drift.AccessScope{Type: "cluster"}}),
		e.finding(person, drift.OpAdded, intruderEntry()),
	} {
		o := e.handle(f)
		if o.Result != drift.ResultSkipped || !o.Critical || !strings.Contains(o.Reason, "last principal holding cluster-admin") {
			t.Errorf("%s: got %+v", f.Kind, o)
		}
	}
	if !strings.Contains(e.entries(), "contractor AmazonEKSClusterAdminPolicy cluster") {
		t.Error("the last cluster-admin was removed")
	}
	// With a second admin, the same revert goes ahead.
	e.createEntry(admin, nil)
	e.associate(admin, clusterAdmin, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster})
	if o := e.handle(e.finding(person, drift.OpAdded, intruderEntry())); o.Result != drift.ResultReverted {
		t.Errorf("with another admin: got %+v", o)
	}
}

func TestNodeEntriesAndAWSServicesAreNotTouched(t *testing.T) {
	e := newEnv(t, options{})
	nodes := "arn:aws:iam::111122223333:role/other-nodes"
	_, err := e.eksc.CreateAccessEntry(context.Background(), accessEntryInput(e.cluster, nodes, "EC2_LINUX"))
	err = awstest.Created(err)
	must(t, err)
	f := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: nodes, Type: "EC2_LINUX"})
	if o := e.handle(f); o.Result != drift.ResultSkipped || f.Decision != drift.DecisionAlert {
		t.Errorf("node entry: got %s %+v", f.Decision, o)
	}
	e.createEntry(intruder, nil)
	svc := e.finding(person, drift.OpAdded, intruderEntry())
	svc.ActorType, svc.Actor, svc.Decision = "AWSService", "eks.amazonaws.com", drift.DecisionRevert
	if o := e.handle(svc); o.Result != drift.ResultSkipped || !strings.Contains(o.Reason, "AWS service") {
		t.Errorf("AWS service: got %+v", o)
	}
	if !e.hasEntry(nodes) || !e.hasEntry(intruder) {
		t.Error("an entry was removed")
	}
}

func TestCircuitBreakerTrips(t *testing.T) {
	e := newEnv(t, options{})
	e.rev.BreakerLimit = 2
	for i, principal := range []string{intruder + "-1", intruder + "-2", intruder + "-3"} {
		e.createEntry(principal, nil)
		o := e.handle(e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: principal, Type: "STANDARD"}))
		want := drift.ResultReverted
		if i == 2 {
			want = drift.ResultSkipped
		}
		if o.Result != want {
			t.Fatalf("revert %d: got %+v, want %s", i+1, o, want)
		}
		if i == 2 && (!o.Critical || !strings.Contains(o.Reason, "circuit breaker open: 2 reverts on cluster "+e.cluster)) {
			t.Errorf("got %+v", o)
		}
	}
	if !e.hasEntry(intruder + "-3") {
		t.Error("the breaker did not stop the third revert")
	}
}

// flaky fails its first n calls the way a throttled API does, then lets the
// real writer act.
type flaky struct {
	Applier
	n     int
	calls int
}

func (f *flaky) Apply(ctx context.Context, op drift.Operation) error {
	f.calls++
	if f.calls <= f.n {
		return fmt.Errorf("%w: ThrottlingException: Rate exceeded", drift.ErrTransient)
	}
	return f.Applier.Apply(ctx, op)
}

func TestFailedRevertsAreRetriedThenRecorded(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	e.rev.EKSWriter = &flaky{Applier: e.writer, n: 2}
	o := e.handle(e.finding(person, drift.OpAdded, intruderEntry()))
	if o.Result != drift.ResultReverted || o.Attempts != 3 {
		t.Errorf("throttled twice: got %+v, want reverted on the third try", o)
	}

	e.createEntry(intruder, nil)
	e.rev.EKSWriter = &flaky{Applier: e.writer, n: 100}
	f := e.finding(person, drift.OpAdded, intruderEntry())
	e.record(f)
	// Still throttled after every try: the outcome is recorded and
	// published, and the message goes back to its queue to be tried again.
	if err := e.rev.Handle(context.Background(), f); !errors.Is(err, ErrRetry) {
		t.Fatalf("always throttled: got error %v, want ErrRetry so that the message comes back", err)
	}
	o = e.out.outcomes[len(e.out.outcomes)-1].Result
	if o.Result != drift.ResultRevertFailed || !o.Critical || o.Attempts != Defaults.Attempts || !strings.Contains(o.Error, "ThrottlingException") {
		t.Errorf("always throttled: got %+v", o)
	}
	if !e.hasEntry(intruder) {
		t.Error("the entry vanished")
	}
	// A failed revert is tried again when its message comes back.
	e.rev.EKSWriter = e.writer
	if o := e.handle(f); o.Result != drift.ResultReverted {
		t.Errorf("retry after failure: got %+v", o)
	}
}

// denied fails every call the way a missing permission does. A stand-in:
// the reverter's tests run MiniStack without IAM enforcement, so that each
// guardrail is tested alone; make e2e proves the denials under AUTH=true.
type denied struct{ calls int }

func (d *denied) Apply(context.Context, drift.Operation) error {
	d.calls++
	return errors.New("AccessDeniedException: not authorized to perform eks:DeleteAccessEntry")
}

func TestPermanentFailuresAreNotRetried(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	d := &denied{}
	e.rev.EKSWriter = d
	o := e.handle(e.finding(person, drift.OpAdded, intruderEntry()))
	if o.Result != drift.ResultRevertFailed || d.calls != 1 || !strings.Contains(o.Error, "AccessDenied") {
		t.Errorf("got %+v after %d calls, want revert-failed after one call: access denied does not pass by trying again", o, d.calls)
	}
}

func TestDeleteThatMeetsNotFoundIsDone(t *testing.T) {
	e := newEnv(t, options{})
	// The finding says an undeclared entry exists; by the time the delete
	// runs, someone else removed it (or a retried call's first try went
	// through): the delete counts as done.
	op := drift.Operation{Action: drift.ActDeleteAccessEntry, Region: region, Cluster: e.cluster, Resource: &drift.AccessEntry{PrincipalARN: intruder}}
	if err := e.writer.Apply(context.Background(), op); err != nil {
		t.Errorf("eks delete of a missing entry: got %v, want done", err)
	}
	iw := iam.NewWriter(awstest.Config(t))
	for _, op := range []drift.Operation{
		{Action: drift.ActDetachRolePolicy, Resource: &drift.ManagedPolicy{RoleName: e.role, PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}},
		{Action: drift.ActDeleteRolePolicy, Resource: &drift.InlinePolicy{RoleName: e.role, PolicyName: "nothing-here"}},
	} {
		if err := iw.Apply(context.Background(), op); err != nil {
			t.Errorf("iam %s of something missing: got %v, want done", op.Action, err)
		}
	}
	// A grant that meets not-found is an error: the role is gone.
	err := iw.Apply(context.Background(), drift.Operation{Action: drift.ActAttachRolePolicy, Resource: &drift.ManagedPolicy{RoleName: "no-such-role", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	if err == nil {
		t.Error("attaching a policy to a missing role: got no error")
	}
}

func TestUnreadableOrChangedBaselineNeverReverts(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	f := e.finding(person, drift.OpAdded, intruderEntry())
	e.rev.Baseline = func(context.Context) (*drift.Index, error) {
		return nil, errors.New("s3 baseline s3://b/baseline.yaml: access denied")
	}
	if o := e.handle(f); o.Result != drift.ResultSkipped || !strings.Contains(o.Reason, "access denied") {
		t.Errorf("unreadable baseline: got %+v", o)
	}
	// The baseline now asks only for alerts.
	b, err := baseline.Parse("alert.yaml", []byte(strings.ReplaceAll(e.baseYAML, "mode: revert", "mode: alert")))
	must(t, err)
	alertOnly, err := drift.NewIndex(b)
	must(t, err)
	e.rev.Baseline = func(context.Context) (*drift.Index, error) { return alertOnly, nil }
	g := e.finding(person, drift.OpAdded, intruderEntry())
	if o := e.handle(g); o.Result != drift.ResultSkipped || !strings.Contains(o.Reason, "the baseline now decides alert") {
		t.Errorf("baseline changed to alert: got %+v", o)
	}
	if !e.hasEntry(intruder) {
		t.Error("an entry was removed without a usable baseline")
	}
}
