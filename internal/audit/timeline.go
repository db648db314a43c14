// Package audit answers an auditor's questions from the finding history and
// the baseline's versions: who could reach a cluster at a given moment, how
// one principal's access changed over time, and how long drift lasted before
// it was undone. It reconstructs; it reads nothing itself. The command reads
// the history (SQLite or DynamoDB) and the baseline's versions (S3) and hands
// them over, so every rule here is tested on plain data.
//
// The model: at any moment, a cluster's access is what the baseline in force
// declared, overlaid with the drift that had appeared and not yet been
// undone. A drift finding that grants access (a change added or modified)
// is open from its event time until something shows the resource back in
// line: the reverter's outcome (reverted, or already compliant) at its time,
// the detector finding the live state already compliant when it read it, a
// later compliant finding for the same resource (deleting the undeclared
// entry, say), a later drift finding that replaces it, or a baseline version
// that declares what the drift made. A drift finding that removes access the
// baseline declares withdraws it, until the same kinds of thing restore it.
// Deleting an access entry deletes its access policies with it, as in EKS.
//
// It imports only internal/drift.
package audit

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// BaselineVersion is one version of the baseline and when it came into force.
type BaselineVersion struct {
	// From is when it came into force; zero means before anything recorded.
	From time.Time
	// Baseline is nil when no usable baseline was in force from then on:
	// the object was deleted, or this version did not parse (Note says so).
	Baseline *drift.Baseline
	ID       string
	Note     string
}

// Source says where a piece of access came from.
type Source string

// Sources.
const (
	SourceBaseline Source = "baseline" // declared by the baseline in force
	SourceDrift    Source = "drift"    // made by a change the history records as drift
)

// ClusterID names a cluster. IAM findings, which belong to no cluster, have
// only an account.
type ClusterID struct {
	Account string `json:"account"`
	Region  string `json:"region,omitempty"`
	Name    string `json:"name,omitempty"`
}

// IsIAM reports whether c is an account's IAM rather than a cluster.
func (c ClusterID) IsIAM() bool { return c.Name == "" }

// Label names the cluster for people: its name, or "IAM" for IAM findings.
func (c ClusterID) Label() string {
	if c.IsIAM() {
		return "IAM"
	}
	return c.Name
}

func (c ClusterID) compare(o ClusterID) int {
	return cmp.Or(cmp.Compare(c.Name, o.Name), cmp.Compare(c.Account, o.Account), cmp.Compare(c.Region, o.Region))
}

// Grant is one piece of access configuration in one state: an access
// entry, an access policy association, an identity provider, a cluster's
// authentication mode, or (for exposure windows) any other kind.
type Grant struct {
	Cluster   ClusterID  `json:"cluster"`
	Kind      drift.Kind `json:"kind"`
	Resource  string     `json:"resource"`
	Principal string     `json:"principal,omitempty"`
	// Access entries.
	EntryType string   `json:"type,omitempty"`
	Groups    []string `json:"kubernetesGroups,omitempty"`
	Username  string   `json:"username,omitempty"`
	// Access policies.
	Policy string             `json:"policyArn,omitempty"`
	Scope  *drift.AccessScope `json:"accessScope,omitempty"`
	// Identity providers.
	Issuer string `json:"issuerUrl,omitempty"`
	// Authentication mode.
	Mode string `json:"authenticationMode,omitempty"`
}

// Event is what an auditor needs to know of the finding behind a change.
type Event struct {
	FindingID    string         `json:"findingId"`
	EventID      string         `json:"eventId"`
	EventName    string         `json:"eventName"`
	EventTime    time.Time      `json:"eventTime"`
	Actor        string         `json:"actor"`
	ActorSession string         `json:"actorSession,omitempty"`
	Severity     drift.Severity `json:"severity"`
	Decision     drift.Decision `json:"decision"`
}

func eventOf(f *drift.Finding) *Event {
	return &Event{
		FindingID: f.ID(), EventID: f.EventID, EventName: f.EventName, EventTime: f.EventTime.UTC(),
		Actor: f.Actor, ActorSession: f.ActorSession, Severity: f.Severity, Decision: f.Decision,
	}
}

// Who names the actor as a person would: the session with its role, an
// IAM Identity Center session by its permission set, else the ARN's resource.
func (e *Event) Who() string { return Who(e.Actor, e.ActorSession) }

