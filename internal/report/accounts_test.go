package report

import (
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/audit"
)

func TestWriteHasASectionPerAccount(t *testing.T) {
	r := golden(t)
	hostile := `<script>alert(1)</script>`
	r.ByAccount = []audit.AccountReport{
		{Account: "111122223333", Name: "payments", Findings: 3, Drift: 2, BySeverity: make([]audit.Count, 5)},
		{Account: "444455556666", Name: hostile, Findings: 1, BySeverity: make([]audit.Count, 5)},
	}
	for i := range r.Clusters {
		if r.Clusters[i].Cluster.Account == "111122223333" {
			r.Clusters[i].AccountName = "payments"
		}
	}
	page := render(t, r)
	for _, want := range []string{
		`id="account-111122223333"`, `id="account-444455556666"`, "111122223333 <small>payments</small>",
		"111122223333 (payments)", "&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, hostile) {
		t.Errorf("the page holds the account name %q unescaped", hostile)
	}
}

func TestWriteOneAccountHasNoAccountSection(t *testing.T) {
	if page := render(t, golden(t)); strings.Contains(page, `id="accounts"`) {
		t.Errorf("the page of one account has a per-account section; want none")
	}
}
