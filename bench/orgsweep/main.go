// Command orgsweep measures the reconcile sweep's fan-out over an
// organization on an AWS emulator: it fills MiniStack with many member
// accounts (each its 12-digit access key: MiniStack keeps accounts apart by
// key), each with a read role, clusters in several regions with access
// entries, policies and pod identity associations, and the roles behind
// them; captures one account and declares every account like it; then runs
// the sweep as the reconcile function does (member read roles assumed
// through STS, a token bucket per account, the sweep record resumed by the
// next invocation when one runs out of time) and reports the time, the API
// calls per account, the peak memory and whether it fits one invocation.
//
// One MiniStack cannot hold a large organization (its EKS lists walk every
// account it holds), so the organization can be split over several
// emulators, the shards: -shards K starts K MiniStack processes on
// 127.0.0.1 (found as internal/awstest finds it), -endpoints uses running
// ones. Each shard holds a contiguous block of the accounts, and a
// member's fill, its read role's STS AssumeRole and every read of the
// sweep go to its shard. The round fails unless every cluster of every
// account was read exactly once.
//
// It talks only to emulators on the loopback interface: it refuses to run
// unless AWS_ENDPOINT_URL (or every -endpoints URL) names 127.0.0.1 or
// localhost. bench/orgsweep.sh starts the emulators and runs it.
//
// Usage:
//
//	AWS_ENDPOINT_URL=http://127.0.0.1:4566 go run ./bench/orgsweep -accounts 10 -regions us-east-1,us-west-2 -clusters 5 -entries 100
//	go run ./bench/orgsweep -shards 20 -accounts 100    # 20 MiniStacks of 5 accounts each
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go/middleware"

	"github.com/eksdrift/eksdrift/internal/baseline"
	edconfig "github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/reconcile"
	"github.com/eksdrift/eksdrift/internal/scan"
	"github.com/eksdrift/eksdrift/internal/sqlite"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

