package detect

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

const spokeMember = "444455556666"

// memberEvent is the sample of DisableRule on the detector's rule, made
// instead in the member account on the spoke's forwarding rule; edit
// applies further replacements.
func memberEvent(t *testing.T, edit ...string) []byte {
	t.Helper()
	b := sample(t, "events-disable-rule-detector.json")
	b = bytes.Replace(b, []byte("eksdrift-RoutingeksaccesschangesD1C2B3A4-1A2B3C4D5E6F"), []byte(drift.SpokePrefix+"eks-access-changes"), 1)
	b = bytes.ReplaceAll(b, []byte("111122223333"), []byte(spokeMember))
	for i := 0; i+1 < len(edit); i += 2 {
		if !bytes.Contains(b, []byte(edit[i])) {
			t.Fatalf("the event has no %s", edit[i])
		}
		b = bytes.Replace(b, []byte(edit[i]), []byte(edit[i+1]), 1)
	}
	return b
}

// TestSpokeTamperInMembers: a forwarded call on a member's spoke is
// judged against the deployment's spoke: critical tamper in an admitted
// member, naming it; compliant when the StackSet's execution role made it
// through CloudFormation; recorded but not drift in an account that is not
// admitted (a forged or stray event). No member role is ever assumed for
// it, and an admission that cannot be checked is retried.
func TestSpokeTamperInMembers(t *testing.T) {
	stackSetUpdate := []string{
		`"arn": "arn:aws:iam::` + spokeMember + `:user/bob",`,
		`"arn": "arn:aws:sts::` + spokeMember + `:assumed-role/AWSCloudFormationStackSetExecutionRole/session", "invokedBy": "cloudformation.amazonaws.com",`,
		`"type": "IAMUser",`, `"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::` + spokeMember + `:role/AWSCloudFormationStackSetExecutionRole"}},`,
	}
	refuse := func(_ context.Context, account string) error {
		return &drift.AccountError{Account: account, Refused: true}
	}
	tests := []struct {
		name     string
		event    []byte
		admitted Admitter
		drift    bool
		severity drift.Severity
		says     string
		fails    bool
	}{
		{"the member's admin disables the forwarding rule", memberEvent(t), func(context.Context, string) error { return nil }, true, drift.SeverityCritical, "member account " + spokeMember, false},
		{"a StackSet update", memberEvent(t, stackSetUpdate...), func(context.Context, string) error { return nil }, false, drift.SeverityInfo, "a StackSet update", false},
		{"an account that is not admitted", memberEvent(t), refuse, false, drift.SeverityInfo, "not acted on", false},
		{"no organization: no member is admitted", memberEvent(t), nil, false, drift.SeverityInfo, "not acted on", false},
		{"admission cannot be checked", memberEvent(t), func(context.Context, string) error { return errors.New("organizations: throttled") }, false, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, store := newDetector(t, states{}, out)
			d.Deployment = sampleDeployment(t)
			d.Deployment.Spoke = &drift.Spoke{StackSet: "eksdrift-spoke", Roles: []string{"eksdrift-read"}, ExecutionRole: "AWSCloudFormationStackSetExecutionRole"}
			var assumed atomic.Int32
			d.Accounts = func(context.Context, string) (Readers, error) {
				assumed.Add(1)
				return Readers{}, errors.New("no role may be assumed for tamper")
			}
			d.Admitted = tt.admitted
			err := d.Handle(context.Background(), tt.event)
			if assumed.Load() != 0 {
				t.Errorf("got %d member roles assumed, want none", assumed.Load())
			}
			if tt.fails {
				if err == nil {
					t.Error("got no error, want one: the event must be delivered again")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			all, _ := store.Query(context.Background(), drift.HistoryQuery{})
			if len(all) != 1 {
				t.Fatalf("got %d records, want 1", len(all))
			}
			f := all[0]
			if f.Kind != drift.KindTamper || f.Drift != tt.drift || f.Severity != tt.severity || f.Account != spokeMember {
				t.Errorf("got kind %s drift %v severity %s account %s, want tamper drift %v severity %s account %s (%s)",
					f.Kind, f.Drift, f.Severity, f.Account, tt.drift, tt.severity, spokeMember, f.Reason)
			}
			if !strings.Contains(f.Reason, tt.says) {
				t.Errorf("got reason %q, want it to say %q", f.Reason, tt.says)
			}
			if got, want := d.Metrics.Get(metrics.Tamper), map[bool]float64{true: 1}[tt.drift]; got != want {
				t.Errorf("tamper metric: got %v, want %v", got, want)
			}
		})
	}
}
