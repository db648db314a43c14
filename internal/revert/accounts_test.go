package revert

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Accounts is a stand-in for internal/wiring's here, over this test's
// MiniStack clients; functions/revert's organization test assumes the
// member's revert role for real.

func TestMemberAccountClients(t *testing.T) {
	e := newEnv(t, options{})
	own := Clients{EKS: e.rev.EKS, IAM: e.rev.IAM, EKSWriter: e.rev.EKSWriter, IAMWriter: e.rev.IAMWriter, Admins: e.rev.Admins}
	// The reverter's own clients would reach the cluster: only the
	// account's may be used.
	e.rev.EKS, e.rev.IAM, e.rev.EKSWriter, e.rev.IAMWriter, e.rev.Admins = nil, nil, nil, nil, nil
	tests := []struct {
		name     string
		accounts func(context.Context, string) (Clients, error)
		result   string
		why      string
		retry    bool
	}{
		{name: "reverted through the account's clients",
			accounts: func(_ context.Context, a string) (Clients, error) {
				if a != account {
					return Clients{}, errors.New("asked for account " + a)
				}
				return own, nil
			},
			result: drift.ResultReverted},
		{name: "a missing revert role fails once, with the reason, and is not retried",
			accounts: func(_ context.Context, a string) (Clients, error) {
				return Clients{}, &drift.AccountError{Account: a, Role: "eksdrift-revert", Err: errors.New("NoSuchEntity: role not found")}
			},
			result: drift.ResultRevertFailed, why: "cannot act in account " + account + ": cannot assume eksdrift-revert in account " + account + ": NoSuchEntity"},
		{name: "a refused account fails, nothing assumed",
			accounts: func(_ context.Context, a string) (Clients, error) {
				return Clients{}, &drift.AccountError{Account: a, Refused: true}
			},
			result: drift.ResultRevertFailed, why: "neither eksdrift's own nor a member"},
		{name: "an STS error that may pass is retried",
			accounts: func(context.Context, string) (Clients, error) {
				return Clients{}, errors.Join(drift.ErrTransient, errors.New("throttled"))
			},
			result: drift.ResultRevertFailed, why: "throttled", retry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.rev.Accounts = tt.accounts
			e.createEntry(intruder, []string{"viewers"})
			t.Cleanup(func() { e.rev.Accounts = func(context.Context, string) (Clients, error) { return own, nil } })
			f := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{"viewers"}})
			e.record(f)
			err := e.rev.Handle(context.Background(), f)
			if tt.retry != errors.Is(err, ErrRetry) {
				t.Fatalf("got %v, want retry %v", err, tt.retry)
			}
			o := e.out.outcomes[len(e.out.outcomes)-1].Result
			if o.Result != tt.result || !strings.Contains(o.Error, tt.why) {
				t.Errorf("got %s (%s), want %s saying %q", o.Result, o.Error, tt.result, tt.why)
			}
			if tt.result != drift.ResultReverted {
				// Clean up the drift for the next case through the real clients.
				e.rev.Accounts = func(context.Context, string) (Clients, error) { return own, nil }
				e.rev.Handle(context.Background(), f)
			}
		})
	}
}
