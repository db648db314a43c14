package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// samples keeps the latencies the scenarios measure, by name.
type samples struct {
	mu sync.Mutex
	by map[string][]time.Duration
}

var latencies = &samples{by: map[string][]time.Duration{}}

func (s *samples) add(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.by[name] = append(s.by[name], d)
}

// quantile gives the q-quantile (nearest rank) of ds, sorted.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// report prints what the run measured; make e2e shows it.
func (s *samples) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	names := make([]string, 0, len(s.by))
	for n := range s.by {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ds := slices.Clone(s.by[n])
		slices.Sort(ds)
		fmt.Fprintf(&b, "e2e: %-34s n=%-3d p50=%-8s p99=%-8s max=%s\n", n, len(ds),
			quantile(ds, 0.5).Round(time.Millisecond), quantile(ds, 0.99).Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
	}
	phases := make([]string, 0, len(timings))
	for n := range timings {
		phases = append(phases, n)
	}
	sort.Strings(phases)
	for _, n := range phases {
		fmt.Fprintf(&b, "e2e: phase %-28s %s\n", n, timings[n].Round(100*time.Millisecond))
	}
	return b.String()
}

// events is how many events latencyScenario times each way:
// EKSDRIFT_E2E_EVENTS, 5 unless set (make e2e-measure sets 50).
func events() int {
	if n, err := strconv.Atoi(os.Getenv("EKSDRIFT_E2E_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 5
}

// latencyScenario times, one event at a time, PutEvents to the finding on
// the findings topic (a compliant sample: no notifier, no reverter), and
// PutEvents to the live state restored by the reverter (an undeclared
// cluster-admin on prod, made live before its event).
func latencyScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	n := events()
	for i := 0; i < n; i++ {
		sample := "eks-create-access-entry-declared.json"
		ev, id := fresh(t, sample)
		fid := goldenOf(t, sample, id)[0].ID()
		sent, err := s.putEvent(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := s.awaitFindings(t, []string{fid}, "finding", 30*time.Second)[fid]
		if !ok {
			t.Fatalf("event %d: no finding %s", i, fid)
		}
		latencies.add("latency: PutEvents to SNS", m.Received.Sub(sent))
	}

	// The reverter's circuit breaker stops after 5 reverts on a cluster in
	// 10 minutes, as it should; the timing lifts it on the deployed
	// function (EKSDRIFT_REVERT_BREAKER_LIMIT) for its own reverts, and
	// puts the setting back after.
	fn := s.res["Reverter/Function/Resource"]
	restore := s.setEnv(t, fn, config.EnvBreakerLimit, strconv.Itoa(n+100))
	defer restore()
	for i := 0; i < n; i++ {
		must(t, err2(s.eks.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})))
		must(t, err2(s.eks.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor),
			PolicyArn: aws.String(drift.PolicyClusterAdmin), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})))
		ev, _ := fresh(t, "eks-associate-access-policy-cluster-admin.json")
		sent, err := s.putEvent(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		restored := false
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if !s.hasPolicy(ctx, "prod", contractor, drift.PolicyClusterAdmin) {
				restored = true
				break
			}
		}
		if !restored {
			t.Fatalf("revert %d: contractor's cluster-admin still on prod after 60s", i)
		}
		latencies.add("latency: PutEvents to live state restored", time.Since(sent))
		must(t, err2(s.eks.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(contractor)})))
	}
}

// hasPolicy says whether principal has policy on cluster, live.
func (s *stack) hasPolicy(ctx context.Context, cluster, principal, policy string) bool {
	out, err := s.eks.ListAssociatedAccessPolicies(ctx, &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
	if err != nil {
		return false
	}
	for _, ap := range out.AssociatedAccessPolicies {
		if aws.ToString(ap.PolicyArn) == policy {
			return true
		}
	}
	return false
}

// setEnv sets one environment variable of a deployed function and gives
// what puts the old environment back.
func (s *stack) setEnv(t *testing.T, fn, key, value string) func() {
	t.Helper()
	ctx := context.Background()
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatalf("function %s: %v", fn, err)
	}
	old := map[string]string{}
	if cfg.Environment != nil {
		old = cfg.Environment.Variables
	}
	vars := maps.Clone(old)
	vars[key] = value
	if _, err := s.lambda.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Environment: &lambdatypes.Environment{Variables: vars}}); err != nil {
		t.Fatalf("function %s: setting %s: %v", fn, key, err)
	}
	return func() {
		if _, err := s.lambda.UpdateFunctionConfiguration(ctx, &awslambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Environment: &lambdatypes.Environment{Variables: old}}); err != nil {
			t.Errorf("function %s: restoring its environment: %v", fn, err)
		}
	}
}
