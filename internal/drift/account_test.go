package drift

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMergeAccount(t *testing.T) {
	const acct, other = "111122223333", "444455556666"
	shared := func() *Baseline {
		return &Baseline{Version: 1, Mode: ModeRevert, Source: "s3://b/baseline.yaml", VersionID: "v1",
			BreakGlass: []BreakGlass{{Principal: "arn:aws:iam::999988887777:role/break-glass"}}}
	}
	cluster := func(account string) ClusterBaseline {
		return ClusterBaseline{Name: "prod", Account: account, Region: "us-east-1"}
	}
	tests := []struct {
		name   string
		member *Baseline
		err    string // a part of the error; "" for none
		field  string
	}{
		{name: "no account file: the shared baseline alone"},
		{name: "the account's own cluster and role", member: &Baseline{
			Clusters: []ClusterBaseline{cluster(acct)},
			IAMRoles: []RoleBaseline{{ARN: "arn:aws:iam::" + acct + ":role/dev"}}}},
		{name: "breakGlass in an account file", member: &Baseline{
			BreakGlass: []BreakGlass{{Principal: "arn:aws:iam::" + acct + ":role/attacker"}}},
			err: "may not declare breakGlass", field: "breakGlass"},
		{name: "a cluster of another account", member: &Baseline{Clusters: []ClusterBaseline{cluster(other)}},
			err: "is in account " + other + ", not " + acct, field: "clusters[0].account"},
		{name: "a role of another account", member: &Baseline{IAMRoles: []RoleBaseline{{ARN: "arn:aws:iam::" + other + ":role/dev"}}},
			err: "not in account " + acct, field: "iamRoles[0].arn"},
		{name: "a user of another account", member: &Baseline{IAMUsers: []UserBaseline{{ARN: "arn:aws:iam::" + other + ":user/u"}}},
			err: "not in account " + acct, field: "iamUsers[0].arn"},
		{name: "an OIDC provider of another account", member: &Baseline{OIDCProviders: []string{"arn:aws:iam::" + other + ":oidc-provider/x"}},
			err: "not in account " + acct, field: "oidcProviders[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.member != nil {
				tt.member.Source, tt.member.VersionID = "s3://b/baselines/"+acct+".yaml", "v7"
			}
			ix, err := MergeAccount(shared(), tt.member, acct)
			if tt.err != "" {
				var ie *InvalidBaselineError
				if !errors.As(err, &ie) || !strings.Contains(ie.Problem, tt.err) || ie.Field != tt.field || ie.Source != tt.member.Source {
					t.Fatalf("got %v, want an InvalidBaselineError on %s of %s saying %q", err, tt.field, tt.member.Source, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if _, ok := ix.BreakGlassFor("arn:aws:iam::999988887777:role/break-glass", time.Now()); !ok {
				t.Errorf("shared breakGlass: got none, want it kept")
			}
			if tt.member != nil {
				if _, ok := ix.Cluster(acct, "us-east-1", "prod"); !ok {
					t.Errorf("cluster: got none, want the account file's")
				}
				if got, want := ix.Baseline.VersionID, "v1+v7"; got != want {
					t.Errorf("version: got %v, want %v", got, want)
				}
			}
		})
	}
}

func TestMergeAccountModeAndDuplicates(t *testing.T) {
	const acct = "111122223333"
	shared := &Baseline{Version: 1, Mode: ModeRevert, Source: "baseline.yaml", Clusters: []ClusterBaseline{{Name: "prod", Account: acct, Region: "us-east-1"}}}
	t.Run("declared in both is declared twice, at the account file's field", func(t *testing.T) {
		member := &Baseline{Source: "baselines/" + acct + ".yaml", Clusters: []ClusterBaseline{{Name: "prod", Account: acct, Region: "us-east-1"}}}
		_, err := MergeAccount(shared, member, acct)
		var ie *InvalidBaselineError
		if !errors.As(err, &ie) || !strings.Contains(ie.Problem, "declared twice") {
			t.Fatalf("got %v, want declared twice", err)
		}
		if got, want := ie.Source+" "+ie.Field, "baselines/"+acct+".yaml clusters[0]"; got != want {
			t.Errorf("where: got %v, want %v", got, want)
		}
		if !strings.Contains(ie.Problem, "in the shared baseline baseline.yaml too") {
			t.Errorf("problem: got %v, want the shared file named", ie.Problem)
		}
	})
	t.Run("the account file's mode is its clusters' default", func(t *testing.T) {
		member := &Baseline{Mode: ModeAlert, Clusters: []ClusterBaseline{{Name: "dev", Account: acct, Region: "us-east-1"}}}
		ix, err := MergeAccount(shared, member, acct)
		if err != nil {
			t.Fatal(err)
		}
		dev, _ := ix.Cluster(acct, "us-east-1", "dev")
		prod, _ := ix.Cluster(acct, "us-east-1", "prod")
		if dev.Mode != ModeAlert || prod.Mode != "" || ix.Baseline.Mode != ModeRevert {
			t.Errorf("modes: got dev %q prod %q default %q, want alert, inherited, revert", dev.Mode, prod.Mode, ix.Baseline.Mode)
		}
	})
}
