package drift

import (
	"fmt"
	"strings"
)

// The rule of IAM Identity Center (KindPermissionSet), and what eksdrift
// does about the roles Identity Center manages. A permission set becomes an
// AWSReservedSSO_ role in each account it is assigned to, and Identity
// Center rewrites that role whenever the set changes: the real author of
// such a role change is whoever changed the permission set, so those calls
// are reported with the set and the account, and the role change Identity
// Center makes is never reverted (a revert would fight Identity Center,
// which provisions the set again).

// ssoService is the service principal of IAM Identity Center.
const ssoService = "sso.amazonaws.com"

// IsSSOManagedRole reports whether a role name or ARN is one that IAM
// Identity Center creates for a permission set.
func IsSSOManagedRole(nameOrARN string) bool {
	name := nameOrARN[strings.LastIndexByte(nameOrARN, '/')+1:]
	return strings.HasPrefix(name, "AWSReservedSSO_") || strings.Contains(nameOrARN, ":role/aws-reserved/sso.amazonaws.com/")
}

// madeBySSO reports whether IAM Identity Center made a call: invoked by
// it, or made by its service-linked role. The role is recognised by its
// reserved path (/aws-service-role/sso.amazonaws.com/), which no one can
// create a role under, never by its name alone: anyone may create a role
// named AWSServiceRoleForSSO where Identity Center is not in use.
func madeBySSO(a Actor) bool {
	if a.InvokedBy == ssoService || (a.IsAWSService() && a.ARN == ssoService) {
		return true
	}
	return strings.Contains(a.ARN, ":role/aws-service-role/"+ssoService+"/")
}

// ssoNoRevert says why an IAM change must not be reverted when Identity
// Center made it to a role it manages; "" otherwise.
func ssoNoRevert(c Change) string {
	name := roleNameOf(c.Resource)
	if name == "" || !IsSSOManagedRole(name) || !madeBySSO(c.Event.Actor) {
		return ""
	}
	return "role " + name + " is managed by IAM Identity Center, which made this change (" + ssoService +
		"); reverting it would fight Identity Center: change the permission set instead"
}

func (e *Evaluator) permissionSet(c Change, r *PermissionSet) verdict {
	accounts := map[string]bool{}
	for _, cl := range e.ix.Baseline.Clusters {
		accounts[cl.Account] = true
	}
	if len(accounts) == 0 {
		return compliant("the baseline declares no cluster", nil)
	}
	if r.Account != "" && !accounts[r.Account] {
		return compliant(fmt.Sprintf("account %s has no baseline cluster; out of scope", r.Account), nil)
	}
	where := "every account it is assigned to"
	if r.Account != "" {
		where = "account " + r.Account + ", which has a baseline cluster"
	}
	sev, why := SeverityMedium, "Identity Center rewrites the permission set's role in "+where
	switch {
	case c.Event.Name == "CreateAccountAssignment":
		sev, why = SeverityHigh, "gives "+firstNonEmpty(r.What, "a principal")+" the permission set's role in "+where
	case iamAdminPolicies[r.What] != "" && c.Op != OpRemoved:
		sev, why = SeverityCritical, "the permission set's role gets "+r.What[strings.LastIndexByte(r.What, '/')+1:]+" in "+where
	}
	v := drifted(sev, why, fmt.Sprintf("%s of permission set %s (%s)", c.Event.Name, r.PermissionSetARN, where), nil)
	v.noRevert = "IAM Identity Center owns permission sets: change them there"
	return v
}
