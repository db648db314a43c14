package drift

import (
	"fmt"
	"strings"
	"time"
)

// SweepScope is what a sweep read: the clusters, roles and users it
// scanned, and which kinds of each. It only resolves open drift it could
// have seen.
type SweepScope struct {
	clusters map[string]map[Kind]bool // account/region/name
	roles    map[string]map[Kind]bool // account/lower(name)
	users    map[string]bool          // account/lower(name)
}

// AddCluster notes a cluster the sweep read. A cluster not found is not
// added: its absence could as well mean the credentials cannot see it.
func (s *SweepScope) AddCluster(cs ClusterState) {
	if !cs.Found {
		return
	}
	kinds := map[Kind]bool{}
	if cs.AuthenticationMode != "" {
		kinds[KindAuthenticationMode] = true
	}
	if cs.AccessEntries != nil {
		kinds[KindAccessEntry], kinds[KindAccessPolicy] = true, true
		kinds[KindUser] = true // the users behind the entries (sweepEntryUsers)
	}
	if cs.PodIdentityAssociations != nil {
		kinds[KindPodIdentity] = true
	}
	if cs.IdentityProviderConfigs != nil {
		kinds[KindIdentityProvider] = true
	}
	if s.clusters == nil {
		s.clusters = map[string]map[Kind]bool{}
	}
	s.clusters[clusterKey(cs.Account, cs.Region, cs.Name)] = kinds
}

// AddRole notes a role the sweep read. A role that is gone covers every IAM
// kind: nothing of it is left.
func (s *SweepScope) AddRole(rs RoleState) {
	kinds := map[Kind]bool{KindRole: true}
	if !rs.Found || rs.TrustPolicy != nil {
		kinds[KindTrustPolicy] = true
	}
	if !rs.Found || rs.ManagedPolicies != nil {
		kinds[KindManagedPolicy] = true
	}
	if !rs.Found || rs.InlinePolicies != nil {
		kinds[KindInlinePolicy] = true
	}
	kinds[KindPermissionsBoundary] = true
	if s.roles == nil {
		s.roles = map[string]map[Kind]bool{}
	}
	s.roles[roleIndexKey(rs.Account, rs.Name)] = kinds
}

// AddUser notes a declared user the sweep read (all of it: a user that
// is gone has nothing left either).
func (s *SweepScope) AddUser(us UserState) {
	if s.users == nil {
		s.users = map[string]bool{}
	}
	s.users[roleIndexKey(us.Account, us.Name)] = true
}

// Covers reports whether the sweep read the resource of f.
func (s SweepScope) Covers(f Finding) bool {
	switch f.Kind {
	case KindAccessEntry, KindAccessPolicy, KindAuthenticationMode, KindPodIdentity, KindIdentityProvider:
		return s.clusters[clusterKey(f.Account, f.Region, f.Cluster)][f.Kind]
	case KindUser:
		// A user behind an access entry is swept as one of the cluster's;
		// a declared user's own credentials and permissions, as the user.
		if f.Cluster != "" {
			return s.clusters[clusterKey(f.Account, f.Region, f.Cluster)][f.Kind]
		}
		user, _, _ := strings.Cut(f.Resource, "|")
		return s.users[roleIndexKey(f.Account, user)]
	case KindRole, KindTrustPolicy, KindManagedPolicy, KindInlinePolicy, KindPermissionsBoundary:
		role, _, _ := strings.Cut(f.Resource, "|")
		return s.roles[roleIndexKey(f.Account, role)][f.Kind]
	}
	return false
}

// ReasonFixedOutside starts the reason of a sweep's resolution.
const ReasonFixedOutside = "fixed outside eksdrift"

// Reconcile decides what a sweep at time at adds to the history, from the
// findings it judged (compliant and drift) and the drift already open:
//
//   - each drift it judged whose resource has no open finding: the drift was
//     missed (a lost or late event, a deploy, a new baseline), so it is
//     recorded now;
//   - for each open finding whose resource the sweep read and did not judge
//     drift, a resolution: a compliant finding that closes it, because the
//     resource was put right without eksdrift.
//
// Drift that is already open is not recorded again, whatever its details.
func (e *Evaluator) Reconcile(at time.Time, judged []Finding, open map[string]Finding, scope SweepScope) []Finding {
	drifting := map[string]bool{}
	compliant := map[string]Finding{}
	var out []Finding
	for _, f := range judged {
		k := DriftKey(f)
		if !f.Drift {
			compliant[k] = f
			continue
		}
		drifting[k] = true
		if _, isOpen := open[k]; !isOpen {
			out = append(out, f)
		}
	}
	for _, k := range sortedKeys(open) {
		o := open[k]
		if drifting[k] || !scope.Covers(o) {
			continue
		}
		// A role created with another trust policy is drift of the role;
		// the sweep judges that trust policy as its own kind.
		if o.Kind == KindRole && o.Change != OpRemoved {
			t := o
			t.Kind = KindTrustPolicy
			if drifting[DriftKey(t)] {
				continue
			}
		}
		var live *Finding
		if c, ok := compliant[k]; ok {
			live = &c
		}
		out = append(out, e.resolution(at, o, live))
	}
	return out
}

// resolution is the compliant finding that closes open drift o, found put
// right by a sweep at time at; live is the sweep's compliant judgement of
// the resource, nil when the resource is gone.
func (e *Evaluator) resolution(at time.Time, o Finding, live *Finding) Finding {
	scope := o.Account
	if !isAccountKind(o.Kind) {
		scope += "/" + o.Region + "/" + o.Cluster
	}
	state := o.After
	if isNullJSON(state) {
		state = o.Before
	}
	read := at.UTC().Format(time.RFC3339)
	ev := Event{ID: SweepEventID(at, "resolve "+string(o.Kind), scope, strings.ToLower(o.Resource)), Time: at.UTC(),
		Name: SweepEventName, Source: o.EventSource, Account: o.Account, Region: o.Region}
	j := judgement{
		Severity: SeverityInfo, SeverityReason: "compliant", Decision: DecisionNone, DetectedBy: DetectedBySweep, Expected: o.Expected,
		Reason: fmt.Sprintf("%s: the sweep at %s found it gone; closes finding %s", ReasonFixedOutside, read, o.ID()),
	}
	if e.ix != nil && e.ix.Baseline != nil {
		j.BaselineSource, j.BaselineVersion = e.ix.Baseline.Source, e.ix.Baseline.VersionID
	}
	f := newFinding(subject{Event: ev, Cluster: o.Cluster, Kind: o.Kind, Resource: o.Resource, Principal: o.Principal,
		Op: OpRemoved, Before: state, After: rawJSON(nil)}, j)
	if live != nil {
		f.Change = OpModified
		if o.Change == OpRemoved {
			f.Change = OpAdded
		}
		f.After, f.Expected, f.Live = live.After, live.Expected, live.Live
		f.Reason = fmt.Sprintf("%s: the sweep at %s found it as the baseline declares; closes finding %s", ReasonFixedOutside, read, o.ID())
	}
	return f
}
