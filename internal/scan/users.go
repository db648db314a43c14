package scan

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The IAM users behind access entries: capture declares them under
// iamUsers, plan judges those the baseline declares.

// UserScanner reads one IAM user.
type UserScanner interface {
	ScanUser(ctx context.Context, arn string) (drift.UserState, error)
}

// ExpectUsers adds to the users' total the progress reports, before
// scanning.
func (s *Scanner) ExpectUsers(users int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress.UsersTotal += users
}

// Users scans users through s.Users, in the order given. The states of
// users that failed are left out.
func (s *Scanner) Users(ctx context.Context, arns []string) ([]drift.UserState, []error) {
	if s.UserScanner == nil && len(arns) > 0 {
		return nil, []error{fmt.Errorf("scan: %d users to read, but no user scanner", len(arns))}
	}
	states := make([]*drift.UserState, len(arns))
	errs := make([]error, len(arns))
	parallel(ctx, s.Parallel, len(arns), func(i int) {
		st, err := s.UserScanner.ScanUser(ctx, arns[i])
		if err != nil {
			errs[i] = &ReadError{What: "user " + arns[i], Err: err}
		} else {
			states[i] = &st
		}
		s.report(func(p *Progress) { p.UsersDone++ })
	})
	return compact(states), compactErrs(ctx, errs)
}

// BaselineUsers lists the users a baseline declares in account (every
// account when account is ""), and how many it declares elsewhere.
func BaselineUsers(b *drift.Baseline, account string) (arns []string, elsewhere int) {
	for _, u := range b.IAMUsers {
		if account != "" && u.Account() != account {
			elsewhere++
			continue
		}
		arns = append(arns, u.ARN)
	}
	return arns, elsewhere
}

// UsersBehind lists the IAM users that are the principals of scanned
// clusters' access entries, once each (by identity: a user's name is
// unique in its account whatever its path or case). Users of other
// accounts than account (when given) are left out: these credentials
// cannot read them. why says, for each user, which entries it is behind;
// other lists the users left out and why.
func UsersBehind(clusters []drift.ClusterState, account string) (users []string, why map[string]string, other map[string]string) {
	why, other = map[string]string{}, map[string]string{}
	uses := map[string][]string{}
	first := map[string]string{} // identity -> the ARN kept
	for _, c := range clusters {
		for _, e := range c.AccessEntries {
			arn := e.PrincipalARN
			if _, ok := drift.UserName(arn); !ok {
				continue
			}
			if a := drift.AccountOf(arn); account != "" && a != account {
				other[arn] = "a user in account " + a + ": not captured under iamUsers, these credentials cannot read it"
				continue
			}
			id := drift.IdentityKey(arn)
			if _, ok := first[id]; !ok {
				first[id] = arn
				users = append(users, arn)
			}
			what := "access entry on " + c.Name
			if !slices.Contains(uses[first[id]], what) {
				uses[first[id]] = append(uses[first[id]], what)
			}
		}
	}
	for arn, u := range uses {
		const shown = 3
		w := "behind " + strings.Join(u[:min(shown, len(u))], "; ")
		if len(u) > shown {
			w += fmt.Sprintf("; and %d more", len(u)-shown)
		}
		why[arn] = w
	}
	slices.Sort(users)
	return users, why, other
}
