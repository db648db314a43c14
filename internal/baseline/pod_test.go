package baseline

import (
	"errors"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// podBaseline is valid with one association whose session fields are set.
func podBaseline(assoc string) string {
	return strings.Replace(valid, "    podIdentityAssociations: []\n", "    podIdentityAssociations:\n"+assoc, 1)
}

const podAssoc = `      - namespace: data
        serviceAccount: reader
        roleArn: arn:aws:iam::111122223333:role/data-broker
        targetRoleArn: arn:aws:iam::444455556666:role/data-reader
        disableSessionTags: true
        policy:
          Version: "2012-10-17"
          Statement: {Effect: Allow, Action: s3:GetObject, Resource: "*"}
`

func TestPodIdentitySessionFieldsLoad(t *testing.T) {
	b, err := Parse("b.yaml", []byte(podBaseline(podAssoc)))
	if err != nil {
		t.Fatal(err)
	}
	p := b.Clusters[0].PodIdentityAssociations[0]
	want, _ := drift.ParsePolicyDocument(`{"Statement":[{"Resource":["*"],"Action":"s3:getobject","Effect":"Allow"}],"Version":"2012-10-17"}`)
	if p.TargetRoleARN != "arn:aws:iam::444455556666:role/data-reader" || !p.SessionTagsDisabled() || !p.Policy.Equal(want) {
		t.Errorf("got %+v, want the target role, tags off and the policy", p)
	}
}

func TestPodIdentitySessionFieldErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		line    int
		field   string
		problem string
	}{
		{"session policy with session tags on", func(s string) string { return strings.Replace(s, "        disableSessionTags: true\n", "", 1) },
			23, "clusters[0].podIdentityAssociations[0].policy", "disableSessionTags: true"},
		{"target role not a role ARN", func(s string) string {
			return strings.Replace(s, "targetRoleArn: arn:aws:iam::444455556666:role/data-reader", "targetRoleArn: data-reader", 1)
		}, 22, "clusters[0].podIdentityAssociations[0].targetRoleArn", ""},
		{"session policy that is not a policy", func(s string) string { return strings.Replace(s, "Statement: {", "Statements: {", 1) },
			24, "clusters[0].podIdentityAssociations[0].policy", "Statement"},
		{"session tags not a boolean", func(s string) string {
			return strings.Replace(s, "disableSessionTags: true", `disableSessionTags: "yes"`, 1)
		}, 23, "clusters[0].podIdentityAssociations[0].disableSessionTags", ""},
		{"association id is not a baseline field", func(s string) string {
			return strings.Replace(s, "        disableSessionTags: true\n", "        disableSessionTags: true\n        associationId: a-1\n", 1)
		}, 24, "clusters[0].podIdentityAssociations[0].associationId", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("b.yaml", []byte(tt.edit(podBaseline(podAssoc))))
			var ie *drift.InvalidBaselineError
			if !errors.As(err, &ie) {
				t.Fatalf("got %T %v, want an InvalidBaselineError", err, err)
			}
			if ie.Line != tt.line || (tt.field != "" && ie.Field != tt.field) || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("got line %d field %q: %v, want line %d field %q mentioning %q", ie.Line, ie.Field, err, tt.line, tt.field, tt.problem)
			}
		})
	}
}

func TestPodIdentitySessionFieldsReadBack(t *testing.T) {
	b, err := Parse("b.yaml", []byte(podBaseline(podAssoc)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(b, Notes{})
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
}
