package baseline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

const valid = `version: 1
mode: alert
breakGlass:
  - principal: arn:aws:iam::111122223333:role/break-glass
    expires: "2027-01-01T00:00:00Z"
clusters:
  - name: prod
    account: "111122223333"
    region: us-west-2
    mode: revert
    authenticationMode: API
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:role/developers
        kubernetesGroups: [dev]
        accessPolicies:
          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
            accessScope: {type: namespace, namespaces: [app]}
    podIdentityAssociations: []
iamRoles:
  - arn: arn:aws:iam::111122223333:role/developers
    trustPolicy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: {AWS: "111122223333"}, Action: sts:AssumeRole}
    inlinePolicies:
      read:
        Statement: {Effect: Allow, Action: "eks:Describe*", Resource: "*"}
    permissionsBoundary: ""
`

func TestParseValid(t *testing.T) {
	b, err := Parse("valid.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	c := b.Clusters[0]
	if c.Mode != drift.ModeRevert || c.AuthenticationMode != "API" || len(c.AccessEntries) != 1 {
		t.Errorf("cluster: got %+v", c)
	}
	if c.AccessEntries[0].Type != drift.EntryStandard {
		t.Errorf("entry type: got %q, want STANDARD by default", c.AccessEntries[0].Type)
	}
	if c.PodIdentityAssociations == nil || len(c.PodIdentityAssociations) != 0 {
		t.Errorf("an empty list must stay managed: got %#v", c.PodIdentityAssociations)
	}
	if c.IdentityProviderConfigs != nil {
		t.Errorf("an absent list must be unmanaged: got %#v", c.IdentityProviderConfigs)
	}
	r := b.IAMRoles[0]
	if r.TrustPolicy == nil || r.ManagedPolicies != nil || r.PermissionsBoundary == nil || *r.PermissionsBoundary != "" {
		t.Errorf("role: got trust=%v managed=%v boundary=%v", r.TrustPolicy, r.ManagedPolicies, r.PermissionsBoundary)
	}
	if !b.BreakGlass[0].Expires.Equal(b.BreakGlass[0].Expires.UTC()) || b.BreakGlass[0].Expires.Year() != 2027 {
		t.Errorf("break-glass expiry: got %v", b.BreakGlass[0].Expires)
	}
	if !strings.HasPrefix(b.VersionID, "sha256:") || b.Source != "valid.yaml" {
		t.Errorf("source/version: got %q %q", b.Source, b.VersionID)
	}
}

func TestParseUsers(t *testing.T) {
	doc := valid + `iamUsers:
  - arn: arn:aws:iam::111122223333:user/ops/deploy
    accessKeys: [AKIAIOSFODNN7EXAMPLE]
    groups: []
    permissionsBoundary: ""
    consoleAccess: true
`
	b, err := Parse("users.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := b.IAMUsers[0]
	if u.Name() != "deploy" || len(u.AccessKeys) != 1 || u.Groups == nil || u.ManagedPolicies != nil || !u.ConsoleAccess ||
		u.PermissionsBoundary == nil || *u.PermissionsBoundary != "" {
		t.Errorf("got %+v, want the user as declared (groups managed and empty, managed policies not managed)", u)
	}
	if b, _ := Parse("valid.yaml", []byte(valid)); b.IAMUsers != nil {
		t.Errorf("got users %v, want nil (not managed) when iamUsers is absent", b.IAMUsers)
	}
}

func TestParseJSON(t *testing.T) {
	js := `{"version": 1, "clusters": [{"name": "prod", "account": "111122223333", "region": "us-west-2", "accessEntries": []}]}`
	b, err := Parse("b.json", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Clusters) != 1 || b.Clusters[0].AccessEntries == nil {
		t.Errorf("got %+v", b.Clusters)
	}
}

// TestParseErrors checks each kind of mistake gets its own clear message
// with the line and field.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		line    int
		field   string
		problem string
	}{
		{"unknown top-level field", func(s string) string { return s + "extra: 1\n" }, 29, "extra", "unknown field"},
		{"unknown cluster field", func(s string) string {
			return strings.Replace(s, "    mode: revert\n", "    mode: revert\n    owner: team-a\n", 1)
		}, 11, "clusters[0].owner", "unknown field"},
		{"misspelt entry field", func(s string) string {
			return strings.Replace(s, "kubernetesGroups: [dev]", "kubernetesGroup: [dev]", 1)
		}, 14, "clusters[0].accessEntries[0].kubernetesGroup", "unknown field"},
		{"bad mode", func(s string) string { return strings.Replace(s, "mode: alert", "mode: loud", 1) }, 2, "mode", "alert"},
		{"unquoted account", func(s string) string {
			return strings.Replace(s, `account: "111122223333"`, "account: 111122223333", 1)
		}, 8, "clusters[0].account", "quote account IDs"},
		{"bad entry type", func(s string) string {
			return strings.Replace(s, "kubernetesGroups: [dev]", "type: EC3\n        kubernetesGroups: [dev]", 1)
		}, 14, "clusters[0].accessEntries[0].type", ""},
		{"principal not an IAM ARN", func(s string) string {
			return strings.Replace(s, "principalArn: arn:aws:iam::111122223333:role/developers", "principalArn: developers", 1)
		}, 13, "clusters[0].accessEntries[0].principalArn", ""},
		{"namespace scope without namespaces", func(s string) string {
			return strings.Replace(s, "{type: namespace, namespaces: [app]}", "{type: namespace}", 1)
		}, 17, "clusters[0].accessEntries[0].accessPolicies[0].accessScope", "namespaces"},
		{"cluster scope with namespaces", func(s string) string {
			return strings.Replace(s, "{type: namespace, namespaces: [app]}", "{type: cluster, namespaces: [app]}", 1)
		}, 17, "clusters[0].accessEntries[0].accessPolicies[0].accessScope.namespaces", ""},
		{"missing region", func(s string) string { return strings.Replace(s, "    region: us-west-2\n", "", 1) }, 7, "clusters[0]", "region"},
		{"bad expiry", func(s string) string { return strings.Replace(s, `"2027-01-01T00:00:00Z"`, `"next week"`, 1) }, 5, "breakGlass[0].expires", ""},
		{"wrong version", func(s string) string { return strings.Replace(s, "version: 1", "version: 2", 1) }, 1, "version", ""},
		{"bad policy document", func(s string) string {
			return strings.Replace(s, "Statement: {Effect: Allow, Action: \"eks:Describe*\", Resource: \"*\"}", "Statement: {Effect: Allow, Actions: \"eks:Describe*\"}", 1)
		}, 26, "iamRoles[0].inlinePolicies.read", "unknown key \"Actions\""},
		{"duplicate entry", func(s string) string {
			return strings.Replace(s, "    podIdentityAssociations: []\n", "      - principalArn: arn:aws:iam::111122223333:role/developers\n    podIdentityAssociations: []\n", 1)
		}, 18, "clusters[0].accessEntries[1].principalArn", "declared twice"},
		{"misspelt user field", func(s string) string {
			return s + "iamUsers:\n  - arn: arn:aws:iam::111122223333:user/deploy\n    accesKeys: [AKIAIOSFODNN7EXAMPLE]\n"
		}, 31, "iamUsers[0].accesKeys", "unknown field"},
		{"user ARN of a role", func(s string) string {
			return s + "iamUsers:\n  - arn: arn:aws:iam::111122223333:role/deploy\n"
		}, 30, "iamUsers[0].arn", ""},
		{"duplicate user", func(s string) string {
			return s + "iamUsers:\n  - arn: arn:aws:iam::111122223333:user/deploy\n  - arn: arn:aws:iam::111122223333:user/ci/Deploy\n"
		}, 31, "iamUsers[1].arn", "declared twice"},
		{"yaml syntax", func(s string) string { return strings.Replace(s, "region: us-west-2", "region: [us-west-2", 1) }, 9, "", "did not find expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("b.yaml", []byte(tt.edit(valid)))
			if err == nil {
				t.Fatal("got no error")
			}
			var ie *drift.InvalidBaselineError
			if !errors.As(err, &ie) {
				t.Fatalf("got %T %v, want an InvalidBaselineError", err, err)
			}
			msg := err.Error()
			if ie.Source != "b.yaml" {
				t.Errorf("source: got %q, want b.yaml", ie.Source)
			}
			if ie.Line != tt.line {
				t.Errorf("line: got %d, want %d (%s)", ie.Line, tt.line, msg)
			}
			if tt.field != "" && ie.Field != tt.field {
				t.Errorf("field: got %q, want %q (%s)", ie.Field, tt.field, msg)
			}
			if !strings.Contains(msg, tt.problem) {
				t.Errorf("message %q does not mention %q", msg, tt.problem)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n"} {
		if _, err := Parse("e.yaml", []byte(in)); err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf("Parse(%q): got %v, want an error saying it is empty", in, err)
		}
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("got %v, want an error naming the file", err)
	}
}

// TestShippedBaselines keeps the baselines in the repo valid.
func TestShippedBaselines(t *testing.T) {
	files, _ := filepath.Glob("../../events/*.yaml")
	docs, _ := filepath.Glob("../../docs/examples/*.yaml")
	files = append(files, docs...)
	if len(files) == 0 {
		t.Fatal("no baselines found")
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSchemaIsPublished(t *testing.T) {
	doc, err := os.ReadFile("../../docs/baseline.schema.json")
	if err != nil {
		t.Fatalf("the published schema is missing (make schema writes it): %v", err)
	}
	if string(doc) != string(Schema) {
		t.Errorf("docs/baseline.schema.json differs from internal/baseline/baseline.schema.json: run make schema")
	}
}

func TestParseRejectsAliasBombs(t *testing.T) {
	doc := "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		doc += n + ": &" + n + " [" + strings.Repeat("*"+prev+",", 9) + "*" + prev + "]\n"
		prev = n
	}
	_, err := Parse("bomb.yaml", []byte(doc))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Errorf("got %v, want the alias expansion refused", err)
	}
	// Anchors used sensibly are fine.
	ok := strings.Replace(valid, "    trustPolicy:\n", "    trustPolicy: &trust\n", 1)
	if _, err := Parse("anchors.yaml", []byte(ok)); err != nil {
		t.Errorf("got %v for a plain anchor", err)
	}
}
