package audit

import (
	"cmp"
	"slices"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Access is who could reach one cluster at a moment, and how.
type Access struct {
	Cluster ClusterID `json:"cluster"`
	At      time.Time `json:"at"`
	// Baseline is the version in force at that moment; nil when none was.
	Baseline *BaselineVersionRef `json:"baseline,omitempty"`
	// AuthenticationMode is the cluster's mode, when known.
	AuthenticationMode *Segment `json:"authenticationMode,omitempty"`
	// Rows list each principal's access: one row per access policy, or one
	// for an access entry without any.
	Rows []Row `json:"rows"`
	// IdentityProviders let the users of an OIDC issuer authenticate.
	IdentityProviders []Segment `json:"identityProviders,omitempty"`
	// Withdrawn is access the baseline declares that drift had removed and
	// that had not been restored: it was not in force at that moment.
	Withdrawn []Withdrawal `json:"withdrawn,omitempty"`
}

// BaselineVersionRef names a baseline version.
type BaselineVersionRef struct {
	ID     string    `json:"id"`
	Source string    `json:"source,omitempty"`
	From   time.Time `json:"from,omitzero"` // zero: before anything recorded
}

// Row is one principal's access through one access policy, or through its
// access entry alone.
type Row struct {
	Principal string `json:"principal"`
	// Entry is the access entry; nil when the history shows a policy
	// without one (it predates the history, say).
	Entry *Segment `json:"entry,omitempty"`
	// Policy is the access policy association; nil for an entry without.
	Policy *Segment `json:"policy,omitempty"`
}

// Source is drift when the entry or the policy came from drift.
func (r Row) Source() Source {
	if r.DriftEvent() != nil {
		return SourceDrift
	}
	return SourceBaseline
}

// DriftEvent is the drift that made the row: the policy's when it is drift,
// else the entry's; nil for baseline access.
func (r Row) DriftEvent() *Event {
	if r.Policy != nil && r.Policy.Source == SourceDrift {
		return r.Policy.IntroducedBy
	}
	if r.Entry != nil && r.Entry.Source == SourceDrift {
		return r.Entry.IntroducedBy
	}
	return nil
}

// Since is when the row's access took its current form.
func (r Row) Since() time.Time {
	var t time.Time
	if r.Entry != nil {
		t = r.Entry.From
	}
	if r.Policy != nil && r.Policy.From.After(t) {
		t = r.Policy.From
	}
	return t
}

// Withdrawal is declared access that drift removed.
type Withdrawal struct {
	Grant
	By Event `json:"by"`
}

// Access gives the access of each cluster the timeline knows at its end,
// ordered by cluster name. filter, when not nil, chooses the clusters.
func (tl *Timeline) Access(filter func(ClusterID) bool) []Access {
	byCluster := map[ClusterID]*Access{}
	get := func(c ClusterID) *Access {
		a, ok := byCluster[c]
		if !ok {
			a = &Access{Cluster: c, At: tl.End, Rows: []Row{}}
			if v := tl.versionAt(tl.End); v != nil && v.Baseline != nil {
				a.Baseline = &BaselineVersionRef{ID: v.ID, Source: v.Baseline.Source, From: v.From}
			}
			byCluster[c] = a
		}
		return a
	}
	entries := map[key]*Segment{}
	var policies []*Segment
	for _, k := range sortedKeys(tl.slots) {
		s := tl.slots[k]
		if k.cluster.IsIAM() || !reachKinds[k.kind] || (filter != nil && !filter(k.cluster)) {
			continue
		}
		if s.over != nil && !s.over.present {
			get(k.cluster).Withdrawn = append(get(k.cluster).Withdrawn, Withdrawal{Grant: s.over.grant, By: *s.over.event})
		}
		if s.seg < 0 {
			continue
		}
		seg := &tl.Segments[s.seg]
		a := get(k.cluster)
		switch k.kind {
		case drift.KindAuthenticationMode:
			a.AuthenticationMode = seg
		case drift.KindIdentityProvider:
			a.IdentityProviders = append(a.IdentityProviders, *seg)
		case drift.KindAccessEntry:
			entries[k] = seg
		case drift.KindAccessPolicy:
			policies = append(policies, seg)
		}
	}
	withPolicy := map[key]bool{}
	for _, p := range policies {
		ek := key{cluster: p.Cluster, kind: drift.KindAccessEntry, resource: p.Principal}
		withPolicy[ek] = true
		a := get(p.Cluster)
		a.Rows = append(a.Rows, Row{Principal: p.Principal, Entry: entries[ek], Policy: p})
	}
	for k, e := range entries {
		if !withPolicy[k] {
			a := get(k.cluster)
			a.Rows = append(a.Rows, Row{Principal: e.Principal, Entry: e})
		}
	}
	out := make([]Access, 0, len(byCluster))
	for _, a := range byCluster {
		slices.SortFunc(a.Rows, func(x, y Row) int {
			return cmp.Or(cmp.Compare(x.Principal, y.Principal), cmp.Compare(policyOf(x), policyOf(y)))
		})
		out = append(out, *a)
	}
	slices.SortFunc(out, func(x, y Access) int { return x.Cluster.compare(y.Cluster) })
	return out
}

func policyOf(r Row) string {
	if r.Policy == nil {
		return ""
	}
	return r.Policy.Policy
}

// versionAt is the baseline version in force at t.
func (tl *Timeline) versionAt(t time.Time) *BaselineVersion {
	var in *BaselineVersion
	for i := range tl.Versions {
		if !tl.Versions[i].From.After(t) && (in == nil || !tl.Versions[i].From.Before(in.From)) {
			in = &tl.Versions[i]
		}
	}
	return in
}

// PrincipalSegments are the segments of one principal's access (its access
// entries and policies on every cluster) that overlap [since, until),
// ordered by cluster, then time. Zero times do not bound.
func (tl *Timeline) PrincipalSegments(principal string, since, until time.Time) []Segment {
	var out []Segment
	for _, s := range tl.Segments {
		if s.Principal != principal || (s.Kind != drift.KindAccessEntry && s.Kind != drift.KindAccessPolicy) {
			continue
		}
		if !until.IsZero() && !s.From.Before(until) {
			continue
		}
		if !since.IsZero() && s.To != nil && !s.To.After(since) {
			continue
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Segment) int {
		return cmp.Or(a.Cluster.compare(b.Cluster), a.From.Compare(b.From), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Policy, b.Policy))
	})
	return out
}
