package baseline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Notes are comments Marshal writes next to what they describe, for the
// person who reviews a generated baseline.
type Notes struct {
	// Header is written at the top of the file, one comment line each.
	Header []string
	// Entries are written above an access entry, by EntryNote's key.
	Entries map[string]string
	// Roles are written above a role, by its ARN.
	Roles map[string]string
	// Users are written above a user, by its ARN.
	Users map[string]string
}

// EntryNote is the key of Notes.Entries for a principal's entry on a cluster.
func EntryNote(account, region, cluster, principal string) string {
	return account + "/" + region + "/" + cluster + " " + principal
}

// Marshal writes a baseline as YAML, in the field order of docs/baseline.md,
// with notes as comments. Parse reads the result back to the same baseline.
// Policy documents are written as they were given (drift.PolicyDocument's
// Original), with their keys in the order IAM's examples use.
func Marshal(b *drift.Baseline, notes Notes) ([]byte, error) {
	root := mapping()
	add(root, "version", &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(max(b.Version, 1))})
	if b.Mode != "" {
		add(root, "mode", scalar(string(b.Mode)))
	}
	if len(b.BreakGlass) > 0 {
		seq := sequence()
		for _, g := range b.BreakGlass {
			m := mapping()
			add(m, "principal", scalar(g.Principal))
			if !g.Expires.IsZero() {
				add(m, "expires", quoted(g.Expires.UTC().Format(time.RFC3339)))
			}
			if g.Reason != "" {
				add(m, "reason", scalar(g.Reason))
			}
			if g.LongExpiry != "" {
				o := mapping()
				add(o, "reason", scalar(g.LongExpiry))
				add(m, "allowLongExpiry", o)
			}
			seq.Content = append(seq.Content, m)
		}
		add(root, "breakGlass", seq)
	}
	if len(b.Clusters) > 0 {
		seq := sequence()
		for _, c := range b.Clusters {
			n, err := clusterNode(c, notes)
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, n)
		}
		add(root, "clusters", seq)
	}
	if len(b.IAMRoles) > 0 {
		seq := sequence()
		for _, r := range b.IAMRoles {
			n, err := roleNode(r)
			if err != nil {
				return nil, err
			}
			n.HeadComment = notes.Roles[r.ARN]
			seq.Content = append(seq.Content, n)
		}
		add(root, "iamRoles", seq)
	}
	if b.OIDCProviders != nil {
		add(root, "oidcProviders", strings_(b.OIDCProviders, false))
	}
	if b.IAMUsers != nil {
		seq := sequence()
		if len(b.IAMUsers) == 0 {
			seq.Style = yaml.FlowStyle
		}
		for _, u := range b.IAMUsers {
			n, err := userNode(u)
			if err != nil {
				return nil, err
			}
			n.HeadComment = notes.Users[u.ARN]
			seq.Content = append(seq.Content, n)
		}
		add(root, "iamUsers", seq)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: strings.Join(notes.Header, "\n"), Content: []*yaml.Node{root}}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("baseline: cannot write YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("baseline: cannot write YAML: %w", err)
	}
	return buf.Bytes(), nil
}

