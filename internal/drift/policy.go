package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// PolicyDocument is an IAM policy in a canonical form, so that two documents
// that IAM treats alike compare equal whatever their formatting: statement
// order, key order, white space, a string against a one-element list, the
// case of action names and condition keys, "*" against {"AWS": "*"}, an
// account ID against its root ARN, and Sid (a label) do not matter.
type PolicyDocument struct {
	canonical string // canonical JSON, compared for equality
	doc       map[string]any
	// original is the document as it was given, for writing it back the
	// way people wrote it (a captured baseline keeps Sids and case).
	original map[string]any
}

// ParsePolicyDocument reads a policy from its JSON text, as IAM receives it.
// Text that is percent-encoded, as CreateRole's CloudTrail response carries
// it, is decoded first.
func ParsePolicyDocument(text string) (*PolicyDocument, error) {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "%7B") || strings.HasPrefix(t, "%7b") {
		u, err := url.PathUnescape(t)
		if err != nil {
			return nil, fmt.Errorf("policy document: bad percent-encoding: %w", err)
		}
		t = u
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("policy document: not JSON: %w", err)
	}
	return NewPolicyDocument(v)
}

// NewPolicyDocument canonicalises a policy already decoded from JSON or
// YAML (maps, lists and scalars).
func NewPolicyDocument(v any) (*PolicyDocument, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("policy document: want an object, got %s", typeName(v))
	}
	out := map[string]any{}
	for k, val := range m {
		switch k {
		case "Version":
			out[k] = scalar(val)
		case "Id":
			// A label; it does not change what the policy allows.
		case "Statement":
			stmts, err := canonStatements(val)
			if err != nil {
				return nil, err
			}
			out[k] = stmts
		default:
			return nil, fmt.Errorf("policy document: unknown top-level key %q", k)
		}
	}
	if _, ok := out["Statement"]; !ok {
		return nil, fmt.Errorf("policy document: no Statement")
	}
	b, err := marshalCanonical(out)
	if err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	return &PolicyDocument{canonical: string(b), doc: out, original: m}, nil
}

// Original gives the document as it was parsed or given, before
// canonicalisation: what a person wrote, with its Sids, case and order of
// lists. Numbers read from JSON are json.Number.
func (p *PolicyDocument) Original() map[string]any {
	if p == nil {
		return nil
	}
	if p.original != nil {
		return p.original
	}
	return p.doc
}

// Equal reports whether two policies are the same policy.
func (p *PolicyDocument) Equal(q *PolicyDocument) bool {
	if p == nil || q == nil {
		return p == q
	}
	return p.canonical == q.canonical
}

// String gives the canonical JSON.
func (p *PolicyDocument) String() string {
	if p == nil {
		return ""
	}
	return p.canonical
}

// MarshalJSON writes the canonical document.
func (p *PolicyDocument) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	return []byte(p.canonical), nil
}

