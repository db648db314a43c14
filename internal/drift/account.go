package drift

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// AccountError says why eksdrift will not, or cannot, read or act in an
// account other than its own: the account is neither the home account nor
// a member (Refused: nothing was assumed), or its role could not be assumed
// (a missing role, a trust policy that does not name eksdrift, a wrong
// external ID). Neither passes by trying again, so the detector records
// the change unconfirmed and the reverter records a failure, never a retry.
type AccountError struct {
	Account string
	Role    string // the role name; "" when Refused
	Refused bool
	Err     error
}

func (e *AccountError) Error() string {
	if e.Refused {
		return fmt.Sprintf("account %s is neither eksdrift's own nor a member: nothing assumed", e.Account)
	}
	return fmt.Sprintf("cannot assume %s in account %s: %v", e.Role, e.Account, e.Err)
}

func (e *AccountError) Unwrap() error { return e.Err }

// MergeAccount joins the shared baseline and one account's file into the
// baseline that account's changes are judged against. The shared file
// carries breakGlass and the default mode (and may still declare clusters
// and roles of any account, as a single file does); the account's file
// declares that account's clusters, roles, users and OIDC providers. The
// rules, each an InvalidBaselineError naming the account file's field:
//   - an account file has no breakGlass: only the shared file grants it, so
//     a member file can neither add an actor nor lengthen an entry;
//   - everything it declares is in its own account: a file cannot speak for
//     another account's clusters or roles;
//   - its mode, when set, is the default of what it declares; the shared
//     mode stays the default of the rest;
//   - anything declared in both is declared twice (NewIndex refuses it).
//
// member nil means the account has no file: the shared baseline alone
// applies, and the account's clusters and roles are out of scope unless the
// shared file declares them.
func MergeAccount(shared, member *Baseline, account string) (*Index, error) {
	if member == nil {
		return NewIndex(shared)
	}
	bad := func(field, problem string) error {
		return &InvalidBaselineError{Source: member.Source, Field: field, Problem: problem}
	}
	if len(member.BreakGlass) > 0 {
		return nil, bad("breakGlass", fmt.Sprintf("an account file may not declare breakGlass (%d entries): only the shared baseline grants it", len(member.BreakGlass)))
	}
	mode := func(m Mode) Mode {
		if m == "" && member.Mode != "" && member.Mode != shared.Mode {
			return member.Mode
		}
		return m
	}
	b := *shared
	b.Clusters = append([]ClusterBaseline(nil), shared.Clusters...)
	for i, c := range member.Clusters {
		if c.Account != account {
			return nil, bad(fmt.Sprintf("clusters[%d].account", i), fmt.Sprintf("cluster %s is in account %s, not %s, whose file this is", c.Name, c.Account, account))
		}
		c.Mode = mode(c.Mode)
		b.Clusters = append(b.Clusters, c)
	}
	b.IAMRoles = append([]RoleBaseline(nil), shared.IAMRoles...)
	for i, r := range member.IAMRoles {
		if r.Account() != account {
			return nil, bad(fmt.Sprintf("iamRoles[%d].arn", i), fmt.Sprintf("role %s is not in account %s, whose file this is", r.ARN, account))
		}
		r.Mode = mode(r.Mode)
		b.IAMRoles = append(b.IAMRoles, r)
	}
	if member.IAMUsers != nil || shared.IAMUsers != nil {
		b.IAMUsers = append([]UserBaseline{}, shared.IAMUsers...)
		for i, u := range member.IAMUsers {
			if AccountOf(u.ARN) != account {
				return nil, bad(fmt.Sprintf("iamUsers[%d].arn", i), fmt.Sprintf("user %s is not in account %s, whose file this is", u.ARN, account))
			}
			u.Mode = mode(u.Mode)
			b.IAMUsers = append(b.IAMUsers, u)
		}
	}
	if member.OIDCProviders != nil || shared.OIDCProviders != nil {
		b.OIDCProviders = append([]string{}, shared.OIDCProviders...)
		for i, p := range member.OIDCProviders {
			if AccountOf(p) != account {
				return nil, bad(fmt.Sprintf("oidcProviders[%d]", i), fmt.Sprintf("OIDC provider %s is not in account %s, whose file this is", p, account))
			}
			b.OIDCProviders = append(b.OIDCProviders, p)
		}
	}
	b.Source = shared.Source + " + " + member.Source
	b.VersionID = shared.VersionID + "+" + member.VersionID
	ix, err := NewIndex(&b)
	var ie *InvalidBaselineError
	if errors.As(err, &ie) && ie.Source == "" {
		return nil, inMember(ie, shared, member)
	}
	return ix, err
}

// inMember names the account file's own field in an error NewIndex found
// in the merged baseline: each file was indexed alone when it was loaded,
// so what is declared twice is an item of the account file (listed after
// the shared file's) that the shared file declares too.
func inMember(ie *InvalidBaselineError, shared, member *Baseline) error {
	lists := map[string]int{"clusters": len(shared.Clusters), "iamRoles": len(shared.IAMRoles), "iamUsers": len(shared.IAMUsers), "oidcProviders": len(shared.OIDCProviders)}
	list, rest, _ := strings.Cut(ie.Field, "[")
	n, tail, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(n)
	shift, known := lists[list]
	if !ok || !known || err != nil || i < shift {
		return &InvalidBaselineError{Source: shared.Source + " + " + member.Source, Field: ie.Field, Problem: ie.Problem}
	}
	return &InvalidBaselineError{Source: member.Source, Field: fmt.Sprintf("%s[%d]%s", list, i-shift, tail),
		Problem: ie.Problem + " (in the shared baseline " + shared.Source + " too)"}
}

// ReasonAccountsDisagree starts (after "not judged: ") the reason of a
// finding whose event named another account than the one it came from: the
// detector records it under the sender's account, unjudged, and nothing
// reverts it.
const ReasonAccountsDisagree = "the event's accounts disagree"
