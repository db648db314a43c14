package drift

import (
	"fmt"
	"slices"
	"strings"
)

// The rule and the plan of IAM users (KindUser): a user may be the
// principal of an access entry, and then a new access key, a console
// password or a policy for it is a way into the cluster that no EKS call
// shows. A user is judged when the baseline declares it under iamUsers;
// its credentials are always judged there (a credential the baseline does
// not list is drift), its permissions when the baseline manages them.

func (e *Evaluator) user(c Change, r *User) verdict {
	ub, ok := e.ix.User(c.Event.Account, r.UserName)
	if !ok {
		if r.Aspect == UserItself && e.ix.Baseline.IAMUsers != nil && c.Op != OpRemoved {
			v := drifted(SeverityMedium, "its new credentials and permissions go unjudged",
				fmt.Sprintf("user %s reaches cluster %s through an access entry but is not declared under iamUsers", firstNonEmpty(r.UserARN, r.UserName), c.Cluster), nil)
			v.noRevert = "eksdrift never disables or deletes a user; declare it under iamUsers"
			return v
		}
		return compliant(fmt.Sprintf("user %s is not declared under iamUsers; out of scope", r.UserName), nil)
	}
	v := judgeUser(ub, c.Op, r)
	if v.drift && e.ix.HoldsClusterAdmin(ub.ARN) && v.severity.Rank() < SeverityHigh.Rank() {
		v.severity = SeverityHigh
		v.severityReason += "; the user holds cluster-admin in the baseline"
	}
	v.mode = ub.Mode
	return v
}

// judgeUser judges one change of a declared user.
func judgeUser(ub *UserBaseline, op Op, r *User) verdict {
	switch r.Aspect {
	case UserAccessKey:
		return judgeCredential(ub, op, r, "access key", ub.AccessKeys)
	case UserServiceCredential:
		return judgeCredential(ub, op, r, "service-specific credential", ub.ServiceCredentials)
	case UserLoginProfile:
		return judgeLoginProfile(ub, op)
	case UserManagedPolicy:
		return judgeUserManaged(ub, op, r)
	case UserInlinePolicy:
		return judgeUserInline(ub, op, r)
	case UserGroup:
		return judgeUserGroup(ub, op, r)
	case UserBoundary:
		return judgeUserBoundary(ub, op, r)
	}
	return compliant(fmt.Sprintf("user %s is declared in the baseline", ub.ARN), nil)
}

func judgeCredential(ub *UserBaseline, op Op, r *User, what string, declared []string) verdict {
	expected := declared
	if expected == nil {
		expected = []string{}
	}
	switch {
	case op == OpRemoved:
		return compliant(fmt.Sprintf("%s %s of %s was deleted (towards the baseline)", what, r.Name, ub.ARN), expected)
	case slices.Contains(declared, r.Name):
		return compliant(fmt.Sprintf("%s %s of %s is declared", what, r.Name, ub.ARN), expected)
	case !r.Active():
		return compliant(fmt.Sprintf("%s %s of %s is inactive: it grants nothing", what, r.Name, ub.ARN), expected)
	}
	return drifted(SeverityMedium, "a new credential lets whoever holds it act as the user",
		fmt.Sprintf("%s %s of %s is not declared in the baseline", what, firstNonEmpty(r.Name, "(id not in the event)"), ub.ARN), expected)
}

func judgeLoginProfile(ub *UserBaseline, op Op) verdict {
	switch {
	case op == OpRemoved && ub.ConsoleAccess:
		v := drifted(SeverityMedium, "console access the baseline declares is gone",
			fmt.Sprintf("the console password of %s was deleted; the baseline declares consoleAccess", ub.ARN), true)
		v.noRevert = "a password cannot be restored"
		return v
	case op == OpRemoved:
		return compliant(fmt.Sprintf("the console password of %s was deleted (towards the baseline)", ub.ARN), false)
	case op == OpModified && ub.ConsoleAccess:
		v := drifted(SeverityMedium, "whoever set the new password can sign in as the user",
			fmt.Sprintf("the console password of %s was changed", ub.ARN), true)
		v.noRevert = "a password cannot be restored; confirm the change with the user's owner"
		return v
	case ub.ConsoleAccess:
		return compliant(fmt.Sprintf("%s may have a console password (consoleAccess)", ub.ARN), true)
	}
	return drifted(SeverityMedium, "a console password lets whoever knows it sign in as the user",
		fmt.Sprintf("%s has a console password; the baseline does not declare consoleAccess", ub.ARN), false)
}