func clusterNode(c drift.ClusterBaseline, notes Notes) (*yaml.Node, error) {
	m := mapping()
	add(m, "name", scalar(c.Name))
	add(m, "account", quoted(c.Account))
	add(m, "region", scalar(c.Region))
	if c.Mode != "" {
		add(m, "mode", scalar(string(c.Mode)))
	}
	if c.AuthenticationMode != "" {
		add(m, "authenticationMode", scalar(c.AuthenticationMode))
	}
	if c.RevertNodeEntries {
		add(m, "revertNodeEntries", scalar("true"))
	}
	if c.AccessEntries != nil {
		seq := sequence()
		if len(c.AccessEntries) == 0 {
			seq.Style = yaml.FlowStyle
		}
		for _, e := range c.AccessEntries {
			en := mapping()
			en.HeadComment = notes.Entries[EntryNote(c.Account, c.Region, c.Name, e.PrincipalARN)]
			add(en, "principalArn", scalar(e.PrincipalARN))
			if e.Type != "" && e.Type != drift.EntryStandard {
				add(en, "type", scalar(e.Type))
			}
			if len(e.KubernetesGroups) > 0 {
				add(en, "kubernetesGroups", strings_(e.KubernetesGroups, true))
			}
			if e.Username != "" {
				add(en, "username", scalar(e.Username))
			}
			if len(e.AccessPolicies) > 0 {
				ps := sequence()
				for _, p := range e.AccessPolicies {
					pm := mapping()
					add(pm, "policyArn", scalar(p.PolicyARN))
					scope := mapping()
					scope.Style = yaml.FlowStyle
					add(scope, "type", scalar(p.Scope.Type))
					if len(p.Scope.Namespaces) > 0 {
						add(scope, "namespaces", strings_(p.Scope.Namespaces, true))
					}
					add(pm, "accessScope", scope)
					ps.Content = append(ps.Content, pm)
				}
				add(en, "accessPolicies", ps)
			}
			seq.Content = append(seq.Content, en)
		}
		add(m, "accessEntries", seq)
	}
	if c.PodIdentityAssociations != nil {
		seq := sequence()
		if len(c.PodIdentityAssociations) == 0 {
			seq.Style = yaml.FlowStyle
		}
		for _, p := range c.PodIdentityAssociations {
			pm, err := podNode(p)
			if err != nil {
				return nil, fmt.Errorf("baseline: session policy of %s on cluster %s: %w", p.Key(), c.Name, err)
			}
			seq.Content = append(seq.Content, pm)
		}
		add(m, "podIdentityAssociations", seq)
	}
	if c.IdentityProviderConfigs != nil {
		seq := sequence()
		if len(c.IdentityProviderConfigs) == 0 {
			seq.Style = yaml.FlowStyle
		}
		for _, p := range c.IdentityProviderConfigs {
			pm := mapping()
			add(pm, "name", scalar(p.Name))
			if p.IssuerURL != "" {
				add(pm, "issuerUrl", scalar(p.IssuerURL))
			}
			if p.ClientID != "" {
				add(pm, "clientId", scalar(p.ClientID))
			}
			seq.Content = append(seq.Content, pm)
		}
		add(m, "identityProviderConfigs", seq)
	}
	if c.AwsAuth != nil {
		add(m, "awsAuth", awsAuthNode(c.AwsAuth))
	}
	if len(c.Approvers) > 0 {
		add(m, "approvers", strings_(c.Approvers, true))
	}
	return m, nil
}

// podNode writes an association on one line, unless it has a session policy.
func podNode(p drift.PodIdentityAssociation) (*yaml.Node, error) {
	pm := mapping()
	add(pm, "namespace", scalar(p.Namespace))
	add(pm, "serviceAccount", scalar(p.ServiceAccount))
	add(pm, "roleArn", scalar(p.RoleARN))
	if p.TargetRoleARN != "" {
		add(pm, "targetRoleArn", scalar(p.TargetRoleARN))
	}
	if p.SessionTagsDisabled() {
		add(pm, "disableSessionTags", &yaml.Node{Kind: yaml.ScalarNode, Value: "true"})
	}
	if p.Policy == nil {
		pm.Style = yaml.FlowStyle
		return pm, nil
	}
	n, err := policyNode(p.Policy)
	if err != nil {
		return nil, err
	}
	add(pm, "policy", n)
	return pm, nil

}

// awsAuthNode writes the declared aws-auth ConfigMap in its own shape.
func awsAuthNode(a *drift.AwsAuthBaseline) *yaml.Node {
	m := mapping()
	entry := func(key, arn, username string, groups []string) *yaml.Node {
		e := mapping()
		e.Style = yaml.FlowStyle
		add(e, key, scalar(arn))
		if username != "" {
			add(e, "username", scalar(username))
		}
		if len(groups) > 0 {
			add(e, "groups", strings_(groups, true))
		}
		return e
	}
	if a.MapRoles != nil {
		seq := sequence()
		for _, r := range a.MapRoles {
			seq.Content = append(seq.Content, entry("rolearn", r.RoleARN, r.Username, r.Groups))
		}
		add(m, "mapRoles", seq)
	}
	if a.MapUsers != nil {
		seq := sequence()
		for _, u := range a.MapUsers {
			seq.Content = append(seq.Content, entry("userarn", u.UserARN, u.Username, u.Groups))
		}
		add(m, "mapUsers", seq)
	}
	if a.MapAccounts != nil {
		add(m, "mapAccounts", strings_(a.MapAccounts, true))
	}
	return m
}

