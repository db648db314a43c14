package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// userScanAPI is the part of the IAM API a full scan of a user calls;
// every call is read-only.
type userScanAPI interface {
	GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListAttachedUserPolicies(context.Context, *iam.ListAttachedUserPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(context.Context, *iam.ListUserPoliciesInput, ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	GetUserPolicy(context.Context, *iam.GetUserPolicyInput, ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	ListGroupsForUser(context.Context, *iam.ListGroupsForUserInput, ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	ListServiceSpecificCredentials(context.Context, *iam.ListServiceSpecificCredentialsInput, ...func(*iam.Options)) (*iam.ListServiceSpecificCredentialsOutput, error)
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
}

var _ userScanAPI = (*iam.Client)(nil)

// UserScanActions are the IAM actions ScanUser calls, all read-only.
var UserScanActions = []string{"iam:GetUser", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:GetUserPolicy",
	"iam:ListGroupsForUser", "iam:ListAccessKeys", "iam:ListServiceSpecificCredentials", "iam:GetLoginProfile"}

// ScanUser reads everything about the user with this ARN: permissions
// boundary, attached and inline policies, groups, access keys and
// service-specific credentials with their status, and whether it has a
// console password. A user that does not exist (or is deleted while it is
// read) is Found false, without error; any other failure is an error.
func (s *Scanner) ScanUser(ctx context.Context, userARN string) (drift.UserState, error) {
	name, ok := drift.UserName(userARN)
	if !ok || name == "" {
		return drift.UserState{}, fmt.Errorf("iam: %q is not a user ARN", userARN)
	}
	st := drift.UserState{ARN: userARN, Name: name, Account: drift.AccountOf(userARN), ReadAt: s.now().UTC()}
	q := query{who: "iam"}
	if st.Account != "" {
		q.who += " " + st.Account
	}
	api, ok := s.api.(userScanAPI)
	if !ok {
		return st, fmt.Errorf("%s: the client cannot read users", q.who)
	}
	out, err := call(ctx, s, func() (*iam.GetUserOutput, error) {
		return api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	})
	if notFound(err) {
		return st, nil
	}
	if err != nil {
		return st, q.errorf("GetUser", name, err)
	}
	if out.User == nil {
		return st, q.errorf("GetUser", name, errors.New("response has no user"))
	}
	if arn := aws.ToString(out.User.Arn); arn != "" {
		st.ARN = arn
		if a := drift.AccountOf(arn); a != "" {
			st.Account = a
		}
	}
	if b := out.User.PermissionsBoundary; b != nil {
		st.PermissionsBoundary = aws.ToString(b.PermissionsBoundaryArn)
	}
	u := userScan{s: s, api: api, q: q, name: name}
	parts := []func(context.Context, *drift.UserState) (bool, error){u.managed, u.inline, u.groups, u.accessKeys, u.serviceCredentials, u.loginProfile}
	var (
		wg   sync.WaitGroup
		got  = make([]drift.UserState, len(parts))
		gone = make([]bool, len(parts))
		errs = make([]error, len(parts))
	)
	for i, read := range parts {
		wg.Go(func() { gone[i], errs[i] = read(ctx, &got[i]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return st, err
	}
	if slices.Contains(gone, true) {
		// Deleted while we read it.
		return drift.UserState{ARN: st.ARN, Name: name, Account: st.Account, ReadAt: st.ReadAt}, nil
	}
	st.Found = true
	st.ManagedPolicies, st.InlinePolicies, st.Groups = got[0].ManagedPolicies, got[1].InlinePolicies, got[2].Groups
	st.AccessKeys, st.ServiceCredentials, st.ConsoleAccess = got[3].AccessKeys, got[4].ServiceCredentials, got[5].ConsoleAccess
	return st, nil
}

// userScan reads the parts of one user, each into a state of its own;
// each method reports whether the user was gone.
type userScan struct {
	s    *Scanner
	api  userScanAPI
	q    query
	name string
}

func (u userScan) managed(ctx context.Context, st *drift.UserState) (bool, error) {
	p := iam.NewListAttachedUserPoliciesPaginator(u.api, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(u.name), MaxItems: u.s.maxItems()})
	st.ManagedPolicies = []string{}
	for p.HasMorePages() {
		page, err := call(ctx, u.s, func() (*iam.ListAttachedUserPoliciesOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return true, nil
		}
		if err != nil {
			return false, u.q.errorf("ListAttachedUserPolicies", u.name, err)
		}
		for _, a := range page.AttachedPolicies {
			st.ManagedPolicies = append(st.ManagedPolicies, aws.ToString(a.PolicyArn))
		}
	}
	slices.Sort(st.ManagedPolicies)
	st.ManagedPolicies = slices.Compact(st.ManagedPolicies)
	return false, nil
}

func (u userScan) inline(ctx context.Context, st *drift.UserState) (bool, error) {
	p := iam.NewListUserPoliciesPaginator(u.api, &iam.ListUserPoliciesInput{UserName: aws.String(u.name), MaxItems: u.s.maxItems()})
	var names []string
	for p.HasMorePages() {
		page, err := call(ctx, u.s, func() (*iam.ListUserPoliciesOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return true, nil
		}
		if err != nil {
			return false, u.q.errorf("ListUserPolicies", u.name, err)
		}
		names = append(names, page.PolicyNames...)
	}
	slices.Sort(names)
	st.InlinePolicies = make(map[string]*drift.PolicyDocument, len(names))
	// One at a time: the scanner bounds the calls in flight, and a user
	// rarely has more than a few inline policies.
	for _, pn := range slices.Compact(names) {
		out, err := call(ctx, u.s, func() (*iam.GetUserPolicyOutput, error) {
			return u.api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(u.name), PolicyName: aws.String(pn)})
		})
		if notFound(err) {
			continue // deleted between the list and the get (or the user is gone: the lists say so)
		}
		if err != nil {
			return false, u.q.errorf("GetUserPolicy", u.name+" "+pn, err)
		}
		d, err := drift.ParsePolicyDocument(aws.ToString(out.PolicyDocument))
		if err != nil {
			return false, u.q.errorf("GetUserPolicy", u.name+" "+pn, fmt.Errorf("PolicyDocument: %w", err))
		}
		st.InlinePolicies[pn] = d
	}
	return false, nil
}

func (u userScan) groups(ctx context.Context, st *drift.UserState) (bool, error) {
	p := iam.NewListGroupsForUserPaginator(u.api, &iam.ListGroupsForUserInput{UserName: aws.String(u.name), MaxItems: u.s.maxItems()})
	st.Groups = []string{}
	for p.HasMorePages() {
		page, err := call(ctx, u.s, func() (*iam.ListGroupsForUserOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return true, nil
		}
		if err != nil {
			return false, u.q.errorf("ListGroupsForUser", u.name, err)
		}
		for _, g := range page.Groups {
			st.Groups = append(st.Groups, aws.ToString(g.GroupName))
		}
	}
	slices.Sort(st.Groups)
	st.Groups = slices.Compact(st.Groups)
	return false, nil
}

func (u userScan) accessKeys(ctx context.Context, st *drift.UserState) (bool, error) {
	p := iam.NewListAccessKeysPaginator(u.api, &iam.ListAccessKeysInput{UserName: aws.String(u.name), MaxItems: u.s.maxItems()})
	for p.HasMorePages() {
		page, err := call(ctx, u.s, func() (*iam.ListAccessKeysOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return true, nil
		}
		if err != nil {
			return false, u.q.errorf("ListAccessKeys", u.name, err)
		}
		for _, k := range page.AccessKeyMetadata {
			st.AccessKeys = append(st.AccessKeys, drift.Credential{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status)})
		}
	}
	return false, nil
}

// serviceCredentials pages by hand: the SDK has no paginator for
// ListServiceSpecificCredentials, which IAM pages (Marker, IsTruncated).
func (u userScan) serviceCredentials(ctx context.Context, st *drift.UserState) (bool, error) {
	in := &iam.ListServiceSpecificCredentialsInput{UserName: aws.String(u.name), MaxItems: u.s.maxItems()}
	for {
		page, err := call(ctx, u.s, func() (*iam.ListServiceSpecificCredentialsOutput, error) {
			return u.api.ListServiceSpecificCredentials(ctx, in)
		})
		if notFound(err) {
			return true, nil
		}
		if err != nil {
			return false, u.q.errorf("ListServiceSpecificCredentials", u.name, err)
		}
		for _, c := range page.ServiceSpecificCredentials {
			st.ServiceCredentials = append(st.ServiceCredentials, drift.Credential{ID: aws.ToString(c.ServiceSpecificCredentialId), Status: string(c.Status)})
		}
		next := aws.ToString(page.Marker)
		if !page.IsTruncated || next == "" || next == aws.ToString(in.Marker) {
			return false, nil
		}
		in = &iam.ListServiceSpecificCredentialsInput{UserName: in.UserName, MaxItems: in.MaxItems, Marker: aws.String(next)}
	}
}

// loginProfile: IAM answers NoSuchEntity when the user has no console
// password, and when the user is gone; GetUser came first, and the lists
// tell a deleted user apart.
func (u userScan) loginProfile(ctx context.Context, st *drift.UserState) (bool, error) {
	_, err := call(ctx, u.s, func() (*iam.GetLoginProfileOutput, error) {
		return u.api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(u.name)})
	})
	switch {
	case notFound(err):
		return false, nil
	case err != nil:
		return false, u.q.errorf("GetLoginProfile", u.name, err)
	}
	st.ConsoleAccess = true
	return false, nil
}
