package notice

import (
	"slices"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Item is one message in a digest: a finding, or, when Result is set, the
// outcome of its revert.
type Item struct {
	Finding drift.Finding
	Result  *drift.RevertOutcome
	// At is when the outcome was known; findings are placed at their
	// event time.
	At time.Time
}

// Time places the item in its burst: an outcome when it was known, a
// finding (or an outcome of unknown time) at its event.
func (it Item) Time() time.Time {
	if it.Result != nil && !it.At.IsZero() {
		return it.At
	}
	return it.Finding.EventTime
}

// Digest is what a burst of findings and outcomes about one cluster (or one
// account, for IAM) says when they are told in one message.
type Digest struct {
	// Items are the burst's, the worst severity first, then the oldest.
	Items []Item
	// Findings and Outcomes count the items of each sort.
	Findings, Outcomes int
	// Severities counts the findings of each severity, the most urgent
	// first; a severity no finding has is left out.
	Severities []Count
	// Where is the place of the worst item; Emoji marks its severity.
	Where, Emoji string
}

// Count is how many findings have one severity.
type Count struct {
	Severity drift.Severity
	N        int
}

// DigestOf gives what a burst says; items is left as it is.
func DigestOf(items []Item) Digest {
	if len(items) == 0 {
		return Digest{}
	}
	d := Digest{Items: slices.Clone(items)}
	slices.SortStableFunc(d.Items, func(a, b Item) int {
		if n := b.Finding.Severity.Rank() - a.Finding.Severity.Rank(); n != 0 {
			return n
		}
		return a.Time().Compare(b.Time())
	})
	first := d.Items[0].Finding
	d.Where, d.Emoji = where(first), SeverityEmoji(first.Severity)
	bySeverity := map[drift.Severity]int{}
	for _, it := range d.Items {
		if it.Result != nil {
			d.Outcomes++
			continue
		}
		d.Findings++
		bySeverity[it.Finding.Severity]++
	}
	for _, s := range drift.Severities {
		if n := bySeverity[s]; n > 0 {
			d.Severities = append(d.Severities, Count{Severity: s, N: n})
		}
	}
	return d
}