// UnmarshalJSON reads a document written by MarshalJSON (or any policy).
func (p *PolicyDocument) UnmarshalJSON(b []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	q, err := NewPolicyDocument(v)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// Statement is one statement of a canonical policy.
type Statement struct {
	Effect       string
	Actions      []string // lower case
	NotActions   []string // lower case
	Resources    []string
	Principals   map[string][]string // "AWS", "Service", "Federated", "CanonicalUser"
	HasCondition bool
}

// Statements lists the policy's statements in canonical order.
func (p *PolicyDocument) Statements() []Statement {
	if p == nil {
		return nil
	}
	raw, _ := p.doc["Statement"].([]any)
	out := make([]Statement, 0, len(raw))
	for _, r := range raw {
		m := r.(map[string]any)
		s := Statement{Effect: scalarString(m["Effect"])}
		s.Actions = stringList(m["Action"])
		s.NotActions = stringList(m["NotAction"])
		s.Resources = stringList(m["Resource"])
		if pr, ok := m["Principal"].(map[string]any); ok {
			s.Principals = map[string][]string{}
			for k, v := range pr {
				s.Principals[k] = stringList(v)
			}
		}
		_, s.HasCondition = m["Condition"]
		out = append(out, s)
	}
	return out
}

// TrustedPrincipals lists "Type:value" for every principal an Allow
// statement names, sorted: who the policy lets in, as a trust policy.
func (p *PolicyDocument) TrustedPrincipals() []string {
	var out []string
	for _, s := range p.Statements() {
		if s.Effect != "Allow" {
			continue
		}
		for typ, vals := range s.Principals {
			for _, v := range vals {
				out = append(out, typ+":"+v)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// GrantsAdmin reports whether an Allow statement grants every action on
// every resource.
func (p *PolicyDocument) GrantsAdmin() bool {
	for _, s := range p.Statements() {
		if s.Effect != "Allow" || s.HasCondition {
			continue
		}
		if (slices.Contains(s.Actions, "*") || slices.Contains(s.Actions, "*:*")) && slices.Contains(s.Resources, "*") {
			return true
		}
	}
	return false
}

func canonStatements(v any) ([]any, error) {
	var list []any
	switch s := v.(type) {
	case map[string]any:
		list = []any{s}
	case []any:
		list = s
	default:
		return nil, fmt.Errorf("policy document: Statement must be an object or a list, got %s", typeName(v))
	}
	out := make([]any, 0, len(list))
	seen := map[string]bool{}
	keyed := map[string]any{}
	for i, st := range list {
		m, ok := st.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("policy document: Statement[%d] must be an object, got %s", i, typeName(st))
		}
		c, err := canonStatement(m)
		if err != nil {
			return nil, fmt.Errorf("policy document: Statement[%d]: %w", i, err)
		}
		b, err := marshalCanonical(c)
		if err != nil {
			return nil, err
		}
		k := string(b)
		if !seen[k] {
			seen[k] = true
			keyed[k] = c
		}
	}
	keys := make([]string, 0, len(keyed))
	for k := range keyed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, keyed[k])
	}
	return out, nil
}

func canonStatement(m map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range m {
		switch k {
		case "Sid":
			// A label only.
		case "Effect":
			out[k] = scalarString(v)
		case "Action", "NotAction":
			out[k] = lowerSet(stringList(v))
		case "Resource", "NotResource":
			out[k] = toAny(sortedSet(stringList(v)))
		case "Principal", "NotPrincipal":
			p, err := canonPrincipal(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = p
		case "Condition":
			c, err := canonCondition(v)
			if err != nil {
				return nil, err
			}
			out[k] = c
		default:
			return nil, fmt.Errorf("unknown key %q", k)
		}
	}
	return out, nil
}

func canonPrincipal(v any) (map[string]any, error) {
	if s, ok := v.(string); ok {
		if s != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q", s)
		}
		return map[string]any{"AWS": []any{"*"}}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want \"*\" or an object, got %s", typeName(v))
	}
	out := map[string]any{}
	for typ, vals := range m {
		list := stringList(vals)
		if typ == "AWS" {
			for i, p := range list {
				if isAccountID(p) {
					list[i] = "arn:aws:iam::" + p + ":root"
				}
			}
		}
		out[typ] = toAny(sortedSet(list))
	}
	return out, nil
}

func canonCondition(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		//lint:ignore ST1005 Condition is the policy element, named as the document spells it
		return nil, fmt.Errorf("Condition must be an object, got %s", typeName(v))
	}
	out := map[string]any{}
	for op, kv := range m {
		inner, ok := kv.(map[string]any)
		if !ok {
			//lint:ignore ST1005 Condition is the policy element, named as the document spells it
			return nil, fmt.Errorf("Condition %q must be an object, got %s", op, typeName(kv))
		}
		c := map[string]any{}
		for k, vals := range inner {
			c[strings.ToLower(k)] = toAny(sortedSet(stringList(vals)))
		}
		out[op] = c
	}
	return out, nil
}

// stringList turns a string, a scalar or a list of them into strings.
func stringList(v any) []string {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			out = append(out, scalarString(e))
		}
		return out
	case []string:
		return slices.Clone(t)
	default:
		return []string{scalarString(t)}
	}
}

func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(t)
	}
}

func scalar(v any) any { return scalarString(v) }

func sortedSet(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

func lowerSet(s []string) []any {
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	return toAny(sortedSet(s))
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func marshalCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}
