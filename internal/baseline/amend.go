package baseline

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Amend is the edit behind "Accept into baseline": it returns the baseline
// document data changed so that it declares the state one change left its
// resource in (a resource added or modified is declared as it now is; one
// removed is no longer declared). It edits the YAML as a node tree, so that
// comments and everything else in the file survive; only the one resource's
// node changes. What comes out is not validated here: the caller parses it
// with Index, as any baseline, before it is written.
//
// Some kinds are never accepted (NotAcceptableError says why, per kind), and
// a document that uses YAML aliases is refused: an edit through an alias
// would change every place that shares it.
func Amend(data []byte, c drift.Change) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("baseline amend: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, refuse(c, "the baseline is not a YAML mapping")
	}
	if hasAlias(&doc) {
		return nil, refuse(c, "the baseline uses YAML aliases (*name): an edit through one would change every place that shares it; accept this by hand")
	}
	root := doc.Content[0]
	if err := amendNode(root, c); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("baseline amend: cannot write YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("baseline amend: cannot write YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// NotAcceptableError is a change that Amend does not declare, and why.
type NotAcceptableError struct {
	Kind drift.Kind
	Key  string
	Why  string
}

func (e *NotAcceptableError) Error() string {
	return fmt.Sprintf("baseline amend: %s %s cannot be accepted: %s", e.Kind, e.Key, e.Why)
}

func refuse(c drift.Change, format string, a ...any) error {
	return &NotAcceptableError{Kind: c.Kind(), Key: c.Resource.Key(), Why: fmt.Sprintf(format, a...)}
}

// IsNotAcceptable reports whether err is a refusal by Amend.
func IsNotAcceptable(err error) bool {
	var e *NotAcceptableError
	return errors.As(err, &e)
}

// NeverAccepted says, for the kinds Amend never declares, why not. Every
// other kind of drift.Kinds is declared by Amend (kinds_test checks both).
var NeverAccepted = map[drift.Kind]string{
	drift.KindCluster:       "a new cluster is declared by hand: its access entries and mode are chosen, not copied from what was created",
	drift.KindRole:          "a role created or deleted is declared by hand: accepting it would start or stop eksdrift judging the role",
	drift.KindPermissionSet: "the baseline declares the roles IAM Identity Center provisions, not its permission sets",
	drift.KindBaseline:      "a baseline write is accepted by being the baseline: there is nothing to declare",
	drift.KindTamper:        "a call against eksdrift's own deployment is never accepted into the baseline",
}

func amendNode(root *yaml.Node, c drift.Change) error {
	if why, ok := NeverAccepted[c.Kind()]; ok {
		return refuse(c, "%s", why)
	}
	switch r := c.Resource.(type) {
	case *drift.AccessEntry, *drift.AccessPolicy, *drift.AuthenticationMode, *drift.PodIdentityAssociation,
		*drift.IdentityProviderConfig, *drift.AwsAuth:
		cl := findCluster(root, c.Event.Account, c.Event.Region, c.Cluster)
		if cl == nil {
			return refuse(c, "the baseline declares no cluster %s in %s/%s", c.Cluster, c.Event.Account, c.Event.Region)
		}
		return amendCluster(cl, c)
	case *drift.TrustPolicy:
		return amendRole(root, c, r.RoleARN, func(m *yaml.Node) error {
			if c.Op == drift.OpRemoved || r.Document == nil {
				return refuse(c, "a role always has a trust policy: there is no state to declare")
			}
			n, err := policyNode(r.Document)
			if err != nil {
				return err
			}
			setKey(m, "trustPolicy", n)
			return nil
		})
	case *drift.ManagedPolicy:
		return amendRole(root, c, r.RoleARN, func(m *yaml.Node) error { return amendList(m, c, "managedPolicies", r.PolicyARN) })
	case *drift.InlinePolicy:
		return amendRole(root, c, r.RoleARN, func(m *yaml.Node) error { return amendInline(m, c, r.PolicyName, r.Document) })
	case *drift.PermissionsBoundary:
		return amendRole(root, c, r.RoleARN, func(m *yaml.Node) error {
			arn := r.PolicyARN
			if c.Op == drift.OpRemoved {
				arn = ""
			}
			setKey(m, "permissionsBoundary", quotedIfNeeded(arn))
			return nil
		})
	case *drift.OIDCProvider:
		if getKey(root, "oidcProviders") == nil {
			return refuse(c, "the baseline does not manage OIDC providers")
		}
		return amendList(root, c, "oidcProviders", r.ARN)
	case *drift.User:
		return amendUser(root, c, r)
	}
	return refuse(c, "eksdrift does not know how to declare this kind")
}

func amendCluster(cl *yaml.Node, c drift.Change) error {
	switch r := c.Resource.(type) {
	case *drift.AccessEntry:
		return amendEntry(cl, c, r)
	case *drift.AccessPolicy:
		return amendPolicy(cl, c, r)
	case *drift.AuthenticationMode:
		if c.Op == drift.OpRemoved || r.Mode == "" {
			return refuse(c, "a cluster always has an authentication mode: there is no state to declare")
		}
		setKey(cl, "authenticationMode", scalar(r.Mode))
		return nil
	case *drift.PodIdentityAssociation:
		return amendPod(cl, c, r)
	case *drift.IdentityProviderConfig:
		return amendIDP(cl, c, r)
	case *drift.AwsAuth:
		return amendAwsAuth(cl, c, r)
	}
	return refuse(c, "eksdrift does not know how to declare this kind")
}

func amendEntry(cl *yaml.Node, c drift.Change, r *drift.AccessEntry) error {
	entries := getKey(cl, "accessEntries")
	if entries == nil || entries.Kind != yaml.SequenceNode {
		return refuse(c, "cluster %s does not manage access entries", c.Cluster)
	}
	i := findItem(entries, func(m *yaml.Node) bool { return scalarOf(m, "principalArn") == r.PrincipalARN })
	if c.Op == drift.OpRemoved {
		if i < 0 {
			return refuse(c, "the baseline does not declare it: nothing to remove")
		}
		entries.Content = append(entries.Content[:i], entries.Content[i+1:]...)
		return nil
	}
	var en *yaml.Node
	if i >= 0 {
		en = entries.Content[i]
	} else {
		en = mapping()
		add(en, "principalArn", scalar(r.PrincipalARN))
		entries.Content = append(entries.Content, en)
	}
	if r.Type != "" {
		if r.Type == drift.EntryStandard {
			delKey(en, "type")
		} else {
			setKey(en, "type", scalar(r.Type))
		}
	}
	setOrDel(en, "kubernetesGroups", len(r.KubernetesGroups) > 0, func() *yaml.Node { return strings_(r.KubernetesGroups, true) })
	setOrDel(en, "username", r.Username != "", func() *yaml.Node { return scalar(r.Username) })
	return nil
}

func amendPolicy(cl *yaml.Node, c drift.Change, r *drift.AccessPolicy) error {
	entries := getKey(cl, "accessEntries")
	i := -1
	if entries != nil && entries.Kind == yaml.SequenceNode {
		i = findItem(entries, func(m *yaml.Node) bool { return scalarOf(m, "principalArn") == r.PrincipalARN })
	}
	if i < 0 {
		return refuse(c, "the baseline declares no access entry for %s on cluster %s: accept the entry first", r.PrincipalARN, c.Cluster)
	}
	en := entries.Content[i]
	ps := getKey(en, "accessPolicies")
	if ps == nil || ps.Kind != yaml.SequenceNode {
		ps = sequence()
		setKey(en, "accessPolicies", ps)
	}
	j := findItem(ps, func(m *yaml.Node) bool { return scalarOf(m, "policyArn") == r.PolicyARN })
	if c.Op == drift.OpRemoved {
		if j < 0 {
			return refuse(c, "the baseline does not declare it: nothing to remove")
		}
		ps.Content = append(ps.Content[:j], ps.Content[j+1:]...)
		if len(ps.Content) == 0 {
			delKey(en, "accessPolicies")
		}
		return nil
	}
	pm := mapping()
	add(pm, "policyArn", scalar(r.PolicyARN))
	scope := mapping()
	scope.Style = yaml.FlowStyle
	add(scope, "type", scalar(r.Scope.Type))
	if len(r.Scope.Namespaces) > 0 {
		add(scope, "namespaces", strings_(r.Scope.Namespaces, true))
	}
	add(pm, "accessScope", scope)
	replaceOrAppend(ps, j, pm)
	return nil
}

func amendPod(cl *yaml.Node, c drift.Change, r *drift.PodIdentityAssociation) error {
	if len(r.Unknown) > 0 {
		return refuse(c, "the event did not say its %s: accept it after the sweep has read it", strings.Join(r.Unknown, ", "))
	}
	pods := getKey(cl, "podIdentityAssociations")
	if pods == nil || pods.Kind != yaml.SequenceNode {
		return refuse(c, "cluster %s does not manage pod identity associations", c.Cluster)
	}
	i := findItem(pods, func(m *yaml.Node) bool {
		return scalarOf(m, "namespace") == r.Namespace && scalarOf(m, "serviceAccount") == r.ServiceAccount
	})
	if c.Op == drift.OpRemoved {
		return removeAt(c, pods, i)
	}
	n, err := podNode(*r)
	if err != nil {
		return err
	}
	replaceOrAppend(pods, i, n)
	return nil
}

func amendIDP(cl *yaml.Node, c drift.Change, r *drift.IdentityProviderConfig) error {
	idps := getKey(cl, "identityProviderConfigs")
	if idps == nil || idps.Kind != yaml.SequenceNode {
		return refuse(c, "cluster %s does not manage identity provider configs", c.Cluster)
	}
	i := findItem(idps, func(m *yaml.Node) bool { return scalarOf(m, "name") == r.Name })
	if c.Op == drift.OpRemoved {
		return removeAt(c, idps, i)
	}
	pm := mapping()
	add(pm, "name", scalar(r.Name))
	if r.IssuerURL != "" {
		add(pm, "issuerUrl", scalar(r.IssuerURL))
	}
	if r.ClientID != "" {
		add(pm, "clientId", scalar(r.ClientID))
	}
	replaceOrAppend(idps, i, pm)
	return nil
}

func amendAwsAuth(cl *yaml.Node, c drift.Change, r *drift.AwsAuth) error {
	if r.Unresolved {
		return refuse(c, "the audit event holds only the patch, not the ConfigMap it made: accept it after the sweep has read it")
	}
	a := &drift.AwsAuthBaseline{MapRoles: r.MapRoles, MapUsers: r.MapUsers, MapAccounts: r.MapAccounts}
	if c.Op == drift.OpRemoved {
		a = &drift.AwsAuthBaseline{}
	}
	// Every section is declared: none left out means none allowed.
	if a.MapRoles == nil {
		a.MapRoles = []drift.AwsAuthRole{}
	}
	if a.MapUsers == nil {
		a.MapUsers = []drift.AwsAuthUser{}
	}
	if a.MapAccounts == nil {
		a.MapAccounts = []string{}
	}
	setKey(cl, "awsAuth", awsAuthNode(a))
	return nil
}

func amendRole(root *yaml.Node, c drift.Change, arn string, edit func(*yaml.Node) error) error {
	m := findPrincipal(getKey(root, "iamRoles"), arn, c.Event.Account)
	if m == nil {
		return refuse(c, "the baseline does not declare the role %s", arn)
	}
	return edit(m)
}

func amendUser(root *yaml.Node, c drift.Change, r *drift.User) error {
	m := findPrincipal(getKey(root, "iamUsers"), r.UserARN, c.Event.Account)
	if m == nil {
		return refuse(c, "the baseline does not declare the user %s", r.UserARN)
	}
	switch r.Aspect {
	case drift.UserAccessKey:
		return amendList(m, c, "accessKeys", r.Name)
	case drift.UserServiceCredential:
		return amendList(m, c, "serviceSpecificCredentials", r.Name)
	case drift.UserLoginProfile:
		setOrDel(m, "consoleAccess", c.Op != drift.OpRemoved, func() *yaml.Node {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"}
		})
		return nil
	case drift.UserManagedPolicy:
		return amendList(m, c, "managedPolicies", r.Name)
	case drift.UserGroup:
		return amendList(m, c, "groups", r.Name)
	case drift.UserInlinePolicy:
		return amendInline(m, c, r.Name, r.Document)
	case drift.UserBoundary:
		arn := r.Name
		if c.Op == drift.OpRemoved {
			arn = ""
		}
		setKey(m, "permissionsBoundary", quotedIfNeeded(arn))
		return nil
	}
	return refuse(c, "a user created or deleted is declared by hand: accepting it would start or stop eksdrift judging the user")
}

// amendList adds item to (or, for a removal, takes it out of) the list
// under key, which must exist: a missing list is not managed.
func amendList(m *yaml.Node, c drift.Change, key, item string) error {
	seq := getKey(m, key)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		if c.Op == drift.OpRemoved {
			return refuse(c, "%s is not declared: nothing to remove", key)
		}
		if key != "accessKeys" && key != "serviceSpecificCredentials" {
			return refuse(c, "%s is not managed here: there is nothing to declare", key)
		}
		seq = strings_(nil, true)
		setKey(m, key, seq)
	}
	i := findItem(seq, func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Value == item })
	if c.Op == drift.OpRemoved {
		return removeAt(c, seq, i)
	}
	if i < 0 {
		seq.Content = append(seq.Content, quotedIfNeeded(item))
	}
	return nil
}

