package baseline

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// domainJSON is a baseline's content, without where it came from, in a form
// that compares policy documents by meaning.
func domainJSON(t *testing.T, b *drift.Baseline) string {
	t.Helper()
	c := *b
	c.Source, c.VersionID = "", ""
	out, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestMarshalReadsBack(t *testing.T) {
	example := docExample(t)
	for name, src := range map[string][]byte{"valid": []byte(valid), "events/baseline.yaml": readFile(t, "../../events/baseline.yaml"), "docs/baseline.md example": example} {
		t.Run(name, func(t *testing.T) {
			b, err := Parse(name, src)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(b, Notes{Header: []string{"a header"}})
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("written", out)
			if err != nil {
				t.Fatalf("Marshal wrote a baseline Parse rejects: %v\n%s", err, out)
			}
			if got, want := domainJSON(t, back), domainJSON(t, b); got != want {
				t.Errorf("read back differs:\n%s\nwritten as:\n%s", got, out)
			}
			again, err := Marshal(back, Notes{Header: []string{"a header"}})
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("writing what was read back gives other bytes:\n%s", again)
			}
		})
	}
}

// docExample is the complete example of docs/baseline.md.
func docExample(t *testing.T) []byte {
	t.Helper()
	md := string(readFile(t, "../../docs/baseline.md"))
	start := strings.Index(md, "```yaml\n# yaml-language-server")
	if start < 0 {
		t.Fatal("docs/baseline.md has no complete example")
	}
	body := md[start+len("```yaml\n"):]
	return []byte(body[:strings.Index(body, "```")])
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMarshalCaptured writes a captured baseline, comments included, and
// compares it with testdata/golden/captured.yaml (go test -run
// TestMarshalCaptured -update rewrites it).
func TestMarshalCaptured(t *testing.T) {
	trust, err := drift.ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Sid":"EKSPodIdentity","Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	inline, err := drift.ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Bool":{"aws:SecureTransport":"true"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	const acct, region = "111122223333", "us-west-2"
	dev, node, api := "arn:aws:iam::111122223333:role/dev", "arn:aws:iam::111122223333:role/eks-node", "arn:aws:iam::111122223333:role/app/api"
	state := drift.ClusterState{Name: "prod", Account: acct, Region: region, Found: true, AuthenticationMode: drift.AuthModeAPI,
		AccessEntries: []drift.EntryState{
			{AccessEntry: drift.AccessEntry{PrincipalARN: node, Type: drift.EntryEC2Linux, KubernetesGroups: []string{"system:nodes"}}},
			{AccessEntry: drift.AccessEntry{PrincipalARN: dev, Type: drift.EntryStandard, KubernetesGroups: []string{"dev"}, Username: "dev:{{SessionName}}"},
				Policies: []drift.AccessPolicy{
					{PrincipalARN: dev, PolicyARN: drift.PolicyEdit, Scope: drift.AccessScope{Type: "namespace", Namespaces: []string{"jobs", "app"}}},
					{PrincipalARN: dev, PolicyARN: drift.PolicyView, Scope: drift.AccessScope{Type: "cluster"}},
				}},
		},
		PodIdentityAssociations: []drift.PodIdentityAssociation{{Namespace: "app", ServiceAccount: "api", RoleARN: api}},
		IdentityProviderConfigs: []drift.IdentityProviderConfig{},
	}
	roles := []drift.RoleState{{ARN: api, Name: "api", Account: acct, Found: true, TrustPolicy: trust, ManagedPolicies: []string{},
		InlinePolicies: map[string]*drift.PolicyDocument{"read-bucket": inline}}}
	// A user behind an entry: every part declared, its active
	// credentials only.
	ops := "arn:aws:iam::111122223333:user/ops/oncall"
	state.AccessEntries = append(state.AccessEntries, drift.EntryState{AccessEntry: drift.AccessEntry{PrincipalARN: ops, Type: drift.EntryStandard}})
	users := []drift.UserState{{ARN: ops, Name: "oncall", Account: acct, Found: true, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		InlinePolicies: map[string]*drift.PolicyDocument{}, Groups: []string{"oncall", "readers"}, ConsoleAccess: true,
		AccessKeys:         []drift.Credential{{ID: "AKIAOLDINACTIVE0001", Status: "Inactive"}, {ID: "AKIAONCALL0000001", Status: "Active"}},
		ServiceCredentials: []drift.Credential{{ID: "ACCACODECOMMIT00001", Status: "Active"}}}}
	b := drift.Capture([]drift.ClusterState{state}, roles, users)
	notes := Notes{
		Header:  []string{"Captured by eksdrift baseline capture at " + time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC).Format(time.RFC3339), "Review it: everything found is declared allowed."},
		Entries: map[string]string{EntryNote(acct, region, "prod", node): "EC2_LINUX: managed by EKS for the nodes of a node group"},
		Roles:   map[string]string{api: "behind pod identity association app/api on prod"},
		Users:   map[string]string{ops: "behind access entry on prod"},
	}
	out, err := Marshal(b, notes)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "captured.yaml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readFile(t, golden)
	if !bytes.Equal(out, want) {
		t.Errorf("got\n%s\nwant (%s)\n%s", out, golden, want)
	}
	back, err := Parse(golden, out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := domainJSON(t, back), domainJSON(t, b); got != want {
		t.Errorf("read back differs:\n%s\nwant\n%s", got, want)
	}
}
