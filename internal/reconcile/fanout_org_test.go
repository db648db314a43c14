package reconcile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// An OU-only deployment lists no member: the sweep fans out over the
// accounts ListMembers gives, merged with the listed ones, each once. An
// error listing the organization is reported in Unread and the accounts
// that were known are still swept.
func TestFanOutSweepsTheListedOrganization(t *testing.T) {
	accounts := []string{"111111111111", "222222222222", "333333333333"}
	tests := []struct {
		name     string
		members  []string
		listed   []string
		err      error
		accounts int
		unread   []Unread
	}{
		{name: "no member listed: the organization's accounts", listed: accounts, accounts: 3},
		{name: "listed members merged in, each once", members: accounts[:2], listed: accounts[1:], accounts: 3},
		{name: "Organizations fails: the listed members are still swept", members: accounts[:1], listed: accounts[1:2],
			err: errors.New("organizations: ListAccountsForParent ou-ab12-cdefgh34 (page 1): AccessDeniedException"), accounts: 2,
			unread: []Unread{{What: UnreadOrganization, Why: "organizations: ListAccountsForParent ou-ab12-cdefgh34 (page 1): AccessDeniedException"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := setupOrg(t, accounts, nil)
			o.r.Members = tt.members
			o.r.ListMembers = func(context.Context) ([]string, error) { return tt.listed, tt.err }
			rep, err := o.r.Sweep(context.Background(), t0)
			if rep.Accounts != tt.accounts || rep.Targets != 3*tt.accounts || rep.Recorded != 2*tt.accounts {
				t.Errorf("got %d accounts, %d targets, %d recorded, want %d, %d, %d", rep.Accounts, rep.Targets, rep.Recorded, tt.accounts, 3*tt.accounts, 2*tt.accounts)
			}
			if !slices.Equal(rep.Unread, tt.unread) {
				t.Errorf("got unread %+v, want %+v", rep.Unread, tt.unread)
			}
			if tt.err == nil && err != nil {
				t.Errorf("got %v, want no error", err)
			}
			if tt.err != nil && (err == nil || !strings.Contains(err.Error(), "could not be read")) {
				t.Errorf("got %v, want the sweep to fail saying what it could not read", err)
			}
			for _, a := range accounts[:tt.accounts] {
				if len(o.members[a].reads) == 0 {
					t.Errorf("account %s: not read", a)
				}
			}
		})
	}
}
