package revert

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// These tests try to steer the reverter the way an attacker would: with
// forged messages, late deliveries, concurrency, and baseline writes.

func TestForgedMessageChangesNothing(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	// A message that looks like a finding but that no detector recorded:
	// someone who can publish to the topic or the queue made it up.
	forged := e.finding(person, drift.OpAdded, intruderEntry())
	if err := e.rev.Handle(context.Background(), forged); err != nil {
		t.Fatalf("got %v, want the message dropped", err)
	}
	if len(e.out.outcomes) != 0 {
		t.Errorf("got %d outcomes, want none for a message the history does not hold", len(e.out.outcomes))
	}
	// A message that names a recorded finding but says more than the
	// history holds: the history wins. Here the developer's own change is
	// recorded as compliant; the forged body claims drift to revert.
	declared := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: developer, Type: "STANDARD", KubernetesGroups: []string{"dev"}})
	if declared.Drift {
		t.Fatalf("setup: got drift for the declared entry")
	}
	e.record(declared)
	body := declared
	body.Drift, body.Decision, body.Change = true, drift.DecisionRevert, drift.OpRemoved
	must(t, e.rev.Handle(context.Background(), body))
	if n := len(e.out.outcomes); n != 1 || e.out.outcomes[0].Result.Result != drift.ResultSkipped {
		t.Fatalf("got %+v, want one skipped outcome, judged on the recorded finding", e.out.outcomes)
	}
	if !e.hasEntry(intruder) || !e.hasEntry(developer) {
		t.Error("a forged message changed the cluster")
	}
}

func TestNewerChangeWinsOverALateFinding(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, []string{"viewers"})
	old := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{"viewers"}})
	e.record(old)
	// An hour later, on-call uses break-glass on the same entry; its
	// finding is break-glass, never reverted.
	_, err := e.eksc.UpdateAccessEntry(context.Background(), &awseks.UpdateAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(intruder), KubernetesGroups: []string{"incident"}})
	must(t, err)
	glass := e.finding(breakRole, drift.OpModified, &drift.AccessEntry{PrincipalARN: intruder, KubernetesGroups: []string{"incident"}})
	glass.EventTime = old.EventTime.Add(time.Hour)
	if glass.Decision != drift.DecisionBreakGlass {
		t.Fatalf("setup: got %s, want break-glass", glass.Decision)
	}
	e.record(glass)
	// The old finding's message arrives now (a retry, a slow queue).
	o := e.handle(old)
	if o.Result != drift.ResultSkipped || !strings.Contains(o.Reason, "newer change") || !strings.Contains(o.Reason, glass.ID()) {
		t.Errorf("got %+v, want skipped naming the break-glass finding", o)
	}
	if !e.hasEntry(intruder) {
		t.Error("the late finding undid the break-glass change")
	}
}

func TestASweepSightingIsNoNewerChange(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	old := e.finding(person, drift.OpAdded, intruderEntry())
	e.record(old)
	// The sweep saw the same drift before the event arrived (held for its
	// grace period): an observation, not a change that should win.
	seen := old
	seen.EventID, seen.EventTime, seen.DetectedBy, seen.Decision = "sweep-1", old.EventTime.Add(10*time.Minute), drift.DetectedBySweep, drift.DecisionAlert
	e.record(seen)
	if o := e.handle(old); o.Result != drift.ResultReverted {
		t.Errorf("got %+v, want reverted: the sweep's sighting is no newer change", o)
	}
}

// meetAdmins holds each reverter after it has listed the cluster-admins
// until n reverters have listed them (or a moment has passed): without
// serialisation, every one then acts on the same stale list.
type meetAdmins struct {
	Admins
	n     int
	mu    sync.Mutex
	count int
	all   chan struct{}
}

func (m *meetAdmins) ClusterAdmins(ctx context.Context, region, cluster string) ([]string, error) {
	admins, err := m.Admins.ClusterAdmins(ctx, region, cluster)
	m.mu.Lock()
	m.count++
	if m.count == m.n {
		close(m.all)
	}
	m.mu.Unlock()
	select {
	case <-m.all:
	case <-time.After(500 * time.Millisecond):
	}
	return admins, err
}

