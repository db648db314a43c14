package drift

import (
	"slices"
	"strings"
	"time"
)

// SweepUser judges the live state of one IAM user against the baseline,
// the way SweepRole does a role's: one judgement for each credential and
// permission the user has, and one for each permission the baseline
// declares that it lacks. A user that is gone is one judgement (the user
// was deleted), whatever it held. Declared credentials that are gone are
// left out: a credential deleted takes access away.
func (e *Evaluator) SweepUser(at time.Time, us UserState) []Judgement {
	var out []Judgement
	judge := func(op Op, res *User, live Resource) {
		res.UserARN, res.UserName = us.ARN, us.Name
		ev := Event{ID: SweepEventID(at, string(KindUser), us.Account, strings.ToLower(res.Key())), Time: at.UTC(),
			Name: SweepEventName, Source: ServiceIAM.EventSource(), Account: us.Account}
		out = append(out, e.sweepJudge(Change{Event: ev, Op: op, Resource: res}, live, us.ReadAt))
	}
	present := func(op Op, res *User) { judge(op, res, res) }
	if !us.Found {
		judge(OpRemoved, &User{Aspect: UserItself}, nil)
		return out
	}
	var ub *UserBaseline
	if e.ix != nil {
		ub, _ = e.ix.User(us.Account, us.Name)
	}
	for _, k := range us.AccessKeys {
		present(OpAdded, &User{Aspect: UserAccessKey, Name: k.ID, Status: k.Status})
	}
	for _, c := range us.ServiceCredentials {
		present(OpAdded, &User{Aspect: UserServiceCredential, Name: c.ID, Status: c.Status})
	}
	if us.ConsoleAccess {
		present(OpAdded, &User{Aspect: UserLoginProfile})
	} else {
		judge(OpRemoved, &User{Aspect: UserLoginProfile}, nil)
	}
	for _, p := range us.ManagedPolicies {
		present(OpAdded, &User{Aspect: UserManagedPolicy, Name: p})
	}
	for _, name := range sortedKeys(us.InlinePolicies) {
		present(OpAdded, &User{Aspect: UserInlinePolicy, Name: name, Document: us.InlinePolicies[name]})
	}
	for _, g := range us.Groups {
		present(OpAdded, &User{Aspect: UserGroup, Name: g})
	}
	if ub != nil {
		for _, p := range ub.ManagedPolicies {
			if !slices.Contains(us.ManagedPolicies, p) {
				judge(OpRemoved, &User{Aspect: UserManagedPolicy, Name: p}, nil)
			}
		}
		for _, name := range sortedKeys(ub.InlinePolicies) {
			if _, ok := us.InlinePolicies[name]; !ok {
				judge(OpRemoved, &User{Aspect: UserInlinePolicy, Name: name}, nil)
			}
		}
		for _, g := range ub.Groups {
			if !slices.Contains(us.Groups, g) {
				judge(OpRemoved, &User{Aspect: UserGroup, Name: g}, nil)
			}
		}
	}
	if us.PermissionsBoundary != "" {
		present(OpAdded, &User{Aspect: UserBoundary, Name: us.PermissionsBoundary})
	} else {
		judge(OpRemoved, &User{Aspect: UserBoundary}, nil)
	}
	return out
}
