package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// api is what the store calls; *dynamodb.Client has it.
type api interface {
	GetItem(ctx context.Context, in *ddb.GetItemInput, optFns ...func(*ddb.Options)) (*ddb.GetItemOutput, error)
	PutItem(ctx context.Context, in *ddb.PutItemInput, optFns ...func(*ddb.Options)) (*ddb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *ddb.UpdateItemInput, optFns ...func(*ddb.Options)) (*ddb.UpdateItemOutput, error)
	Query(ctx context.Context, in *ddb.QueryInput, optFns ...func(*ddb.Options)) (*ddb.QueryOutput, error)
	Scan(ctx context.Context, in *ddb.ScanInput, optFns ...func(*ddb.Options)) (*ddb.ScanOutput, error)
}

// Store is a HistoryStore in one DynamoDB table made from TableSchema. It is
// safe for concurrent use, by several processes too.
//
// Query reads the indexes, which DynamoDB updates a moment after each write:
// a finding may take that moment to show.
type Store struct {
	client api
	table  string
	now    func() time.Time

	// Retention, when positive, is how long after its event time a finding
	// is kept: it is written to AttrExpiresAt for DynamoDB's TTL, and Query
	// hides findings past it that TTL has not deleted yet. Set it before
	// the first call.
	Retention time.Duration

	mu sync.Mutex
	// Days the bounds item is known to cover (so Record need not widen it
	// again); empty when not known.
	firstKnown, lastKnown string
}

var (
	_ drift.HistoryStore = (*Store)(nil)
	_ drift.FindingStore = (*Store)(nil)
)

// ErrNoFinding is what MarkNotified wraps when no finding has the ID.
var ErrNoFinding = errors.New("no such finding")

// writers is how many puts one Record has in flight.
const writers = 8

// Layouts of the sort key's time and of the day. The time's width is fixed,
// so that its text sorts as the instant.
const (
	timeLayout = "2006-01-02T15:04:05.000000000Z"
	dayLayout  = "2006-01-02"
)