func TestConcurrentRevertsNeverRemoveTheLastClusterAdmin(t *testing.T) {
	// The declared admin is gone from the live state; two undeclared
	// principals hold cluster-admin. Each revert alone may remove one; two
	// at once must not remove both.
	e := newEnv(t, options{noAdmins: true})
	others := []string{intruder + "-1", intruder + "-2"}
	var findings []drift.Finding
	for _, p := range others {
		e.createEntry(p, nil)
		e.associate(p, clusterAdmin, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster})
		f := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: p, Type: "STANDARD"})
		e.record(f)
		findings = append(findings, f)
	}
	const perFinding = 3 // SQS delivers at least once
	meet := &meetAdmins{Admins: e.writer, n: len(findings) * perFinding, all: make(chan struct{})}
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	busy := 0
	for i, f := range findings {
		for j := range perFinding {
			r := *e.rev // one reverter per Lambda invocation
			r.Owner = fmt.Sprintf("reverter-%d-%d", i, j)
			r.Admins = meet
			wg.Go(func() {
				<-start
				// A busy scope returns the message to the queue; SQS brings
				// it back: try until it is handled.
				for try := 0; try < 50; try++ {
					err := r.Handle(context.Background(), f)
					if !errors.Is(err, ErrBusy) {
						if err != nil {
							t.Error(err)
						}
						return
					}
					mu.Lock()
					busy++
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
				}
				t.Error("the scope stayed busy")
			})
		}
	}
	close(start)
	wg.Wait()
	admins, err := e.writer.ClusterAdmins(context.Background(), region, e.cluster)
	must(t, err)
	if len(admins) != 1 {
		t.Fatalf("got cluster-admins %v after concurrent reverts, want exactly one left", admins)
	}
	results := map[string]int{}
	for _, o := range e.out.outcomes {
		results[o.Result.Result]++
	}
	if results[drift.ResultReverted] != 1 || results[drift.ResultSkipped] != 1 {
		t.Errorf("got outcomes %v, want one revert and one refusal for the last admin", results)
	}
	if busy == 0 {
		t.Error("no reverter ever met a busy scope: the test did not run them concurrently")
	}
}

func TestHoldDownOnNewGrants(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	// The declared developer entry is deleted; restoring it grants access.
	_, err := e.eksc.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(developer)})
	must(t, err)
	e.createEntry(intruder, nil)
	now := e.rev.now()
	e.rev.Now = func() time.Time { return now }
	e.rev.AllowGrantingAdmin = true
	youngSince := now.Add(-10 * time.Minute)

	// The baseline version in force is 10 minutes old, and the version
	// before it did not declare the developer: whoever wrote it may be
	// granting themselves access through eksdrift.
	e.rev.Versions = func(context.Context, *drift.Index) (time.Time, *drift.Index, error) { return youngSince, nil, nil }
	restore := e.finding(person, drift.OpRemoved, &drift.AccessEntry{PrincipalARN: developer})
	o := e.handle(restore)
	if o.Result != drift.ResultHeldBack || !strings.Contains(o.Reason, "hold-down") {
		t.Errorf("young version, new grant: got %+v, want held-back", o)
	}
	if e.hasEntry(developer) {
		t.Error("the entry was restored during the hold-down")
	}
	// Removing undeclared access never waits.
	if o := e.handle(e.finding(person, drift.OpAdded, intruderEntry())); o.Result != drift.ResultReverted {
		t.Errorf("young version, removal: got %+v, want reverted", o)
	}
	// The previous version granted the same: restoring it is no new grant.
	e.rev.Versions = func(context.Context, *drift.Index) (time.Time, *drift.Index, error) { return youngSince, e.ix, nil }
	if o := e.handle(e.finding(person, drift.OpRemoved, &drift.AccessEntry{PrincipalARN: developer})); o.Result != drift.ResultReverted {
		t.Errorf("young version, grant the previous one had too: got %+v, want reverted", o)
	}
	// A version older than the hold-down grants at once.
	_, err = e.eksc.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(developer)})
	must(t, err)
	e.rev.Versions = func(context.Context, *drift.Index) (time.Time, *drift.Index, error) {
		return now.Add(-2 * time.Hour), nil, nil
	}
	if o := e.handle(e.finding(person, drift.OpRemoved, &drift.AccessEntry{PrincipalARN: developer})); o.Result != drift.ResultReverted {
		t.Errorf("old version: got %+v, want reverted", o)
	}
	// Versions that cannot be read hold grants back too.
	_, err = e.eksc.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(developer)})
	must(t, err)
	e.rev.Versions = func(context.Context, *drift.Index) (time.Time, *drift.Index, error) {
		return time.Time{}, nil, errors.New("s3: access denied")
	}
	if o := e.handle(e.finding(person, drift.OpRemoved, &drift.AccessEntry{PrincipalARN: developer})); o.Result != drift.ResultHeldBack {
		t.Errorf("unreadable versions: got %+v, want held-back", o)
	}
}

