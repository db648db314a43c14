package notify

import (
	"context"
	"reflect"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/slack"
)

// TestSlackNamesTheAccount: with Accounts (EKSDRIFT_ACCOUNT_ALIASES), the
// finding's Slack message is the one the renderer gives with the names;
// without, the default message, unchanged.
func TestSlackNamesTheAccount(t *testing.T) {
	f := finding(t, "access-entry")
	names := drift.AccountAliases{f.Account: "payments-prod"}
	for _, tt := range []struct {
		name  string
		names drift.AccountAliases
		want  any
	}{
		{"Named", names, slack.Renderer{Accounts: names}.Finding(f)},
		{"Unnamed", nil, slack.Finding(f)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, s, _ := newNotifier()
			n.Accounts = tt.names
			if _, err := n.Handle(context.Background(), sqsEvent(t, []drift.Finding{f})); err != nil {
				t.Fatal(err)
			}
			if len(s.posts) != 1 || !reflect.DeepEqual(s.posts[0], tt.want) {
				t.Errorf("slack: got %d posts, want the finding's message %s", len(s.posts), tt.name)
			}
		})
	}
	if reflect.DeepEqual(slack.Renderer{Accounts: names}.Finding(f), slack.Finding(f)) {
		t.Fatal("the named and the default messages are the same: the test would prove nothing")
	}
}
