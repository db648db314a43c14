package organizations

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// treeAPI is the two calls that walk the organization's tree, for the
// sweep of a deployment that names OUs rather than accounts.
type treeAPI interface {
	ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
}

// TreeActions are the IAM actions AccountsUnder calls.
var TreeActions = []string{"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}

// maxParents bounds the walk: Organizations allows a few thousand OUs, and
// an answer that never ends (a child naming its own ancestor, a page token
// that never runs out) must not keep the sweep listing.
const (
	maxParents = 5000
	maxPages   = 1000
)

// AccountsUnder gives the ACTIVE accounts of organization org under the
// parents (OUs, ou-..., or the root, r-..., which is the whole
// organization), their child OUs walked recursively, every page read; each
// account once, sorted by ID. An account whose ARN names another
// organization or another account is left out (it says nothing about this
// one), and so is a child OU whose ARN names another organization. A
// parent that cannot be listed is an error naming it, and the walk goes on
// with the others: the accounts found are returned with the errors joined.
func (c *Client) AccountsUnder(ctx context.Context, org string, parents []string) ([]Account, error) {
	var (
		out   []Account
		seen  = map[string]bool{}
		queue = slices.Clone(parents)
		done  = map[string]bool{}
		errs  []error
	)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if done[p] {
			continue
		}
		if len(done) >= maxParents {
			errs = append(errs, fmt.Errorf("organizations: more than %d OUs under %v: the rest not listed", maxParents, parents))
			break
		}
		done[p] = true
		accounts, err := c.accountsFor(ctx, p)
		if err != nil {
			errs = append(errs, err)
		}
		for _, a := range accounts {
			if a.Active && a.ID != "" && a.Organization == org && org != "" && !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
		children, err := c.unitsFor(ctx, org, p)
		if err != nil {
			errs = append(errs, err)
		}
		queue = append(queue, children...)
	}
	slices.SortFunc(out, func(a, b Account) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, errors.Join(errs...)
}

// accountsFor lists the accounts directly under parent.
func (c *Client) accountsFor(ctx context.Context, parent string) ([]Account, error) {
	var out []Account
	in := &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)}
	for n := 1; ; n++ {
		if n > maxPages {
			return out, fmt.Errorf("organizations: ListAccountsForParent %s: more than %d pages", parent, maxPages)
		}
		page, err := c.api.ListAccountsForParent(ctx, in)
		if err != nil {
			return out, fmt.Errorf("organizations: ListAccountsForParent %s (page %d): %w", parent, n, err)
		}
		for _, a := range page.Accounts {
			out = append(out, accountOf(a))
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// unitsFor lists the IDs of the OUs directly under parent that are org's.
func (c *Client) unitsFor(ctx context.Context, org, parent string) ([]string, error) {
	var out []string
	in := &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)}
	for n := 1; ; n++ {
		if n > maxPages {
			return out, fmt.Errorf("organizations: ListOrganizationalUnitsForParent %s: more than %d pages", parent, maxPages)
		}
		page, err := c.api.ListOrganizationalUnitsForParent(ctx, in)
		if err != nil {
			return out, fmt.Errorf("organizations: ListOrganizationalUnitsForParent %s (page %d): %w", parent, n, err)
		}
		for _, u := range page.OrganizationalUnits {
			if id := aws.ToString(u.Id); id != "" && unitOf(aws.ToString(u.Arn), id) == org {
				out = append(out, id)
			}
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// unitOf reads the organization from an OU's ARN,
// arn:PARTITION:organizations::MANAGEMENT:ou/o-ORG/ou-ID, when it names
// that OU; "" otherwise.
func unitOf(arn, id string) string {
	org, unit, ok := parseARN(arn, "ou")
	if !ok || unit != id {
		return ""
	}
	return org
}