func TestAdminGrantsAreHeldBack(t *testing.T) {
	e := newEnv(t, options{})
	e.rev.AllowGrantingAdmin = false
	ctx := context.Background()
	// Someone disassociates the declared cluster-admin policy; restoring it
	// would be eksdrift granting cluster-admin, which the stack denies.
	_, err := e.eksc.DisassociateAccessPolicy(ctx, &awseks.DisassociateAccessPolicyInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(admin), PolicyArn: aws.String(clusterAdmin)})
	must(t, err)
	o := e.handle(e.finding(person, drift.OpRemoved, &drift.AccessPolicy{PrincipalARN: admin, PolicyARN: clusterAdmin}))
	if o.Result != drift.ResultHeldBack || !strings.Contains(o.Reason, "allowGrantingAdmin") {
		t.Errorf("got %+v, want held-back naming allowGrantingAdmin", o)
	}
	if strings.Contains(e.entries(), "platform-admin AmazonEKSClusterAdminPolicy") {
		t.Error("the reverter granted cluster-admin")
	}
	// With the setting on, it restores it.
	e.rev.AllowGrantingAdmin = true
	if o := e.handle(e.finding(person, drift.OpRemoved, &drift.AccessPolicy{PrincipalARN: admin, PolicyARN: clusterAdmin})); o.Result != drift.ResultReverted {
		t.Errorf("allowGrantingAdmin: got %+v, want reverted", o)
	}
}

// TestCriticalAccessPoliciesAreHeldBack: the rating table calls
// AmazonEKSEditPolicy on the whole cluster critical (it impersonates
// kube-system's service accounts), so restoring a declared one is eksdrift
// granting what amounts to cluster-admin: held back unless
// allowGrantingAdmin, as the admin policies are, and in a namespace scope
// too (the stack's deny cannot tell scopes apart).
func TestCriticalAccessPoliciesAreHeldBack(t *testing.T) {
	editor := "arn:aws:iam::111122223333:role/editor"
	e := newEnv(t, options{extra: fmt.Sprintf(`      - principalArn: %s
        accessPolicies:
          - {policyArn: %s, accessScope: {type: cluster}}`, editor, edit)})
	e.rev.AllowGrantingAdmin = false
	e.createEntry(editor, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		name, principal string
		scope           drift.AccessScope
	}{
		{"edit on the whole cluster", editor, drift.AccessScope{Type: "cluster"}},
		{"edit in a namespace", developer, drift.AccessScope{Type: drift.ScopeNamespace, Namespaces: []string{"app"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Someone removed the declared policy (or it never was live).
			_, _ = e.eksc.DisassociateAccessPolicy(ctx, &awseks.DisassociateAccessPolicyInput{ClusterName: aws.String(e.cluster), PrincipalArn: aws.String(tt.principal), PolicyArn: aws.String(edit)})
			o := e.handle(e.finding(person, drift.OpRemoved, &drift.AccessPolicy{PrincipalARN: tt.principal, PolicyARN: edit, Scope: tt.scope}))
			if o.Result != drift.ResultHeldBack || !strings.Contains(o.Reason, "allowGrantingAdmin") || !strings.Contains(o.Reason, "AmazonEKSEditPolicy") {
				t.Errorf("got %+v, want held-back naming AmazonEKSEditPolicy and allowGrantingAdmin", o)
			}
			name := tt.principal[strings.LastIndexByte(tt.principal, '/')+1:]
			if strings.Contains(e.entries(), name+" AmazonEKSEditPolicy") {
				t.Errorf("got %q, want no AmazonEKSEditPolicy on %s: the reverter granted it", e.entries(), name)
			}
		})
	}
	// With the setting on, it restores the cluster-wide one.
	e.rev.AllowGrantingAdmin = true
	if o := e.handle(e.finding(person, drift.OpRemoved, &drift.AccessPolicy{PrincipalARN: editor, PolicyARN: edit, Scope: drift.AccessScope{Type: "cluster"}})); o.Result != drift.ResultReverted {
		t.Errorf("allowGrantingAdmin: got %+v, want reverted", o)
	}
}
