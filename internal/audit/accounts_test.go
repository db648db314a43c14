package audit

import (
	"slices"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// threeAccounts is the golden input with staging's findings moved to a
// second account and IAM's to a third, and names for two of them.
func threeAccounts(t *testing.T) ReportInput {
	in := goldenInput(t)
	for i := range in.History {
		switch f := &in.History[i]; {
		case f.Cluster == "staging":
			f.Account = "444455556666"
		case f.Cluster == "":
			f.Account = "777788889999"
		}
	}
	in.Aliases = drift.AccountAliases{"111122223333": "payments", "444455556666": "<!here> *staging*"}
	return in
}

func TestReportByAccount(t *testing.T) {
	r := BuildReport(threeAccounts(t))
	var got []string
	findings, drifted := 0, 0
	for _, a := range r.ByAccount {
		got = append(got, a.Account+"="+a.Name)
		findings += a.Findings
		drifted += a.Drift
	}
	want := []string{"111122223333=payments", "444455556666=<!here> *staging*", "777788889999="}
	if !slices.Equal(got, want) {
		t.Fatalf("accounts: got %v, want %v", got, want)
	}
	if findings != r.Summary.Findings || drifted != r.Summary.Drift {
		t.Errorf("findings, drift summed over accounts: got %v, %v, want %v, %v", findings, drifted, r.Summary.Findings, r.Summary.Drift)
	}
	exposures := 0
	for _, a := range r.ByAccount {
		exposures += a.Exposure.Count
	}
	if exposures != r.Summary.Exposure.Count {
		t.Errorf("exposures summed over accounts: got %v, want %v", exposures, r.Summary.Exposure.Count)
	}
	for _, c := range r.Clusters {
		if want := map[string]string{"111122223333": "payments", "444455556666": "<!here> *staging*"}[c.Cluster.Account]; c.AccountName != want {
			t.Errorf("cluster %s in %s: account name: got %q, want %q", c.Label, c.Cluster.Account, c.AccountName, want)
		}
	}
	for _, f := range r.Findings {
		if f.Account == "111122223333" && f.AccountName != "payments" {
			t.Errorf("finding %s: account name: got %q, want %q", f.ID, f.AccountName, "payments")
		}
	}
}

func TestReportAccountFilter(t *testing.T) {
	tests := []struct {
		name     string
		accounts []string
		want     []string // accounts of the findings
	}{
		{"Two", []string{"444455556666", "777788889999"}, []string{"444455556666", "777788889999"}},
		{"One", []string{"444455556666"}, []string{"444455556666"}},
		{"Unknown", []string{"999999999999"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := threeAccounts(t)
			in.Accounts = tt.accounts
			r := BuildReport(in)
			var got []string
			for _, f := range r.Findings {
				if !slices.Contains(got, f.Account) {
					got = append(got, f.Account)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("accounts of findings: got %v, want %v", got, tt.want)
			}
			for _, c := range r.Clusters {
				if !slices.Contains(tt.accounts, c.Cluster.Account) {
					t.Errorf("cluster %s of account %s: got it, want only %v", c.Label, c.Cluster.Account, tt.accounts)
				}
			}
			if len(tt.want) < 2 && r.ByAccount != nil {
				t.Errorf("by account: got %v, want none for one account", r.ByAccount)
			}
		})
	}
}

func TestReportOneAccountHasNoAccountSections(t *testing.T) {
	if r := BuildReport(goldenInput(t)); r.ByAccount != nil {
		t.Errorf("by account: got %v, want nil (the golden report stays as it was)", r.ByAccount)
	}
}
