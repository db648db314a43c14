// Package scan reads the full live state of many clusters, roles and IAM
// users at once, for the four uses of a full scan: `eksdrift baseline
// capture`, `eksdrift plan`, and the scheduled sweep of functions/reconcile.
// It decides what to read (the clusters, roles and users a baseline
// declares, or the roles and users behind the access a capture found) and
// reads it through the EKS and IAM scanners, several at a time, counting
// progress. It imports only the domain; the adapters (internal/eks,
// internal/iam) do the calls.
package scan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// ClusterScanner reads one cluster's access configuration.
type ClusterScanner interface {
	ScanCluster(ctx context.Context, region, name string) (drift.ClusterState, error)
}

// RoleScanner reads one role.
type RoleScanner interface {
	ScanRole(ctx context.Context, arn string) (drift.RoleState, error)
}

// Cluster names a cluster to scan.
type Cluster struct {
	Region, Name string
	// Account is the account the cluster is expected in ("" when any).
	Account string
}

func (c Cluster) String() string { return c.Region + "/" + c.Name }

// Progress is how far a scan got.
type Progress struct {
	ClustersDone, ClustersTotal int
	RolesDone, RolesTotal       int
	UsersDone, UsersTotal       int
	// Entries counts the access entries read so far.
	Entries int
}

// Scanner reads clusters, roles and users, Parallel of each at a time (the
// adapters bound the calls in flight); OnProgress, when set, is called after
// each cluster, role or user, from one goroutine at a time.
type Scanner struct {
	EKS ClusterScanner
	IAM RoleScanner
	// UserScanner reads users; nil when the scan reads none.
	UserScanner UserScanner
	Parallel    int
	OnProgress  func(Progress)

	mu       sync.Mutex
	progress Progress
}

// Expect adds to the totals the progress reports, before scanning.
func (s *Scanner) Expect(clusters, roles int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress.ClustersTotal += clusters
	s.progress.RolesTotal += roles
}

// Progress is how far the scan got so far.
func (s *Scanner) Progress() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progress
}

func (s *Scanner) report(f func(*Progress)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.progress)
	if s.OnProgress != nil {
		s.OnProgress(s.progress)
	}
}

// Clusters scans clusters, in the order given. A cluster that is found in
// another account than expected is an error for that cluster (the
// credentials reach another account); the others are still scanned. The
// states of clusters that failed are left out.
func (s *Scanner) Clusters(ctx context.Context, clusters []Cluster) ([]drift.ClusterState, []error) {
	states := make([]*drift.ClusterState, len(clusters))
	errs := make([]error, len(clusters))
	parallel(ctx, s.Parallel, len(clusters), func(i int) {
		c := clusters[i]
		st, err := s.EKS.ScanCluster(ctx, c.Region, c.Name)
		switch {
		case err != nil:
			errs[i] = &ReadError{What: "cluster " + c.String(), Err: err}
		case st.Found && c.Account != "" && st.Account != "" && st.Account != c.Account:
			errs[i] = &ReadError{What: "cluster " + c.String(), Err: fmt.Errorf("cluster %s is declared in account %s, but the one these credentials see is in account %s", c, c.Account, st.Account)}
		default:
			if st.Account == "" {
				st.Account = c.Account
			}
			states[i] = &st
		}
		s.report(func(p *Progress) {
			p.ClustersDone++
			p.Entries += len(st.AccessEntries)
		})
	})
	return compact(states), compactErrs(ctx, errs)
}

// Roles scans roles, in the order given. The states of roles that failed
// are left out.
func (s *Scanner) Roles(ctx context.Context, arns []string) ([]drift.RoleState, []error) {
	states := make([]*drift.RoleState, len(arns))
	errs := make([]error, len(arns))
	parallel(ctx, s.Parallel, len(arns), func(i int) {
		st, err := s.IAM.ScanRole(ctx, arns[i])
		if err != nil {
			errs[i] = &ReadError{What: "role " + arns[i], Err: err}
		} else {
			states[i] = &st
		}
		s.report(func(p *Progress) { p.RolesDone++ })
	})
	return compact(states), compactErrs(ctx, errs)
}

// ReadError is a cluster or role that could not be read. Its message is
// the adapter's, which names it already; What names it for a report
// ("cluster us-west-2/prod", "role arn:...").
type ReadError struct {
	What string
	Err  error
}

func (e *ReadError) Error() string { return e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

func parallel(ctx context.Context, n, items int, f func(i int)) {
	if n <= 0 {
		n = 4
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, items) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range items {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

func compact[T any](items []*T) []T {
	out := make([]T, 0, len(items))
	for _, it := range items {
		if it != nil {
			out = append(out, *it)
		}
	}
	return out
}

// compactErrs keeps the errors, and says when ctx ended before every item
// was read.
func compactErrs(ctx context.Context, errs []error) []error {
	var out []error
	if err := ctx.Err(); err != nil {
		out = append(out, err)
	}
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// Targets are what a baseline asks a scan to read in one account.
type Targets struct {
	Clusters []Cluster
	Roles    []string // ARNs
	// Elsewhere counts the clusters and roles the baseline declares in
	// other accounts, which these credentials cannot read.
	ElsewhereClusters, ElsewhereRoles int
}

// BaselineTargets lists the clusters and roles a baseline declares in
// account (every account when account is "").
func BaselineTargets(b *drift.Baseline, account string) Targets {
	var t Targets
	for _, c := range b.Clusters {
		if account != "" && c.Account != account {
			t.ElsewhereClusters++
			continue
		}
		t.Clusters = append(t.Clusters, Cluster{Region: c.Region, Name: c.Name, Account: c.Account})
	}
	for _, r := range b.IAMRoles {
		if account != "" && r.Account() != account {
			t.ElsewhereRoles++
			continue
		}
		t.Roles = append(t.Roles, r.ARN)
	}
	return t
}

// Regions lists the regions of a baseline's clusters in account, sorted.
func (t Targets) Regions() []string {
	var out []string
	for _, c := range t.Clusters {
		out = append(out, c.Region)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Behind lists the IAM roles behind the access of scanned clusters: the
// principal of every access entry that is a role, and the role of every
// pod identity association, once each. Roles of other accounts than
// account (when given) are left out: these credentials cannot read them.
// why says, for each role, what it is behind, for the reader of a captured
// baseline; other lists the principals left out and why.
func Behind(clusters []drift.ClusterState, account string) (roles []string, why map[string]string, other map[string]string) {
	why, other = map[string]string{}, map[string]string{}
	uses := map[string][]string{}
	note := func(arn, what string) {
		if _, ok := drift.RoleName(arn); !ok {
			return // an IAM user, not a role
		}
		if a := drift.AccountOf(arn); account != "" && a != account {
			other[arn] = "a role in account " + a + ": not captured under iamRoles, these credentials cannot read it"
			return
		}
		if _, ok := uses[arn]; !ok {
			roles = append(roles, arn)
		}
		if !slices.Contains(uses[arn], what) {
			uses[arn] = append(uses[arn], what)
		}
	}
	for _, c := range clusters {
		for _, e := range c.AccessEntries {
			what := "access entry on " + c.Name
			if drift.IsNodeEntryType(e.Type) {
				what = e.Type + " access entry on " + c.Name
			}
			note(e.PrincipalARN, what)
		}
		for _, p := range c.PodIdentityAssociations {
			note(p.RoleARN, "pod identity association "+p.Key()+" on "+c.Name)
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
	slices.Sort(roles)
	return roles, why, other
}
