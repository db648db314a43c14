package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/organizations"
)

const mainAccount = "111122223333"

func TestAccountFlagIsValidated(t *testing.T) {
	commands := map[string][]string{
		"history": {"history"},
		"access":  {"access", "--exposure"},
		"report":  {"report", "--since", "30d", "-o", "-"},
	}
	for _, bad := range []struct{ name, value, inMessage string }{
		{"Short", "12345", `"12345"`},
		{"Letters", "11112222333a", `"11112222333a"`},
		{"OneBadOfTwo", mainAccount + ",444455556666x", `"444455556666x"`},
		{"Empty", "", `""`},
		{"TrailingComma", mainAccount + ",", `""`},
		{"ARN", "arn:aws:iam::111122223333:root", `"arn:aws:iam::111122223333:root"`},
		// A hostile value is quoted on one line, its control characters gone.
		{"Newline", "1111\nFAKE: all clear\n22223333", `"1111 FAKE: all clear 22223333"`},
	} {
		for name, args := range commands {
			t.Run(bad.name+"/"+name, func(t *testing.T) {
				r := run(t, stateEnv(t), append(args, "--account", bad.value)...)
				if r.code != ExitUsage {
					t.Fatalf("exit: got %v, want %v (%s)", r.code, ExitUsage, r.stderr)
				}
				if !strings.Contains(r.stderr, bad.inMessage) || !strings.Contains(r.stderr, "12 digits") {
					t.Errorf("stderr: got %q, want it to name %s and say 12 digits", r.stderr, bad.inMessage)
				}
				if strings.Contains(r.stderr, "\nFAKE") {
					t.Errorf("stderr: got %q, want the value on one line", r.stderr)
				}
			})
		}
	}
}

// accountStores gives the same three-account history as a local file and
// as a DynamoDB table on the emulator, with the arguments that pick each.
func accountStores(t *testing.T, all []drift.Finding) []struct {
	name string
	env  map[string]string
	args []string
} {
	local := stateEnv(t)
	recordLocal(t, filepath.Join(local["XDG_STATE_HOME"], "eksdrift", "history.db"), all)
	table := historyTable(t, all)
	return []struct {
		name string
		env  map[string]string
		args []string
	}{{"SQLite", local, nil}, {"DynamoDB", awsEnv(t), []string{"--table", table}}}
}