func judgeUserManaged(ub *UserBaseline, op Op, r *User) verdict {
	if ub.ManagedPolicies == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the managed policies of %s", ub.ARN), nil)
	}
	declared := slices.Contains(ub.ManagedPolicies, r.Name)
	switch {
	case op == OpRemoved && declared:
		return drifted(SeverityHigh, "removes permissions the baseline grants: what needs them breaks",
			fmt.Sprintf("%s is declared for %s but was detached", r.Name, ub.ARN), ub.ManagedPolicies)
	case op == OpRemoved:
		return compliant(fmt.Sprintf("detaches %s, which the baseline does not declare for %s (towards the baseline)", r.Name, ub.ARN), ub.ManagedPolicies)
	case declared:
		return compliant(fmt.Sprintf("%s is declared for %s", r.Name, ub.ARN), ub.ManagedPolicies)
	}
	sev, why := SeverityMedium, "adds permissions to a user that can reach a cluster"
	if w, ok := iamAdminPolicies[r.Name]; ok {
		sev, why = SeverityCritical, r.Name[strings.LastIndexByte(r.Name, '/')+1:]+" "+strings.Replace(w, "the role", "the user", 1)
	}
	return drifted(sev, why, fmt.Sprintf("%s is not declared for %s", r.Name, ub.ARN), ub.ManagedPolicies)
}

func judgeUserInline(ub *UserBaseline, op Op, r *User) verdict {
	if ub.InlinePolicies == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the inline policies of %s", ub.ARN), nil)
	}
	declared, ok := ub.InlinePolicies[r.Name]
	var expected any
	if ok {
		expected = declared
	}
	switch {
	case op == OpRemoved && ok:
		return drifted(SeverityHigh, "removes permissions the baseline grants: what needs them breaks",
			fmt.Sprintf("inline policy %s is declared for %s but was deleted", r.Name, ub.ARN), expected)
	case op == OpRemoved:
		return compliant(fmt.Sprintf("deletes inline policy %s, which the baseline does not declare (towards the baseline)", r.Name), nil)
	case ok && declared.Equal(r.Document):
		return compliant(fmt.Sprintf("inline policy %s of %s matches the baseline", r.Name, ub.ARN), expected)
	}
	sev, why := SeverityMedium, "changes what a user that can reach a cluster may do in AWS"
	if r.Document.GrantsAdmin() {
		sev, why = SeverityCritical, "grants every action on every resource"
	}
	reason := fmt.Sprintf("inline policy %s is not declared for %s", r.Name, ub.ARN)
	v := drifted(sev, why, reason, expected)
	if ok {
		v.reason = fmt.Sprintf("inline policy %s of %s differs from the baseline", r.Name, ub.ARN)
		v.op = OpModified
	}
	return v
}

func judgeUserGroup(ub *UserBaseline, op Op, r *User) verdict {
	if ub.Groups == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the groups of %s", ub.ARN), nil)
	}
	declared := slices.Contains(ub.Groups, r.Name)
	switch {
	case op == OpRemoved && declared:
		return drifted(SeverityHigh, "removes permissions the baseline grants: what needs them breaks",
			fmt.Sprintf("%s is declared in group %s but was removed from it", ub.ARN, r.Name), ub.Groups)
	case op == OpRemoved:
		return compliant(fmt.Sprintf("removes %s from group %s, which the baseline does not declare (towards the baseline)", ub.ARN, r.Name), ub.Groups)
	case declared:
		return compliant(fmt.Sprintf("group %s is declared for %s", r.Name, ub.ARN), ub.Groups)
	}
	return drifted(SeverityMedium, "the group's permissions become the user's",
		fmt.Sprintf("%s was added to group %s, which the baseline does not declare", ub.ARN, r.Name), ub.Groups)
}

func judgeUserBoundary(ub *UserBaseline, op Op, r *User) verdict {
	if ub.PermissionsBoundary == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the permissions boundary of %s", ub.ARN), nil)
	}
	want := *ub.PermissionsBoundary
	expected := &User{UserARN: ub.ARN, UserName: ub.Name(), Aspect: UserBoundary, Name: want}
	got := r.Name
	if op == OpRemoved {
		got = ""
	}
	switch {
	case got == want:
		return compliant(fmt.Sprintf("permissions boundary of %s matches the baseline", ub.ARN), expected)
	case got == "":
		return drifted(SeverityHigh, "lifts the limit on what the user may do",
			fmt.Sprintf("permissions boundary %s of %s was removed", want, ub.ARN), expected)
	case want == "":
		return drifted(SeverityMedium, "limits the user where the baseline does not: access may break",
			fmt.Sprintf("%s has boundary %s; the baseline declares none", ub.ARN, got), expected)
	}
	v := drifted(SeverityHigh, "replaces the limit on what the user may do",
		fmt.Sprintf("%s has boundary %s, want %s", ub.ARN, got, want), expected)
	v.op = OpModified
	return v
}

