package drift

import (
	"fmt"
	"strings"
)

// awsAuthNoRevert is why the ConfigMap is only reported: eksdrift has no
// Kubernetes API writer, and a wrong aws-auth can lock out nodes and people.
const awsAuthNoRevert = "the aws-auth ConfigMap is reported, never reverted (alert only)"

func (e *Evaluator) awsAuth(c Change, r *AwsAuth) verdict {
	ci, out := e.clusterFor(c)
	if out != nil {
		return *out
	}
	if ci.c.AwsAuth == nil {
		return notManaged("the aws-auth ConfigMap", c.Cluster)
	}
	want := ci.c.AwsAuth
	var v verdict
	switch {
	case c.Op == OpRemoved:
		v = awsAuthDeleted(c, want)
	case r.Unresolved:
		v = awsAuthUnresolved(c, r)
	default:
		d := diffAwsAuth(r, want)
		v = awsAuthJudged(c, d, want)
	}
	v.noRevert = awsAuthNoRevert
	v.mode = ci.c.Mode
	return v
}

func awsAuthDeleted(c Change, want *AwsAuthBaseline) verdict {
	if len(want.MapRoles)+len(want.MapUsers)+len(want.MapAccounts) == 0 {
		return compliant(fmt.Sprintf("deletes aws-auth on cluster %s, whose baseline declares no mappings", c.Cluster), want)
	}
	return drifted(SeverityHigh, "the principals the baseline maps (nodes among them) lose access through aws-auth",
		fmt.Sprintf("aws-auth was deleted on cluster %s; the baseline declares its mappings", c.Cluster), want)
}

// awsAuthUnresolved judges a patch whose result is not known: by what the
// patch names, and said so.
func awsAuthUnresolved(c Change, r *AwsAuth) verdict {
	sev, why := SeverityHigh, "unconfirmed: patch without result; a patch to aws-auth can map any principal"
	if strings.Contains(r.Patch, GroupMasters) {
		sev, why = SeverityCritical, "unconfirmed: patch without result; the patch names system:masters (cluster-admin)"
	}
	return drifted(sev, why, fmt.Sprintf("aws-auth was patched on cluster %s and neither the audit event nor a live read gives the result: unconfirmed: patch without result", c.Cluster), nil)
}

func awsAuthJudged(c Change, d awsAuthDiff, want *AwsAuthBaseline) verdict {
	if d.empty() {
		return compliant(fmt.Sprintf("aws-auth on cluster %s matches the baseline", c.Cluster), want)
	}
	var parts []string
	if len(d.undeclared) > 0 {
		parts = append(parts, "undeclared "+strings.Join(d.undeclared, "; "))
	}
	if len(d.changed) > 0 {
		parts = append(parts, "changed "+strings.Join(d.changed, "; "))
	}
	if len(d.missing) > 0 {
		parts = append(parts, "missing "+strings.Join(d.missing, "; "))
	}
	reason := fmt.Sprintf("aws-auth on cluster %s: %s", c.Cluster, strings.Join(parts, "; "))
	v := drifted(SeverityMedium, "a principal the baseline maps loses its mapping", reason, want)
	switch {
	case len(d.masters) > 0:
		v = drifted(SeverityCritical, "maps "+strings.Join(d.masters, ", ")+" to system:masters (cluster-admin)", reason, want)
	case len(d.undeclared)+len(d.changed) > 0:
		v = drifted(SeverityHigh, "aws-auth grants cluster access the baseline does not declare", reason, want)
	}
	v.op = OpModified
	if c.Op == OpAdded {
		v.op = OpAdded
	}
	return v
}