func amendInline(m *yaml.Node, c drift.Change, name string, doc *drift.PolicyDocument) error {
	im := getKey(m, "inlinePolicies")
	if im == nil || im.Kind != yaml.MappingNode {
		return refuse(c, "inline policies are not managed here: there is nothing to declare")
	}
	if c.Op == drift.OpRemoved {
		if getKey(im, name) == nil {
			return refuse(c, "the baseline does not declare it: nothing to remove")
		}
		delKey(im, name)
		return nil
	}
	if doc == nil {
		return refuse(c, "the event did not say the policy's document")
	}
	n, err := policyNode(doc)
	if err != nil {
		return err
	}
	im.Style = 0 // {} becomes a block mapping once it has a policy
	setKey(im, name, n)
	return nil
}

// findCluster finds a cluster by name, account and region, as the index keys it.
func findCluster(root *yaml.Node, account, region, name string) *yaml.Node {
	seq := getKey(root, "clusters")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	i := findItem(seq, func(m *yaml.Node) bool {
		return scalarOf(m, "name") == name && scalarOf(m, "account") == account && scalarOf(m, "region") == region
	})
	if i < 0 {
		return nil
	}
	return seq.Content[i]
}

// findPrincipal finds a role or user by account and name (case folded,
// whatever the path), as the index keys them.
func findPrincipal(seq *yaml.Node, arn, account string) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	if a := drift.AccountOf(arn); a != "" {
		account = a
	}
	name := lastName(arn)
	i := findItem(seq, func(m *yaml.Node) bool {
		d := scalarOf(m, "arn")
		return drift.AccountOf(d) == account && strings.EqualFold(lastName(d), name)
	})
	if i < 0 {
		return nil
	}
	return seq.Content[i]
}

