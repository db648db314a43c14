package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/eksdrift/eksdrift/internal/drift"
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

// accountNamer gives an account's name, "" when it has none. The aliases
// file is one; organizations:DescribeAccount, wired by the caller, another.
type accountNamer func(ctx context.Context, account string) (string, error)

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

// accountNames names the accounts of found for cmd's output: from the
// --aliases file first, then from e.describeAccount when it is wired. Names
// only decorate IDs, so a lookup that fails is a warning, and the accounts
// it could not name are shown by ID alone.
func (e *env) accountNames(ctx context.Context, cmd string, file drift.AccountAliases, found []drift.Finding) drift.AccountAliases {
	if e.describeAccount == nil {
		return file
	}
	accounts := make([]string, 0, len(found))
	for i := range found {
		accounts = append(accounts, found[i].Account)
	}
	slices.Sort(accounts)
	namer := func(ctx context.Context, account string) (string, error) {
		if name := file.Name(account); name != "" {
			return name, nil
		}
		return e.describeAccount(ctx, account)
	}
	names, err := nameAccounts(ctx, namer, slices.Compact(accounts))
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: warning: %v; accounts without a name in --aliases are shown by ID alone\n", cmd, err)
		return file
	}
	return names
}

// nameAccounts asks namer for the name of each account, once, and returns
// them as aliases, cleaned like a file's. A namer's error is the caller's.
func nameAccounts(ctx context.Context, namer accountNamer, accounts []string) (drift.AccountAliases, error) {
	raw := map[string]string{}
	for _, id := range accounts {
		if _, done := raw[id]; done || !drift.IsAccountID(id) {
			continue
		}
		name, err := namer(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("cannot name account %s: %w", id, err)
		}
		raw[id] = name
	}
	return drift.NewAccountAliases(raw)
}
