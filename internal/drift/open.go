package drift

import (
	"strings"
)

// DriftKey identifies the resource a finding is about, whatever found it (an
// event, a catch-up, a sweep): EKS kinds by account, region, cluster, kind
// and resource; IAM kinds by account, kind and resource, with role names
// folded to lower case as IAM compares them.
func DriftKey(f Finding) string {
	if isAccountKind(f.Kind) {
		return f.Account + "/" + string(f.Kind) + "/" + strings.ToLower(f.Resource)
	}
	return f.Account + "/" + f.Region + "/" + f.Cluster + "/" + string(f.Kind) + "/" + f.Resource
}

// IsOpen reports whether a finding, as the latest about its resource, leaves
// drift open: it is drift, not eksdrift's own remediation, and the reverter
// has neither reverted it nor found it already compliant.
func IsOpen(f Finding) bool {
	if !f.Drift || f.Decision == DecisionRemediation {
		return false
	}
	if o := f.Outcome; o != nil && (o.Result == ResultReverted || o.Result == ResultAlreadyCompliant) {
		return false
	}
	return true
}

// OpenDrift gives the open drift among findings, by DriftKey: for each
// resource, its latest finding (by event time; among equal times, the later
// in the slice, which the stores return oldest first) when IsOpen. A later
// compliant finding, a resolution by a sweep, or a revert closes it.
func OpenDrift(findings []Finding) map[string]Finding {
	latest := map[string]Finding{}
	for _, f := range findings {
		k := DriftKey(f)
		if l, ok := latest[k]; ok && f.EventTime.Before(l.EventTime) {
			continue
		}
		latest[k] = f
	}
	open := map[string]Finding{}
	for k, f := range latest {
		if IsOpen(f) {
			open[k] = f
		}
	}
	return open
}
