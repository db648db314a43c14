// Package metrics writes CloudWatch metrics as Embedded Metric Format log
// lines: the function prints one JSON object per invocation and CloudWatch
// Logs turns it into metrics, with no API call on the hot path.
package metrics

import (
	"encoding/json"
	"io"
	"sort"
	"sync"
	"time"
)

// Names of the metrics the functions emit (documented in docs/operations.md).
const (
	EventsProcessed = "EventsProcessed" // CloudTrail records handled
	EventsIgnored   = "EventsIgnored"   // records that changed no access
	Compliant       = "Compliant"       // changes that match the baseline
	DriftCritical   = "DriftCritical"
	DriftHigh       = "DriftHigh"
	DriftMedium     = "DriftMedium"
	DriftLow        = "DriftLow"
	Duplicates      = "Duplicates"      // redelivered findings not recorded again
	Remediations    = "Remediations"    // changes made by eksdrift's own reverter
	Reverted        = "Reverted"        // findings reverted
	RevertSkipped   = "RevertSkipped"   // reverts a guardrail held back
	RevertFailed    = "RevertFailed"    // reverts that failed after their retries
	DryRuns         = "DryRuns"         // reverts only described
	Errors          = "Errors"          // invocations that failed and will be retried
	BaselineReloads = "BaselineReloads" // baseline fetched and parsed anew
	BaselineErrors  = "BaselineErrors"  // baseline unreadable or invalid
	HandlerTime     = "HandlerTime"     // milliseconds in the handler, per invocation
	AWSCallTime     = "AWSCallTime"     // milliseconds of it spent waiting on AWS APIs
)

// Units a metric can have.
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
)

// Set accumulates counts for one invocation.
type Set struct {
	mu     sync.Mutex
	counts map[string]float64
	units  map[string]string
}

// Add counts n of a metric.
func (s *Set) Add(name string, n float64) { s.AddUnit(name, n, Count) }

// AddUnit adds n of a metric measured in unit.
func (s *Set) AddUnit(name string, n float64, unit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil {
		s.counts, s.units = map[string]float64{}, map[string]string{}
	}
	s.counts[name] += n
	s.units[name] = unit
}

// Get gives a metric's count so far.
func (s *Set) Get(name string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[name]
}

// Flush writes the counts as one EMF line with the given dimension and
// resets them. Nothing is written when nothing was counted.
func (s *Set) Flush(w io.Writer, namespace, function string, now time.Time) error {
	s.mu.Lock()
	counts, units := s.counts, s.units
	s.counts, s.units = nil, nil
	s.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	defs := make([]map[string]string, len(names))
	doc := map[string]any{"Function": function}
	for i, n := range names {
		defs[i] = map[string]string{"Name": n, "Unit": units[n]}
		doc[n] = counts[n]
	}
	doc["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  namespace,
			"Dimensions": [][]string{{"Function"}},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