// writeAliases writes an aliases file; a hostile name for OtherAccount.
func writeAliases(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAccessExposureGroupsByAccount(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	aliases := writeAliases(t, "aliases.yaml", mainAccount+": payments\n\""+drifttest.OtherAccount+"\": \"vendor\\nCLUSTER  COUNT  OPEN\\u202e\"\n")
	since, until := drifttest.SampleTime(0).Format(time.RFC3339Nano), drifttest.SampleTime(240).Format(time.RFC3339Nano)
	for _, store := range accountStores(t, all) {
		t.Run(store.name, func(t *testing.T) {
			args := append([]string{"access", "--exposure", "--since", since, "--until", until, "--aliases", aliases,
				"--account", mainAccount + "," + drifttest.OtherAccount}, store.args...)
			r := run(t, store.env, args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			lines := strings.Split(r.stdout, "\n")
			if !strings.Contains(lines[2], "CLUSTER  ACCOUNT") {
				t.Fatalf("header: got %q, want an ACCOUNT column", lines[2])
			}
			for _, want := range []string{mainAccount + " (payments)", drifttest.OtherAccount + " (vendor CLUSTER COUNT OPEN)"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
			if strings.Contains(r.stdout, drifttest.ThirdAccount) {
				t.Errorf("output holds %s, which --account leaves out:\n%s", drifttest.ThirdAccount, r.stdout)
			}
			if strings.Contains(r.stdout, "\u202e") || strings.Count(r.stdout, "CLUSTER  COUNT  OPEN\n") != 0 {
				t.Errorf("a hostile alias shaped the output:\n%s", r.stdout)
			}
			// Each account has its total, and the whole its own, last.
			var totals []string
			for _, l := range lines {
				if f := strings.Fields(l); len(f) > 1 && f[0] == "all" {
					totals = append(totals, f[1])
				}
			}
			if want := []string{mainAccount, drifttest.OtherAccount, "all"}; !slices.Equal(totals, want) {
				t.Errorf("total rows: got %v, want %v", totals, want)
			}
		})
	}
}

func TestAccessOneAccountHasNoAccountColumn(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	since, until := drifttest.SampleTime(0).Format(time.RFC3339Nano), drifttest.SampleTime(240).Format(time.RFC3339Nano)
	for _, store := range accountStores(t, all) {
		t.Run(store.name, func(t *testing.T) {
			args := append([]string{"access", "--exposure", "--since", since, "--until", until, "--account", drifttest.ThirdAccount}, store.args...)
			r := run(t, store.env, args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			// (Principals' ARNs name other accounts: the sample's do.)
			if strings.Contains(r.stdout, "ACCOUNT") {
				t.Errorf("one account: got %q, want no ACCOUNT column", r.stdout)
			}
			if !strings.Contains(r.stdout, "drift that granted access") || strings.Contains(r.stdout, ": 0\n") {
				t.Errorf("got %q, want the third account's drift", r.stdout)
			}
		})
	}
}

func TestReportByAccountOnBothStores(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	aliases := writeAliases(t, "aliases.json", `{"`+drifttest.ThirdAccount+`": "<script>alert(1)</script>"}`)
	since, until := drifttest.SampleTime(0).Format(time.RFC3339Nano), drifttest.SampleTime(240).Format(time.RFC3339Nano)
	for _, store := range accountStores(t, all) {
		for _, tt := range []struct {
			name     string
			accounts string
			sections []string
		}{
			{"All", "", []string{mainAccount, drifttest.OtherAccount, drifttest.ThirdAccount}},
			{"Two", drifttest.OtherAccount + "," + drifttest.ThirdAccount, []string{drifttest.OtherAccount, drifttest.ThirdAccount}},
			{"One", drifttest.ThirdAccount, nil},
		} {
			t.Run(store.name+"/"+tt.name, func(t *testing.T) {
				args := append([]string{"report", "--since", since, "--until", until, "-o", "-", "--aliases", aliases}, store.args...)
				if tt.accounts != "" {
					args = append(args, "--account", tt.accounts)
				}
				r := run(t, store.env, args...)
				if r.code != ExitOK {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				for _, a := range []string{mainAccount, drifttest.OtherAccount, drifttest.ThirdAccount} {
					has := strings.Contains(r.stdout, `id="account-`+a+`"`)
					if want := slices.Contains(tt.sections, a); has != want {
						t.Errorf("section of %s: got %v, want %v", a, has, want)
					}
				}
				if tt.accounts != "" && strings.Contains(r.stdout, `"account":"`+mainAccount+`"`) {
					t.Errorf("the report holds findings of %s, which --account leaves out", mainAccount)
				}
				if strings.Contains(r.stdout, "<script>alert(1)") {
					t.Errorf("the report holds the alias unescaped")
				}
			})
		}
	}
}

func TestAliasesFileIsChecked(t *testing.T) {
	for _, tt := range []struct{ name, file, body, want string }{
		{"NotAnAccount", "a.yaml", "prod: payments\n", `"prod" is not an account ID`},
		{"ShortAccount", "a.json", `{"11112222333": "x"}`, `"11112222333" is not an account ID`},
		{"NotAMap", "a.yaml", "- 111122223333\n", "want a map of account ID to name"},
		{"Missing", "", "", "--aliases"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "missing.yaml")
			if tt.file != "" {
				path = writeAliases(t, tt.file, tt.body)
			}
			r := run(t, stateEnv(t), "access", "--exposure", "--aliases", path)
			if r.code != ExitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("got exit %v, %q, want exit %v naming %q", r.code, r.stderr, ExitError, tt.want)
			}
		})
	}
}

// TestAccountNamesFromALookup runs access --org-names with a lookup wired
// beside the aliases file: the file first, then the lookup, names cleaned,
// and an account the lookup cannot name a warning of its own, the others
// still named. The lookup is a function here, to give answers MiniStack
// does not (a failure for one account only); orgnames_test.go runs the
// real one on MiniStack.
func TestAccountNamesFromALookup(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	path := filepath.Join(stateEnv(t)["XDG_STATE_HOME"], "history.db")
	recordLocal(t, path, all)
	aliases := writeAliases(t, "aliases.yaml", mainAccount+": from-the-file\n")
	since, until := drifttest.SampleTime(0).Format(time.RFC3339Nano), drifttest.SampleTime(240).Format(time.RFC3339Nano)
	answers := func(m map[string]organizations.Named) accountNamer {
		return func(_ context.Context, ids []string) []organizations.Named {
			out := make([]organizations.Named, len(ids))
			for i, id := range ids {
				out[i] = m[id]
				out[i].ID = id
			}
			return out
		}
	}
	for _, tt := range []struct {
		name         string
		lookup       accountNamer
		want, absent []string
		warnings     []string
	}{
		{
			name: "Names",
			lookup: answers(map[string]organizations.Named{
				mainAccount:            {Name: "from-the-lookup"},
				drifttest.OtherAccount: {Name: "org\nname\u200b" + strings.Repeat("x", 100)},
			}),
			want:   []string{mainAccount + " (from-the-file)", drifttest.OtherAccount + " (org name" + strings.Repeat("x", drift.MaxAliasRunes-9) + "…)"},
			absent: []string{"from-the-lookup", "\u200b"},
		},
		{
			name: "OneFails",
			lookup: answers(map[string]organizations.Named{
				drifttest.OtherAccount: {Reason: "access denied (AccessDeniedException)"},
				drifttest.ThirdAccount: {Name: "third"},
			}),
			want:     []string{mainAccount + " (from-the-file)", drifttest.OtherAccount + "  ", drifttest.ThirdAccount + " (third)"},
			warnings: []string{"account " + drifttest.OtherAccount + " shown by ID alone: organizations:DescribeAccount: access denied (AccessDeniedException)"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			e := &env{getenv: func(string) string { return "" }, stdout: &out, stderr: &errb, describeAccount: tt.lookup}
			cmd := newAccessCmd(e)
			cmd.SetArgs([]string{"--exposure", "--history", path, "--since", since, "--until", until, "--aliases", aliases, "--org-names"})
			if err := cmd.ExecuteContext(t.Context()); err != nil {
				t.Fatalf("access: %v (%s)", err, errb.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(out.String(), a) {
					t.Errorf("output holds %q", a)
				}
			}
			var warnings []string
			for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
				if _, w, ok := strings.Cut(l, "warning: "); ok {
					warnings = append(warnings, w)
				}
			}
			if !slices.Equal(warnings, tt.warnings) {
				t.Errorf("warnings: got %q, want %q", warnings, tt.warnings)
			}
		})
	}
}

func TestHistoryTableNamesTheAccountOfEach(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	for _, store := range accountStores(t, all) {
		for _, tt := range []struct {
			name    string
			account string
			column  bool
		}{
			{"Several", drifttest.OtherAccount + "," + drifttest.ThirdAccount, true},
			{"One", drifttest.ThirdAccount, false},
			{"All", "", false}, // as before: the default table is unchanged
		} {
			t.Run(store.name+"/"+tt.name, func(t *testing.T) {
				args := append([]string{"history"}, store.args...)
				if tt.account != "" {
					args = append(args, "--account", tt.account)
				}
				r := run(t, store.env, args...)
				if r.code != ExitOK {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
				if got := strings.Contains(lines[0], " ACCOUNT "); got != tt.column {
					t.Fatalf("ACCOUNT column: got %v, want %v (%q)", got, tt.column, lines[0])
				}
				if !tt.column {
					return
				}
				seen := map[string]bool{}
				for _, l := range lines[1:] {
					f := strings.Fields(l)
					seen[f[5]] = true
				}
				if len(seen) != 2 || !seen[drifttest.OtherAccount] || !seen[drifttest.ThirdAccount] {
					t.Errorf("accounts in the ACCOUNT column: got %v, want %s and %s", seen, drifttest.OtherAccount, drifttest.ThirdAccount)
				}
			})
		}
	}
}
