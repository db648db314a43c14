// Package baseline reads the baseline file (YAML or JSON) that declares who
// may reach each EKS cluster, validates it against its published JSON Schema,
// and gives the drift domain its Baseline. Every error names the file, the
// line and the field.
package baseline

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Schema is the baseline's JSON Schema, published with the docs.
//
//go:embed baseline.schema.json
var Schema []byte

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
	isCompiled  atomic.Bool
)

// Prepare compiles the baseline's JSON Schema now, once (about 4 ms, five
// times what validating a small baseline then costs), instead of during the
// first validation. A function calls it while it waits on other work (its
// runtime starting, the object coming from S3), so that its first event does
// not wait for the compile as well. It is safe to call concurrently with
// Index and Parse, which wait for a compile under way rather than start one.
func Prepare() error {
	_, err := schema()
	return err
}

// Compiled reports whether the schema has been compiled (by Prepare or by a
// first validation).
func Compiled() bool { return isCompiled.Load() }

func schema() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		defer isCompiled.Store(true)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
		if err != nil {
			compileErr = fmt.Errorf("baseline schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("baseline.schema.json", doc); err != nil {
			compileErr = fmt.Errorf("baseline schema: %w", err)
			return
		}
		compiled, compileErr = c.Compile("baseline.schema.json")
	})
	return compiled, compileErr
}

// Errors is every problem found in one baseline, in file order.
type Errors []*drift.InvalidBaselineError

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, x := range e {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each problem.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, x := range e {
		out[i] = x
	}
	return out
}

// LoadFile reads and validates a baseline file.
func LoadFile(path string) (*drift.Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: cannot read %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse validates a baseline and converts it. source names it in errors and
// findings (a path or an s3:// URI). The baseline's VersionID is a hash of
// its content; callers that know better (an S3 version id) may replace it.
//
// The rules relative to time (a break-glass entry expires at most
// drift.MaxBreakGlass after validation) are checked against the clock now;
// see ParseAt.
func Parse(source string, data []byte) (*drift.Baseline, error) {
	return ParseAt(time.Now(), source, data)
}

// Parser gives a Parse whose clock is now (time.Now when nil), for the
// functions and tests that inject their clock.
func Parser(now func() time.Time) func(source string, data []byte) (*drift.Baseline, error) {
	if now == nil {
		now = time.Now
	}
	return func(source string, data []byte) (*drift.Baseline, error) { return ParseAt(now(), source, data) }
}

// ParseAt is Parse validated at now. A zero now checks no rule relative to
// time: for a version read only to compare with (the detector's previous
// version), which was in force when it was written, not now.
func ParseAt(now time.Time, source string, data []byte) (*drift.Baseline, error) {
	ix, err := IndexAt(now, source, data)
	if err != nil {
		return nil, err
	}
	return ix.Baseline, nil
}

// Index is Parse that also returns the index it built to validate the
// baseline (indexing rejects duplicates), so that a caller about to judge
// against it does not index it again.
func Index(source string, data []byte) (*drift.Index, error) {
	return IndexAt(time.Now(), source, data)
}

// IndexAt is Index validated at now; a zero now checks no rule relative to
// time, as for ParseAt.
func IndexAt(now time.Time, source string, data []byte) (*drift.Index, error) {
	if len(data) > MaxBytes {
		return nil, Errors{{Source: source, Problem: fmt.Sprintf("the file is %d bytes; a baseline may be at most %d", len(data), MaxBytes)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{yamlError(source, err)}
	}
	if len(root.Content) == 0 {
		return nil, Errors{{Source: source, Line: 1, Problem: "the file is empty"}}
	}
	if n := expandedNodes(&root, MaxNodes); n > MaxNodes {
		return nil, Errors{{Source: source, Problem: fmt.Sprintf("the document expands to more than %d nodes through YAML aliases", MaxNodes)}}
	}
	var generic any
	if err := root.Decode(&generic); err != nil {
		return nil, Errors{yamlError(source, err)}
	}
	// Validate the JSON form, so YAML and JSON baselines meet the same schema.
	js, err := json.Marshal(generic)
	if err != nil {
		return nil, Errors{{Source: source, Problem: fmt.Sprintf("cannot be represented as JSON: %v", err)}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, Errors{{Source: source, Problem: err.Error()}}
	}
	sch, err := schema()
	if err != nil {
		return nil, err
	}
	loc := locator{source: source, root: &root}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		return nil, loc.schemaErrors(ve)
	}
	var f fileFormat
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, Errors{{Source: source, Problem: err.Error()}}
	}
	b, errs := f.toDomain(loc, now)
	if len(errs) > 0 {
		return nil, errs
	}
	sum := sha256.Sum256(data)
	b.Source = source
	b.VersionID = "sha256:" + hex.EncodeToString(sum[:8])
	ix, err := drift.NewIndex(b)
	if err != nil {
		var ie *drift.InvalidBaselineError
		if errors.As(err, &ie) {
			ie.Source = source
			ie.Line, ie.Column = loc.position(pathOf(ie.Field))
			return nil, Errors{ie}
		}
		return nil, err
	}
	return ix, nil
}

// Load reads, validates and indexes a baseline, ready for evaluation.
func Load(path string) (*drift.Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: cannot read %s: %w", path, err)
	}
	return Index(path, data)
}

const maxBreakGlassDays = int(drift.MaxBreakGlass / (24 * time.Hour))

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

func yamlError(source string, err error) *drift.InvalidBaselineError {
	e := &drift.InvalidBaselineError{Source: source, Problem: err.Error()}
	if m := yamlLine.FindStringSubmatch(e.Problem); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Problem = strings.TrimPrefix(e.Problem, m[0])
		// yaml.v3 numbers the lines of parser (not scanner) errors from 0:
		// it names the line where the unfinished construct starts.
		if strings.HasPrefix(e.Problem, "did not find expected") {
			e.Line++
		}
	} else {
		e.Problem = strings.TrimPrefix(e.Problem, "yaml: ")
	}
	return e
}