// planUser plans from the live state of a user's credential or permission.
// Credentials are deactivated, never deleted: a key in use by a workload
// can be turned on again, a deleted one cannot.
func (e *Evaluator) planUser(c Change, r *User, live Observation) ([]Operation, string) {
	ub, ok := e.ix.User(c.Event.Account, r.UserName)
	if !ok {
		return nil, "the user is not declared in the baseline"
	}
	lv, _ := live.Resource.(*User)
	name := ub.Name()
	one := func(action string, res *User) ([]Operation, string) {
		res.UserARN, res.UserName = ub.ARN, name
		return []Operation{{Action: action, Resource: res}}, ""
	}
	switch r.Aspect {
	case UserItself:
		return nil, "eksdrift never disables or deletes a user"
	case UserAccessKey, UserServiceCredential:
		return planCredential(ub, r, lv, live, one)
	case UserLoginProfile:
		if live.Present && !ub.ConsoleAccess {
			return one(ActDeleteLoginProfile, &User{Aspect: UserLoginProfile})
		}
		if ub.ConsoleAccess && c.Op != OpAdded {
			return nil, "a password cannot be restored"
		}
	case UserManagedPolicy:
		if ub.ManagedPolicies != nil && live.Present && !slices.Contains(ub.ManagedPolicies, r.Name) {
			return one(ActDetachUserPolicy, &User{Aspect: UserManagedPolicy, Name: r.Name})
		}
		if slices.Contains(ub.ManagedPolicies, r.Name) && !live.Present {
			return nil, "eksdrift never attaches a policy to a user: attach it again if it is still wanted"
		}
	case UserInlinePolicy:
		return planUserInline(ub, r, live, one)
	case UserGroup:
		if ub.Groups != nil && live.Present && !slices.Contains(ub.Groups, r.Name) {
			return one(ActRemoveUserFromGroup, &User{Aspect: UserGroup, Name: r.Name})
		}
		if slices.Contains(ub.Groups, r.Name) && !live.Present {
			return nil, "eksdrift never adds a user to a group: add it back if it is still wanted"
		}
	case UserBoundary:
		if ub.PermissionsBoundary == nil {
			return nil, "the baseline does not manage the permissions boundary of " + ub.ARN
		}
		want, got := *ub.PermissionsBoundary, ""
		if live.Present && lv != nil {
			got = lv.Name
		}
		switch {
		case want == "" && got != "":
			return one(ActDeleteUserPermissionsBoundary, &User{Aspect: UserBoundary})
		case want != "" && got != want:
			return one(ActPutUserPermissionsBoundary, &User{Aspect: UserBoundary, Name: want})
		}
	}
	return nil, ""
}

// planCredential deactivates an active credential the baseline does not list.
func planCredential(ub *UserBaseline, r, lv *User, live Observation, one func(string, *User) ([]Operation, string)) ([]Operation, string) {
	declared, act := ub.AccessKeys, ActDeactivateAccessKey
	if r.Aspect == UserServiceCredential {
		declared, act = ub.ServiceCredentials, ActDeactivateServiceCredential
	}
	if live.Present && lv != nil && lv.Active() && !slices.Contains(declared, r.Name) {
		return one(act, &User{Aspect: r.Aspect, Name: r.Name, Status: "Inactive"})
	}
	return nil, ""
}

func planUserInline(ub *UserBaseline, r *User, live Observation, one func(string, *User) ([]Operation, string)) ([]Operation, string) {
	if ub.InlinePolicies == nil {
		return nil, "the baseline does not manage the inline policies of " + ub.ARN
	}
	d, declared := ub.InlinePolicies[r.Name]
	lv, _ := live.Resource.(*User)
	switch {
	case live.Present && !declared:
		return one(ActDeleteUserPolicy, &User{Aspect: UserInlinePolicy, Name: r.Name})
	case declared && (!live.Present || lv == nil || !d.Equal(lv.Document)):
		return one(ActPutUserPolicy, &User{Aspect: UserInlinePolicy, Name: r.Name, Document: d})
	}
	return nil, ""
}
