package drift

import (
	"testing"
	"time"
)

func TestHistoryQueryMatches(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	f := Finding{EventID: "e", EventTime: at, Account: "111122223333", Cluster: "prod", Kind: KindAccessEntry, Resource: "r",
		Severity: SeverityHigh, Decision: DecisionRevert, Drift: true}
	reverted := f
	reverted.Outcome = &RevertOutcome{Result: ResultReverted}
	tests := []struct {
		name string
		q    HistoryQuery
		f    Finding
		want bool
	}{
		{"Empty", HistoryQuery{}, f, true},
		{"Account", HistoryQuery{Accounts: []string{"444455556666"}}, f, false},
		{"Severity", HistoryQuery{Severity: SeverityHigh}, f, true},
		{"OtherSeverity", HistoryQuery{Severity: SeverityCritical}, f, false},
		{"Decision", HistoryQuery{Decision: DecisionAlert}, f, false},
		{"NoOutcome", HistoryQuery{Outcome: OutcomeNone}, f, true},
		{"NoOutcomeButReverted", HistoryQuery{Outcome: OutcomeNone}, reverted, false},
		{"Reverted", HistoryQuery{Outcome: ResultReverted}, reverted, true},
		{"EmptyResultIsNone", HistoryQuery{Outcome: OutcomeNone}, func() Finding { g := f; g.Outcome = &RevertOutcome{}; return g }(), true},
		{"AfterItself", HistoryQuery{After: CursorOf(f)}, f, false},
		{"AfterAnEarlierID", HistoryQuery{After: Cursor{Time: at, ID: "d"}}, f, true},
		{"AfterALaterID", HistoryQuery{After: Cursor{Time: at, ID: "f"}}, f, false},
		{"AfterAnEarlierTime", HistoryQuery{After: Cursor{Time: at.Add(-time.Nanosecond), ID: "zzz"}}, f, true},
		{"AfterInAnotherZone", HistoryQuery{After: Cursor{Time: at.In(time.FixedZone("JST", 9*3600)), ID: f.ID()}}, f, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Matches(tt.f); got != tt.want {
				t.Errorf("Matches: got %v, want %v", got, tt.want)
			}
		})
	}
	if !(Cursor{}).IsZero() || CursorOf(f).IsZero() {
		t.Errorf("IsZero: got %v for the zero cursor and %v for a finding's, want true and false", (Cursor{}).IsZero(), CursorOf(f).IsZero())
	}
}
