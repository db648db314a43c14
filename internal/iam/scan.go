package iam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// scanAPI is the part of the IAM API a full scan of a role calls; every
// call is read-only.
type scanAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
}

var _ scanAPI = (*iam.Client)(nil)

// ScanActions are the IAM actions a Scanner calls, all read-only.
var ScanActions = []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy"}

// DefaultScanConcurrency is how many IAM calls a Scanner has in flight
// unless told otherwise. IAM's quotas are per account and lower than
// EKS's.
const DefaultScanConcurrency = 4

// Scanner reads the whole state of roles: trust policy, permissions
// boundary, every attached managed policy and every inline policy with its
// document. It pages through every list and keeps at most a fixed number of
// calls in flight across all the roles it scans at once. It is safe for
// concurrent use.
type Scanner struct {
	api scanAPI
	sem chan struct{}
	now func() time.Time

	// PageSize is the MaxItems of every List call; zero leaves it to IAM
	// (100). Set it before the first scan.
	PageSize int32

	calls atomic.Int64
}

// NewScanner gives a scanner that calls IAM with cfg's credentials, with at
// most concurrency calls in flight (zero means DefaultScanConcurrency).
func NewScanner(cfg aws.Config, concurrency int, optFns ...func(*iam.Options)) *Scanner {
	return newScanner(iam.NewFromConfig(cfg, optFns...), concurrency)
}

func newScanner(api scanAPI, concurrency int) *Scanner {
	if concurrency <= 0 {
		concurrency = DefaultScanConcurrency
	}
	return &Scanner{api: api, sem: make(chan struct{}, concurrency), now: time.Now}
}

// Calls is how many IAM calls the scanner has made (pages included).
func (s *Scanner) Calls() int64 { return s.calls.Load() }

func call[T any](ctx context.Context, s *Scanner, f func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	defer func() { <-s.sem }()
	s.calls.Add(1)
	return f()
}

// ScanRole reads everything about the role with this ARN. A role that does
// not exist is Found false, without error; any other failure is an error.
func (s *Scanner) ScanRole(ctx context.Context, roleARN string) (drift.RoleState, error) {
	name, ok := drift.RoleName(roleARN)
	if !ok || name == "" {
		return drift.RoleState{}, fmt.Errorf("iam: %q is not a role ARN", roleARN)
	}
	st := drift.RoleState{ARN: roleARN, Name: name, Account: drift.AccountOf(roleARN), ReadAt: s.now().UTC()}
	q := query{who: "iam"}
	if st.Account != "" {
		q.who += " " + st.Account
	}
	out, err := call(ctx, s, func() (*iam.GetRoleOutput, error) {
		return s.api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	})
	if notFound(err) {
		return st, nil
	}
	if err != nil {
		return st, q.errorf("GetRole", name, err)
	}
	if out.Role == nil {
		return st, q.errorf("GetRole", name, errors.New("response has no role"))
	}
	role := out.Role
	st.Found = true
	if arn := aws.ToString(role.Arn); arn != "" {
		st.ARN = arn
		if a := drift.AccountOf(arn); a != "" {
			st.Account = a
		}
	}
	if st.TrustPolicy, err = q.trust(name, role); err != nil {
		return st, err
	}
	if b := role.PermissionsBoundary; b != nil {
		st.PermissionsBoundary = aws.ToString(b.PermissionsBoundaryArn)
	}

	var (
		wg                 sync.WaitGroup
		errMan, errInl     error
		managed            []string
		inline             map[string]*drift.PolicyDocument
		goneMan, goneInlin bool
	)
	wg.Go(func() { managed, goneMan, errMan = s.managed(ctx, q, name) })
	wg.Go(func() { inline, goneInlin, errInl = s.inline(ctx, q, name) })
	wg.Wait()
	if err := errors.Join(errMan, errInl); err != nil {
		return st, err
	}
	if goneMan || goneInlin {
		// Deleted while we read it.
		return drift.RoleState{ARN: st.ARN, Name: name, Account: st.Account, ReadAt: st.ReadAt}, nil
	}
	st.ManagedPolicies, st.InlinePolicies = managed, inline
	return st, nil
}

func (s *Scanner) maxItems() *int32 {
	if s.PageSize <= 0 {
		return nil
	}
	return aws.Int32(s.PageSize)
}

func (s *Scanner) managed(ctx context.Context, q query, name string) ([]string, bool, error) {
	in := &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name), MaxItems: s.maxItems()}
	p := iam.NewListAttachedRolePoliciesPaginator(s.api, in)
	policies := []string{}
	for p.HasMorePages() {
		page, err := call(ctx, s, func() (*iam.ListAttachedRolePoliciesOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, q.errorf("ListAttachedRolePolicies", name, err)
		}
		for _, a := range page.AttachedPolicies {
			policies = append(policies, aws.ToString(a.PolicyArn))
		}
	}
	slices.Sort(policies)
	return slices.Compact(policies), false, nil
}

func (s *Scanner) inline(ctx context.Context, q query, name string) (map[string]*drift.PolicyDocument, bool, error) {
	p := iam.NewListRolePoliciesPaginator(s.api, &iam.ListRolePoliciesInput{RoleName: aws.String(name), MaxItems: s.maxItems()})
	var names []string
	for p.HasMorePages() {
		page, err := call(ctx, s, func() (*iam.ListRolePoliciesOutput, error) { return p.NextPage(ctx) })
		if notFound(err) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, q.errorf("ListRolePolicies", name, err)
		}
		names = append(names, page.PolicyNames...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	docs := make(map[string]*drift.PolicyDocument, len(names))
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs = make([]error, len(names))
	)
	for i, pn := range names {
		wg.Go(func() {
			out, err := call(ctx, s, func() (*iam.GetRolePolicyOutput, error) {
				return s.api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
			})
			if notFound(err) {
				return // deleted between the list and the get
			}
			if err != nil {
				errs[i] = q.errorf("GetRolePolicy", name+" "+pn, err)
				return
			}
			d, err := drift.ParsePolicyDocument(aws.ToString(out.PolicyDocument))
			if err != nil {
				errs[i] = q.errorf("GetRolePolicy", name+" "+pn, fmt.Errorf("PolicyDocument: %w", err))
				return
			}
			mu.Lock()
			docs[pn] = d
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, false, err
	}
	return docs, false, nil
}
