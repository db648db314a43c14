package slack

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// change is a finding's change as a person reads it: what the baseline
// declares beside what is there now (or what was removed), what differs
// between them, and the policy document the change set, if any.
type change struct {
	baseline string // mrkdwn; "" when the baseline declares nothing
	// unjudged is true for kinds whose findings never carry the
	// baseline's side (clusters, roles): the reason says it.
	unjudged bool
	now      string   // mrkdwn: the resource after the change, or what was removed
	nowTitle string   // "After" or "Removed"
	diff     []string // mrkdwn lines, each starting with :heavy_plus_sign: or :heavy_minus_sign:
	doc      string   // a policy document, pretty-printed, not escaped
	docTitle string
}

// decode reads raw into a T, and reports false for null, absent or
// unreadable JSON: a renderer shows what it can, it never fails.
func decode[T any](raw json.RawMessage) (*T, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, false
	}
	return v, true
}

// describe builds the change of f, kind by kind, from its expected, before
// and after fields.
func describe(f drift.Finding) change {
	c := change{nowTitle: "After"}
	state := f.After
	if f.Change == drift.OpRemoved {
		c.nowTitle, state = "Removed", f.Before
	}
	if d, ok := describers[f.Kind]; ok {
		d(&c, f, state)
	}
	if c.now == "" {
		c.now = "_not known_"
	}
	return c
}

// describers describe each kind's change; a kind without one shows what
// it can (the finding's own text).
var describers = map[drift.Kind]func(c *change, f drift.Finding, state json.RawMessage){
	drift.KindCluster:             describeCluster,
	drift.KindAccessEntry:         describeAccessEntry,
	drift.KindAccessPolicy:        describeAccessPolicy,
	drift.KindAuthenticationMode:  describeAuthenticationMode,
	drift.KindPodIdentity:         describePodIdentity,
	drift.KindIdentityProvider:    describeIdentityProvider,
	drift.KindRole:                describeRole,
	drift.KindTrustPolicy:         describeTrustPolicy,
	drift.KindManagedPolicy:       describeManagedPolicy,
	drift.KindInlinePolicy:        describeInlinePolicy,
	drift.KindPermissionsBoundary: describePermissionsBoundary,
	drift.KindOIDCProvider:        describeOIDCProvider,
	drift.KindUser:                describeUser,
	drift.KindPermissionSet:       describePermissionSet,
	drift.KindAwsAuth:             func(c *change, f drift.Finding, state json.RawMessage) { *c = describeAwsAuth(*c, f, state) },
	drift.KindBaseline:            describeBaseline,
	drift.KindTamper:              describeTamper,
}

// describeCluster describes a finding of kind Cluster.
func describeCluster(c *change, f drift.Finding, state json.RawMessage) {
	c.unjudged = true
	if r, ok := decode[drift.Cluster](state); ok {
		c.now = "cluster " + code(r.Name)
	}
}

// describeAccessEntry describes a finding of kind AccessEntry.
func describeAccessEntry(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.AccessEntry](state)
	d, declared := decode[drift.AccessEntryBaseline](f.Expected)
	switch {
	case ok && f.Change == drift.OpRemoved:
		// DeleteAccessEntry names the principal only: the baseline
		// column says what the entry held.
		c.now = "the whole entry of " + code(notice.ShortARN(r.PrincipalARN))
	case ok:
		c.now = entryLines(r.Type, r.KubernetesGroups, r.Username, nil)
	}
	if declared {
		c.baseline = entryLines(d.Type, d.KubernetesGroups, d.Username, d.AccessPolicies)
	}
	if ok && declared && f.Change != drift.OpRemoved {
		if r.KubernetesGroups != nil {
			c.diff = append(c.diff, setDiff("group", r.KubernetesGroups, d.KubernetesGroups)...)
		}
		want := d.Type
		if want == "" {
			want = drift.EntryStandard
		}
		if r.Type != "" && r.Type != want {
			c.diff = append(c.diff, minus+"type "+code(want), plus+"type "+code(r.Type))
		}
		if d.Username != "" && r.Username != "" && r.Username != d.Username {
			c.diff = append(c.diff, minus+"username "+code(d.Username), plus+"username "+code(r.Username))
		}
	}
}