func roleNode(r drift.RoleBaseline) (*yaml.Node, error) {
	m := mapping()
	add(m, "arn", scalar(r.ARN))
	if r.Mode != "" {
		add(m, "mode", scalar(string(r.Mode)))
	}
	if r.TrustPolicy != nil {
		n, err := policyNode(r.TrustPolicy)
		if err != nil {
			return nil, fmt.Errorf("baseline: trust policy of %s: %w", r.ARN, err)
		}
		add(m, "trustPolicy", n)
	}
	if r.ManagedPolicies != nil {
		add(m, "managedPolicies", strings_(r.ManagedPolicies, false))
	}
	if r.InlinePolicies != nil {
		im := mapping()
		if len(r.InlinePolicies) == 0 {
			im.Style = yaml.FlowStyle
		}
		names := make([]string, 0, len(r.InlinePolicies))
		for k := range r.InlinePolicies {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, name := range names {
			n, err := policyNode(r.InlinePolicies[name])
			if err != nil {
				return nil, fmt.Errorf("baseline: inline policy %s of %s: %w", name, r.ARN, err)
			}
			add(im, name, n)
		}
		add(m, "inlinePolicies", im)
	}
	if r.PermissionsBoundary != nil {
		add(m, "permissionsBoundary", scalar(*r.PermissionsBoundary))
	}
	return m, nil
}

// userNode writes a user as a role is written (the fields they share),
// then its groups and credentials.
func userNode(u drift.UserBaseline) (*yaml.Node, error) {
	m, err := roleNode(drift.RoleBaseline{ARN: u.ARN, Mode: u.Mode, ManagedPolicies: u.ManagedPolicies,
		InlinePolicies: u.InlinePolicies, PermissionsBoundary: u.PermissionsBoundary})
	if err != nil {
		return nil, err
	}
	if u.Groups != nil {
		add(m, "groups", strings_(u.Groups, true))
	}
	if len(u.AccessKeys) > 0 {
		add(m, "accessKeys", strings_(u.AccessKeys, true))
	}
	if len(u.ServiceCredentials) > 0 {
		add(m, "serviceSpecificCredentials", strings_(u.ServiceCredentials, true))
	}
	if u.ConsoleAccess {
		add(m, "consoleAccess", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	return m, nil
}

// policyKeyOrder is the order keys are written in, as IAM's examples have
// them; other keys follow, sorted.
var policyKeyOrder = []string{"Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

// policyNode writes a policy document from its original form. The value
// goes through JSON first, so that whatever the document was read from
// (JSON numbers, YAML maps), it is written the same way.
func policyNode(d *drift.PolicyDocument) (*yaml.Node, error) {
	raw, err := json.Marshal(d.Original())
	if err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return valueNode(v), nil
}

func valueNode(v any) *yaml.Node {
	switch t := v.(type) {
	case map[string]any:
		m := mapping()
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			ia, ib := slices.Index(policyKeyOrder, a), slices.Index(policyKeyOrder, b)
			switch {
			case ia >= 0 && ib >= 0:
				return ia - ib
			case ia >= 0:
				return -1
			case ib >= 0:
				return 1
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			add(m, k, valueNode(t[k]))
		}
		return m
	case []any:
		s := sequence()
		for _, x := range t {
			s.Content = append(s.Content, valueNode(x))
		}
		return s
	case string:
		return quotedIfNeeded(t)
	case json.Number:
		// A plain number reads back as the same JSON number.
		return &yaml.Node{Kind: yaml.ScalarNode, Value: t.String()}
	case bool:
		return scalar(strconv.FormatBool(t))
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: "null"}
	}
	return quoted(fmt.Sprint(v))
}

func mapping() *yaml.Node  { return &yaml.Node{Kind: yaml.MappingNode} }
func sequence() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

// scalar is a plain scalar for values that read back as the same string
// (names, ARNs, enum values); quotedIfNeeded is for anything else.
func scalar(s string) *yaml.Node { return quotedIfNeeded(s) }

func quoted(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Style: yaml.DoubleQuotedStyle}
}

// quotedIfNeeded leaves a string plain when YAML reads it back as the same
// string in any context, and double-quotes it otherwise ("true", "123", "",
// "a: b", "*", "x, y").
func quotedIfNeeded(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	var back any
	if s == "" || strings.ContainsAny(s, ",[]{}#\"'\n\t") || strings.Contains(s, ": ") || strings.HasSuffix(s, ":") ||
		strings.ContainsAny(s[:1], "&*!|>%@`-?: ") || strings.HasSuffix(s, " ") ||
		yaml.Unmarshal([]byte(s), &back) != nil || back != s {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func strings_(items []string, flow bool) *yaml.Node {
	s := sequence()
	if flow || len(items) == 0 {
		s.Style = yaml.FlowStyle
	}
	for _, it := range items {
		s.Content = append(s.Content, quotedIfNeeded(it))
	}
	return s
}
