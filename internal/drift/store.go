package drift

import (
	"context"
	"slices"
	"time"
)

// HistoryStore keeps every finding for auditors. Implementations (SQLite for
// local replays, DynamoDB for the deployed detector) pass one contract suite.
type HistoryStore interface {
	// Record stores findings, skipping any whose ID is already stored, and
	// reports how many were new. A redelivered event records nothing twice.
	Record(ctx context.Context, findings []Finding) (inserted int, err error)
	// Query returns the findings that match q, oldest first.
	Query(ctx context.Context, q HistoryQuery) ([]Finding, error)
}

// FindingStore is what the deployed functions need of a history beyond the
// auditors' queries: one finding by its ID, and the mark that it was
// published, so that a redelivered event is neither recorded nor announced
// twice. Both stores implement it and pass drifttest.RunFindingStore.
type FindingStore interface {
	HistoryStore
	// Get returns the finding with this ID, and false when there is none.
	Get(ctx context.Context, id string) (Finding, bool, error)
	// MarkNotified records when the finding was published. Marking a
	// finding that does not exist is an error.
	MarkNotified(ctx context.Context, id string, at time.Time) error
	// SetOutcome records what the reverter did about the finding, on the
	// finding itself. Setting the outcome of a finding that does not exist
	// is an error.
	SetOutcome(ctx context.Context, id string, o RevertOutcome) error
	// ClaimPublication gives holder the right to publish the finding, and
	// reports whether it did: one holder at a time, and none once the
	// finding is marked notified, so that deliveries of one event racing
	// each other publish it once. A claim made before staleBefore no longer
	// holds (its holder died before publishing) and may be taken over.
	// Claiming again for the same holder succeeds, so a retried call is
	// safe. A finding that does not exist cannot be claimed (false, no
	// error).
	ClaimPublication(ctx context.Context, id, holder string, at, staleBefore time.Time) (bool, error)
	// ReleasePublication gives up holder's claim, after its publish failed,
	// so that a retry need not wait for the claim to go stale. It does
	// nothing when holder does not hold the claim.
	ReleasePublication(ctx context.Context, id, holder string) error
}

// HistoryQuery selects findings. Zero fields do not filter.
type HistoryQuery struct {
	Cluster string
	// Accounts keeps the findings of any of these accounts; none keeps all.
	Accounts  []string
	Principal string
	Actor     string
	Kind      Kind
	Severity  Severity
	Decision  Decision
	// Outcome is a RevertOutcome.Result (reverted, revert-failed, ...), or
	// OutcomeNone for findings the reverter has not acted on.
	Outcome   string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	DriftOnly bool
	// After continues a query from where a page of it ended: only findings
	// that come after the cursor in Query's order match.
	After Cursor
	Limit int // 0 means no limit
}

// OutcomeNone is the HistoryQuery.Outcome of findings with no outcome.
const OutcomeNone = "none"

// Cursor is a position in the order Query returns findings in: by event
// time, then by ID. The zero Cursor is before every finding.
type Cursor struct {
	Time time.Time
	ID   string
}

// CursorOf is the position of f: a query with After set to it continues
// with the finding after f.
func CursorOf(f Finding) Cursor { return Cursor{Time: f.EventTime.UTC(), ID: f.ID()} }

// IsZero reports whether c is the start, before every finding.
func (c Cursor) IsZero() bool { return c.ID == "" && c.Time.IsZero() }

// Before reports whether the cursor comes before f in Query's order.
func (c Cursor) Before(f Finding) bool {
	if n := f.EventTime.Compare(c.Time); n != 0 {
		return n > 0
	}
	return f.ID() > c.ID
}

// Matches reports whether f passes the query's filters, its cursor
// included; it is the one definition of what each filter means, and stores
// use it to apply what their indexes cannot. Limit is not a filter.
func (q HistoryQuery) Matches(f Finding) bool {
	switch {
	case q.Cluster != "" && f.Cluster != q.Cluster,
		len(q.Accounts) > 0 && !slices.Contains(q.Accounts, f.Account),
		q.Principal != "" && f.Principal != q.Principal,
		q.Actor != "" && f.Actor != q.Actor,
		q.Kind != "" && f.Kind != q.Kind,
		q.Severity != "" && f.Severity != q.Severity,
		q.Decision != "" && f.Decision != q.Decision,
		q.Outcome != "" && outcomeResult(f) != q.Outcome,
		!q.Since.IsZero() && f.EventTime.Before(q.Since),
		!q.Until.IsZero() && !f.EventTime.Before(q.Until),
		q.DriftOnly && !f.Drift,
		!q.After.IsZero() && !q.After.Before(f):
		return false
	}
	return true
}

// outcomeResult is what HistoryQuery.Outcome compares with.
func outcomeResult(f Finding) string {
	if f.Outcome == nil || f.Outcome.Result == "" {
		return OutcomeNone
	}
	return f.Outcome.Result
}

// RevertOutcome is what a revert did, kept on the finding's history item.
type RevertOutcome struct {
	// Operations are the calls made (or, for a dry run, that would be).
	Operations []string      `json:"operations"`
	Result     string        `json:"result"` // reverted | already-compliant | dry-run | revert-failed | skipped
	Error      string        `json:"error,omitempty"`
	Duration   time.Duration `json:"duration"`
	// Reason says why a revert was skipped or what the dry run found.
	Reason string `json:"reason,omitempty"`
	// By is who performed it: the reverter function and its role.
	By string `json:"by,omitempty"`
	// At is when it finished.
	At time.Time `json:"at"`
	// Attempts is how many times the operations were tried.
	Attempts int `json:"attempts,omitempty"`
	// Critical says a person must look now: the revert failed, or the
	// circuit breaker stopped reverting on a cluster.
	Critical bool `json:"critical,omitempty"`
}