const (
	readRole     = "eksdrift-read"
	policyPrefix = "arn:aws:eks::aws:cluster-access-policy/"
	trust        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`
)

type options struct {
	accounts, clusters, entries, roles, pods int
	regions                                  []string
	first                                    int64
	fill                                     bool
	workers, parallel, rate, eksCalls        int
	timeout, margin                          time.Duration
	out                                      string
	shards                                   int
	endpoints                                string
}

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "orgsweep:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	var o options
	var regions string
	fs := flag.NewFlagSet("orgsweep", flag.ContinueOnError)
	fs.IntVar(&o.accounts, "accounts", 100, "member accounts")
	fs.StringVar(&regions, "regions", "us-east-1,us-west-2", "regions of each account's clusters")
	fs.IntVar(&o.clusters, "clusters", 5, "clusters per account and region")
	fs.IntVar(&o.entries, "entries", 100, "access entries per cluster, one access policy each")
	fs.IntVar(&o.roles, "roles", 20, "roles per account behind the entries (entry j is role j, or an IAM user past the roles)")
	fs.IntVar(&o.pods, "pods", 2, "pod identity associations per cluster")
	fs.Int64Var(&o.first, "first-account", 100000000000, "the first member's account ID; the others follow")
	fs.BoolVar(&o.fill, "fill", true, "fill the emulator first (false: it is already filled with the same flags)")
	fs.IntVar(&o.workers, "j", 16, "calls in flight while filling")
	fs.IntVar(&o.parallel, "parallel", reconcile.DefaultAccountParallel, "targets (account and region) the sweep reads at once")
	fs.IntVar(&o.rate, "rate", 20, "calls a second per account (the token bucket)")
	fs.IntVar(&o.eksCalls, "eks-calls", eks.DefaultScanConcurrency, "EKS calls in flight per account")
	fs.DurationVar(&o.timeout, "timeout", edconfig.DefaultReconcileTimeout, "the reconcile function's timeout")
	fs.DurationVar(&o.margin, "margin", time.Minute, "the sweep's margin before the deadline")
	fs.StringVar(&o.out, "json", "", "also write the figures to this file")
	fs.IntVar(&o.shards, "shards", 0, "start this many MiniStack processes on 127.0.0.1 and split the accounts over them (0: the one emulator of AWS_ENDPOINT_URL)")
	fs.StringVar(&o.endpoints, "endpoints", "", "comma-separated emulators on 127.0.0.1 to split the accounts over, in order (-fill=false: as filled before)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.regions = strings.Split(regions, ",")
	if o.accounts < 1 {
		return fmt.Errorf("-accounts %d: give at least one", o.accounts)
	}
	accounts := make([]string, o.accounts)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("%012d", o.first+int64(i))
	}
	var endpoints []string
	var pids []int
	switch {
	case o.shards > 0 && o.endpoints != "":
		return errors.New("-shards starts emulators, -endpoints names running ones: give one of them")
	case o.shards > 0 || o.endpoints != "":
		// The SDK prefers AWS_ENDPOINT_URL_<SERVICE> to a configuration's
		// endpoint: with one set, that service's calls would skip the shards.
		if names := serviceOverrides(os.Environ()); len(names) > 0 {
			return fmt.Errorf("%s set: with shards, every call goes to its account's shard; unset it", strings.Join(names, ", "))
		}
		if o.endpoints != "" {
			var err error
			if endpoints, err = loopbackEndpoints(o.endpoints); err != nil {
				return err
			}
			break
		}
		if !o.fill {
			return errors.New("-shards starts empty emulators: -fill=false needs -endpoints")
		}
		dir, err := os.MkdirTemp("", "orgsweep-shards-")
		if err != nil {
			return err
		}
		start := time.Now()
		var stop func()
		endpoints, pids, stop, err = startShards(ctx, min(o.shards, o.accounts), dir)
		defer stop()
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		fmt.Printf("started %d MiniStack shards in %s\n", len(endpoints), time.Since(start).Round(time.Second))
	default:
		if err := loopbackOnly(os.Getenv("AWS_ENDPOINT_URL")); err != nil {
			return err
		}
		endpoints = []string{os.Getenv("AWS_ENDPOINT_URL")}
	}
	// A client built from base alone reaches the first emulator, never AWS.
	os.Setenv("AWS_ENDPOINT_URL", endpoints[0])
	base, err := config.LoadDefaultConfig(ctx, config.WithRegion(o.regions[0]), config.WithRetryMode(aws.RetryModeAdaptive), config.WithRetryMaxAttempts(10),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(home, "bench", "")))
	if err != nil {
		return err
	}
	w := newWorld(base, accounts, endpoints, pids)
	f := figures{Shards: len(w.shards)}
	if o.fill {
		start := time.Now()
		if err := fill(ctx, w, o); err != nil {
			return fmt.Errorf("fill: %w", err)
		}
		f.FillSeconds = time.Since(start).Seconds()
		fmt.Printf("filled %d accounts x %d regions x %d clusters x %d entries on %d emulator(s) in %s\n", o.accounts, len(o.regions), o.clusters, o.entries, len(w.shards), time.Since(start).Round(time.Second))
	}
	ix, err := declare(ctx, w, o)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return sweep(ctx, w, ix, o, f)
}

// home is the security account the bench sweeps from: the member read
// roles trust it.
const home = "000000000000"

// world is the emulated organization: its accounts and the shards that
// hold them.
type world struct {
	base     aws.Config
	accounts []string
	shards   []*shard
	shardOf  map[string]int
}

func newWorld(base aws.Config, accounts, endpoints []string, pids []int) *world {
	w := &world{base: base, accounts: accounts}
	for i, block := range split(accounts, len(endpoints)) {
		s := &shard{endpoint: endpoints[i], accounts: block}
		if i < len(pids) {
			s.pid = pids[i]
		}
		w.shards = append(w.shards, s)
	}
	w.shardOf = route(w.shards)
	return w
}

// as gives the configuration that calls, as the account's root, the
// emulator holding account.
func (w *world) as(account string) aws.Config {
	return asAccount(onShard(w.base, w.shards[w.shardOf[account]]), account)
}

// fill creates, in every account, the read role, the team roles and the
// clusters of every region.
func fill(ctx context.Context, w *world, o options) error {
	var (
		wg    sync.WaitGroup
		sem   = make(chan struct{}, o.workers)
		mu    sync.Mutex
		first error
	)
	do := func(f func() error) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(); err != nil && !exists(err) {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
			}
		})
	}
	for _, a := range w.accounts {
		cfg := w.as(a)
		im := awsiam.NewFromConfig(cfg)
		do(func() error {
			_, err := im.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(readRole), AssumeRolePolicyDocument: aws.String(fmt.Sprintf(trust, home))})
			return err
		})
		for r := range o.roles {
			do(func() error {
				name := fmt.Sprintf("team-%03d", r)
				if _, err := im.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(fmt.Sprintf(trust, a))}); err != nil && !exists(err) {
					return err
				}
				_, err := im.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
				return err
			})
		}
		for _, region := range o.regions {
			ek := awseks.NewFromConfig(cfg, func(opt *awseks.Options) { opt.Region = region })
			for c := range o.clusters {
				name := fmt.Sprintf("c%02d", c)
				if _, err := ek.CreateCluster(ctx, &awseks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::" + a + ":role/eks-cluster"),
					ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}},
					AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi, BootstrapClusterCreatorAdminPermissions: aws.Bool(false)}}); err != nil && !exists(err) {
					return err
				}
				for e := range o.entries {
					do(func() error {
						p := fmt.Sprintf("arn:aws:iam::%s:role/team-%03d", a, e)
						if e >= o.roles {
							p = fmt.Sprintf("arn:aws:iam::%s:user/user-%04d", a, e)
						}
						if _, err := ek.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(p),
							KubernetesGroups: []string{fmt.Sprintf("team-%d", e%10)}}); err != nil && !exists(err) {
							return err
						}
						scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{fmt.Sprintf("team-%d", e%10)}}
						if e%7 == 0 {
							scope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
						}
						_, err := ek.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String(name), PrincipalArn: aws.String(p),
							PolicyArn: aws.String(policyPrefix + "AmazonEKSViewPolicy"), AccessScope: scope})
						return err
					})
				}
				for p := range o.pods {
					do(func() error {
						_, err := ek.CreatePodIdentityAssociation(ctx, &awseks.CreatePodIdentityAssociationInput{ClusterName: aws.String(name),
							Namespace: aws.String(fmt.Sprintf("team-%d", p)), ServiceAccount: aws.String("app"),
							RoleArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:role/team-%03d", a, p%max(o.roles, 1)))})
						return err
					})
				}
			}
		}
	}
	wg.Wait()
	return first
}

// declare captures the first account, as `eksdrift baseline capture` does,
// and declares every account like it: the accounts are filled alike, so
// the sweep finds no drift and measures reading, not recording.
func declare(ctx context.Context, w *world, o options) (*drift.Index, error) {
	accounts := w.accounts
	cfg := w.as(accounts[0])
	s := &scan.Scanner{EKS: eks.NewScanner(cfg, o.eksCalls), IAM: iam.NewScanner(cfg, 0), Parallel: 4}
	var targets []scan.Cluster
	for _, region := range o.regions {
		for c := range o.clusters {
			targets = append(targets, scan.Cluster{Region: region, Name: fmt.Sprintf("c%02d", c), Account: accounts[0]})
		}
	}
	clusters, errs := s.Clusters(ctx, targets)
	roleARNs, _, _ := scan.Behind(clusters, accounts[0])
	roles, roleErrs := s.Roles(ctx, roleARNs)
	if err := errors.Join(append(errs, roleErrs...)...); err != nil {
		return nil, err
	}
	doc, err := baseline.Marshal(drift.Capture(clusters, roles, nil), baseline.Notes{})
	if err != nil {
		return nil, err
	}
	merged := &drift.Baseline{Version: 1, Mode: drift.ModeAlert}
	for _, a := range accounts {
		b, err := baseline.Parse("captured", []byte(strings.ReplaceAll(string(doc), accounts[0], a)))
		if err != nil {
			return nil, err
		}
		merged.Clusters = append(merged.Clusters, b.Clusters...)
		merged.IAMRoles = append(merged.IAMRoles, b.IAMRoles...)
	}
	// One file for the whole organization is over the 16 MiB a baseline
	// may be at this size (27 MB for 100 accounts): the bench indexes it
	// without the file (a deployment this large needs one baseline per
	// account).
	return drift.NewIndex(merged)
}

type figures struct {
	Accounts, Regions, ClustersPerRegion, EntriesPerCluster int
	Clusters, Roles, Entries                                int
	Invocations                                             int
	InvocationSeconds                                       []float64
	TotalSeconds                                            float64
	CallsPerAccount                                         struct{ EKS, IAM, Min, Max int64 }
	PeakHeapMB, PeakSysMB                                   float64
	BudgetSeconds                                           float64
	FitsOneInvocation                                       bool
	Drift                                                   int
	Unread                                                  int
	Parallel, Rate                                          int
	// Shards is how many emulators hold the accounts; FillSeconds is 0
	// when the bench did not fill them.
	Shards      int
	FillSeconds float64
	// Every cluster of every account is described once in a round:
	// ClustersRead counts those described, ReadTwice those described more
	// than once, NotRead those never described, AccountsCovered the
	// accounts the sweep made calls in.
	ClustersRead, ReadTwice, NotRead, AccountsCovered int
	// Assumes counts the member read roles assumed through STS, each on
	// its account's shard.
	Assumes int64
	// PeakRSSMB is the bench's own peak resident set (VmHWM); the shards'
	// are their sum and largest, with their CPU time.
	PeakRSSMB                            float64
	ShardPeakRSSMBSum, ShardPeakRSSMBMax float64
	ShardCPUSeconds                      float64
}

// sweep runs the reconcile function's sweep, invocation after invocation
// (each with the function's deadline), until its round is complete.
func sweep(ctx context.Context, w *world, ix *drift.Index, o options, f figures) error {
	accounts := w.accounts
	dir, err := os.MkdirTemp("", "orgsweep-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "history.db"))
	if err != nil {
		return err
	}
	defer store.Close()

	var mu sync.Mutex
	calls := map[string][2]func() int64{}
	reads := &readCount{n: map[string]int{}}
	configFor, members := w.memberConfigs(o.rate, reads)
	scanners := wiring.MemberScanners(configFor, o.eksCalls)
	scannerFor := func(ctx context.Context, account string) (*scan.Scanner, error) {
		s, err := scanners(ctx, account)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		calls[account] = [2]func() int64{s.EKS.(*eks.Scanner).Calls, s.IAM.(*iam.Scanner).Calls}
		mu.Unlock()
		return s, nil
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	baselineOf := func(context.Context) (*drift.Index, error) { return ix, nil }
	set := &metrics.Set{}
	progress := &memoryRecord{}
	r := &reconcile.Reconciler{
		Baseline: baselineOf, History: store, Grace: -1, Metrics: set, Log: log,
		Detector:   &detect.Detector{Baseline: baselineOf, History: store, Publisher: nopPublisher{}, Metrics: set, Log: log},
		Members:    accounts,
		ScannerFor: scannerFor, AccountParallel: o.parallel, Progress: progress, Margin: o.margin,
	}

	var peakHeap, peakSys atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peakHeap.Load() {
				peakHeap.Store(m.HeapAlloc)
			}
			if m.Sys > peakSys.Load() {
				peakSys.Store(m.Sys)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	// A line every 30 s: a long invocation says how far it got, so a slow
	// emulator is told from a stuck sweep.
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Second):
			}
			var n int64
			mu.Lock()
			for _, c := range calls {
				n += c[0]() + c[1]()
			}
			mu.Unlock()
			var rec struct{ Done []string }
			progress.mu.Lock()
			_ = json.Unmarshal(progress.doc, &rec)
			progress.mu.Unlock()
			fmt.Printf("  %s: %d calls, %d targets done in this round\n", time.Now().UTC().Format(time.TimeOnly), n, len(rec.Done))
		}
	}()

	f.Accounts, f.Regions, f.ClustersPerRegion, f.EntriesPerCluster = len(accounts), len(o.regions), o.clusters, o.entries
	f.BudgetSeconds, f.Parallel, f.Rate = (o.timeout - o.margin).Seconds(), o.parallel, o.rate
	start := time.Now()
	at := time.Now().UTC().Truncate(time.Hour)
	for inv := 0; ; inv++ {
		ictx, cancel := context.WithTimeout(ctx, o.timeout)
		t := time.Now()
		rep, err := r.Sweep(ictx, at.Add(time.Duration(inv)*time.Hour))
		cancel()
		f.Invocations++
		f.InvocationSeconds = append(f.InvocationSeconds, time.Since(t).Seconds())
		f.Clusters += rep.Clusters
		f.Roles += rep.Roles
		f.Drift += rep.Drift
		f.Unread += len(rep.Unread)
		fmt.Printf("invocation %d: %d targets in %s, %d remaining, %d clusters, %d roles, %d drift, %d unread (error: %v)\n",
			inv+1, rep.Targets, time.Since(t).Round(time.Second), rep.Remaining, rep.Clusters, rep.Roles, rep.Drift, len(rep.Unread), err)
		if rep.Remaining == 0 || inv > 20 {
			break
		}
	}
	f.TotalSeconds = time.Since(start).Seconds()
	close(stop)
	f.PeakHeapMB, f.PeakSysMB = float64(peakHeap.Load())/(1<<20), float64(peakSys.Load())/(1<<20)
	f.count(ix, calls, reads, members, w, o)
	f.print(o)
	failed := f.check(o)
	if o.out != "" {
		b, _ := json.MarshalIndent(f, "", "  ")
		if werr := os.WriteFile(o.out, append(b, '\n'), 0o644); werr != nil {
			return errors.Join(failed, werr)
		}
	}
	return failed
}

// memberConfigs builds one Accounts and one MemberConfigs per shard, as the
// reconcile function builds them, on a base pointed at that shard: a
// member's read role is assumed through its own shard's STS, and each
// account keeps its own token bucket. reads counts what the configurations
// describe.
func (w *world) memberConfigs(callRate int, reads *readCount) (wiring.ConfigFor, []*wiring.Accounts) {
	var members []*wiring.Accounts
	var perShard []wiring.ConfigFor
	for _, sh := range w.shards {
		m := wiring.NewAccounts(onShard(w.base, sh), home, edconfig.Org{Members: slices.Sorted(slices.Values(sh.accounts))}, "reconcile")
		members = append(members, m)
		perShard = append(perShard, wiring.MemberConfigs(m, readRole, callRate))
	}
	return func(ctx context.Context, account, region string) (aws.Config, error) {
		i, ok := w.shardOf[account]
		if !ok {
			return aws.Config{}, fmt.Errorf("account %s is on no shard", account)
		}
		cfg, err := perShard[i](ctx, account, region)
		if err != nil {
			return cfg, err
		}
		return reads.counted(cfg, account), nil
	}, members
}

// count fills in the round's calls, coverage and memory.
func (f *figures) count(ix *drift.Index, calls map[string][2]func() int64, reads *readCount, members []*wiring.Accounts, w *world, o options) {
	f.FitsOneInvocation = f.Invocations == 1
	for _, c := range ix.Baseline.Clusters {
		f.Entries += len(c.AccessEntries)
	}
	f.CallsPerAccount.Min = -1
	for _, c := range calls {
		e, i := c[0](), c[1]()
		f.CallsPerAccount.EKS += e
		f.CallsPerAccount.IAM += i
		if f.CallsPerAccount.Min < 0 || e+i < f.CallsPerAccount.Min {
			f.CallsPerAccount.Min = e + i
		}
		f.CallsPerAccount.Max = max(f.CallsPerAccount.Max, e+i)
	}
	if n := int64(len(calls)); n > 0 {
		f.CallsPerAccount.EKS /= n
		f.CallsPerAccount.IAM /= n
	}
	f.AccountsCovered = len(calls)
	f.ClustersRead, f.ReadTwice, f.NotRead = reads.check(w.accounts, o.regions, o.clusters)
	for _, m := range members {
		f.Assumes += m.Assumes()
	}
	f.PeakRSSMB = procStatus("self", "VmHWM")
	for _, sh := range w.shards {
		if sh.pid == 0 {
			continue
		}
		rss := procStatus(fmt.Sprint(sh.pid), "VmHWM")
		f.ShardPeakRSSMBSum += rss
		f.ShardPeakRSSMBMax = max(f.ShardPeakRSSMBMax, rss)
		f.ShardCPUSeconds += cpuSeconds(sh.pid)
	}
}

func (f *figures) print(o options) {
	fmt.Printf("swept %d accounts x %d regions: %d clusters, %d access entries, %d roles in %.0fs over %d invocation(s) of %s less %s (fits one: %v); "+
		"calls per account: %d EKS + %d IAM (min %d, max %d); peak heap %.0f MB, Go runtime %.0f MB; %d drift, %d unread\n",
		f.Accounts, f.Regions, f.Clusters, f.Entries, f.Roles, f.TotalSeconds, f.Invocations, o.timeout, o.margin, f.FitsOneInvocation,
		f.CallsPerAccount.EKS, f.CallsPerAccount.IAM, f.CallsPerAccount.Min, f.CallsPerAccount.Max, f.PeakHeapMB, f.PeakSysMB, f.Drift, f.Unread)
	fmt.Printf("coverage: %d of %d accounts, %d of %d clusters described (%d twice, %d never), %d read roles assumed on %d emulator(s); peak RSS %.0f MB",
		f.AccountsCovered, f.Accounts, f.ClustersRead, f.Accounts*len(o.regions)*o.clusters, f.ReadTwice, f.NotRead, f.Assumes, f.Shards, f.PeakRSSMB)
	if f.ShardPeakRSSMBMax > 0 {
		fmt.Printf("; shards: %.0f MB peak RSS in all (largest %.0f MB), %.0f s of CPU", f.ShardPeakRSSMBSum, f.ShardPeakRSSMBMax, f.ShardCPUSeconds)
	}
	fmt.Println()
}

// check fails a round that missed or reread a cluster. The accounts are
// filled and declared alike: a cluster not found or a drift means a read
// reached the wrong emulator or account.
func (f *figures) check(o options) error {
	want := f.Accounts * len(o.regions) * o.clusters
	if f.ReadTwice > 0 || f.NotRead > 0 || f.AccountsCovered != f.Accounts || f.Unread > 0 || f.Clusters != want || f.Drift > 0 {
		return fmt.Errorf("the round read %d clusters twice, never read %d, swept %d of %d, covered %d of %d accounts, left %d unread, found %d drift",
			f.ReadTwice, f.NotRead, f.Clusters, want, f.AccountsCovered, f.Accounts, f.Unread, f.Drift)
	}
	return nil
}

// readCount counts the DescribeCluster operations (not attempts: the
// SDK's retries come after this step) per account, region and cluster.
type readCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *readCount) counted(cfg aws.Config, account string) aws.Config {
	cfg = cfg.Copy()
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("orgsweepReads",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if d, ok := in.Parameters.(*awseks.DescribeClusterInput); ok {
					r.mu.Lock()
					r.n[account+"/"+awsmiddleware.GetRegion(ctx)+"/"+aws.ToString(d.Name)]++
					r.mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	return cfg
}

// check says how many of the world's clusters were described, how many
// more than once and how many never.
func (r *readCount) check(accounts, regions []string, clusters int) (read, twice, never int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range accounts {
		for _, region := range regions {
			for c := range clusters {
				switch n := r.n[fmt.Sprintf("%s/%s/c%02d", a, region, c)]; {
				case n == 0:
					never++
				case n > 1:
					twice++
					read++
				default:
					read++
				}
			}
		}
	}
	return read, twice, never
}

// memoryRecord keeps the sweep record in memory, as the history table
// does between invocations.
type memoryRecord struct {
	mu  sync.Mutex
	doc []byte
}

func (m *memoryRecord) SweepRecord(context.Context, string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.doc), m.doc != nil, nil
}

func (m *memoryRecord) SaveSweepRecord(_ context.Context, _ string, doc []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.doc = slices.Clone(doc)
	return nil
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, drift.Finding) error { return nil }

func asAccount(cfg aws.Config, account string) aws.Config {
	cfg = cfg.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(account, "bench", "")
	return cfg
}

func exists(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "ResourceInUse") || strings.Contains(err.Error(), "EntityAlreadyExists"))
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// loopbackOnly refuses any endpoint but an emulator on this machine.
func loopbackOnly(endpoint string) error {
	if endpoint == "" {
		return errors.New("AWS_ENDPOINT_URL is not set: orgsweep only fills an emulator on 127.0.0.1")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("AWS_ENDPOINT_URL=%q: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("endpoint %q: want an http or https URL on 127.0.0.1", endpoint)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return fmt.Errorf("AWS_ENDPOINT_URL=%q is not on the loopback interface: orgsweep only fills an emulator", endpoint)
	}
	return nil
}