// The event times the sort key can hold.
var (
	minEventTime = time.Date(0, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxEventTime = time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
)

// maxSortKey is DynamoDB's limit on a sort key value, in bytes.
const maxSortKey = 1024

// New returns the history in table, reached through client.
func New(client api, table string) *Store {
	return &Store{client: client, table: table, now: time.Now}
}

// Table is the table's name.
func (s *Store) Table() string { return s.table }

// Record stores findings with one conditional put each, several at a time.
// A finding whose ID is stored is left as it is. On an error, the findings
// already written stay and the count says how many were new; recording the
// same findings again is safe and completes the batch.
func (s *Store) Record(ctx context.Context, findings []drift.Finding) (int, error) {
	if len(findings) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("dynamodb history %s: cannot record: %w", s.table, err)
	}
	// The first record of an ID wins, within one call too.
	seen := make(map[string]bool, len(findings))
	items := make([]map[string]types.AttributeValue, 0, len(findings))
	var first, last string
	for _, f := range findings {
		id := f.ID()
		if seen[id] {
			continue
		}
		seen[id] = true
		it, day, err := s.item(f)
		if err != nil {
			return 0, err
		}
		items = append(items, it)
		if first == "" || day < first {
			first = day
		}
		if day > last {
			last = day
		}
	}
	// Before any finding of a new day, so open-ended queries always see it.
	if err := s.widenBounds(ctx, first, last); err != nil {
		return 0, err
	}

	// On the first error no more puts start; those under way finish, so the
	// count is true.
	var (
		inserted atomic.Int64
		once     sync.Once
		failed   error
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		next     = make(chan map[string]types.AttributeValue)
	)
	for range min(writers, len(items)) {
		wg.Go(func() {
			for it := range next {
				isNew, err := s.put(ctx, it)
				if err != nil {
					once.Do(func() { failed = err; close(stop) })
					continue
				}
				if isNew {
					inserted.Add(1)
				}
			}
		})
	}
feed:
	for _, it := range items {
		select {
		case next <- it:
		case <-stop:
			break feed
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if failed == nil && ctx.Err() != nil {
		// Canceled between two puts.
		failed = fmt.Errorf("dynamodb history %s: cannot record: %w", s.table, ctx.Err())
	}
	return int(inserted.Load()), failed
}

// item builds a finding's item and gives its day.
func (s *Store) item(f drift.Finding) (map[string]types.AttributeValue, string, error) {
	id := f.ID()
	t := f.EventTime.UTC()
	if t.Before(minEventTime) || t.After(maxEventTime) {
		return nil, "", fmt.Errorf("dynamodb history %s: finding %s: event time %v is outside the years 0000 to 9999", s.table, id, f.EventTime)
	}
	f.EventTime = t
	doc, err := json.Marshal(f)
	if err != nil {
		return nil, "", fmt.Errorf("dynamodb history %s: finding %s: cannot encode: %w", s.table, id, err)
	}
	at := t.Format(timeLayout)
	sk := at + "#" + id
	if len(sk) > maxSortKey {
		return nil, "", fmt.Errorf("dynamodb history %s: finding %s: its ID is too long for a sort key (%d bytes, at most %d)", s.table, id, len(sk), maxSortKey)
	}
	day := t.Format(dayLayout)
	it := map[string]types.AttributeValue{
		PartitionKey:  str(id),
		SortKey:       str(sk),
		AttrDay:       str(day),
		AttrEventTime: str(at),
		AttrDrift:     &types.AttributeValueMemberBOOL{Value: f.Drift},
		AttrFinding:   str(string(doc)),
	}
	// Empty strings are left out: an index key cannot be one, and an item
	// without the attribute is not in that index.
	for name, v := range map[string]string{
		AttrCluster:    f.Cluster,
		AttrPrincipal:  f.Principal,
		AttrActor:      f.Actor,
		AttrEventID:    f.EventID,
		AttrEventName:  f.EventName,
		AttrAccount:    f.Account,
		AttrRegion:     f.Region,
		AttrKind:       string(f.Kind),
		AttrResource:   f.Resource,
		AttrSeverity:   string(f.Severity),
		AttrDecision:   string(f.Decision),
		AttrDetectedBy: f.DetectedBy,
	} {
		if v != "" {
			it[name] = str(v)
		}
	}
	if f.Outcome != nil && f.Outcome.Result != "" {
		it[AttrResult] = str(f.Outcome.Result)
	}
	if s.Retention > 0 {
		it[AttrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Add(s.Retention).Unix(), 10)}
	}
	return it, day, nil
}

// put writes an item unless its ID is stored, and reports whether it did.
// A conditional put is not idempotent: when the answer to a put that went
// through is lost, a retry meets the item and would report it as old. So
// the SDK does not retry it; put does, and when a retry meets an item after
// an attempt that may have gone through, the stored item tells: the same
// finding is this call's own write.
func (s *Store) put(ctx context.Context, it map[string]types.AttributeValue) (bool, error) {
	noRetry := func(o *ddb.Options) { o.RetryMaxAttempts = 1 }
	in := &ddb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                it,
		ConditionExpression:                 aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames:            map[string]string{"#pk": PartitionKey},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	id := it[PartitionKey].(*types.AttributeValueMemberS).Value
	uncertain := false
	for attempt := 1; ; attempt++ {
		_, err := s.client.PutItem(ctx, in, noRetry)
		var exists *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return true, nil
		case errors.As(err, &exists):
			if !uncertain {
				return false, nil
			}
			if old := stringAttr(exists.Item, AttrFinding); old != "" {
				return old == stringAttr(it, AttrFinding), nil
			}
			stored, err := s.client.GetItem(ctx, &ddb.GetItemInput{TableName: aws.String(s.table),
				Key: map[string]types.AttributeValue{PartitionKey: str(id)}, ConsistentRead: aws.Bool(true)})
			if err != nil {
				return false, fmt.Errorf("dynamodb history %s: finding %s: cannot tell whether it was recorded: %w", s.table, id, err)
			}
			return stringAttr(stored.Item, AttrFinding) == stringAttr(it, AttrFinding), nil
		case attempt >= 4 || ctx.Err() != nil || !retry.NewStandard().IsErrorRetryable(err):
			return false, fmt.Errorf("dynamodb history %s: finding %s: cannot record: %w", s.table, id, err)
		}
		uncertain = true
		time.Sleep(time.Duration(attempt*attempt) * 50 * time.Millisecond)
	}
}

