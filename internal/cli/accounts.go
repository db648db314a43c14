package cli

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/pflag"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/organizations"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// ExitPartial is capture's and plan's exit code when some accounts could
// not be read: what could be read was written, the rest is named on
// stderr. Plan still exits ExitDrift when it found drift.
const ExitPartial = 3

// accountOptions say which accounts capture and plan read, and how: the
// role assumed in each (the spoke's read role by default) and its external
// ID. None set: the credentials' own account, as before.
type accountOptions struct {
	accounts     []string
	organization bool
	roleName     string
	externalID   string
}

var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	roleNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

func addAccountFlags(f *pflag.FlagSet, o *accountOptions) {
	f.StringSliceVar(&o.accounts, "accounts", nil, "accounts to read through --role-name (12-digit IDs, repeat or separate with commas)")
	f.BoolVar(&o.organization, "organization", false, "read every ACTIVE account of the organization (organizations:ListAccounts)")
	f.StringVar(&o.roleName, "role-name", config.DefaultMemberReadRole, "role assumed in each account with --accounts or --organization")
	f.StringVar(&o.externalID, "external-id", "", "external ID the role's trust policy requires (default: $"+config.EnvMemberExternalID+")")
}

// multi reports whether accounts other than the credentials' own are read.
func (o accountOptions) multi() bool { return o.organization || len(o.accounts) > 0 }

// check validates the flags before any call: an account ID or a role name
// becomes part of an ARN, so nothing but their strict shapes gets through.
func (o *accountOptions) check(what string, getenv func(string) string) error {
	o.accounts = splitList(o.accounts)
	if o.organization && len(o.accounts) > 0 {
		return usageError{fmt.Errorf("%s: give --accounts or --organization, not both", what)}
	}
	for _, a := range o.accounts {
		if !accountIDRE.MatchString(a) {
			return usageError{fmt.Errorf("%s: --accounts %q is not a 12-digit account ID", what, a)}
		}
	}
	if !roleNameRE.MatchString(o.roleName) {
		return usageError{fmt.Errorf("%s: --role-name %q is not an IAM role name", what, o.roleName)}
	}
	if o.externalID == "" {
		o.externalID = strings.TrimSpace(getenv(config.EnvMemberExternalID))
	}
	slices.Sort(o.accounts)
	o.accounts = slices.Compact(o.accounts)
	return nil
}

// reach gives the accounts to read, sorted, and the wiring.Accounts that
// reaches each from cfg's credentials (home's own for home, the role
// assumed elsewhere). With --organization they are the organization's
// ACTIVE accounts.
func (o accountOptions) reach(ctx context.Context, cfg aws.Config, home string) ([]string, *wiring.Accounts, error) {
	list := o.accounts
	if o.organization {
		accs, err := organizations.New(cfg).ListAccounts(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("--organization: %w", err)
		}
		list = nil
		for _, a := range accs {
			if accountIDRE.MatchString(a.ID) {
				list = append(list, a.ID)
			}
		}
		slices.Sort(list)
		list = slices.Compact(list)
	}
	org := config.Org{ReadRole: o.roleName, ExternalID: o.externalID, Members: list}
	return list, wiring.NewAccounts(cfg, home, org, "cli"), nil
}

// skipped reports the accounts that could not be read and gives the
// partial exit, or nil when there are none. With none read at all it says
// so, and gives ExitError.
func (e *env) skipped(what string, failed map[string]error, of int) error {
	if len(failed) == 0 {
		return nil
	}
	for _, a := range slices.Sorted(maps.Keys(failed)) {
		fmt.Fprintf(e.stderr, "eksdrift: %s: account %s skipped: %v\n", what, a, failed[a])
	}
	if len(failed) == of {
		fmt.Fprintf(e.stderr, "eksdrift: %s: none of the %d accounts could be read\n", what, of)
		return &exitError{ExitError}
	}
	fmt.Fprintf(e.stderr, "eksdrift: %s: %d of %d accounts could not be read: the result is partial\n", what, len(failed), of)
	return &exitError{ExitPartial}
}
