package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsorg "github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/organizations"
)

// hostileOrgName is the name an attacker who may rename an account gives
// it: a newline that would start a line of its own, a right-to-left
// override, HTML for the report, and far more than a line holds.
const hostileOrgName = "evil\n\u202eFAKE <script>alert(1)</script>" + "\x1b[2J" + "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"

// orgWorld is an organization on MiniStack (the tests' own account is its
// management account) with two created accounts, one hostile-named, and
// the audited history moved into them: evil has mainAccount's findings,
// named has OtherAccount's, and ThirdAccount, which is no account of the
// organization, keeps its own.
type orgWorld struct {
	evil, named string
	all         []drift.Finding
}

func newOrgWorld(t *testing.T) orgWorld {
	t.Helper()
	api := awsorg.NewFromConfig(awstest.Config(t))
	// MiniStack has no CreateOrganization: the caller's organization
	// exists once asked about.
	if _, err := api.DescribeOrganization(t.Context(), &awsorg.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("DescribeOrganization: %v", err)
	}
	create := func(name string) string {
		out, err := api.CreateAccount(t.Context(), &awsorg.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(awstest.Name(t, "a") + "@example.com")})
		if err != nil {
			t.Fatalf("CreateAccount %q: %v", name, err)
		}
		return aws.ToString(out.CreateAccountStatus.AccountId)
	}
	w := orgWorld{evil: create(hostileOrgName), named: create("org-says-named")}
	for _, f := range drifttest.AuditedFindings(240) {
		switch f.Account {
		case mainAccount:
			f.Account = w.evil
		case drifttest.OtherAccount:
			f.Account = w.named
		}
		w.all = append(w.all, f)
	}
	return w
}

// TestOrgNamesOnBothStores runs history, access and report with
// --org-names against Organizations on MiniStack: names from the
// organization, cleaned as aliases are; the --aliases file's name first;
// and the account Organizations does not know shown by ID alone with one
// warning, the command succeeding.
func TestOrgNamesOnBothStores(t *testing.T) {
	w := newOrgWorld(t)
	aliases := writeAliases(t, "aliases.yaml", w.named+": file-says-named\n")
	since, until := drifttest.SampleTime(0).Format(time.RFC3339Nano), drifttest.SampleTime(240).Format(time.RFC3339Nano)
	three := w.evil + "," + w.named + "," + drifttest.ThirdAccount
	clean := drift.CleanAlias(hostileOrgName)
	if utf8.RuneCountInString(clean) != drift.MaxAliasRunes || !strings.HasPrefix(clean, "evil FAKE <script>") {
		t.Fatalf("cleaned name: got %q, want it cut to %d runes, one line", clean, drift.MaxAliasRunes)
	}
	commands := []struct {
		name string
		args []string
		// text is how the output shows the hostile name (the report
		// escapes it for HTML).
		text string
	}{
		{"history", []string{"history", "--account", three}, w.evil + " (" + clean + ")"},
		{"access", []string{"access", "--exposure", "--since", since, "--until", until, "--account", three}, w.evil + " (" + clean + ")"},
		{"report", []string{"report", "--since", since, "--until", until, "-o", "-", "--account", three}, "evil FAKE &lt;script&gt;alert(1)&lt;/script&gt;"},
	}
	for _, store := range accountStores(t, w.all) {
		for _, c := range commands {
			t.Run(store.name+"/"+c.name, func(t *testing.T) {
				args := append(append(c.args, "--org-names", "--aliases", aliases), store.args...)
				r := run(t, store.env, args...)
				if r.code != ExitOK {
					t.Fatalf("exit: got %v, want %v (%s)", r.code, ExitOK, r.stderr)
				}
				if !strings.Contains(r.stdout, c.text) {
					t.Errorf("output lacks the organization's name, cleaned, %q:\n%.3000s", c.text, r.stdout)
				}
				if c.name != "report" && !strings.Contains(r.stdout, w.named+" (file-says-named)") {
					t.Errorf("output lacks the file's name of %s:\n%.3000s", w.named, r.stdout)
				}
				for _, bad := range []string{"org-says-named", "\u202e", "\x1b", "\nFAKE", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", "<script>alert(1)</script>"} {
					if c.name != "report" && bad == "<script>alert(1)</script>" {
						continue // text output: the name is inert there, shown as it is
					}
					if strings.Contains(r.stdout, bad) {
						t.Errorf("output holds %q", bad)
					}
				}
				if c.name == "report" && !strings.Contains(r.stdout, "file-says-named") {
					t.Errorf("report lacks the file's name of %s", w.named)
				}
				var warnings []string
				for _, l := range strings.Split(r.stderr, "\n") {
					if strings.Contains(l, "warning") {
						warnings = append(warnings, l)
					}
				}
				if len(warnings) != 1 || !strings.Contains(warnings[0], drifttest.ThirdAccount) || !strings.Contains(warnings[0], "AccountNotFoundException") {
					t.Errorf("warnings: got %q, want one naming %s and why", warnings, drifttest.ThirdAccount)
				}
			})
		}
	}
}