// widenBounds makes the bounds item cover the days first to last.
func (s *Store) widenBounds(ctx context.Context, first, last string) error {
	s.mu.Lock()
	needFirst := s.firstKnown == "" || first < s.firstKnown
	needLast := s.lastKnown == "" || last > s.lastKnown
	s.mu.Unlock()
	// Each update only moves its bound outwards: the condition fails, and
	// nothing changes, when the item already covers the day.
	update := func(attr, day, cmp string) error {
		_, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
			TableName:                 aws.String(s.table),
			Key:                       map[string]types.AttributeValue{PartitionKey: str(BoundsID)},
			UpdateExpression:          aws.String("SET #b = :d"),
			ConditionExpression:       aws.String("attribute_not_exists(#b) OR #b " + cmp + " :d"),
			ExpressionAttributeNames:  map[string]string{"#b": attr},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": str(day)},
		})
		var covered *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &covered) {
			return fmt.Errorf("dynamodb history %s: cannot widen the day bounds to %s: %w", s.table, day, err)
		}
		return nil
	}
	if needFirst {
		if err := update(AttrBoundsFirst, first, ">"); err != nil {
			return err
		}
	}
	if needLast {
		if err := update(AttrBoundsLast, last, "<"); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstKnown == "" || first < s.firstKnown {
		s.firstKnown = first
	}
	if last > s.lastKnown {
		s.lastKnown = last
	}
	return nil
}

// Query returns the findings that match q, oldest first, ties broken by ID.
//
// It reads one index, chosen from the filter: byCluster for a cluster, else
// byPrincipal for a principal, else byActor for an actor, else byDay, one
// UTC day after another. Since, Until and After are key conditions on the
// sort key; the other filters (account, kind, severity, decision, outcome,
// drift) are applied to what the index returns, with HistoryQuery.Matches.
// So a query never scans the table, but for one: no filter at all, no limit
// and more than MaxDays days, which reads everything anyway. With a limit
// and no filter, byDay is read until the limit is met, however many days
// that takes; any other query over more than MaxDays days is an error.
func (s *Store) Query(ctx context.Context, q drift.HistoryQuery) ([]drift.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dynamodb history %s: cannot query: %w", s.table, err)
	}
	r, ok := keyRange(q)
	if !ok {
		return []drift.Finding{}, nil
	}
	c := collector{q: q, now: s.now().Unix(), found: []drift.Finding{}}
	for _, p := range []struct{ index, attr, value string }{
		{IndexByCluster, AttrCluster, q.Cluster},
		{IndexByPrincipal, AttrPrincipal, q.Principal},
		{IndexByActor, AttrActor, q.Actor},
	} {
		if p.value != "" {
			if err := s.queryPartition(ctx, p.index, p.attr, p.value, r, &c); err != nil {
				return nil, err
			}
			return c.found, nil
		}
	}

	first, last, n, err := s.days(ctx, q)
	if err != nil {
		return nil, err
	}
	if n > MaxDays && !(unfiltered(q) && q.Limit > 0) {
		if unfiltered(q) {
			return s.scan(ctx, &c)
		}
		return nil, fmt.Errorf("dynamodb history %s: the query spans %d days, from %s to %s, more than the %d it may read: "+
			"narrow it with since and until, or filter by cluster, principal or actor",
			s.table, n, first.Format(dayLayout), last.Format(dayLayout), MaxDays)
	}
	for d := range n {
		day := first.AddDate(0, 0, d).Format(dayLayout)
		if err := s.queryPartition(ctx, IndexByDay, AttrDay, day, r, &c); err != nil {
			return nil, err
		}
		if c.full() {
			break
		}
	}
	return c.found, nil
}

// Get returns the finding with this ID, read from the table itself (not an
// index, so it sees a Record that just returned), and false when there is
// none or it is past the retention.
func (s *Store) Get(ctx context.Context, id string) (drift.Finding, bool, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]types.AttributeValue{PartitionKey: str(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return drift.Finding{}, false, fmt.Errorf("dynamodb history %s: finding %s: cannot read: %w", s.table, id, err)
	}
	c := collector{now: s.now().Unix()}
	if err := c.add(s.table, out.Item); err != nil || len(c.found) == 0 {
		return drift.Finding{}, false, err
	}
	return c.found[0], true, nil
}

