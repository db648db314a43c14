package notice

import (
	"encoding/json"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// BaselineWrite is what a finding of kind baseline says about the write:
// the versions, and each thing the new version changes, most severe first.
type BaselineWrite struct {
	// Version and Previous are the S3 version ids, "" when not known.
	Version, Previous string
	// Changes are the deltas, worded: "CRITICAL breakGlass: new
	// break-glass principal ...". Grants marks those that add (or change)
	// rather than remove.
	Changes []BaselineChange
	// Unread says why the versions were not compared, "" when they were.
	Unread string
}

// BaselineChange is one delta of a new baseline version.
type BaselineChange struct {
	Grants bool
	Text   string
}

// OfBaselineWrite reads what a baseline finding's after (or, for a
// deletion, before) field holds; false for a finding of another kind.
func OfBaselineWrite(f drift.Finding) (BaselineWrite, bool) {
	if f.Kind != drift.KindBaseline {
		return BaselineWrite{}, false
	}
	raw := f.After
	if f.Change == drift.OpRemoved {
		raw = f.Before
	}
	var o drift.BaselineObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return BaselineWrite{Unread: "the finding does not say"}, true
	}
	w := BaselineWrite{Version: o.VersionID, Previous: o.PreviousVersionID, Unread: o.Unread}
	for _, d := range o.Diff {
		label := string(d.Severity)
		if d.Severity.Rank() >= drift.SeverityMedium.Rank() {
			label = severityLabel(drift.Finding{Severity: d.Severity, Drift: true})
		}
		w.Changes = append(w.Changes, BaselineChange{Grants: d.Change != drift.OpRemoved, Text: label + " " + d.Where + ": " + d.What})
	}
	return w, true
}
