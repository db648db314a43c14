package cloudtrail

import (
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// TestPodIdentitySessionFields reads targetRoleArn, policy and
// disableSessionTags from pod identity calls: whole from a response or a
// create's request, and from an update's request alone as what it names.
func TestPodIdentitySessionFields(t *testing.T) {
	record := func(event, req, resp string) string {
		return `{"eventID":"e","eventTime":"2026-10-29T09:00:00Z","eventSource":"eks.amazonaws.com","eventName":"` + event +
			`","recipientAccountId":"111122223333","awsRegion":"us-west-2","requestParameters":` + req + `,"responseElements":` + resp + `}`
	}
	const policy = `"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"`
	tests := []struct {
		name, input, target string
		policy, tagsOff     bool
		unknown             []string
	}{
		{name: "create request, no response", input: record("CreatePodIdentityAssociation",
			`{"name":"prod","namespace":"data","serviceAccount":"reader","roleArn":"arn:aws:iam::111122223333:role/r","targetRoleArn":"arn%3Aaws%3Aiam%3A%3A999988887777%3Arole%2Fx","policy":`+policy+`,"disableSessionTags":true}`, `null`),
			target: "arn:aws:iam::999988887777:role/x", policy: true, tagsOff: true},
		{name: "update response is the whole association", input: record("UpdatePodIdentityAssociation",
			`{"name":"prod","associationId":"a-1","policy":""}`,
			`{"association":{"clusterName":"prod","namespace":"data","serviceAccount":"reader","roleArn":"arn:aws:iam::111122223333:role/r","associationId":"a-1","targetRoleArn":"arn:aws:iam::444455556666:role/t","disableSessionTags":false}}`),
			target: "arn:aws:iam::444455556666:role/t"},
		{name: "update request alone: what it leaves out is unknown", input: record("UpdatePodIdentityAssociation",
			`{"name":"prod","associationId":"a-1","namespace":"data","serviceAccount":"reader","targetRoleArn":"arn:aws:iam::999988887777:role/x"}`, `null`),
			target: "arn:aws:iam::999988887777:role/x", unknown: []string{drift.PodPolicy, drift.PodSessionTags}},
		{name: "update request alone removing the policy", input: record("UpdatePodIdentityAssociation",
			`{"name":"prod","associationId":"a-1","namespace":"data","serviceAccount":"reader","policy":""}`, `null`),
			unknown: []string{drift.PodTargetRole, drift.PodSessionTags}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			c, ignored, err := Changes(&b.Records[0])
			if err != nil || ignored != "" || len(c) != 1 {
				t.Fatalf("got %d changes, ignored %q, error %v, want one change", len(c), ignored, err)
			}
			p := c[0].Resource.(*drift.PodIdentityAssociation)
			if p.TargetRoleARN != tt.target || (p.Policy != nil) != tt.policy || p.SessionTagsDisabled() != tt.tagsOff || !slices.Equal(p.Unknown, tt.unknown) {
				t.Errorf("got target %q policy %v tags off %v unknown %v, want %q %v %v %v", p.TargetRoleARN, p.Policy != nil, p.SessionTagsDisabled(), p.Unknown, tt.target, tt.policy, tt.tagsOff, tt.unknown)
			}
		})
	}
	t.Run("a session policy that is not a policy is an error that names it", func(t *testing.T) {
		b, err := Decode([]byte(record("CreatePodIdentityAssociation", `{"name":"prod","namespace":"data","serviceAccount":"reader","roleArn":"arn:aws:iam::111122223333:role/r","policy":"not json"}`, `null`)))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Changes(&b.Records[0])
		if err == nil || !strings.Contains(err.Error(), "policy") {
			t.Errorf("got %v, want an error about the policy", err)
		}
	})
}