// Segment is a stretch of time during which one piece of access was in
// force in one state from one source.
type Segment struct {
	Grant
	Source Source    `json:"source"`
	From   time.Time `json:"from,omitzero"` // zero: before anything recorded
	// To is when it ended; nil while it is in force at the timeline's end.
	To *time.Time `json:"to,omitempty"`
	// Ended says what ended it.
	Ended string `json:"ended,omitempty"`
	// BaselineVersion is the version that declared it, for baseline access.
	BaselineVersion string `json:"baselineVersion,omitempty"`
	// IntroducedBy is the drift finding that made it, for drift.
	IntroducedBy *Event `json:"introducedBy,omitempty"`
}

// Window is how long one drift finding lasted: from its event until it was
// undone, or still open at the timeline's end.
type Window struct {
	Grant
	Change drift.Op  `json:"change"`
	Event  Event     `json:"event"`
	Start  time.Time `json:"start"`
	// End is nil while the window is open.
	End *time.Time `json:"end,omitempty"`
	// Ended says what closed it: "reverted by ...", "back in line: ...".
	Ended string `json:"ended,omitempty"`
}

// Open reports whether the window was still open at the timeline's end.
func (w Window) Open() bool { return w.End == nil }

// Duration is how long the window lasted, or, while open, has lasted by asOf.
func (w Window) Duration(asOf time.Time) time.Duration {
	end := asOf
	if w.End != nil {
		end = *w.End
	}
	return max(end.Sub(w.Start), 0)
}

// Timeline is access reconstructed up to a moment.
type Timeline struct {
	// End is the moment: nothing after it was taken into account.
	End time.Time
	// Segments of the kinds that decide who can reach a cluster (access
	// entries and policies, identity providers, authentication modes), in
	// the order they began.
	Segments []Segment
	// Exposures are the windows of drift findings that granted access, in
	// event order.
	Exposures []Window
	// Withdrawals are the windows of drift findings that removed access
	// the baseline declares.
	Withdrawals []Window
	// Versions are the baseline versions taken into account.
	Versions []BaselineVersion

	slots map[key]*slot
}

// reachKinds are the kinds whose state decides who can reach a cluster.
var reachKinds = map[drift.Kind]bool{
	drift.KindAccessEntry: true, drift.KindAccessPolicy: true,
	drift.KindIdentityProvider: true, drift.KindAuthenticationMode: true,
}

type key struct {
	cluster  ClusterID
	kind     drift.Kind
	resource string
}

type slot struct {
	key             key
	declared        *Grant
	declaredVersion string
	over            *override
	seg             int // index of the open segment, -1 when none
}

// override is drift that sets the slot's state instead of the baseline.
type override struct {
	present bool // false: the drift removed declared access
	grant   Grant
	cause   string // the finding whose outcome undoes it
	event   *Event
	window  int // index into Exposures (present) or Withdrawals, -1 when none
}

// step is one thing that happens to the timeline.
type step struct {
	at      time.Time
	order   int // at one instant: baselines, then findings, then closures
	id      string
	version *BaselineVersion
	finding *drift.Finding
	// A closure undoes the drift of finding id.
	closes, reason string
}

// Build reconstructs access from baseline versions and findings, taking
// into account everything up to and including end. Findings may come in any
// order and more than once; every cluster and principal in them is tracked.
func Build(versions []BaselineVersion, findings []drift.Finding, end time.Time) *Timeline {
	tl := &Timeline{End: end.UTC(), slots: map[key]*slot{}}
	var steps []step
	for i := range versions {
		v := &versions[i]
		if v.From.After(end) {
			continue
		}
		tl.Versions = append(tl.Versions, *v)
		steps = append(steps, step{at: v.From.UTC(), order: 0, id: v.ID, version: v})
	}
	seen := map[string]bool{}
	for i := range findings {
		f := &findings[i]
		id := f.ID()
		if seen[id] || f.EventTime.After(end) {
			continue
		}
		seen[id] = true
		steps = append(steps, step{at: f.EventTime.UTC(), order: 1, id: id, finding: f})
		if !grants(f) && !withdraws(f) {
			continue
		}
		if o := f.Outcome; o != nil && !o.At.IsZero() && (o.Result == drift.ResultReverted || o.Result == drift.ResultAlreadyCompliant) {
			reason := "reverted by eksdrift"
			if o.Result == drift.ResultAlreadyCompliant {
				reason = "found already compliant by eksdrift's reverter"
			}
			steps = append(steps, step{at: later(o.At, f.EventTime), order: 2, id: id, closes: id, reason: reason})
		}
		if l := f.Live; l != nil && !l.Drift && !l.ReadAt.IsZero() {
			steps = append(steps, step{at: later(l.ReadAt, f.EventTime), order: 2, id: id, closes: id,
				reason: "already undone when the detector read the live state"})
		}
	}
	slices.SortStableFunc(steps, func(a, b step) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.order, b.order), strings.Compare(a.id, b.id))
	})
	for _, s := range steps {
		if s.at.After(end) {
			break
		}
		switch {
		case s.version != nil:
			tl.applyVersion(s.at, s.version)
		case s.finding != nil:
			tl.applyFinding(s.at, s.finding)
		default:
			tl.applyClosure(s.at, s.closes, s.reason)
		}
	}
	return tl
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b.UTC()
	}
	return a.UTC()
}

