package config

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadOrg(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		members []string
		err     []string
	}{
		{name: "single account", env: map[string]string{}},
		{name: "members sorted and deduplicated",
			env:     map[string]string{EnvMemberAccounts: "222233334444, 111122223333,222233334444", EnvMemberExternalID: "eksdrift-x1"},
			members: []string{"111122223333", "222233334444"}},
		{name: "members without an external ID",
			env: map[string]string{EnvMemberAccounts: "111122223333"},
			err: []string{EnvMemberExternalID + " is not set"}},
		{name: "an organization without an external ID",
			env: map[string]string{EnvOrganizationID: "o-a1b2c3d4e5"},
			err: []string{EnvMemberExternalID + " is not set, and " + EnvOrganizationID + " is"}},
		{name: "an account that is not 12 digits",
			env: map[string]string{EnvMemberAccounts: "11112222333,*", EnvMemberExternalID: "xid-0001"},
			err: []string{`"11112222333" is not a 12-digit account ID`, `"*" is not a 12-digit account ID`}},
		{name: "an empty item is refused, not dropped",
			env: map[string]string{EnvMemberAccounts: "111122223333,", EnvMemberExternalID: "xid-0001"},
			err: []string{`"" is not a 12-digit account ID`}},
		{name: "a role path or wildcard as role name",
			env: map[string]string{EnvMemberReadRole: "a/b", EnvMemberRevertRole: "*"},
			err: []string{EnvMemberReadRole + `="a/b" is not an IAM role name`, EnvMemberRevertRole + `="*" is not an IAM role name`}},
		{name: "organization and regions",
			env: map[string]string{EnvOrganizationID: "org-1", EnvRegions: "us-east-1,mars"},
			err: []string{EnvOrganizationID + `="org-1"`, `"mars" is not a region`}},
		{name: "OUs of an organization",
			env: map[string]string{EnvOrganizationID: "o-a1b2c3d4e5", EnvMemberExternalID: "xid-0001", EnvOrganizationalUnits: "ou-ab12-cdefgh34,r-ab12"}},
		{name: "OUs malformed or without an organization",
			env: map[string]string{EnvOrganizationalUnits: "ou-*,o-a1b2c3d4e5", EnvMemberExternalID: "xid-0001"},
			err: []string{`"ou-*" is not an OU ID`, `"o-a1b2c3d4e5" is not an OU ID`, EnvOrganizationalUnits + " is set, and " + EnvOrganizationID + " is not"}},
		{name: "external ID with a space",
			env: map[string]string{EnvMemberExternalID: "a b"},
			err: []string{EnvMemberExternalID + " is not 2 to 1224"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := LoadOrg(func(k string) string { return tt.env[k] })
			if len(tt.err) == 0 && err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			for _, want := range tt.err {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v, want an error saying %q", err, want)
				}
			}
			if len(tt.err) == 0 {
				if !slices.Equal(o.Members, tt.members) {
					t.Errorf("members: got %v, want %v", o.Members, tt.members)
				}
				if o.ReadRole != DefaultMemberReadRole || o.RevertRole != DefaultMemberRevertRole {
					t.Errorf("roles: got %q %q, want the defaults", o.ReadRole, o.RevertRole)
				}
				if o.Enabled() != (len(tt.members) > 0) {
					t.Errorf("enabled: got %v, want %v", o.Enabled(), len(tt.members) > 0)
				}
				for _, m := range tt.members {
					if !o.IsMember(m) {
						t.Errorf("IsMember(%s): got false, want true", m)
					}
				}
				if o.IsMember("999999999999") {
					t.Errorf("IsMember(999999999999): got true, want false")
				}
			}
		})
	}
}
