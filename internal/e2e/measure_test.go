package e2e

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
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