// grants reports whether f is drift that granted access: a change added or
// modified. A cluster's creation grants nothing by itself (its creator's
// access entry is a finding of its own), and eksdrift's own remediation
// never counts.
func grants(f *drift.Finding) bool {
	return f.Drift && f.Decision != drift.DecisionRemediation && f.Change != drift.OpRemoved && f.Kind != drift.KindCluster
}

// withdraws reports whether f is drift that removed declared access.
func withdraws(f *drift.Finding) bool {
	return f.Drift && f.Decision != drift.DecisionRemediation && f.Change == drift.OpRemoved
}

func (tl *Timeline) slot(k key) *slot {
	s, ok := tl.slots[k]
	if !ok {
		s = &slot{key: k, seg: -1}
		tl.slots[k] = s
	}
	return s
}

func (tl *Timeline) applyVersion(at time.Time, v *BaselineVersion) {
	declared := declaredGrants(v.Baseline)
	keys := map[key]bool{}
	for k, s := range tl.slots {
		if s.declared != nil {
			keys[k] = true
		}
	}
	for k := range declared {
		keys[k] = true
	}
	why := "baseline version " + v.ID
	for _, k := range sortedKeys(keys) {
		s := tl.slot(k)
		if g, ok := declared[k]; ok {
			s.declared, s.declaredVersion = &g, v.ID
		} else {
			s.declared, s.declaredVersion = nil, ""
		}
		if o := s.over; o != nil {
			switch {
			case o.present && s.declared != nil && satisfies(*s.declared, o.grant):
				tl.endOverride(s, at, "adopted by "+why)
			case !o.present && s.declared == nil:
				tl.endOverride(s, at, "no longer declared by "+why)
			}
		}
		tl.refresh(s, at, why)
	}
}

func (tl *Timeline) applyFinding(at time.Time, f *drift.Finding) {
	if f.Kind == drift.KindBaseline {
		// A write to the baseline grants no access by itself: the
		// timeline follows the baseline through its versions.
		return
	}
	k := key{cluster: clusterOf(f), kind: f.Kind, resource: f.Resource}
	if k.cluster.IsIAM() {
		// IAM names roles case-insensitively, and events and sweeps may
		// spell one differently (as drift.DriftKey folds them).
		k.resource = strings.ToLower(k.resource)
	}
	s := tl.slot(k)
	ev := eventOf(f)
	how := describe(ev)
	switch {
	case grants(f):
		tl.endOverride(s, at, "replaced by "+how)
		s.over = &override{present: true, grant: grantOf(f), cause: ev.FindingID, event: ev, window: len(tl.Exposures)}
		tl.Exposures = append(tl.Exposures, Window{Grant: s.over.grant, Change: f.Change, Event: *ev, Start: at})
	case withdraws(f) && s.declared != nil:
		tl.endOverride(s, at, "removed by "+how)
		g := *s.declared
		s.over = &override{present: false, grant: g, cause: ev.FindingID, event: ev, window: len(tl.Withdrawals)}
		tl.Withdrawals = append(tl.Withdrawals, Window{Grant: g, Change: f.Change, Event: *ev, Start: at})
	case f.Change == drift.OpRemoved:
		tl.endOverride(s, at, "removed by "+how)
	default:
		// A compliant change: the resource is as the baseline wants it.
		tl.endOverride(s, at, "back in line: "+how)
	}
	tl.refresh(s, at, how)
	if f.Kind == drift.KindAccessEntry && f.Change == drift.OpRemoved {
		tl.removePolicies(k.cluster, f.Resource, at, "removed with its access entry by "+how, ev, withdraws(f))
	}
}

