package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Environment variables of an organization deployment: the detector and the
// reverter in the security (home) account reach member accounts through
// roles the spoke stack creates in each of them. None is set in a
// single-account deployment, and the functions then behave as before.
const (
	// EnvMemberReadRole is the name of the read-only role in each member
	// account (live confirmation, capture, plan, the sweep).
	EnvMemberReadRole = "EKSDRIFT_MEMBER_READ_ROLE" // default DefaultMemberReadRole
	// EnvMemberRevertRole is the name of the revert role in each member
	// account (revert mode only).
	EnvMemberRevertRole = "EKSDRIFT_MEMBER_REVERT_ROLE" // default DefaultMemberRevertRole
	// EnvMemberExternalID is the external ID the member roles' trust
	// policies require; required when members are set.
	EnvMemberExternalID = "EKSDRIFT_MEMBER_EXTERNAL_ID"
	// EnvOrganizationID is the AWS Organization (o-...) the members belong
	// to; optional.
	EnvOrganizationID = "EKSDRIFT_ORGANIZATION_ID"
	// EnvMemberAccounts lists the member accounts, comma-separated 12-digit
	// IDs. Only these accounts (and the home account) are ever acted in.
	EnvMemberAccounts = "EKSDRIFT_MEMBER_ACCOUNTS"
	// EnvOrganizationalUnits lists, comma-separated, the OUs (ou-...) or
	// the root (r-..., the whole organization) whose accounts the sweep
	// reads when no member is listed: the stack passes it to the sweep
	// alone, with EnvOrganizationID.
	EnvOrganizationalUnits = "EKSDRIFT_ORGANIZATIONAL_UNITS"
	// EnvRegions lists the regions watched, comma-separated; empty: the
	// function's own region.
	EnvRegions = "EKSDRIFT_REGIONS"
)

// Default role names in member accounts; the spoke stack creates them.
const (
	DefaultMemberReadRole   = "eksdrift-read"
	DefaultMemberRevertRole = "eksdrift-revert"
)

// Org is an organization deployment's settings. Its zero value (no members)
// is a single-account deployment.
type Org struct {
	ReadRole       string
	RevertRole     string
	ExternalID     string
	OrganizationID string
	// Members are the member accounts, sorted, without duplicates.
	Members []string
	// Units are the OUs or the root whose accounts the sweep lists from
	// Organizations (with OrganizationID), in the order given.
	Units []string
	// Regions are the regions watched, in the order given; nil: the
	// function's own.
	Regions []string
}

// Enabled reports whether the deployment reaches member accounts.
func (o Org) Enabled() bool { return len(o.Members) > 0 }

// AdmitsMembers reports whether member accounts may be reached at all:
// listed ones, or, with an organization set, accounts Organizations says
// are its members (a StackSet deployed to OUs lists none).
func (o Org) AdmitsMembers() bool { return o.Enabled() || o.OrganizationID != "" }

// ListsOrganization reports whether the sweep lists the organization's
// accounts under Units (an OU-only deployment).
func (o Org) ListsOrganization() bool { return o.OrganizationID != "" && len(o.Units) > 0 }

// IsMember reports whether account is one of the listed members.
func (o Org) IsMember(account string) bool {
	_, ok := slices.BinarySearch(o.Members, account)
	return ok
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	unitRE    = regexp.MustCompile(`^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	// IAM's role name characters, 1 to 64 of them.
	roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// STS's external ID characters, 2 to 1224 of them.
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// LoadOrg reads and validates the organization settings, naming every
// variable that is wrong. It is read by the detector and the reverter next
// to their own configuration.
func LoadOrg(getenv func(string) string) (Org, error) {
	var p parser
	o := p.org(getenv)
	return o, p.err()
}

func (p *parser) org(getenv func(string) string) Org {
	o := Org{
		ReadRole:       p.optional(getenv, EnvMemberReadRole, DefaultMemberReadRole),
		RevertRole:     p.optional(getenv, EnvMemberRevertRole, DefaultMemberRevertRole),
		ExternalID:     strings.TrimSpace(getenv(EnvMemberExternalID)),
		OrganizationID: strings.TrimSpace(getenv(EnvOrganizationID)),
		Members:        p.list(getenv, EnvMemberAccounts, accountRE, "a 12-digit account ID"),
		Units:          p.list(getenv, EnvOrganizationalUnits, unitRE, "an OU ID (ou-...) or a root ID (r-...)"),
		Regions:        p.list(getenv, EnvRegions, regionRE, "a region such as us-east-1"),
	}
	slices.Sort(o.Members)
	o.Members = slices.Compact(o.Members)
	for _, v := range []struct{ name, val string }{{EnvMemberReadRole, o.ReadRole}, {EnvMemberRevertRole, o.RevertRole}} {
		if !roleNameRE.MatchString(v.val) {
			p.errs = append(p.errs, fmt.Sprintf("%s=%q is not an IAM role name", v.name, v.val))
		}
	}
	if o.OrganizationID != "" && !orgRE.MatchString(o.OrganizationID) {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q is not an organization ID such as o-a1b2c3d4e5", EnvOrganizationID, o.OrganizationID))
	}
	if strings.TrimSpace(getenv(EnvOrganizationalUnits)) != "" && o.OrganizationID == "" {
		p.errs = append(p.errs, fmt.Sprintf("%s is set, and %s is not: OUs are an organization's", EnvOrganizationalUnits, EnvOrganizationID))
	}
	switch {
	case o.ExternalID != "" && (len(o.ExternalID) < 2 || len(o.ExternalID) > 1224 || !externalIDRE.MatchString(o.ExternalID)):
		p.errs = append(p.errs, fmt.Sprintf("%s is not 2 to 1224 of the characters STS allows", EnvMemberExternalID))
	case o.ExternalID == "" && len(o.Members) > 0:
		// The member roles trust the security account's roles only with
		// it: without it every assume would fail, event after event.
		p.errs = append(p.errs, fmt.Sprintf("%s is not set, and %s lists members", EnvMemberExternalID, EnvMemberAccounts))
	case o.ExternalID == "" && o.OrganizationID != "":
		p.errs = append(p.errs, fmt.Sprintf("%s is not set, and %s is", EnvMemberExternalID, EnvOrganizationID))
	}
	return o
}

// list reads a comma-separated list whose every item matches re.
func (p *parser) list(getenv func(string) string, name string, re *regexp.Regexp, what string) []string {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return nil
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if !re.MatchString(item) {
			p.errs = append(p.errs, fmt.Sprintf("%s: %q is not %s", name, item, what))
			continue
		}
		out = append(out, item)
	}
	return out
}