// describeAccessPolicy describes a finding of kind AccessPolicy.
func describeAccessPolicy(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.AccessPolicy](state)
	d, declared := decode[drift.AccessPolicyBaseline](f.Expected)
	if ok {
		c.now = code(notice.ShortARN(r.PolicyARN)) + "\nscope: " + scope(r.Scope)
	}
	if declared {
		c.baseline = code(notice.ShortARN(d.PolicyARN)) + "\nscope: " + scope(d.Scope)
	}
	if ok && declared && f.Change != drift.OpRemoved && !r.Scope.Equal(d.Scope) {
		if strings.EqualFold(r.Scope.Type, d.Scope.Type) {
			c.diff = setDiff("namespace", r.Scope.Namespaces, d.Scope.Namespaces)
		} else {
			c.diff = []string{minus + "scope " + scope(d.Scope), plus + "scope " + scope(r.Scope)}
		}
	}
}

// describeAuthenticationMode describes a finding of kind AuthenticationMode.
func describeAuthenticationMode(c *change, f drift.Finding, state json.RawMessage) {
	if r, ok := decode[drift.AuthenticationMode](state); ok {
		c.now = code(r.Mode)
	}
	if d, ok := decode[drift.AuthenticationMode](f.Expected); ok {
		c.baseline = code(d.Mode)
	}
}

// describePodIdentity describes a finding of kind PodIdentity.
func describePodIdentity(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.PodIdentityAssociation](state)
	d, declared := decode[drift.PodIdentityAssociation](f.Expected)
	if ok {
		c.now = podLines(r)
	}
	if declared {
		c.baseline = podLines(d)
	}
	if ok && declared && f.Change != drift.OpRemoved {
		c.diff = podDiff(r, d)
	}
	if ok && r.Policy != nil {
		c.doc, c.docTitle = pretty(r.Policy), "Session policy"
	}
}

// describeIdentityProvider describes a finding of kind IdentityProvider.
func describeIdentityProvider(c *change, f drift.Finding, state json.RawMessage) {
	if r, ok := decode[drift.IdentityProviderConfig](state); ok {
		c.now = idpLines(r)
	}
	if d, ok := decode[drift.IdentityProviderConfig](f.Expected); ok {
		c.baseline = idpLines(d)
	}
}

// describeRole describes a finding of kind Role.
func describeRole(c *change, f drift.Finding, state json.RawMessage) {
	c.unjudged = true
	if r, ok := decode[drift.Role](state); ok {
		c.now = "role " + code(r.ARN)
		if r.TrustPolicy != nil {
			c.now += "\ntrusts " + codes(r.TrustPolicy.TrustedPrincipals())
			c.doc, c.docTitle = pretty(r.TrustPolicy), "Trust policy"
		}
	}
}

// describeTrustPolicy describes a finding of kind TrustPolicy.
func describeTrustPolicy(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.TrustPolicy](state)
	d, declared := decode[drift.PolicyDocument](f.Expected)
	if ok && r.Document != nil {
		c.now = "trusts " + codes(r.Document.TrustedPrincipals())
		c.doc, c.docTitle = pretty(r.Document), "Trust policy"
	}
	if declared {
		c.baseline = "trusts " + codes(d.TrustedPrincipals())
	}
	if ok && declared && r.Document != nil {
		c.diff = setDiff("trusts", r.Document.TrustedPrincipals(), d.TrustedPrincipals())
	}
}

// describeManagedPolicy describes a finding of kind ManagedPolicy.
func describeManagedPolicy(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.ManagedPolicy](state)
	d, declared := decode[[]string](f.Expected)
	if ok {
		c.now = code(notice.ShortARN(r.PolicyARN)) + "\n" + code(r.PolicyARN)
	}
	if declared {
		c.baseline = "attached: " + codes(shortNames(*d))
	}
	if ok && declared {
		switch in := slices.Contains(*d, r.PolicyARN); {
		case f.Change == drift.OpRemoved && in:
			c.diff = []string{minus + "detached " + code(r.PolicyARN) + ", which the baseline attaches"}
		case f.Change != drift.OpRemoved && !in:
			c.diff = []string{plus + "attached " + code(r.PolicyARN) + ", which the baseline does not declare"}
		}
	}
}

