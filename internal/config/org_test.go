package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadOrg(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Org
		wantErr []string
	}{
		{name: "unset is one account", env: map[string]string{}, want: Org{}},
		{name: "members", env: map[string]string{
			EnvMemberAccounts: " 111111111111,222222222222 ,111111111111", EnvMemberReadRole: "eksdrift-read",
			EnvMemberExternalID: "o-abc123:eksdrift", EnvRegions: "us-west-2, eu-west-1",
		}, want: Org{MemberAccounts: []string{"111111111111", "222222222222"}, MemberReadRole: "eksdrift-read",
			ExternalID: "o-abc123:eksdrift", Regions: []string{"us-west-2", "eu-west-1"}}},
		{name: "members without a role", env: map[string]string{EnvMemberAccounts: "111111111111"},
			wantErr: []string{EnvMemberReadRole + " is required"}},
		{name: "hostile values", env: map[string]string{
			EnvMemberAccounts:   "111111111111,12345,*,111111111111/../x",
			EnvMemberReadRole:   "arn:aws:iam::111111111111:role/admin",
			EnvMemberExternalID: "x y\n",
			EnvRegions:          "us-west-2,../../evil,US-EAST-1",
		}, wantErr: []string{`"12345" is not a 12-digit`, `"*" is not a 12-digit`, `"111111111111/../x"`, "is not an IAM role name",
			EnvMemberExternalID + " is not a valid external ID", `"../../evil" is not a region`, `"US-EAST-1" is not a region`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadOrg(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) > 0 {
				for _, w := range tt.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("got error %v, want one saying %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.MemberAccounts, tt.want.MemberAccounts) || got.MemberReadRole != tt.want.MemberReadRole ||
				got.ExternalID != tt.want.ExternalID || !slices.Equal(got.Regions, tt.want.Regions) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.Enabled() != (len(tt.want.MemberAccounts) > 0) {
				t.Errorf("got enabled %v, want %v", got.Enabled(), len(tt.want.MemberAccounts) > 0)
			}
		})
	}
}

func TestLoadFanout(t *testing.T) {
	f, err := LoadFanout(func(string) string { return "" })
	if err != nil || f.AccountConcurrency != 16 || f.CallRate != 20 || f.Margin != time.Minute || f.Enabled() {
		t.Errorf("defaults: got %+v, %v, want 16 targets at once, 20 calls/s, 1m margin, no members", f, err)
	}
	env := map[string]string{EnvSweepAccountConcurrency: "0", EnvMemberCallRate: "0", EnvSweepMargin: "-1s", EnvMemberAccounts: "x"}
	_, err = LoadFanout(func(k string) string { return env[k] })
	for _, w := range []string{EnvSweepAccountConcurrency, EnvMemberCallRate, EnvSweepMargin, `"x" is not a 12-digit`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("got error %v, want one naming %s", err, w)
		}
	}
}
