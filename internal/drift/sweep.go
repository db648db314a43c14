package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// SweepEventName is the eventName of the findings a sweep makes: no
// CloudTrail event is behind them, only the live state it read.
const SweepEventName = "Sweep"

// A sweep finding's event source is the service whose state was read
// (Kind.Service), as CloudTrail names it, so that it routes like an event's.

// Judgement is one resource a sweep judged: the change that leads from what
// the baseline declares to what is live, the live state itself, and the
// finding (compliant or drift) with DetectedBy "sweep".
type Judgement struct {
	Change  Change
	Live    Observation
	Finding Finding
}

// SweepEventID gives the synthetic event id of a sweep finding. It is
// stable for one sweep (at), one resource and one purpose, so a sweep run
// again for the same time records nothing twice, and unique otherwise.
func SweepEventID(at time.Time, purpose, scope, resource string) string {
	sum := sha256.Sum256([]byte("sweep:" + at.UTC().Format(time.RFC3339Nano) + ":" + purpose + ":" + scope + ":" + resource))
	return "sweep-" + hex.EncodeToString(sum[:16])
}

// SweepCluster judges the live state of one cluster against the baseline:
// one judgement for each resource the cluster has, and one for each
// resource the baseline declares on it that the cluster lacks. Kinds the
// scan did not read (nil lists) are left out; so is a cluster not found,
// whose absence says nothing about access.
func (e *Evaluator) SweepCluster(at time.Time, cs ClusterState) []Judgement {
	if !cs.Found {
		return nil
	}
	var ci *clusterIndex
	if e.ix != nil {
		ci = e.ix.clusters[clusterKey(cs.Account, cs.Region, cs.Name)]
	}
	scope := cs.Account + "/" + cs.Region + "/" + cs.Name
	// One judgement per live resource, and a few for declared ones that are
	// missing: sized once, since a Judgement is large and a cluster of a
	// hundred entries makes two hundred of them.
	n := 1 + len(cs.AccessEntries) + len(cs.PodIdentityAssociations) + len(cs.IdentityProviderConfigs)
	for i := range cs.AccessEntries {
		n += len(cs.AccessEntries[i].Policies)
	}
	out := make([]Judgement, 0, n)
	judge := func(op Op, declaredOrLive Resource, live Resource) {
		ev := Event{ID: SweepEventID(at, string(declaredOrLive.Kind()), scope, declaredOrLive.Key()), Time: at.UTC(),
			Name: SweepEventName, Source: ServiceEKS.EventSource(), Account: cs.Account, Region: cs.Region}
		out = append(out, e.sweepJudge(Change{Event: ev, Op: op, Cluster: cs.Name, Resource: declaredOrLive}, live, cs.ReadAt))
	}
	if cs.AuthenticationMode != "" {
		m := &AuthenticationMode{Mode: cs.AuthenticationMode}
		judge(OpAdded, m, m)
	}
	if cs.AccessEntries != nil {
		live := map[string]*EntryState{}
		for i := range cs.AccessEntries {
			le := &cs.AccessEntries[i]
			live[le.PrincipalARN] = le
			entry := le.AccessEntry
			judge(OpAdded, &entry, &entry)
			for j := range le.Policies {
				p := le.Policies[j]
				judge(OpAdded, &p, &p)
			}
		}
		out = append(out, e.sweepEntryUsers(at, cs)...)
		if ci != nil {
			for _, d := range ci.c.AccessEntries {
				le := live[d.PrincipalARN]
				if le == nil {
					judge(OpRemoved, &AccessEntry{PrincipalARN: d.PrincipalARN, Type: d.Type}, nil)
				}
				for _, p := range d.AccessPolicies {
					if le == nil || !slices.ContainsFunc(le.Policies, func(l AccessPolicy) bool { return l.PolicyARN == p.PolicyARN }) {
						judge(OpRemoved, &AccessPolicy{PrincipalARN: d.PrincipalARN, PolicyARN: p.PolicyARN, Scope: p.Scope}, nil)
					}
				}
			}
		}
	}
	if cs.PodIdentityAssociations != nil {
		live := map[string]bool{}
		for i := range cs.PodIdentityAssociations {
			p := cs.PodIdentityAssociations[i]
			live[p.Key()] = true
			judge(OpAdded, &p, &p)
		}
		if ci != nil {
			for _, d := range ci.c.PodIdentityAssociations {
				if !live[d.Key()] {
					judge(OpRemoved, &PodIdentityAssociation{Namespace: d.Namespace, ServiceAccount: d.ServiceAccount, RoleARN: d.RoleARN}, nil)
				}
			}
		}
	}
	if cs.IdentityProviderConfigs != nil {
		live := map[string]bool{}
		for i := range cs.IdentityProviderConfigs {
			p := cs.IdentityProviderConfigs[i]
			live[p.Name] = true
			judge(OpAdded, &p, &p)
		}
		if ci != nil {
			for _, d := range ci.c.IdentityProviderConfigs {
				if !live[d.Name] {
					judge(OpRemoved, &IdentityProviderConfig{Name: d.Name, Type: d.Type, IssuerURL: d.IssuerURL, ClientID: d.ClientID}, nil)
				}
			}
		}
	}
	return out
}