// MarkNotified records when the finding was published, in AttrNotifiedAt:
// the finding's JSON stays as first recorded, and reads merge the two.
// Marking again moves the time; marking an ID with no finding is an error
// that wraps ErrNoFinding.
func (s *Store) MarkNotified(ctx context.Context, id string, at time.Time) error {
	at = at.UTC()
	if at.Before(minEventTime) || at.After(maxEventTime) {
		return fmt.Errorf("dynamodb history %s: finding %s: notification time %v is outside the years 0000 to 9999", s.table, id, at)
	}
	_, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       map[string]types.AttributeValue{PartitionKey: str(id)},
		// The finding attribute, not the key: the bounds item has a key too.
		UpdateExpression:          aws.String("SET #n = :t"),
		ConditionExpression:       aws.String("attribute_exists(#f)"),
		ExpressionAttributeNames:  map[string]string{"#n": AttrNotifiedAt, "#f": AttrFinding},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(at.Format(timeLayout))},
	})
	var missing *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &missing):
		return fmt.Errorf("dynamodb history %s: finding %s: cannot mark it notified: %w", s.table, id, ErrNoFinding)
	case err != nil:
		return fmt.Errorf("dynamodb history %s: finding %s: cannot mark it notified: %w", s.table, id, err)
	}
	return nil
}

// ClaimPublication sets AttrClaim to holder and AttrClaimedAt to at, in one
// conditional update: the finding exists, is not marked notified, and has
// no claim made at or after staleBefore but holder's own (the SDK's retry of
// a claim whose answer was lost must not lose it). Deliveries racing each
// other make the same update and DynamoDB lets one of them through.
func (s *Store) ClaimPublication(ctx context.Context, id, holder string, at, staleBefore time.Time) (bool, error) {
	_, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 map[string]types.AttributeValue{PartitionKey: str(id)},
		UpdateExpression:    aws.String("SET #c = :h, #ca = :at"),
		ConditionExpression: aws.String("attribute_exists(#f) AND attribute_not_exists(#n) AND (attribute_not_exists(#ca) OR #ca < :stale OR #c = :h)"),
		ExpressionAttributeNames: map[string]string{
			"#c": AttrClaim, "#ca": AttrClaimedAt, "#f": AttrFinding, "#n": AttrNotifiedAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":h": str(holder), ":at": str(stamp(at)), ":stale": str(stamp(staleBefore)),
		},
	})
	var taken *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &taken):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("dynamodb history %s: finding %s: cannot claim its publication: %w", s.table, id, err)
	}
	return true, nil
}

// ReleasePublication removes holder's claim; the condition leaves another
// holder's claim alone.
func (s *Store) ReleasePublication(ctx context.Context, id, holder string) error {
	_, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{PartitionKey: str(id)},
		UpdateExpression:          aws.String("REMOVE #c, #ca"),
		ConditionExpression:       aws.String("#c = :h"),
		ExpressionAttributeNames:  map[string]string{"#c": AttrClaim, "#ca": AttrClaimedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(holder)},
	})
	var notOurs *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &notOurs) {
		return fmt.Errorf("dynamodb history %s: finding %s: cannot release its publication claim: %w", s.table, id, err)
	}
	return nil
}

// stamp formats t as the sort key does, clamped to the years it can hold,
// so that stamps compare as the instants they are.
func stamp(t time.Time) string {
	t = t.UTC()
	switch {
	case t.Before(minEventTime):
		t = minEventTime
	case t.After(maxEventTime):
		t = maxEventTime
	}
	return t.Format(timeLayout)
}

// SetOutcome records the reverter's outcome on the finding, in AttrOutcome
// (and its result in AttrResult): like AttrNotifiedAt, apart from the
// finding's JSON, which stays as first recorded. Setting it again replaces
// it; an ID with no finding is an error that wraps ErrNoFinding.
func (s *Store) SetOutcome(ctx context.Context, id string, o drift.RevertOutcome) error {
	o.At = o.At.UTC()
	doc, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("dynamodb history %s: finding %s: cannot encode the outcome: %w", s.table, id, err)
	}
	_, err = s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{PartitionKey: str(id)},
		UpdateExpression:          aws.String("SET #o = :o, #r = :r"),
		ConditionExpression:       aws.String("attribute_exists(#f)"),
		ExpressionAttributeNames:  map[string]string{"#o": AttrOutcome, "#r": AttrResult, "#f": AttrFinding},
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": str(string(doc)), ":r": str(o.Result)},
	})
	var missing *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &missing):
		return fmt.Errorf("dynamodb history %s: finding %s: cannot set its outcome: %w", s.table, id, ErrNoFinding)
	case err != nil:
		return fmt.Errorf("dynamodb history %s: finding %s: cannot set its outcome: %w", s.table, id, err)
	}
	return nil
}

