package slack

import (
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestPodDiffNamesSessionFields(t *testing.T) {
	pol, err := drift.ParsePolicyDocument(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	on := true
	declared := &drift.PodIdentityAssociation{Namespace: "data", ServiceAccount: "reader", RoleARN: "arn:aws:iam::111122223333:role/b",
		TargetRoleARN: "arn:aws:iam::444455556666:role/t", Policy: pol, DisableSessionTags: &on}
	tests := []struct {
		name string
		now  drift.PodIdentityAssociation
		want string
	}{
		{"policy removed and tags on", drift.PodIdentityAssociation{RoleARN: declared.RoleARN, TargetRoleARN: declared.TargetRoleARN},
			minus + "session policy\n" + minus + "session tags off"},
		{"target role moved", drift.PodIdentityAssociation{RoleARN: declared.RoleARN, TargetRoleARN: "arn:aws:iam::999988887777:role/x", Policy: pol, DisableSessionTags: &on},
			minus + "target role `arn:aws:iam::444455556666:role/t`\n" + plus + "target role `arn:aws:iam::999988887777:role/x`"},
		{"an update's request alone says nothing of what it leaves out", drift.PodIdentityAssociation{Unknown: []string{drift.PodTargetRole, drift.PodPolicy, drift.PodSessionTags}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(podDiff(&tt.now, declared), "\n"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
