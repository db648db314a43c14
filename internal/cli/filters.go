package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// This file reads the filters the history's queries share: times, kinds,
// severities, decisions and outcomes.

// parseFilters checks the filters whose values are fixed lists and sets
// them on q.
func parseFilters(q *drift.HistoryQuery, kind, severity, decision, outcome string) error {
	if kind != "" {
		if !validKind(kind) {
			return fmt.Errorf("--kind %q is not one of %s", kind, kindList())
		}
		q.Kind = drift.Kind(kind)
	}
	if severity != "" {
		if drift.Severity(severity).Rank() < 0 {
			return fmt.Errorf("--severity %q is not one of %s", severity, severityList())
		}
		q.Severity = drift.Severity(severity)
	}
	if decision != "" {
		if !slices.Contains(decisionValues, drift.Decision(decision)) {
			return fmt.Errorf("--decision %q is not one of %s", decision, decisionList())
		}
		q.Decision = drift.Decision(decision)
	}
	if outcome != "" {
		if !slices.Contains(outcomeValues, outcome) {
			return fmt.Errorf("--outcome %q is not one of %s", outcome, outcomeList())
		}
		q.Outcome = outcome
	}
	return nil
}

var (
	decisionValues = []drift.Decision{drift.DecisionNone, drift.DecisionAlert, drift.DecisionDryRun, drift.DecisionRevert,
		drift.DecisionBreakGlass, drift.DecisionRemediation}
	outcomeValues = []string{drift.ResultReverted, drift.ResultAlreadyCompliant, drift.ResultRevertFailed, drift.ResultDryRun,
		drift.ResultSkipped, drift.OutcomeNone}
)

func severityList() string {
	s := make([]string, len(drift.Severities))
	for i, v := range drift.Severities {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func decisionList() string {
	s := make([]string, len(decisionValues))
	for i, v := range decisionValues {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func outcomeList() string { return strings.Join(outcomeValues, ", ") + " (no outcome recorded)" }

// parseTime reads an absolute time (RFC 3339 or a date) or an age before
// now ("30d", "12h", "90m").
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	if strings.HasSuffix(s, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a date (2006-01-02) or an age (30d, 12h)", s)
}

func validKind(k string) bool {
	for _, v := range drift.Kinds {
		if string(v) == k {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(drift.Kinds))
	for i, k := range drift.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
