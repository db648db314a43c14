package notice

import (
	"reflect"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestItemTime(t *testing.T) {
	event, known := time.Date(2026, 11, 28, 9, 41, 7, 0, time.UTC), time.Date(2026, 11, 28, 9, 42, 0, 0, time.UTC)
	f := drift.Finding{EventTime: event}
	for _, tt := range []struct {
		name string
		it   Item
		want time.Time
	}{
		{"a finding at its event", Item{Finding: f, At: known}, event},
		{"an outcome when it was known", Item{Finding: f, Result: &drift.RevertOutcome{}, At: known}, known},
		{"an outcome of unknown time at its event", Item{Finding: f, Result: &drift.RevertOutcome{}}, event},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.it.Time(); !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDigestOf(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 11, 28, 9, min, 0, 0, time.UTC) }
	item := func(sev drift.Severity, min int, cluster string) Item {
		return Item{Finding: drift.Finding{Severity: sev, EventTime: at(min), Cluster: cluster, Account: "111122223333", Resource: string(sev)}}
	}
	outcome := func(sev drift.Severity, min int) Item {
		it := item(sev, 0, "prod")
		it.Result, it.At = &drift.RevertOutcome{Result: drift.ResultReverted}, at(min)
		return it
	}
	for _, tt := range []struct {
		name  string
		items []Item
		want  Digest
		order []int // the items, by their index in items
	}{
		{"nothing", nil, Digest{}, nil},
		{"worst first, then oldest",
			[]Item{item(drift.SeverityLow, 1, "dev"), item(drift.SeverityCritical, 5, "prod"), item(drift.SeverityCritical, 2, "prod"), outcome(drift.SeverityHigh, 3), item("", 0, "x")},
			Digest{Findings: 4, Outcomes: 1, Severities: []Count{{drift.SeverityCritical, 2}, {drift.SeverityLow, 1}}, Where: "prod", Emoji: ":red_circle:"},
			[]int{2, 1, 3, 0, 4}},
		{"outcomes only",
			[]Item{outcome(drift.SeverityHigh, 3)},
			Digest{Outcomes: 1, Where: "prod", Emoji: ":large_orange_circle:"},
			[]int{0}},
		{"an account for IAM",
			[]Item{item(drift.SeverityMedium, 1, "")},
			Digest{Findings: 1, Severities: []Count{{drift.SeverityMedium, 1}}, Where: "account 111122223333", Emoji: ":large_yellow_circle:"},
			[]int{0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]Item(nil), tt.items...)
			got := DigestOf(tt.items)
			if !reflect.DeepEqual(tt.items, before) {
				t.Error("DigestOf changed its argument")
			}
			var want []Item
			for _, i := range tt.order {
				want = append(want, tt.items[i])
			}
			if !reflect.DeepEqual(got.Items, want) {
				t.Errorf("items: got %+v, want %+v", got.Items, want)
			}
			got.Items = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
