package infra

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/wiring"
)

// The pattern the stack grants is where the functions read the account
// files.
func TestAccountBaselinesPatternIsWiringsKey(t *testing.T) {
	for _, key := range []string{"baseline.yaml", "prod/baseline.yaml", "a/b/eksdrift.yaml"} {
		t.Run(key, func(t *testing.T) {
			k := wiring.AccountKey(key, "111122223333")
			if ok, err := path.Match(AccountBaselinesPattern(key), k); !ok || err != nil {
				t.Errorf("got %q not matching %q (%v), want it to", k, AccountBaselinesPattern(key), err)
			}
		})
	}
}

// TestFunctionsReadAccountBaselines: in an organization deployment the
// detector and the reverter read baselines/<account>.yaml (and the
// reverter its versions, for the hold-down), and may list the bucket so
// that a missing file is a 404 (the shared baseline alone), not a 403 (an
// unusable baseline: nothing reverted in an account with no file of its
// own). Without members no function reads them. They used to be granted
// the shared object alone, so every account file read was denied.
func TestFunctionsReadAccountBaselines(t *testing.T) {
	tests := []struct {
		c        synthCase
		function func(*Stacks) *Function
		want     []string // the actions on the account files and the bucket; nil none
	}{
		{caseOrg, func(s *Stacks) *Function { return s.Detector.Function }, []string{"s3:GetObject", "s3:ListBucket"}},
		{caseOrgRevert, func(s *Stacks) *Function { return s.Detector.Function }, []string{"s3:GetObject", "s3:ListBucket"}},
		{caseOrgRevert, func(s *Stacks) *Function { return s.Reverter.Function }, []string{"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"}},
		{caseMembers, func(s *Stacks) *Function { return s.Reverter.Function }, []string{"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions"}},
		{caseOrgSlack, func(s *Stacks) *Function { return s.Interact.Function }, []string{"s3:GetObject", "s3:ListBucket"}},
		{caseOrg, func(s *Stacks) *Function { return s.Notifier.Function }, nil},
		{caseRevert, func(s *Stacks) *Function { return s.Reverter.Function }, nil},
		{caseRevert, func(s *Stacks) *Function { return s.Detector.Function }, nil},
	}
	for _, tt := range tests {
		s := synth(t, tt.c)
		f := tt.function(s.stacks)
		t.Run(tt.c.name+"/"+f.Name, func(t *testing.T) {
			pattern := AccountBaselinesPattern(s.settings.BaselineKey)
			var got []string
			for _, st := range roleStatements(t, s, f.Role) {
				raw, _ := json.Marshal(st.raw)
				sid, _ := st.raw["Sid"].(string)
				if !strings.Contains(string(raw), "/"+pattern) && !strings.Contains(sid, "AccountBaseline") {
					continue
				}
				got = append(got, st.actions...)
				if c, ok := st.raw["Condition"]; ok {
					cj, _ := json.Marshal(c)
					if want := `{"StringLike":{"s3:prefix":"` + pattern + `"}}`; string(cj) != want {
						t.Errorf("%s's condition: got %s, want %s", sid, cj, want)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("actions on the account baselines: got %v, want %v", got, tt.want)
			}
		})
	}
}