// applyClosure undoes the drift of finding id: its resource is back as the
// baseline wants it, and so is whatever was removed with it.
func (tl *Timeline) applyClosure(at time.Time, id, reason string) {
	var entries []*slot
	for _, k := range sortedKeys(tl.slots) {
		s := tl.slots[k]
		if s.over == nil || s.over.cause != id {
			continue
		}
		if s.over.present && k.kind == drift.KindAccessEntry {
			entries = append(entries, s)
		}
		tl.endOverride(s, at, reason)
		tl.refresh(s, at, reason)
	}
	// Undoing an access entry that drift added deletes the entry, and its
	// policies with it.
	for _, s := range entries {
		if s.declared == nil {
			tl.removePolicies(s.key.cluster, s.key.resource, at, "removed with its access entry: "+reason, nil, false)
		}
	}
}

// removePolicies records that principal's access policies on cluster went
// with its access entry. When drift removed the entry (ev, withdrawn), the
// declared ones are withdrawn with it, until the same finding is undone.
func (tl *Timeline) removePolicies(cluster ClusterID, principal string, at time.Time, reason string, ev *Event, withdrawn bool) {
	for _, k := range sortedKeys(tl.slots) {
		s := tl.slots[k]
		if k.cluster != cluster || k.kind != drift.KindAccessPolicy || policyPrincipal(k.resource) != principal {
			continue
		}
		if s.over == nil && s.declared == nil {
			continue
		}
		tl.endOverride(s, at, reason)
		if s.declared != nil && withdrawn {
			s.over = &override{present: false, grant: *s.declared, cause: ev.FindingID, event: ev, window: -1}
		}
		tl.refresh(s, at, reason)
	}
}

// endOverride ends the drift on s, closing its window.
func (tl *Timeline) endOverride(s *slot, at time.Time, reason string) {
	o := s.over
	if o == nil {
		return
	}
	s.over = nil
	if o.window < 0 {
		return
	}
	ws := tl.Withdrawals
	if o.present {
		ws = tl.Exposures
	}
	end := at
	ws[o.window].End, ws[o.window].Ended = &end, reason
}

// refresh opens and closes segments so that they follow the slot's state.
func (tl *Timeline) refresh(s *slot, at time.Time, why string) {
	if !reachKinds[s.key.kind] {
		return
	}
	var next *Segment
	switch {
	case s.over != nil && s.over.present:
		next = &Segment{Grant: s.over.grant, Source: SourceDrift, From: at, IntroducedBy: s.over.event}
	case s.over == nil && s.declared != nil:
		next = &Segment{Grant: *s.declared, Source: SourceBaseline, From: at, BaselineVersion: s.declaredVersion}
	}
	if s.seg >= 0 {
		cur := &tl.Segments[s.seg]
		if next != nil && cur.Source == next.Source && sameGrant(cur.Grant, next.Grant) && sameEvent(cur.IntroducedBy, next.IntroducedBy) {
			return
		}
		end := at
		cur.To, cur.Ended = &end, why
		s.seg = -1
	}
	if next != nil {
		s.seg = len(tl.Segments)
		tl.Segments = append(tl.Segments, *next)
	}
}

func sameEvent(a, b *Event) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.FindingID == b.FindingID
}

func sortedKeys[V any](m map[key]V) []key {
	ks := make([]key, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b key) int {
		return cmp.Or(a.cluster.compare(b.cluster), cmp.Compare(a.kind, b.kind), cmp.Compare(a.resource, b.resource))
	})
	return ks
}

func clusterOf(f *drift.Finding) ClusterID {
	if f.Cluster == "" {
		return ClusterID{Account: f.Account}
	}
	return ClusterID{Account: f.Account, Region: f.Region, Name: f.Cluster}
}

func policyPrincipal(resource string) string {
	p, _, _ := strings.Cut(resource, "|")
	return p
}

// describe says what a finding's event was, for the end of a segment.
func describe(e *Event) string {
	return e.EventName + " by " + e.Who() + " at " + e.EventTime.Format(time.RFC3339)
}