func lastName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

func getKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			// Keep the comments that were on the old value.
			v.LineComment, v.HeadComment, v.FootComment = m.Content[i+1].LineComment, m.Content[i+1].HeadComment, m.Content[i+1].FootComment
			m.Content[i+1] = v
			return
		}
	}
	add(m, key, v)
}

func delKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func setOrDel(m *yaml.Node, key string, set bool, v func() *yaml.Node) {
	if set {
		setKey(m, key, v())
	} else {
		delKey(m, key)
	}
}

func scalarOf(m *yaml.Node, key string) string {
	v := getKey(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

func findItem(seq *yaml.Node, match func(*yaml.Node) bool) int {
	for i, n := range seq.Content {
		if match(n) {
			return i
		}
	}
	return -1
}

func replaceOrAppend(seq *yaml.Node, i int, n *yaml.Node) {
	if i >= 0 {
		n.HeadComment, n.LineComment = seq.Content[i].HeadComment, seq.Content[i].LineComment
		seq.Content[i] = n
		return
	}
	seq.Content = append(seq.Content, n)
}

func removeAt(c drift.Change, seq *yaml.Node, i int) error {
	if i < 0 {
		return refuse(c, "the baseline does not declare it: nothing to remove")
	}
	seq.Content = append(seq.Content[:i], seq.Content[i+1:]...)
	return nil
}