// sweepEntryUsers judges the IAM users that are principals of the
// cluster's access entries, when the baseline manages users: one it does
// not declare is drift, since its credentials go unjudged.
func (e *Evaluator) sweepEntryUsers(at time.Time, cs ClusterState) []Judgement {
	if e.ix == nil || e.ix.Baseline.IAMUsers == nil {
		return nil
	}
	var out []Judgement
	for _, le := range cs.AccessEntries {
		a, ok := ParseARN(le.PrincipalARN)
		if !ok || a.Service != "iam" || !strings.HasPrefix(a.Resource, "user/") {
			continue
		}
		u := &User{UserARN: le.PrincipalARN, UserName: a.Resource[strings.LastIndexByte(a.Resource, '/')+1:], Aspect: UserItself}
		ev := Event{ID: SweepEventID(at, string(KindUser), cs.Account+"/"+cs.Region+"/"+cs.Name, strings.ToLower(u.Key())), Time: at.UTC(),
			Name: SweepEventName, Source: ServiceIAM.EventSource(), Account: a.Account, Region: cs.Region}
		out = append(out, e.sweepJudge(Change{Event: ev, Op: OpAdded, Cluster: cs.Name, Resource: u}, u, cs.ReadAt))
	}
	return out
}

// SweepRole judges the live state of one role against the baseline, the way
// SweepCluster does a cluster's. A role that is gone is one judgement (the
// role was deleted), whatever it held.
func (e *Evaluator) SweepRole(at time.Time, rs RoleState) []Judgement {
	scope := rs.Account
	var out []Judgement
	judge := func(op Op, res Resource, live Resource) {
		ev := Event{ID: SweepEventID(at, string(res.Kind()), scope, strings.ToLower(res.Key())), Time: at.UTC(),
			Name: SweepEventName, Source: ServiceIAM.EventSource(), Account: rs.Account}
		out = append(out, e.sweepJudge(Change{Event: ev, Op: op, Resource: res}, live, rs.ReadAt))
	}
	if !rs.Found {
		judge(OpRemoved, &Role{ARN: rs.ARN, Name: rs.Name}, nil)
		return out
	}
	var rb *RoleBaseline
	if e.ix != nil {
		rb, _ = e.ix.Role(rs.Account, rs.Name)
	}
	// The role itself: its trust policy is judged as its own kind below.
	role := &Role{ARN: rs.ARN, Name: rs.Name}
	judge(OpAdded, role, role)
	if rs.TrustPolicy != nil {
		t := &TrustPolicy{RoleARN: rs.ARN, RoleName: rs.Name, Document: rs.TrustPolicy}
		judge(OpAdded, t, t)
	}
	if rs.ManagedPolicies != nil {
		for _, p := range rs.ManagedPolicies {
			m := &ManagedPolicy{RoleARN: rs.ARN, RoleName: rs.Name, PolicyARN: p}
			judge(OpAdded, m, m)
		}
		if rb != nil {
			for _, p := range rb.ManagedPolicies {
				if !slices.Contains(rs.ManagedPolicies, p) {
					judge(OpRemoved, &ManagedPolicy{RoleARN: rs.ARN, RoleName: rs.Name, PolicyARN: p}, nil)
				}
			}
		}
	}
	if rs.InlinePolicies != nil {
		for _, name := range sortedKeys(rs.InlinePolicies) {
			p := &InlinePolicy{RoleARN: rs.ARN, RoleName: rs.Name, PolicyName: name, Document: rs.InlinePolicies[name]}
			judge(OpAdded, p, p)
		}
		if rb != nil {
			for _, name := range sortedKeys(rb.InlinePolicies) {
				if _, ok := rs.InlinePolicies[name]; !ok {
					judge(OpRemoved, &InlinePolicy{RoleARN: rs.ARN, RoleName: rs.Name, PolicyName: name}, nil)
				}
			}
		}
	}
	if rs.PermissionsBoundary != "" {
		b := &PermissionsBoundary{RoleARN: rs.ARN, RoleName: rs.Name, PolicyARN: rs.PermissionsBoundary}
		judge(OpAdded, b, b)
	} else {
		judge(OpRemoved, &PermissionsBoundary{RoleARN: rs.ARN, RoleName: rs.Name}, nil)
	}
	return out
}

// sweepJudge evaluates a change made from live state and settles it on that
// same state, so the finding carries it.
func (e *Evaluator) sweepJudge(c Change, live Resource, readAt time.Time) Judgement {
	obs := Observation{Present: live != nil, Resource: live, ReadAt: readAt}
	f := e.Evaluate(c)
	f.DetectedBy = DetectedBySweep
	f = e.Confirm(f, c, obs)
	return Judgement{Change: c, Live: obs, Finding: f}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
