package revert

import (
	"context"
	"strings"
	"testing"
	"time"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The tests of the path Slack's Revert now button takes: the interaction
// endpoint writes an approval to the history and sends a request naming it;
// the reverter acts only on an approval it finds, for that finding, fresh,
// once. The history is DynamoDB on MiniStack, as deployed.

var approvalN int

// approve writes an approval of finding id, expiring at expires (the
// reverter's clock starts at 2026-10-14T12:00:00Z), and gives the request
// that names it.
func (e *env) approve(id string, expires time.Time) drift.RevertRequest {
	e.t.Helper()
	approvalN++
	a := drift.Approval{ID: e.cluster + "-ap-" + time.Now().Format("150405.000000") + string(rune('a'+approvalN%26)), FindingID: id, Approver: "U012ABCDEF",
		At: time.Date(2026, 10, 14, 11, 59, 0, 0, time.UTC), Expires: expires}
	must(e.t, e.history.PutApproval(context.Background(), a))
	return drift.RevertRequest{ApprovalID: a.ID, FindingID: id}
}

var fresh = time.Date(2026, 10, 14, 13, 0, 0, 0, time.UTC)

func newApprovedEnv(t *testing.T, o options) *env {
	e := newEnv(t, o)
	e.rev.Approvals = e.history
	return e
}

// approved hands a request to the reverter and says how many outcomes it
// published.
func (e *env) approved(req drift.RevertRequest) []drift.Outcome {
	e.t.Helper()
	n := len(e.out.outcomes)
	must(e.t, e.rev.HandleApproved(context.Background(), req))
	return e.out.outcomes[n:]
}

func TestApprovedRevertOfAnAlertFinding(t *testing.T) {
	e := newApprovedEnv(t, options{mode: "alert"})
	e.createEntry(intruder, nil)
	f := e.finding(person, drift.OpAdded, intruderEntry())
	if f.Decision != drift.DecisionAlert {
		t.Fatalf("got decision %s, want alert", f.Decision)
	}
	e.record(f)
	// Without an approval, the alert finding is not the reverter's.
	if out := e.approved(drift.RevertRequest{ApprovalID: "forged", FindingID: f.ID()}); len(out) != 0 || !e.hasEntry(intruder) {
		t.Fatalf("a request without an approval record acted: %+v", out)
	}
	out := e.approved(e.approve(f.ID(), fresh))
	if len(out) != 1 || out[0].Result.Result != drift.ResultReverted {
		t.Fatalf("got %+v, want one reverted outcome", out)
	}
	if !strings.Contains(out[0].Result.By, "approved in Slack by U012ABCDEF") {
		t.Errorf("got by %q, want it to name the approver", out[0].Result.By)
	}
	if e.hasEntry(intruder) {
		t.Error("the entry is still there")
	}
}

func TestApprovedRevertRefusals(t *testing.T) {
	e := newApprovedEnv(t, options{mode: "alert"})
	e.createEntry(intruder, nil)
	f := e.finding(person, drift.OpAdded, intruderEntry())
	e.record(f)
	other := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: developer + "-other", Type: "STANDARD"})
	e.record(other)
	unrecorded := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{"x"}})
	tests := []struct {
		name string
		req  func() drift.RevertRequest
	}{
		{"forged request without an approval record", func() drift.RevertRequest { return drift.RevertRequest{ApprovalID: "made-up", FindingID: f.ID()} }},
		{"approval for another finding", func() drift.RevertRequest {
			req := e.approve(other.ID(), fresh)
			req.FindingID = f.ID()
			return req
		}},
		{"stale approval", func() drift.RevertRequest { return e.approve(f.ID(), time.Date(2026, 10, 14, 11, 0, 0, 0, time.UTC)) }},
		{"finding not recorded", func() drift.RevertRequest { return e.approve(unrecorded.ID(), fresh) }},
		{"no names", func() drift.RevertRequest { return drift.RevertRequest{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := e.approved(tt.req()); len(out) != 0 {
				t.Errorf("got %+v, want nothing done", out)
			}
			if !e.hasEntry(intruder) {
				t.Fatal("the entry was removed")
			}
		})
	}
}

func TestApprovedRevertIsConsumedOnce(t *testing.T) {
	// Break-glass holds the first request back (the finding stays open, so
	// a person may ask again); the same request replayed changes nothing.
	e := newApprovedEnv(t, options{mode: "alert"})
	e.createEntry(intruder, nil)
	f := e.finding(breakRole, drift.OpAdded, intruderEntry())
	e.record(f)
	req := e.approve(f.ID(), fresh)
	out := e.approved(req)
	if len(out) != 1 || out[0].Result.Result != drift.ResultSkipped || !strings.Contains(out[0].Result.Reason, "break-glass") {
		t.Fatalf("got %+v, want skipped for break-glass", out)
	}
	if out := e.approved(req); len(out) != 0 {
		t.Errorf("a replayed request: got %+v, want nothing done", out)
	}
	if !e.hasEntry(intruder) {
		t.Error("a break-glass change was reverted")
	}
}

func TestApprovedRevertKeepsTheGuardrails(t *testing.T) {
	t.Run("the last cluster-admin", func(t *testing.T) {
		e := newApprovedEnv(t, options{mode: "alert", noAdmins: true})
		e.createEntry(intruder, nil)
		e.associate(intruder, clusterAdmin, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster})
		f := e.finding(person, drift.OpAdded, intruderEntry())
		e.record(f)
		out := e.approved(e.approve(f.ID(), fresh))
		if len(out) != 1 || out[0].Result.Result != drift.ResultSkipped || !strings.Contains(out[0].Result.Reason, "last principal holding cluster-admin") {
			t.Fatalf("got %+v", out)
		}
	})
	t.Run("a newer change wins", func(t *testing.T) {
		e := newApprovedEnv(t, options{mode: "alert"})
		e.createEntry(intruder, nil)
		f := e.finding(person, drift.OpAdded, intruderEntry())
		e.record(f)
		later := e.finding(person, drift.OpModified, &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{"ops"}})
		later.EventTime = f.EventTime.Add(time.Minute)
		e.record(later)
		out := e.approved(e.approve(f.ID(), fresh))
		if len(out) != 1 || out[0].Result.Result != drift.ResultSkipped || !strings.Contains(out[0].Result.Reason, "newer change") {
			t.Fatalf("got %+v", out)
		}
	})
	t.Run("dry-run stays a dry run", func(t *testing.T) {
		e := newApprovedEnv(t, options{mode: "dry-run"})
		e.createEntry(intruder, nil)
		f := e.finding(person, drift.OpAdded, intruderEntry())
		e.record(f)
		out := e.approved(e.approve(f.ID(), fresh))
		if len(out) != 1 || out[0].Result.Result != drift.ResultDryRun || !e.hasEntry(intruder) {
			t.Fatalf("got %+v", out)
		}
	})
}