// sortRange is the part of the sort key a query reads: from >= lo, if
// set, and < hi, if set.
type sortRange struct{ lo, hi string }

// keyRange turns Since and Until into sort key bounds, and reports false
// when no finding can match them.
func keyRange(q drift.HistoryQuery) (sortRange, bool) {
	var r sortRange
	if !q.Since.IsZero() {
		since := q.Since.UTC()
		switch {
		case since.After(maxEventTime):
			return r, false
		case !since.Before(minEventTime):
			r.lo = since.Format(timeLayout)
		}
	}
	if !q.Until.IsZero() {
		until := q.Until.UTC()
		switch {
		case !until.After(minEventTime):
			return r, false
		case !until.After(maxEventTime):
			r.hi = until.Format(timeLayout)
		}
	}
	// The cursor's own key is read too (a key condition has one bound on
	// each side, both inclusive), and Matches drops it.
	if !q.After.IsZero() {
		after := q.After.Time.UTC()
		switch {
		case after.After(maxEventTime):
			return r, false
		case !after.Before(minEventTime):
			if k := after.Format(timeLayout) + "#" + q.After.ID; k > r.lo {
				r.lo = k
			}
		}
	}
	// A key ends "#id" after the time, so a key at the time hi is above hi:
	// hi excludes it as Until must.
	if r.lo != "" && r.hi != "" && r.lo >= r.hi {
		return r, false
	}
	return r, true
}

// unfiltered reports whether q selects every finding, from its cursor on.
func unfiltered(q drift.HistoryQuery) bool {
	if len(q.Accounts) > 0 {
		return false
	}
	q.Limit, q.After, q.Accounts = 0, drift.Cursor{}, nil
	return reflect.DeepEqual(q, drift.HistoryQuery{})
}

// days gives the UTC days that may hold findings for q, first to last, n
// of them: those between Since and Until that the bounds item covers, and,
// with a retention, that are not past it.
func (s *Store) days(ctx context.Context, q drift.HistoryQuery) (first, last time.Time, n int, err error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]types.AttributeValue{PartitionKey: str(BoundsID)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return first, last, 0, fmt.Errorf("dynamodb history %s: cannot read the day bounds: %w", s.table, err)
	}
	firstDay, lastDay := stringAttr(out.Item, AttrBoundsFirst), stringAttr(out.Item, AttrBoundsLast)
	if firstDay == "" || lastDay == "" {
		return first, last, 0, nil // nothing recorded yet
	}
	first, err1 := time.Parse(dayLayout, firstDay)
	last, err2 := time.Parse(dayLayout, lastDay)
	if err := errors.Join(err1, err2); err != nil {
		return first, last, 0, fmt.Errorf("dynamodb history %s: the day bounds item is damaged: %w", s.table, err)
	}
	if !q.Since.IsZero() {
		first = later(first, dayOf(q.Since))
	}
	if !q.After.IsZero() {
		first = later(first, dayOf(q.After.Time))
	}
	if !q.Until.IsZero() {
		last = earlier(last, dayOf(q.Until.Add(-time.Nanosecond)))
	}
	if s.Retention > 0 {
		first = later(first, dayOf(s.now().Add(-s.Retention)))
	}
	if last.Before(first) {
		return first, last, 0, nil
	}
	// Days, not a Duration, which cannot span more than 292 years.
	return first, last, int((last.Unix()-first.Unix())/86400) + 1, nil
}

// dayOf is the start of t's UTC day.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// collector gathers what a query finds, in order, up to its limit.
type collector struct {
	q     drift.HistoryQuery
	now   int64 // Unix seconds: items that expired by then are hidden
	found []drift.Finding
}

