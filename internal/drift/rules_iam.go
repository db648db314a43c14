package drift

import (
	"fmt"
	"slices"
	"strings"
)

// The rules of the IAM kinds: a role, its trust policy, managed and inline
// policies and permissions boundary, and the account's OIDC providers. Each
// judges one change against the role the baseline declares.

// iamAdminPolicies are managed policies that make a role an account admin,
// or able to make itself one.
var iamAdminPolicies = map[string]string{
	"arn:aws:iam::aws:policy/AdministratorAccess": "grants every action on every resource",
	"arn:aws:iam::aws:policy/IAMFullAccess":       "lets the role grant itself any permission",
}

// roleFor finds the declared role an IAM change touches, or says why the
// change is out of scope.
func (e *Evaluator) roleFor(c Change, name string) (*RoleBaseline, *verdict) {
	rb, ok := e.ix.Role(c.Event.Account, name)
	if !ok {
		v := compliant(fmt.Sprintf("role %s is not declared under iamRoles; out of scope", name), nil)
		return nil, &v
	}
	return rb, nil
}

func (e *Evaluator) role(c Change, r *Role) verdict {
	rb, out := e.roleFor(c, r.Name)
	if out != nil {
		return *out
	}
	var v verdict
	switch {
	case c.Op == OpRemoved:
		v = drifted(SeverityHigh, "access that goes through the role breaks",
			fmt.Sprintf("role %s is declared in the baseline but was deleted", rb.ARN), nil)
		v.noRevert = "a deleted role cannot be brought back with its identity (role ID); recreate it from the baseline"
	case rb.TrustPolicy != nil && r.TrustPolicy != nil && !rb.TrustPolicy.Equal(r.TrustPolicy):
		v = judgeTrust(rb, r.TrustPolicy)
	default:
		v = compliant(fmt.Sprintf("role %s is declared in the baseline", rb.ARN), nil)
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) trustPolicy(c Change, r *TrustPolicy) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.TrustPolicy == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the trust policy of %s", rb.ARN), nil)
	}
	var v verdict
	if rb.TrustPolicy.Equal(r.Document) {
		v = compliant(fmt.Sprintf("trust policy of %s matches the baseline", rb.ARN), rb.TrustPolicy)
	} else {
		v = judgeTrust(rb, r.Document)
	}
	v.mode = rb.Mode
	return v
}

// judgeTrust rates a trust policy that differs from the baseline's by who it
// lets in that the baseline does not.
func judgeTrust(rb *RoleBaseline, got *PolicyDocument) verdict {
	added, removed := setDiff(got.TrustedPrincipals(), rb.TrustPolicy.TrustedPrincipals())
	sev, why := SeverityMedium, "the trust policy's conditions or actions differ from the baseline"
	rank := func(s Severity, w string) {
		if s.Rank() > sev.Rank() {
			sev, why = s, w
		}
	}
	if len(removed) > 0 {
		rank(SeverityHigh, "no longer trusts principals the baseline trusts: their access breaks")
	}
	account := rb.Account()
	for _, p := range added {
		typ, val, _ := strings.Cut(p, ":")
		switch {
		case typ == "AWS" && val == "*":
			rank(SeverityCritical, "trusts any AWS principal (*)")
		case typ == "AWS" && AccountOf(val) != account:
			rank(SeverityCritical, "trusts another account ("+AccountOf(val)+")")
		case typ == "Federated":
			rank(SeverityHigh, "trusts a new identity provider ("+val+")")
		default:
			rank(SeverityHigh, "trusts a new principal ("+val+")")
		}
	}
	reason := fmt.Sprintf("trust policy of %s differs from the baseline", rb.ARN)
	if len(added) > 0 {
		reason += "; trusts " + strings.Join(added, ", ")
	}
	if len(removed) > 0 {
		reason += "; no longer trusts " + strings.Join(removed, ", ")
	}
	v := drifted(sev, why, reason, rb.TrustPolicy)
	v.op = OpModified
	return v
}