// describeInlinePolicy describes a finding of kind InlinePolicy.
func describeInlinePolicy(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.InlinePolicy](state)
	d, declared := decode[drift.PolicyDocument](f.Expected)
	if ok {
		c.now = "inline policy " + code(r.PolicyName)
		if r.Document != nil {
			if r.Document.GrantsAdmin() {
				c.now += "\n*allows every action on every resource*"
			}
			c.doc, c.docTitle = pretty(r.Document), "Policy document"
		}
	}
	if declared {
		c.baseline = "a declared document (" + strconv.Itoa(len(d.Statements())) + " statements)"
	}
}

// describePermissionsBoundary describes a finding of kind PermissionsBoundary.
func describePermissionsBoundary(c *change, f drift.Finding, state json.RawMessage) {
	if r, ok := decode[drift.PermissionsBoundary](state); ok {
		c.now = "boundary " + code(r.PolicyARN)
	}
	if d, ok := decode[drift.PermissionsBoundary](f.Expected); ok {
		c.baseline = "boundary " + code(d.PolicyARN)
	}
}

// describeOIDCProvider describes a finding of kind OIDCProvider.
func describeOIDCProvider(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.OIDCProvider](state)
	d, declared := decode[[]string](f.Expected)
	if ok {
		c.now = "provider " + code(notice.ShortARN(r.ARN))
		if r.URL != "" {
			c.now += "\nissuer " + code(r.URL)
		}
	}
	if declared {
		c.baseline = "providers: " + codes(shortNames(*d))
	}
}

// describePermissionSet describes a finding of kind PermissionSet.
func describePermissionSet(c *change, f drift.Finding, state json.RawMessage) {
	// Identity Center holds the set: the baseline has no side of it.
	c.unjudged = true
	if r, ok := decode[drift.PermissionSet](state); ok {
		c.now = "permission set " + code(notice.ShortARN(r.PermissionSetARN)) + "\n" + code(r.PermissionSetARN)
		if r.Account != "" {
			c.now += "\naccount " + code(r.Account)
		}
		if r.What != "" {
			c.now += "\n" + code(r.What)
		}
	}
}

// describeBaseline describes a finding of kind Baseline.
func describeBaseline(c *change, f drift.Finding, state json.RawMessage) {
	// The baseline's side is the previous version; the difference is
	// what the new one grants that it did not.
	w, _ := notice.OfBaselineWrite(f)
	if w.Previous != "" {
		c.baseline = "version " + code(w.Previous)
	}
	switch {
	case f.Change == drift.OpRemoved:
		c.now = "*deleted*"
		if w.Version != "" {
			c.now += " (delete marker " + code(w.Version) + ")"
		}
	case w.Version != "":
		c.now = "version " + code(w.Version)
	}
	if w.Unread != "" && f.Change != drift.OpRemoved {
		c.now += "\n_" + esc(w.Unread) + "_"
	}
	for _, d := range w.Changes {
		mark := plus
		if !d.Grants {
			mark = minus
		}
		c.diff = append(c.diff, mark+esc(d.Text))
	}
}

// describeTamper describes a finding of kind Tamper.
func describeTamper(c *change, f drift.Finding, state json.RawMessage) {
	// No baseline side: eksdrift's own resources are not declared,
	// they are the deployment.
	c.unjudged = true
	if t, ok := notice.OfTamper(f); ok {
		c.now = esc(t.Sentence(f.EventName))
	}
}

const (
	plus  = ":heavy_plus_sign: "
	minus = ":heavy_minus_sign: "
)

// setDiff gives a line for each value got has that want lacks, and for
// each value want has that got lacks.
func setDiff(what string, got, want []string) []string {
	var out []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			out = append(out, plus+what+" "+code(g))
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, minus+what+" "+code(w))
		}
	}
	return out
}

func entryLines(typ string, groups []string, username string, policies []drift.AccessPolicyBaseline) string {
	if typ == "" {
		typ = drift.EntryStandard
	}
	lines := []string{"type " + code(typ), "groups " + codes(groups)}
	if username != "" {
		lines = append(lines, "username "+code(username))
	}
	for _, p := range policies {
		lines = append(lines, "policy "+code(notice.ShortARN(p.PolicyARN))+", "+scope(p.Scope))
	}
	return strings.Join(lines, "\n")
}