func (c *collector) full() bool { return c.q.Limit > 0 && len(c.found) >= c.q.Limit }

// add decodes an item and keeps it when it matches.
func (c *collector) add(table string, it map[string]types.AttributeValue) error {
	doc := stringAttr(it, AttrFinding)
	if doc == "" {
		return nil // the bounds item
	}
	if n, ok := it[AttrExpiresAt].(*types.AttributeValueMemberN); ok {
		if exp, err := strconv.ParseInt(n.Value, 10, 64); err == nil && exp <= c.now {
			return nil // past its retention, not deleted yet
		}
	}
	var f drift.Finding
	if err := json.Unmarshal([]byte(doc), &f); err != nil {
		return fmt.Errorf("dynamodb history %s: finding %s: cannot decode: %w", table, stringAttr(it, PartitionKey), err)
	}
	f.EventTime = f.EventTime.UTC()
	if v := stringAttr(it, AttrNotifiedAt); v != "" {
		at, err := time.Parse(timeLayout, v)
		if err != nil {
			return fmt.Errorf("dynamodb history %s: finding %s: cannot read %s: %w", table, stringAttr(it, PartitionKey), AttrNotifiedAt, err)
		}
		f.NotifiedAt = &at
	}
	if v := stringAttr(it, AttrOutcome); v != "" {
		var o drift.RevertOutcome
		if err := json.Unmarshal([]byte(v), &o); err != nil {
			return fmt.Errorf("dynamodb history %s: finding %s: cannot read %s: %w", table, stringAttr(it, PartitionKey), AttrOutcome, err)
		}
		f.Outcome = &o
	}
	if c.q.Matches(f) {
		c.found = append(c.found, f)
	}
	return nil
}

// queryPartition reads one partition of an index in sort key order, page
// after page, until it ends or the collector is full.
func (s *Store) queryPartition(ctx context.Context, index, attr, value string, r sortRange, c *collector) error {
	names := map[string]string{"#p": attr}
	values := map[string]types.AttributeValue{":p": str(value)}
	cond := "#p = :p"
	switch {
	case r.lo != "" && r.hi != "":
		cond += " AND #s BETWEEN :lo AND :hi" // no key equals hi: see keyRange
	case r.lo != "":
		cond += " AND #s >= :lo"
	case r.hi != "":
		cond += " AND #s < :hi"
	}
	if r.lo != "" || r.hi != "" {
		names["#s"] = SortKey
	}
	if r.lo != "" {
		values[":lo"] = str(r.lo)
	}
	if r.hi != "" {
		values[":hi"] = str(r.hi)
	}
	in := &ddb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
	// When the key says it all, a page need hold no more than the limit.
	exact := c.q
	exact.Cluster, exact.Principal, exact.Actor, exact.Since, exact.Until = "", "", "", time.Time{}, time.Time{}
	exact.After = drift.Cursor{}
	pageByLimit := unfiltered(exact) && s.Retention <= 0
	for !c.full() {
		if pageByLimit && c.q.Limit > 0 {
			in.Limit = aws.Int32(int32(min(c.q.Limit-len(c.found), 1000)))
		}
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("dynamodb history %s: cannot query %s for %q: %w", s.table, index, value, err)
		}
		for _, it := range out.Items {
			if err := c.add(s.table, it); err != nil {
				return err
			}
			if c.full() {
				return nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return nil
}

// scan reads the whole table, for a query with no filter over more days
// than byDay may be read for, and sorts what it finds.
func (s *Store) scan(ctx context.Context, c *collector) ([]drift.Finding, error) {
	limit := c.q.Limit
	c.q.Limit = 0 // the order is known only once everything is read
	in := &ddb.ScanInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true)}
	for {
		out, err := s.client.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb history %s: cannot scan: %w", s.table, err)
		}
		for _, it := range out.Items {
			if err := c.add(s.table, it); err != nil {
				return nil, err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	slices.SortFunc(c.found, func(a, b drift.Finding) int {
		if n := a.EventTime.Compare(b.EventTime); n != 0 {
			return n
		}
		return strings.Compare(a.ID(), b.ID())
	})
	if limit > 0 && len(c.found) > limit {
		c.found = c.found[:limit]
	}
	return c.found, nil
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func stringAttr(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
