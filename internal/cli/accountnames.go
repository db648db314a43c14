package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/organizations"
)

// This file reads what history, access and report share about accounts:
// the --account filter and the names shown beside account IDs.

// accountsFlag is --account ID[,ID]: every ID twelve digits, so that a
// typo is a usage mistake rather than an empty answer.
type accountsFlag []string

func (a *accountsFlag) String() string { return strings.Join(*a, ",") }
func (a *accountsFlag) Type() string   { return "ID[,ID]" }

// Set adds the IDs of one --account; the flag may be repeated.
func (a *accountsFlag) Set(v string) error {
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if !drift.IsAccountID(id) {
			return fmt.Errorf("%q is not an AWS account ID (12 digits)", drift.CleanAlias(id))
		}
		if !slices.Contains(*a, id) {
			*a = append(*a, id)
		}
	}
	return nil
}

// accountNamer names accounts beyond the --aliases file: for each of
// accounts, its name or why it has none. --org-names wires
// organizations:DescribeAccount (organizations.Namer); tests wire their own.
type accountNamer func(ctx context.Context, accounts []string) []organizations.Named

// namesFlags are the flags that name the accounts history, access and
// report show: --aliases FILE, and --org-names for the names Organizations
// gives. A file's name wins over Organizations'.
type namesFlags struct {
	aliases string
	org     bool
}

func (n *namesFlags) add(f *pflag.FlagSet) {
	f.StringVar(&n.aliases, "aliases", "", "YAML or JSON file mapping account ID to a name shown beside it")
	f.BoolVar(&n.org, "org-names", false, "name accounts that --aliases does not through organizations:DescribeAccount (management or delegated administrator credentials); an account it cannot describe is shown by ID alone, with a warning")
}

// maxAliasesFile bounds what --aliases reads: a map of a few thousand
// accounts is far smaller.
const maxAliasesFile = 1 << 20

// loadAliases reads --aliases FILE: a YAML or JSON map of account ID to
// name. No file gives no aliases.
func loadAliases(cmd, path string) (drift.AccountAliases, error) {
	if path == "" {
		return drift.AccountAliases{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: --aliases: %w", cmd, err)
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxAliasesFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: --aliases %s: %w", cmd, path, err)
	}
	if len(body) > maxAliasesFile {
		return nil, fmt.Errorf("%s: --aliases %s: larger than %d bytes", cmd, path, maxAliasesFile)
	}
	var m map[string]string
	if err := yaml.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%s: --aliases %s: want a map of account ID to name: %w", cmd, path, err)
	}
	a, err := drift.NewAccountAliases(m)
	if err != nil {
		return nil, fmt.Errorf("%s: --aliases %s: %w", cmd, path, err)
	}
	return a, nil
}

// maxNameWarnings bounds the warnings of one command: past it, one line
// counts the rest.
const maxNameWarnings = 20

// accountNames names accounts for cmd's output: from the --aliases file
// first, then, with --org-names, through Organizations, once per account.
// Names only decorate IDs, so an account that cannot be named is a warning
// naming it and why, and it is shown by ID alone; the command goes on.
func (e *env) accountNames(ctx context.Context, cmd string, n namesFlags, file drift.AccountAliases, h *historySource, accounts []string) drift.AccountAliases {
	if !n.org {
		return file
	}
	var ask []string
	for _, id := range accounts {
		if drift.IsAccountID(id) && file.Name(id) == "" {
			ask = append(ask, id)
		}
	}
	slices.Sort(ask)
	if ask = slices.Compact(ask); len(ask) == 0 {
		return file
	}
	namer, err := e.orgNamer(ctx, h)
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: warning: cannot name accounts through Organizations: %v; they are shown by ID alone\n", cmd, err)
		return file
	}
	raw := map[string]string{}
	for id, name := range file {
		raw[id] = name
	}
	warned := 0
	for _, got := range namer(ctx, ask) {
		if got.Reason == "" {
			raw[got.ID] = got.Name
			continue
		}
		if warned++; warned <= maxNameWarnings {
			fmt.Fprintf(e.stderr, "%s: warning: account %s shown by ID alone: organizations:DescribeAccount: %s\n", cmd, got.ID, got.Reason)
		}
	}
	if warned > maxNameWarnings {
		fmt.Fprintf(e.stderr, "%s: warning: %d more accounts shown by ID alone\n", cmd, warned-maxNameWarnings)
	}
	names, err := drift.NewAccountAliases(raw)
	if err != nil {
		// Only a namer that answers for what is not an account ID gets here.
		fmt.Fprintf(e.stderr, "%s: warning: %v; accounts are shown by ID alone\n", cmd, err)
		return file
	}
	return names
}

// orgNamer is the Organizations lookup: the wired one, or a Namer with the
// history's AWS configuration (Organizations is global: the region does not
// matter).
func (e *env) orgNamer(ctx context.Context, h *historySource) (accountNamer, error) {
	if e.describeAccount != nil {
		return e.describeAccount, nil
	}
	cfg, err := h.aws(ctx)
	if err != nil {
		return nil, err
	}
	n := &organizations.Namer{Client: organizations.New(cfg)}
	return n.Names, nil
}

// findingAccounts lists the accounts of found, each once.
func findingAccounts(found []drift.Finding) []string {
	accounts := make([]string, 0, len(found))
	for i := range found {
		accounts = append(accounts, found[i].Account)
	}
	slices.Sort(accounts)
	return slices.Compact(accounts)
}
