package scan

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

type fakeUsers struct{}

func (fakeUsers) ScanUser(_ context.Context, arn string) (drift.UserState, error) {
	name, _ := drift.UserName(arn)
	if name == "broken" {
		return drift.UserState{}, errors.New("iam 111122223333: GetUser broken: AccessDenied")
	}
	return drift.UserState{ARN: arn, Name: name, Account: drift.AccountOf(arn), Found: true}, nil
}

func TestUsersBehind(t *testing.T) {
	bob, ops := "arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/team/Ops"
	vendor := "arn:aws:iam::444455556666:user/vendor"
	cluster := func(name string, principals ...string) drift.ClusterState {
		c := drift.ClusterState{Name: name}
		for _, p := range principals {
			c.AccessEntries = append(c.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: p}})
		}
		return c
	}
	users, why, other := UsersBehind([]drift.ClusterState{
		cluster("a", bob, "arn:aws:iam::111122223333:role/dev", vendor, ops),
		cluster("b", bob, "arn:aws:iam::111122223333:user/OPS"), // ops again: one identity whatever its path or case
		cluster("c", bob), cluster("d", bob),
	}, "111122223333")
	if want := []string{bob, ops}; !slices.Equal(users, want) {
		t.Errorf("got users %v, want %v: users only, of this account, once each", users, want)
	}
	if w := why[bob]; w != "behind access entry on a; access entry on b; access entry on c; and 1 more" {
		t.Errorf("why bob: got %q", w)
	}
	if w := why[ops]; w != "behind access entry on a; access entry on b" {
		t.Errorf("why ops: got %q", w)
	}
	if !strings.Contains(other[vendor], "account 444455556666") || len(other) != 1 {
		t.Errorf("other: got %v, want the vendor's user only", other)
	}
}

func TestScannerUsers(t *testing.T) {
	var last Progress
	s := &Scanner{UserScanner: fakeUsers{}, Parallel: 2, OnProgress: func(p Progress) { last = p }}
	s.ExpectUsers(3)
	states, errs := s.Users(context.Background(), []string{"arn:aws:iam::111122223333:user/a", "arn:aws:iam::111122223333:user/broken", "arn:aws:iam::111122223333:user/c"})
	if len(states) != 2 || states[0].Name != "a" || states[1].Name != "c" {
		t.Errorf("got %+v, want a and c in order", states)
	}
	var re *ReadError
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "GetUser broken") || !errors.As(errs[0], &re) || re.What != "user arn:aws:iam::111122223333:user/broken" {
		t.Errorf("got errors %v, want broken's, as a ReadError naming the user", errs)
	}
	if last.UsersDone != 3 || last.UsersTotal != 3 {
		t.Errorf("got progress %+v, want 3 of 3 users", last)
	}
	if _, errs := (&Scanner{}).Users(context.Background(), []string{"arn:aws:iam::111122223333:user/a"}); len(errs) != 1 {
		t.Errorf("got errors %v, want one: users to read and no scanner", errs)
	}
}

func TestBaselineUsers(t *testing.T) {
	b := &drift.Baseline{IAMUsers: []drift.UserBaseline{{ARN: "arn:aws:iam::111122223333:user/a"}, {ARN: "arn:aws:iam::444455556666:user/b"}}}
	arns, elsewhere := BaselineUsers(b, "111122223333")
	if !slices.Equal(arns, []string{"arn:aws:iam::111122223333:user/a"}) || elsewhere != 1 {
		t.Errorf("got %v and %d elsewhere, want a and 1", arns, elsewhere)
	}
	if arns, elsewhere := BaselineUsers(b, ""); len(arns) != 2 || elsewhere != 0 {
		t.Errorf("every account: got %v and %d elsewhere, want both and 0", arns, elsewhere)
	}
}
