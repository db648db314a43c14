package detect

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The accounts are a stand-in for internal/wiring's Accounts here (its STS
// calls run for real on MiniStack in functions/detect's organization test).

func TestMemberAccountReaders(t *testing.T) {
	entry := &drift.AccessEntry{PrincipalARN: contractor, Type: "STANDARD", KubernetesGroups: []string{"viewers"}}
	live := states{contractor: {Present: true, Resource: entry, ReadAt: time.Now()}}
	tests := []struct {
		name     string
		accounts func(ctx context.Context, account string) (Readers, error)
		decision drift.Decision
		reason   string
		err      string
	}{
		{name: "the account's readers confirm the drift",
			accounts: func(_ context.Context, account string) (Readers, error) {
				if account != "111122223333" {
					return Readers{}, errors.New("asked for account " + account)
				}
				return Readers{EKS: live, IAM: states{}}, nil
			},
			decision: drift.DecisionRevert},
		{name: "a role that cannot be assumed: recorded unconfirmed, not reverted",
			accounts: func(_ context.Context, account string) (Readers, error) {
				return Readers{}, &drift.AccountError{Account: account, Role: "eksdrift-read", Err: errors.New("AccessDenied")}
			},
			decision: drift.DecisionAlert, reason: "unconfirmed: cannot assume eksdrift-read in account 111122223333: AccessDenied; not reverted"},
		{name: "a refused account: recorded unconfirmed, nothing assumed",
			accounts: func(_ context.Context, account string) (Readers, error) {
				return Readers{}, &drift.AccountError{Account: account, Refused: true}
			},
			decision: drift.DecisionAlert, reason: "unconfirmed: account 111122223333 is neither eksdrift's own nor a member"},
		{name: "an STS error that may pass: the event is retried",
			accounts: func(context.Context, string) (Readers, error) {
				return Readers{}, errors.New("sts: throttled")
			},
			err: "in account 111122223333: sts: throttled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			// The detector's own readers must not be used for a member.
			d, _ := newDetector(t, states{}, out)
			d.Accounts = tt.accounts
			err := d.Handle(context.Background(), sample(t, "eks-create-access-entry-undeclared-role.json"))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.sent) != 1 {
				t.Fatalf("got %d findings, want 1", len(out.sent))
			}
			f := out.sent[0]
			if f.Decision != tt.decision || !f.Drift || !strings.Contains(f.Reason, tt.reason) {
				t.Errorf("got decision %s, reason %q, want %s saying %q", f.Decision, f.Reason, tt.decision, tt.reason)
			}
		})
	}
}

func TestBaselineIsTheAccounts(t *testing.T) {
	out := &outbox{}
	d, _ := newDetector(t, states{}, out)
	var asked []string
	d.BaselineFor = func(_ context.Context, account string) (*drift.Index, error) {
		asked = append(asked, account)
		return nil, errors.New("s3 baseline s3://b/baselines/" + account + ".yaml: access denied")
	}
	if err := d.Handle(context.Background(), sample(t, "eks-create-access-entry-undeclared-role.json")); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0] != "111122223333" {
		t.Errorf("accounts asked: got %v, want [111122223333]", asked)
	}
	if len(out.sent) != 1 || out.sent[0].Decision != drift.DecisionAlert || !strings.Contains(out.sent[0].Reason, "not judged: s3 baseline s3://b/baselines/111122223333.yaml") {
		t.Errorf("got %+v, want the change unjudged with the account file's error", out.sent)
	}
}

// withAccounts rewrites the sample event: the envelope's account (""
// drops the envelope: a bare record), the record's recipientAccountId and
// the caller's account.
func withAccounts(t *testing.T, envelope, recipient, caller string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(sample(t, "eks-create-access-entry-undeclared-role.json"), &ev); err != nil {
		t.Fatal(err)
	}
	detail := ev["detail"].(map[string]any)
	detail["recipientAccountId"] = recipient
	detail["userIdentity"].(map[string]any)["accountId"] = caller
	var out any = ev
	if envelope == "" {
		out = detail
	} else {
		ev["account"] = envelope
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A member can put events on the hub's bus, and everything in an event's
// detail is its own word; only the envelope's account is EventBridge's. An
// event from member A whose record claims member B's cluster must not make
// the detector judge B's cluster with B's baseline, assume B's role, or
// record a revertable finding under B.
func TestEventAccountsMustAgree(t *testing.T) {
	const a, b, c = "222233334444", "111122223333", "555566667777"
	entry := &drift.AccessEntry{PrincipalARN: contractor, Type: "STANDARD", KubernetesGroups: []string{"viewers"}}
	live := states{contractor: {Present: true, Resource: entry, ReadAt: time.Now()}}
	tests := []struct {
		name     string
		event    []byte
		account  string // the finding's
		asked    []string
		decision drift.Decision
		reason   string
	}{
		{name: "the envelope from A, the record about B: recorded under A, unjudged, nothing assumed",
			event: withAccounts(t, a, b, b), account: a, asked: nil, decision: drift.DecisionAlert,
			reason: "not judged: " + drift.ReasonAccountsDisagree + ": the event came from account " + a + " but its record says account " + b},
		{name: "the envelope and the record agree, the caller in another account: judged in the account",
			event: withAccounts(t, b, b, c), account: b, asked: []string{b}, decision: drift.DecisionRevert},
		{name: "a bare record (no envelope): its recipientAccountId",
			event: withAccounts(t, "", b, c), account: b, asked: []string{b}, decision: drift.DecisionRevert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, _ := newDetector(t, states{}, out)
			var baselines, readers []string
			base := d.Baseline
			d.BaselineFor = func(ctx context.Context, account string) (*drift.Index, error) {
				baselines = append(baselines, account)
				return base(ctx)
			}
			d.Accounts = func(_ context.Context, account string) (Readers, error) {
				readers = append(readers, account)
				return Readers{EKS: live, IAM: states{}}, nil
			}
			if err := d.Handle(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(baselines, tt.asked) || !slices.Equal(readers, tt.asked) {
				t.Errorf("baselines asked %v, readers asked %v, want %v for both", baselines, readers, tt.asked)
			}
			if len(out.sent) != 1 {
				t.Fatalf("got %d findings, want 1", len(out.sent))
			}
			f := out.sent[0]
			if f.Account != tt.account || f.Decision != tt.decision || !f.Drift || !strings.Contains(f.Reason, tt.reason) {
				t.Errorf("got account %s, decision %s, reason %q, want %s, %s, saying %q", f.Account, f.Decision, f.Reason, tt.account, tt.decision, tt.reason)
			}
		})
	}
}
