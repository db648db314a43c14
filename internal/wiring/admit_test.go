package wiring_test

import (
	"context"
	"errors"
	"testing"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// TestAdmitAssumesNothing: Admit admits the home account and the members,
// refuses any other account (forged ones too), and assumes no role either
// way.
func TestAdmitAssumesNothing(t *testing.T) {
	a := wiring.NewAccounts(awstest.Config(t), home, org(member), "detect")
	tests := []struct {
		account string
		admit   bool
	}{
		{home, true}, {member, true}, {"333333333333", false}, {"", false}, {member + " ", false}, {"*", false},
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
			err := a.Admit(context.Background(), tt.account)
			var ae *drift.AccountError
			if got := err == nil; got != tt.admit {
				t.Errorf("got admitted %v (%v), want %v", got, err, tt.admit)
			}
			if !tt.admit && (!errors.As(err, &ae) || !ae.Refused) {
				t.Errorf("got %v, want a refusal", err)
			}
		})
	}
	if n := a.Assumes(); n != 0 {
		t.Errorf("assumes: got %d, want 0", n)
	}
}