// TestHistoryAccountColumnFitsNames checks the history table stays a
// table with names of different lengths: every row's KIND starts where
// the header's does.
func TestHistoryAccountColumnFitsNames(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	path := filepath.Join(stateEnv(t)["XDG_STATE_HOME"], "history.db")
	recordLocal(t, path, all)
	// The file names an account the table does not show, with a longer
	// name: the column must not be as wide as that one.
	aliases := writeAliases(t, "aliases.yaml", drifttest.OtherAccount+": a-rather-long-account-name\n"+mainAccount+": "+strings.Repeat("z", 60)+"\n")
	r := run(t, stateEnv(t), "history", "--history", path, "--aliases", aliases, "--account", drifttest.OtherAccount+","+drifttest.ThirdAccount)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	col := strings.Index(lines[0], "KIND")
	named := 0
	for _, l := range lines[1:] {
		if strings.Contains(l, drifttest.OtherAccount+" (a-rather-long-account-name)") {
			named++
		}
		if col < 1 || len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Fatalf("row %q: got KIND elsewhere, want it at column %d", l, col)
		}
	}
	if named == 0 {
		t.Errorf("no row names %s:\n%s", drifttest.OtherAccount, r.stdout)
	}
	header := strings.Fields(lines[0])
	if want := len(drifttest.OtherAccount + " (a-rather-long-account-name)"); col-strings.Index(lines[0], "ACCOUNT") != want+2 || header[5] != "ACCOUNT" {
		t.Errorf("ACCOUNT column: got %d wide, want %d (its widest label)", col-strings.Index(lines[0], "ACCOUNT")-2, want)
	}
}

// TestOrgNamesAskOncePerAccount counts the DescribeAccount calls of one
// report on MiniStack: one per account the file does not name, however
// many findings each has.
func TestOrgNamesAskOncePerAccount(t *testing.T) {
	w := newOrgWorld(t)
	path := filepath.Join(stateEnv(t)["XDG_STATE_HOME"], "history.db")
	recordLocal(t, path, w.all)
	aliases := writeAliases(t, "aliases.yaml", w.named+": file-says-named\n")
	since, until := drifttest.SampleTime(0).Format(time.RFC3339Nano), drifttest.SampleTime(240).Format(time.RFC3339Nano)
	namer := &organizations.Namer{Client: organizations.New(awstest.Config(t))}
	var mu sync.Mutex
	asked := map[string]int{}
	var out, errb bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &out, stderr: &errb,
		describeAccount: func(ctx context.Context, ids []string) []organizations.Named {
			mu.Lock()
			for _, id := range ids {
				asked[id]++
			}
			mu.Unlock()
			return namer.Names(ctx, ids)
		}}
	cmd := newReportCmd(e)
	cmd.SetArgs([]string{"--history", path, "--since", since, "--until", until, "-o", "-", "--org-names", "--aliases", aliases})
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("report: %v (%s)", err, errb.String())
	}
	if want := map[string]int{w.evil: 1, drifttest.ThirdAccount: 1}; len(asked) != len(want) || asked[w.evil] != 1 || asked[drifttest.ThirdAccount] != 1 {
		t.Errorf("accounts asked about: got %v, want %v", asked, want)
	}
	if c := namer.Calls(); c != 2 {
		t.Errorf("DescribeAccount calls: got %d, want 2", c)
	}
}

// TestNoOrgNamesWithoutTheFlag checks that a wired lookup is not used
// unless --org-names asks: naming costs calls, and needs a grant the
// caller may not have.
func TestNoOrgNamesWithoutTheFlag(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	path := filepath.Join(stateEnv(t)["XDG_STATE_HOME"], "history.db")
	recordLocal(t, path, all)
	since, until := drifttest.SampleTime(0).Format(time.RFC3339Nano), drifttest.SampleTime(240).Format(time.RFC3339Nano)
	called := false
	var out, errb bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &out, stderr: &errb,
		describeAccount: func(context.Context, []string) []organizations.Named { called = true; return nil }}
	cmd := newAccessCmd(e)
	cmd.SetArgs([]string{"--exposure", "--history", path, "--since", since, "--until", until})
	if err := cmd.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("access: %v (%s)", err, errb.String())
	}
	if called {
		t.Errorf("lookup: got called, want no call without --org-names")
	}
}

// TestOrgNameWarningsAreBounded: a history of many accounts that cannot be
// named (made-up ones, or a caller without the grant) must not bury the
// output in warnings.
func TestOrgNameWarningsAreBounded(t *testing.T) {
	var ids []string
	for i := range 50 {
		ids = append(ids, fmt.Sprintf("%012d", 300000000000+i))
	}
	for _, tt := range []struct {
		name     string
		accounts []string
		lines    int
		last     string
	}{
		{"Few", ids[:3], 3, "account " + ids[2] + " shown by ID alone"},
		{"AtTheBound", ids[:maxNameWarnings], maxNameWarnings, "account " + ids[maxNameWarnings-1] + " shown by ID alone"},
		{"Many", ids, maxNameWarnings + 1, fmt.Sprintf("%d more accounts shown by ID alone", len(ids)-maxNameWarnings)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var errb bytes.Buffer
			e := &env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: &errb,
				describeAccount: func(_ context.Context, ids []string) []organizations.Named {
					out := make([]organizations.Named, len(ids))
					for i, id := range ids {
						out[i] = organizations.Named{ID: id, Reason: "access denied (AccessDeniedException)"}
					}
					return out
				}}
			names := e.accountNames(t.Context(), "report", namesFlags{org: true}, drift.AccountAliases{}, nil, tt.accounts)
			if len(names) != 0 {
				t.Errorf("names: got %v, want none", names)
			}
			lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
			if len(lines) != tt.lines || !strings.Contains(lines[len(lines)-1], tt.last) {
				t.Errorf("warnings: got %d lines ending %q, want %d ending %q", len(lines), lines[len(lines)-1], tt.lines, tt.last)
			}
		})
	}
}