// locator finds where in the file a field is.
type locator struct {
	source string
	root   *yaml.Node
}

var printer = message.NewPrinter(language.English)

func (l locator) schemaErrors(ve *jsonschema.ValidationError) Errors {
	var out Errors
	var walk func(v *jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) > 0 {
			for _, c := range v.Causes {
				walk(c)
			}
			return
		}
		path := v.InstanceLocation
		if ap, ok := v.ErrorKind.(*kind.AdditionalProperties); ok && len(ap.Properties) > 0 {
			// Point at the unknown key itself, one error each.
			for _, p := range ap.Properties {
				out = append(out, l.problem(append(slices.Clone(path), p), "unknown field "+strconv.Quote(p)+" (see docs/baseline.md for the fields)"))
			}
			return
		}
		out = append(out, l.problem(path, describe(v)))
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Column < out[j].Column
	})
	return dedupe(out)
}

func dedupe(in Errors) Errors {
	seen := map[string]bool{}
	var out Errors
	for _, e := range in {
		k := e.Error()
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// describe words a schema error for a person editing YAML.
func describe(v *jsonschema.ValidationError) string {
	msg := v.ErrorKind.LocalizedString(printer)
	if n := len(v.InstanceLocation); n > 0 && v.InstanceLocation[n-1] == "account" && strings.Contains(msg, "got number") {
		msg += " (quote account IDs in YAML: account: \"111122223333\")"
	}
	return msg
}

func (l locator) problem(path []string, msg string) *drift.InvalidBaselineError {
	e := &drift.InvalidBaselineError{Source: l.source, Field: fieldName(path), Problem: msg}
	e.Line, e.Column = l.position(path)
	return e
}

// position gives the line and column of the deepest node of path that the
// file has: the key's own line for a mapping key, the item's for a list item.
func (l locator) position(path []string) (int, int) {
	if l.root == nil || len(l.root.Content) == 0 {
		return 0, 0
	}
	node := l.root.Content[0]
	line, col := node.Line, node.Column
walk:
	for _, seg := range path {
		for node.Kind == yaml.AliasNode && node.Alias != nil {
			node = node.Alias
		}
		switch node.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(node.Content); i += 2 {
				if k := node.Content[i]; k.Value == seg {
					line, col, node, found = k.Line, k.Column, node.Content[i+1], true
					break
				}
			}
			if !found {
				break walk
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(node.Content) {
				break walk
			}
			node = node.Content[i]
			line, col = node.Line, node.Column
		default:
			break walk
		}
	}
	return line, col
}

// fieldName writes a path as people read it: clusters[0].accessEntries[2].type.
func fieldName(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return "(top level)"
	}
	return b.String()
}

var fieldRE = regexp.MustCompile(`[^.\[\]]+`)

// pathOf splits a field name back into its path.
func pathOf(field string) []string { return fieldRE.FindAllString(field, -1) }

// fileFormat is the file as written; toDomain turns it into drift types.
type fileFormat struct {
	Version    int    `json:"version"`
	Mode       string `json:"mode"`
	BreakGlass []struct {
		Principal string `json:"principal"`
		Expires   string `json:"expires"`
		Reason    string `json:"reason"`
		// AllowLongExpiry overrides the expiry limit, with a reason.
		AllowLongExpiry *struct {
			Reason string `json:"reason"`
		} `json:"allowLongExpiry"`
	} `json:"breakGlass"`
	Clusters []struct {
		Name                    string                          `json:"name"`
		Account                 string                          `json:"account"`
		Region                  string                          `json:"region"`
		Mode                    string                          `json:"mode"`
		AuthenticationMode      string                          `json:"authenticationMode"`
		RevertNodeEntries       bool                            `json:"revertNodeEntries"`
		AccessEntries           *[]drift.AccessEntryBaseline    `json:"accessEntries"`
		PodIdentityAssociations *[]drift.PodIdentityAssociation `json:"podIdentityAssociations"`
		IdentityProviderConfigs *[]drift.IdentityProviderConfig `json:"identityProviderConfigs"`
		AwsAuth                 *drift.AwsAuthBaseline          `json:"awsAuth"`
		Approvers               []string                        `json:"approvers"`
	} `json:"clusters"`
	IAMRoles []struct {
		ARN                 string                     `json:"arn"`
		Mode                string                     `json:"mode"`
		TrustPolicy         map[string]any             `json:"trustPolicy"`
		ManagedPolicies     *[]string                  `json:"managedPolicies"`
		InlinePolicies      *map[string]map[string]any `json:"inlinePolicies"`
		PermissionsBoundary *string                    `json:"permissionsBoundary"`
	} `json:"iamRoles"`
	IAMUsers *[]struct {
		ARN                 string                     `json:"arn"`
		Mode                string                     `json:"mode"`
		ManagedPolicies     *[]string                  `json:"managedPolicies"`
		InlinePolicies      *map[string]map[string]any `json:"inlinePolicies"`
		Groups              *[]string                  `json:"groups"`
		PermissionsBoundary *string                    `json:"permissionsBoundary"`
		AccessKeys          []string                   `json:"accessKeys"`
		ServiceCredentials  []string                   `json:"serviceSpecificCredentials"`
		ConsoleAccess       bool                       `json:"consoleAccess"`
	} `json:"iamUsers"`
	OIDCProviders *[]string `json:"oidcProviders"`
}

func (f *fileFormat) toDomain(loc locator, now time.Time) (*drift.Baseline, Errors) {
	var errs Errors
	b := &drift.Baseline{Version: f.Version, Mode: drift.Mode(f.Mode)}
	limit := now.Add(drift.MaxBreakGlass)
	for i, g := range f.BreakGlass {
		bg := drift.BreakGlass{Principal: g.Principal, Reason: g.Reason}
		at := []string{"breakGlass", strconv.Itoa(i)}
		if g.AllowLongExpiry != nil {
			bg.LongExpiry = g.AllowLongExpiry.Reason
		}
		if g.Expires != "" {
			t, err := time.Parse(time.RFC3339, g.Expires)
			if err != nil {
				errs = append(errs, loc.problem(append(at, "expires"), "want an RFC 3339 time such as 2027-01-01T00:00:00Z"))
				continue
			}
			bg.Expires = t
		}
		// A break-glass entry is never reverted: one that never ends, or
		// ends far away, is a standing exemption from the baseline.
		switch {
		case now.IsZero() || g.AllowLongExpiry != nil:
		case g.Expires == "":
			errs = append(errs, loc.problem(at, fmt.Sprintf("a break-glass entry needs expires, at most %d days after validation (%s); "+
				"to keep one longer, give allowLongExpiry: {reason: ...}", maxBreakGlassDays, limit.UTC().Format(time.RFC3339))))
		case bg.Expires.After(limit):
			errs = append(errs, loc.problem(append(at, "expires"), fmt.Sprintf("expires %s is more than %d days after validation (latest %s); "+
				"to keep it, give allowLongExpiry: {reason: ...}", bg.Expires.UTC().Format(time.RFC3339), maxBreakGlassDays, limit.UTC().Format(time.RFC3339))))
		}
		b.BreakGlass = append(b.BreakGlass, bg)
	}
	for _, c := range f.Clusters {
		cb := drift.ClusterBaseline{
			Name: c.Name, Account: c.Account, Region: c.Region, Mode: drift.Mode(c.Mode),
			AuthenticationMode: c.AuthenticationMode, RevertNodeEntries: c.RevertNodeEntries,
		}
		if c.AccessEntries != nil {
			cb.AccessEntries = append([]drift.AccessEntryBaseline{}, (*c.AccessEntries)...)
			for j := range cb.AccessEntries {
				if cb.AccessEntries[j].Type == "" {
					cb.AccessEntries[j].Type = drift.EntryStandard
				}
			}
		}
		if c.PodIdentityAssociations != nil {
			cb.PodIdentityAssociations = append([]drift.PodIdentityAssociation{}, (*c.PodIdentityAssociations)...)
		}
		if c.IdentityProviderConfigs != nil {
			cb.IdentityProviderConfigs = append([]drift.IdentityProviderConfig{}, (*c.IdentityProviderConfigs)...)
		}
		cb.AwsAuth = c.AwsAuth
		cb.Approvers = append([]string(nil), c.Approvers...)
		b.Clusters = append(b.Clusters, cb)
	}
	for i, r := range f.IAMRoles {
		rb := drift.RoleBaseline{ARN: r.ARN, Mode: drift.Mode(r.Mode), PermissionsBoundary: r.PermissionsBoundary}
		at := func(rest ...string) []string {
			return append([]string{"iamRoles", strconv.Itoa(i)}, rest...)
		}
		if r.TrustPolicy != nil {
			d, err := drift.NewPolicyDocument(r.TrustPolicy)
			if err != nil {
				errs = append(errs, loc.problem(at("trustPolicy"), err.Error()))
			}
			rb.TrustPolicy = d
		}
		if r.ManagedPolicies != nil {
			rb.ManagedPolicies = append([]string{}, (*r.ManagedPolicies)...)
		}
		if r.InlinePolicies != nil {
			rb.InlinePolicies = map[string]*drift.PolicyDocument{}
			for name, doc := range *r.InlinePolicies {
				d, err := drift.NewPolicyDocument(doc)
				if err != nil {
					errs = append(errs, loc.problem(at("inlinePolicies", name), err.Error()))
				}
				rb.InlinePolicies[name] = d
			}
		}
		b.IAMRoles = append(b.IAMRoles, rb)
	}
	errs = append(errs, f.usersToDomain(loc, b)...)
	if f.OIDCProviders != nil {
		b.OIDCProviders = append([]string{}, (*f.OIDCProviders)...)
	}
	return b, errs
}

func (f *fileFormat) usersToDomain(loc locator, b *drift.Baseline) Errors {
	if f.IAMUsers == nil {
		return nil
	}
	var errs Errors
	b.IAMUsers = []drift.UserBaseline{}
	for i, u := range *f.IAMUsers {
		ub := drift.UserBaseline{ARN: u.ARN, Mode: drift.Mode(u.Mode), PermissionsBoundary: u.PermissionsBoundary,
			AccessKeys: u.AccessKeys, ServiceCredentials: u.ServiceCredentials, ConsoleAccess: u.ConsoleAccess}
		if u.ManagedPolicies != nil {
			ub.ManagedPolicies = append([]string{}, (*u.ManagedPolicies)...)
		}
		if u.Groups != nil {
			ub.Groups = append([]string{}, (*u.Groups)...)
		}
		if u.InlinePolicies != nil {
			ub.InlinePolicies = map[string]*drift.PolicyDocument{}
			for name, doc := range *u.InlinePolicies {
				d, err := drift.NewPolicyDocument(doc)
				if err != nil {
					errs = append(errs, loc.problem([]string{"iamUsers", strconv.Itoa(i), "inlinePolicies", name}, err.Error()))
				}
				ub.InlinePolicies[name] = d
			}
		}
		b.IAMUsers = append(b.IAMUsers, ub)
	}
	return errs
}