func scope(s drift.AccessScope) string {
	if strings.EqualFold(s.Type, drift.ScopeNamespace) {
		return "namespaces " + codes(s.Namespaces)
	}
	if strings.EqualFold(s.Type, drift.ScopeCluster) {
		return "*whole cluster*"
	}
	if s.Type == "" {
		return "_not known_"
	}
	return code(s.Type)
}

func podLines(p *drift.PodIdentityAssociation) string {
	s := "service account " + code(p.Namespace+"/"+p.ServiceAccount)
	if p.RoleARN != "" {
		s += "\nrole " + code(p.RoleARN)
	}
	if p.TargetRoleARN != "" {
		s += "\ntarget role " + code(p.TargetRoleARN)
	}
	if p.Policy != nil {
		n := len(p.Policy.Statements())
		s += "\nsession policy (" + strconv.Itoa(n) + " statement"
		if n != 1 {
			s += "s"
		}
		s += ")"
	}
	if p.SessionTagsDisabled() {
		s += "\nsession tags off"
	}
	return s
}

// podDiff lists what a change did to a declared association's roles,
// session policy and session tags; fields the change does not know are
// left out.
func podDiff(r, d *drift.PodIdentityAssociation) []string {
	var diff []string
	if r.RoleARN != "" && r.RoleARN != d.RoleARN {
		diff = append(diff, minus+"role "+code(d.RoleARN), plus+"role "+code(r.RoleARN))
	}
	if r.Knows(drift.PodTargetRole) && r.TargetRoleARN != d.TargetRoleARN {
		if d.TargetRoleARN != "" {
			diff = append(diff, minus+"target role "+code(d.TargetRoleARN))
		}
		if r.TargetRoleARN != "" {
			diff = append(diff, plus+"target role "+code(r.TargetRoleARN))
		}
	}
	if r.Knows(drift.PodPolicy) && !r.Policy.Equal(d.Policy) {
		switch {
		case r.Policy == nil:
			diff = append(diff, minus+"session policy")
		case d.Policy == nil:
			diff = append(diff, plus+"session policy")
		default:
			diff = append(diff, minus+"the baseline's session policy", plus+"another session policy")
		}
	}
	if r.Knows(drift.PodSessionTags) && r.SessionTagsDisabled() != d.SessionTagsDisabled() {
		if r.SessionTagsDisabled() {
			diff = append(diff, plus+"session tags off")
		} else {
			diff = append(diff, minus+"session tags off")
		}
	}
	return diff
}

func idpLines(i *drift.IdentityProviderConfig) string {
	s := "config " + code(i.Name)
	if i.IssuerURL != "" {
		s += "\nissuer " + code(i.IssuerURL)
	}
	if i.ClientID != "" {
		s += "\nclient " + code(i.ClientID)
	}
	return s
}

func shortNames(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = notice.ShortARN(s)
	}
	return out
}

// pretty indents a policy document for a code block.
func pretty(p *drift.PolicyDocument) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(p.String()), "", "  "); err != nil {
		return p.String()
	}
	return b.String()
}

// describeUser shows one credential or permission of an IAM user, and the
// baseline's side where the finding carries one (a list of what is
// declared, consoleAccess, or the declared boundary).
func describeUser(c *change, f drift.Finding, state json.RawMessage) {
	r, ok := decode[drift.User](state)
	if ok {
		c.now = esc(r.Aspect)
		if r.Name != "" {
			c.now += " " + code(r.Name)
		}
		if r.Status != "" {
			c.now += " (" + esc(r.Status) + ")"
		}
		c.now += "\nuser " + code(notice.ShortARN(r.UserARN))
		if r.Document != nil {
			c.doc, c.docTitle = pretty(r.Document), "Policy document"
		}
	}
	if d, ok := decode[[]string](f.Expected); ok {
		c.baseline = "declared: none"
		if len(*d) > 0 {
			c.baseline = "declared: " + codes(*d)
		}
	}
	if d, ok := decode[bool](f.Expected); ok {
		c.baseline = "consoleAccess: " + strconv.FormatBool(*d)
	}
	if d, ok := decode[drift.User](f.Expected); ok {
		c.baseline = "boundary none"
		if d.Name != "" {
			c.baseline = "boundary " + code(d.Name)
		}
	}
}
