package drift

import (
	"slices"
	"testing"
)

// adminUserState is the live state of admin-user exactly as
// usersEvaluator's baseline declares it, plus an inactive key it need not
// declare.
func adminUserState() UserState {
	return UserState{ARN: userAdmin, Name: "admin-user", Account: acct, Found: true, ReadAt: sweepAt,
		AccessKeys:      []Credential{{ID: "AKIAKNOWN", Status: "Active"}, {ID: "AKIAOLD", Status: "Inactive"}},
		ManagedPolicies: []string{}, InlinePolicies: map[string]*PolicyDocument{}, Groups: []string{"readers"}}
}

func TestSweepUser(t *testing.T) {
	e := usersEvaluator(t)
	tests := []struct {
		name   string
		mutate func(*UserState)
		want   []string
		ops    []string // the plan's calls, sorted
	}{
		{"as declared", func(*UserState) {}, nil, nil},
		{"new active access key", func(u *UserState) { u.AccessKeys = append(u.AccessKeys, Credential{ID: "AKIANEW", Status: "Active"}) },
			[]string{"iam-user added admin-user|access-key|AKIANEW"}, []string{"iam:UpdateAccessKey admin-user|access-key|AKIANEW"}},
		{"inactive key turned on", func(u *UserState) { u.AccessKeys[1].Status = "Active" },
			[]string{"iam-user added admin-user|access-key|AKIAOLD"}, []string{"iam:UpdateAccessKey admin-user|access-key|AKIAOLD"}},
		{"service credential", func(u *UserState) { u.ServiceCredentials = []Credential{{ID: "ACCA1"}} },
			[]string{"iam-user added admin-user|service-credential|ACCA1"}, nil},
		{"console password", func(u *UserState) { u.ConsoleAccess = true }, []string{"iam-user added admin-user|login-profile"}, nil},
		{"admin attached", func(u *UserState) { u.ManagedPolicies = []string{"arn:aws:iam::aws:policy/AdministratorAccess"} },
			[]string{"iam-user added admin-user|managed-policy|arn:aws:iam::aws:policy/AdministratorAccess"}, nil},
		{"inline policy", func(u *UserState) {
			u.InlinePolicies = map[string]*PolicyDocument{"all": doc(t, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
		}, []string{"iam-user added admin-user|inline-policy|all"}, nil},
		{"group swapped", func(u *UserState) { u.Groups = []string{"admins"} },
			[]string{"iam-user added admin-user|group|admins", "iam-user removed admin-user|group|readers"}, nil},
		{"boundary set where none may be", func(u *UserState) { u.PermissionsBoundary = "arn:aws:iam::aws:policy/PowerUserAccess" },
			[]string{"iam-user added admin-user|permissions-boundary"}, nil},
		{"user deleted", func(u *UserState) { *u = UserState{ARN: u.ARN, Name: u.Name, Account: acct} }, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			us := adminUserState()
			tc.mutate(&us)
			js := e.SweepUser(sweepAt, us)
			if got := drifts(js); !slices.Equal(got, tc.want) {
				t.Errorf("got drift %q, want %q", got, tc.want)
			}
			planSaysSomething(t, e, js)
			if tc.ops == nil {
				return
			}
			var ops []string
			for _, j := range js {
				if j.Finding.Drift {
					o, _ := e.Plan(j.Change, j.Live)
					for _, op := range o {
						ops = append(ops, op.String())
					}
				}
			}
			slices.Sort(ops)
			if !slices.Equal(ops, tc.ops) {
				t.Errorf("got operations %q, want %q", ops, tc.ops)
			}
		})
	}
}

// TestSweepUserDeclaredMissing: what the baseline grants a user and the
// user lacks is drift too, as for a role.
func TestSweepUserDeclaredMissing(t *testing.T) {
	e := usersEvaluator(t)
	us := UserState{ARN: userDev, Name: "dev-user", Account: acct, Found: true, ReadAt: sweepAt}
	want := []string{"iam-user removed dev-user|login-profile", "iam-user removed dev-user|managed-policy|arn:aws:iam::aws:policy/ReadOnlyAccess"}
	js := e.SweepUser(sweepAt, us)
	if got := drifts(js); !slices.Equal(got, want) {
		t.Errorf("got drift %q, want %q", got, want)
	}
	planSaysSomething(t, e, js)
}

// planSaysSomething checks that the plan of every drift makes a call or
// says why it makes none: plan printed "nothing to call" for a user's
// declared group or policy that was gone.
func planSaysSomething(t *testing.T, e *Evaluator, js []Judgement) {
	t.Helper()
	for _, j := range js {
		if !j.Finding.Drift {
			continue
		}
		if ops, cannot := e.Plan(j.Change, j.Live); len(ops) == 0 && cannot == "" {
			t.Errorf("%s %s: got no operation and no reason, want one or the other", j.Finding.Change, j.Finding.Resource)
		}
	}
}

// TestCaptureUsersJudgesClean: a captured user declares every part, its
// active credentials only, and the state it was captured from does not
// drift from it.
func TestCaptureUsersJudgesClean(t *testing.T) {
	us := adminUserState()
	us.ConsoleAccess = true
	us.ServiceCredentials = []Credential{{ID: "ACCB", Status: "Active"}, {ID: "ACCA", Status: "Inactive"}}
	us.ManagedPolicies = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
	us.InlinePolicies = map[string]*PolicyDocument{"eks": doc(t, `{"Statement":[{"Effect":"Allow","Action":"eks:Describe*","Resource":"*"}]}`)}
	us.PermissionsBoundary = "arn:aws:iam::111122223333:policy/boundary"
	gone := UserState{ARN: "arn:aws:iam::111122223333:user/gone", Name: "gone", Account: acct}
	b := Capture(nil, nil, []UserState{us, gone})
	if len(b.IAMUsers) != 1 {
		t.Fatalf("got %d users, want the one found", len(b.IAMUsers))
	}
	u := b.IAMUsers[0]
	if !slices.Equal(u.AccessKeys, []string{"AKIAKNOWN"}) || !slices.Equal(u.ServiceCredentials, []string{"ACCB"}) {
		t.Errorf("got keys %v and service credentials %v, want the active ones only: [AKIAKNOWN] and [ACCB]", u.AccessKeys, u.ServiceCredentials)
	}
	if u.PermissionsBoundary == nil || *u.PermissionsBoundary != us.PermissionsBoundary || u.Groups == nil || !u.ConsoleAccess {
		t.Errorf("got %+v, want every part managed", u)
	}
	ix, err := NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := drifts(NewEvaluator(ix).SweepUser(sweepAt, us)); len(d) != 0 {
		t.Errorf("the state a baseline was captured from drifts from it: %q", d)
	}
	if b := Capture(nil, nil, nil); b.IAMUsers != nil {
		t.Errorf("got iamUsers %v, want it absent when users were not read", b.IAMUsers)
	}
	if b := Capture(nil, nil, []UserState{}); b.IAMUsers == nil {
		t.Error("got iamUsers absent, want it managed (empty) when users were read")
	}
}