// declaredGrants is what a baseline declares for the kinds that decide who
// can reach a cluster. A list the baseline does not manage declares nothing.
func declaredGrants(b *drift.Baseline) map[key]Grant {
	out := map[key]Grant{}
	if b == nil {
		return out
	}
	for _, c := range b.Clusters {
		id := ClusterID{Account: c.Account, Region: c.Region, Name: c.Name}
		add := func(g Grant) {
			g.Cluster = id
			out[key{cluster: id, kind: g.Kind, resource: g.Resource}] = g
		}
		if c.AuthenticationMode != "" {
			add(Grant{Kind: drift.KindAuthenticationMode, Resource: (&drift.AuthenticationMode{}).Key(), Mode: c.AuthenticationMode})
		}
		for _, e := range c.AccessEntries {
			add(Grant{Kind: drift.KindAccessEntry, Resource: e.PrincipalARN, Principal: e.PrincipalARN,
				EntryType: entryType(e.Type), Groups: e.KubernetesGroups, Username: e.Username})
			for _, p := range e.AccessPolicies {
				scope := p.Scope
				add(Grant{Kind: drift.KindAccessPolicy, Resource: e.PrincipalARN + "|" + p.PolicyARN, Principal: e.PrincipalARN,
					Policy: p.PolicyARN, Scope: &scope})
			}
		}
		for _, p := range c.IdentityProviderConfigs {
			add(Grant{Kind: drift.KindIdentityProvider, Resource: p.Name, Issuer: p.IssuerURL})
		}
	}
	return out
}

func entryType(t string) string {
	if t == "" {
		return drift.EntryStandard
	}
	return t
}

// grantOf is the state a drift finding says its resource is in: the live
// state the detector read, when it read one, else the event's.
func grantOf(f *drift.Finding) Grant {
	g := Grant{Cluster: clusterOf(f), Kind: f.Kind, Resource: f.Resource, Principal: f.Principal}
	state := f.After
	if f.Live != nil && f.Live.Present && len(f.Live.State) > 0 && string(f.Live.State) != "null" {
		state = f.Live.State
	}
	switch f.Kind {
	case drift.KindAccessEntry:
		var e drift.AccessEntry
		if json.Unmarshal(state, &e) == nil {
			g.EntryType, g.Groups, g.Username = entryType(e.Type), e.KubernetesGroups, e.Username
		}
	case drift.KindAccessPolicy:
		var p drift.AccessPolicy
		if json.Unmarshal(state, &p) == nil {
			g.Policy = p.PolicyARN
			if p.Scope.Type != "" {
				g.Scope = &p.Scope
			}
		}
		if g.Policy == "" {
			_, g.Policy, _ = strings.Cut(f.Resource, "|")
		}
	case drift.KindIdentityProvider:
		var p drift.IdentityProviderConfig
		if json.Unmarshal(state, &p) == nil {
			g.Issuer = p.IssuerURL
		}
	case drift.KindAuthenticationMode:
		var m drift.AuthenticationMode
		if json.Unmarshal(state, &m) == nil {
			g.Mode = m.Mode
		}
	}
	return g
}

// sameGrant reports whether two states are the same, as EKS compares them.
func sameGrant(a, b Grant) bool {
	return a.Cluster == b.Cluster && a.Kind == b.Kind && a.Resource == b.Resource &&
		entryType(a.EntryType) == entryType(b.EntryType) && drift.SameSet(a.Groups, b.Groups) &&
		a.Username == b.Username && a.Policy == b.Policy && sameScope(a.Scope, b.Scope) &&
		a.Issuer == b.Issuer && a.Mode == b.Mode
}

// satisfies reports whether actual is what declared asks for: a declared
// entry without a username lets EKS choose it.
func satisfies(declared, actual Grant) bool {
	if declared.Username == "" {
		actual.Username = ""
	}
	if declared.Issuer == "" {
		actual.Issuer = ""
	}
	return sameGrant(declared, actual)
}

func sameScope(a, b *drift.AccessScope) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// Who names an actor as a person would: an IAM Identity Center session by
// its user and permission set, another session by its user and role, else
// the ARN's resource (role/x, user/y) or the service.
func Who(actor, session string) string {
	name := actor
	if _, rest, ok := strings.Cut(actor, ":iam::"); ok {
		if _, res, ok := strings.Cut(rest, ":"); ok {
			name = res
		}
	}
	if session == "" {
		return name
	}
	role := name[strings.LastIndexByte(name, '/')+1:]
	if set, ok := strings.CutPrefix(role, "AWSReservedSSO_"); ok {
		if i := strings.LastIndexByte(set, '_'); i > 0 {
			set = set[:i]
		}
		return session + " (sso " + set + ")"
	}
	return session + " (" + role + ")"
}