func (e *Evaluator) managedPolicy(c Change, r *ManagedPolicy) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.ManagedPolicies == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the managed policies of %s", rb.ARN), nil)
	}
	declared := slices.Contains(rb.ManagedPolicies, r.PolicyARN)
	var v verdict
	switch {
	case c.Op == OpRemoved && declared:
		v = drifted(SeverityHigh, "removes permissions the baseline grants: what needs them breaks",
			fmt.Sprintf("%s is declared for %s but was detached", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	case c.Op == OpRemoved:
		v = compliant(fmt.Sprintf("detaches %s, which the baseline does not declare for %s (towards the baseline)", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	case declared:
		v = compliant(fmt.Sprintf("%s is declared for %s", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	default:
		sev, why := SeverityMedium, "adds permissions to a role that can reach a cluster"
		if w, ok := iamAdminPolicies[r.PolicyARN]; ok {
			sev, why = SeverityCritical, r.PolicyARN[strings.LastIndexByte(r.PolicyARN, '/')+1:]+" "+w
		}
		v = drifted(sev, why, fmt.Sprintf("%s is not declared for %s", r.PolicyARN, rb.ARN), rb.ManagedPolicies)
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) inlinePolicy(c Change, r *InlinePolicy) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.InlinePolicies == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the inline policies of %s", rb.ARN), nil)
	}
	declared, ok := rb.InlinePolicies[r.PolicyName]
	var expected any
	if ok {
		expected = declared
	}
	var v verdict
	switch {
	case c.Op == OpRemoved && ok:
		v = drifted(SeverityHigh, "removes permissions the baseline grants: what needs them breaks",
			fmt.Sprintf("inline policy %s is declared for %s but was deleted", r.PolicyName, rb.ARN), expected)
	case c.Op == OpRemoved:
		v = compliant(fmt.Sprintf("deletes inline policy %s, which the baseline does not declare (towards the baseline)", r.PolicyName), nil)
	case ok && declared.Equal(r.Document):
		v = compliant(fmt.Sprintf("inline policy %s of %s matches the baseline", r.PolicyName, rb.ARN), expected)
	default:
		sev, why := SeverityMedium, "changes what a role that can reach a cluster may do in AWS"
		if r.Document.GrantsAdmin() {
			sev, why = SeverityCritical, "grants every action on every resource"
		}
		reason := fmt.Sprintf("inline policy %s is not declared for %s", r.PolicyName, rb.ARN)
		if ok {
			reason = fmt.Sprintf("inline policy %s of %s differs from the baseline", r.PolicyName, rb.ARN)
		}
		v = drifted(sev, why, reason, expected)
		if ok {
			v.op = OpModified
		}
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) boundary(c Change, r *PermissionsBoundary) verdict {
	rb, out := e.roleFor(c, r.RoleName)
	if out != nil {
		return *out
	}
	if rb.PermissionsBoundary == nil {
		return compliant(fmt.Sprintf("the baseline does not manage the permissions boundary of %s", rb.ARN), nil)
	}
	want := *rb.PermissionsBoundary
	expected := &PermissionsBoundary{RoleARN: rb.ARN, RoleName: rb.Name(), PolicyARN: want}
	got := r.PolicyARN
	if c.Op == OpRemoved {
		got = ""
	}
	var v verdict
	switch {
	case got == want:
		v = compliant(fmt.Sprintf("permissions boundary of %s matches the baseline", rb.ARN), expected)
	case got == "":
		v = drifted(SeverityHigh, "lifts the limit on what the role may do",
			fmt.Sprintf("permissions boundary %s of %s was removed", want, rb.ARN), expected)
	case want == "":
		v = drifted(SeverityMedium, "limits the role where the baseline does not: access may break",
			fmt.Sprintf("%s has boundary %s; the baseline declares none", rb.ARN, got), expected)
	default:
		v = drifted(SeverityHigh, "replaces the limit on what the role may do",
			fmt.Sprintf("%s has boundary %s, want %s", rb.ARN, got, want), expected)
		v.op = OpModified
	}
	v.mode = rb.Mode
	return v
}

func (e *Evaluator) oidcProvider(c Change, r *OIDCProvider) verdict {
	if e.ix.oidc == nil {
		return compliant("the baseline does not manage IAM OIDC providers", nil)
	}
	declared := e.ix.oidc[r.ARN]
	expected := e.ix.Baseline.OIDCProviders
	switch {
	case c.Op == OpRemoved && declared:
		return drifted(SeverityHigh, "roles that trust the provider can no longer be assumed through it",
			fmt.Sprintf("OIDC provider %s is declared but was deleted", r.ARN), expected)
	case c.Op == OpRemoved:
		return compliant(fmt.Sprintf("deletes OIDC provider %s, which the baseline does not declare (towards the baseline)", r.ARN), expected)
	case declared:
		return compliant(fmt.Sprintf("OIDC provider %s is declared", r.ARN), expected)
	}
	return drifted(SeverityHigh, "identities the issuer vouches for can assume roles that trust it",
		fmt.Sprintf("OIDC provider %s is not declared in the baseline", firstNonEmpty(r.URL, r.ARN)), expected)
}

// roleNameOf gives the role an IAM resource belongs to.
func roleNameOf(r Resource) string {
	switch t := r.(type) {
	case *Role:
		return t.Name
	case *TrustPolicy:
		return t.RoleName
	case *ManagedPolicy:
		return t.RoleName
	case *InlinePolicy:
		return t.RoleName
	case *PermissionsBoundary:
		return t.RoleName
	}
	return ""
}
