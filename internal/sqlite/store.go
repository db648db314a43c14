// Package sqlite keeps the finding history in a local SQLite file, for
// `eksdrift replay` and `eksdrift history` on an engineer's machine or a CI
// runner, where there is no DynamoDB table to write to. It uses
// modernc.org/sqlite, a pure Go port of SQLite, so the command stays a single
// static binary that cross-compiles without cgo.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlitedriver "modernc.org/sqlite"
	sqlitelib "modernc.org/sqlite/lib"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// busyTimeout is how long a write waits for another process's write (a
// second replay on the same history) before it fails.
const busyTimeout = 10 * time.Second

// migrations bring the schema from version i (PRAGMA user_version) to i+1.
// Append to it; never edit a migration that has shipped.
var migrations = []string{
	// 1: one row per finding. The columns repeat the fields that queries
	// filter and sort on; the finding column is the whole finding in its
	// public JSON form, which is what Query returns. event_time is Unix
	// nanoseconds, UTC: it sorts as the instant, which RFC 3339 text with
	// trimmed fractions or other zones would not.
	`CREATE TABLE findings (
		id         TEXT    NOT NULL PRIMARY KEY,
		event_time INTEGER NOT NULL,
		event_id   TEXT    NOT NULL,
		event_name TEXT    NOT NULL,
		account    TEXT    NOT NULL,
		region     TEXT    NOT NULL,
		cluster    TEXT    NOT NULL,
		kind       TEXT    NOT NULL,
		resource   TEXT    NOT NULL,
		principal  TEXT    NOT NULL,
		actor      TEXT    NOT NULL,
		drift      INTEGER NOT NULL CHECK (drift IN (0, 1)),
		severity   TEXT    NOT NULL,
		decision   TEXT    NOT NULL,
		finding    TEXT    NOT NULL
	) STRICT;
	CREATE INDEX findings_cluster_time   ON findings (cluster, event_time);
	CREATE INDEX findings_principal_time ON findings (principal, event_time);
	CREATE INDEX findings_actor_time     ON findings (actor, event_time);
	CREATE INDEX findings_time           ON findings (event_time);`,
	// 2: who may publish a finding, and since when (Unix nanoseconds), so
	// that deliveries of one event racing each other publish it once.
	`ALTER TABLE findings ADD COLUMN publish_claim TEXT;
	ALTER TABLE findings ADD COLUMN publish_claimed_at INTEGER;`,
}

// Store is a HistoryStore in one SQLite file. It is safe for concurrent use,
// and several processes may share the file.
type Store struct {
	path string
	db   *sql.DB
}

var _ drift.HistoryStore = (*Store)(nil)

// Open opens the history at path, creating the file, its parent
// directories and the schema when they do not exist, and upgrading an older
// schema.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite history: no path")
	}
	// The history names who changed access to what, from where: keep it
	// private to the user, as SQLite would not (it creates files 0644).
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite history %s: cannot create its directory: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite history %s: %w", path, err)
	}
	f.Close()

	dsn, err := dataSourceName(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite history %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite history %s: %w", path, err)
	}
	s := &Store{path: path, db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// dataSourceName turns path into a URI filename, so that a path holding
// '?' or '#' cannot be read as parameters, and sets up every connection
// the pool opens: the busy timeout is per connection.
func dataSourceName(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	abs = filepath.ToSlash(abs)
	if !strings.HasPrefix(abs, "/") {
		abs = "/" + abs // a Windows drive letter
	}
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	// WAL lets `eksdrift history` read while a replay writes, and
	// synchronous=NORMAL is durable enough under WAL for a history that a
	// replay can rebuild.
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(NORMAL)")
	// Take the write lock when a transaction begins, so that a busy
	// database waits for the busy timeout instead of failing the upgrade
	// from a read lock.
	params.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + params.Encode(), nil
}

// migrate brings the schema to the version this code knows. The version is
// read first outside a transaction, so that opening an up-to-date history
// to read it does not wait for a replay that is writing to it.
func (s *Store) migrate(ctx context.Context) error {
	version, err := s.schemaVersion(ctx, s.db)
	if err != nil {
		return s.openError(err)
	}
	if version > len(migrations) {
		return s.newerSchemaError(version)
	}
	if version == len(migrations) {
		return nil
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite history %s: cannot migrate the schema: %w", s.path, err)
	}
	defer tx.Rollback()
	// Another process may have migrated it since.
	if version, err = s.schemaVersion(ctx, tx); err != nil {
		return fmt.Errorf("sqlite history %s: cannot migrate the schema: %w", s.path, err)
	}
	if version > len(migrations) {
		return s.newerSchemaError(version)
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("sqlite history %s: cannot migrate the schema to version %d: %w", s.path, v+1, err)
		}
	}
	// PRAGMA takes no parameters; the version is a number of ours.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return fmt.Errorf("sqlite history %s: cannot set the schema version: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite history %s: cannot migrate the schema: %w", s.path, err)
	}
	return nil
}

func (s *Store) schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var version int
	err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	return version, err
}

func (s *Store) newerSchemaError(version int) error {
	return fmt.Errorf("sqlite history %s: schema version %d is newer than this eksdrift knows (%d): upgrade eksdrift",
		s.path, version, len(migrations))
}

// openError explains the first failure on a file, which is where a file
// that is not a history shows itself.
func (s *Store) openError(err error) error {
	var serr *sqlitedriver.Error
	if errors.As(err, &serr) && serr.Code()&0xff == sqlitelib.SQLITE_NOTADB {
		return fmt.Errorf("sqlite history %s: not an SQLite database (or an encrypted or damaged one): %w", s.path, err)
	}
	return fmt.Errorf("sqlite history %s: cannot open: %w", s.path, err)
}

// Path is the file the store keeps its history in.
func (s *Store) Path() string { return s.path }

// Close closes the database. The WAL is checkpointed into the file when
// the last connection closes.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sqlite history %s: cannot close: %w", s.path, err)
	}
	return nil
}

const insertFinding = `INSERT INTO findings (
	id, event_time, event_id, event_name, account, region, cluster, kind,
	resource, principal, actor, drift, severity, decision, finding
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`

// Earliest and latest event times that Unix nanoseconds can hold.
var (
	minEventTime = time.Unix(0, -1<<63)
	maxEventTime = time.Unix(0, 1<<63-1)
)

// Record stores findings in one transaction: a batch is recorded whole or
// not at all. Event times are stored in UTC.
func (s *Store) Record(ctx context.Context, findings []drift.Finding) (int, error) {
	if len(findings) == 0 {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite history %s: cannot begin recording: %w", s.path, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, insertFinding)
	if err != nil {
		return 0, fmt.Errorf("sqlite history %s: cannot prepare recording: %w", s.path, err)
	}
	defer stmt.Close()

	inserted := 0
	for _, f := range findings {
		if f.EventTime.Before(minEventTime) || f.EventTime.After(maxEventTime) {
			return 0, fmt.Errorf("sqlite history %s: finding %s: event time %v is out of range",
				s.path, f.ID(), f.EventTime)
		}
		f.EventTime = f.EventTime.UTC()
		doc, err := json.Marshal(f)
		if err != nil {
			return 0, fmt.Errorf("sqlite history %s: finding %s: cannot encode: %w", s.path, f.ID(), err)
		}
		res, err := stmt.ExecContext(ctx,
			f.ID(), f.EventTime.UnixNano(), f.EventID, f.EventName, f.Account, f.Region,
			f.Cluster, string(f.Kind), f.Resource, f.Principal, f.Actor, f.Drift,
			string(f.Severity), string(f.Decision), string(doc))
		if err != nil {
			return 0, fmt.Errorf("sqlite history %s: finding %s: cannot record: %w", s.path, f.ID(), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("sqlite history %s: finding %s: %w", s.path, f.ID(), err)
		}
		inserted += int(n)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite history %s: cannot commit %d findings: %w", s.path, len(findings), err)
	}
	return inserted, nil
}

// Query returns the findings that match q, oldest first, ties broken by ID.
func (s *Store) Query(ctx context.Context, q drift.HistoryQuery) ([]drift.Finding, error) {
	query, args := selectFindings(q)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite history %s: cannot query: %w", s.path, err)
	}
	defer rows.Close()
	found := []drift.Finding{}
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, fmt.Errorf("sqlite history %s: cannot read a finding: %w", s.path, err)
		}
		var f drift.Finding
		if err := json.Unmarshal([]byte(doc), &f); err != nil {
			return nil, fmt.Errorf("sqlite history %s: finding %s: cannot decode: %w", s.path, id, err)
		}
		f.EventTime = f.EventTime.UTC()
		found = append(found, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite history %s: cannot query: %w", s.path, err)
	}
	return found, nil
}

// selectFindings builds the SQL for q. Only the fixed clauses below are
// written into the text; every value is a parameter.
func selectFindings(q drift.HistoryQuery) (string, []any) {
	var where []string
	var args []any
	filter := func(clause string, arg any) {
		where = append(where, clause)
		args = append(args, arg)
	}
	if q.Cluster != "" {
		filter("cluster = ?", q.Cluster)
	}
	if len(q.Accounts) > 0 {
		// One placeholder per account: the values are never in the text.
		where = append(where, "account IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Accounts)), ",")+")")
		for _, a := range q.Accounts {
			args = append(args, a)
		}
	}
	if q.Principal != "" {
		filter("principal = ?", q.Principal)
	}
	if q.Actor != "" {
		filter("actor = ?", q.Actor)
	}
	if q.Kind != "" {
		filter("kind = ?", string(q.Kind))
	}
	if q.Severity != "" {
		filter("severity = ?", string(q.Severity))
	}
	if q.Decision != "" {
		filter("decision = ?", string(q.Decision))
	}
	// The outcome lives in the finding's JSON, where SetOutcome puts it.
	switch q.Outcome {
	case "":
	case drift.OutcomeNone:
		where = append(where, "coalesce(json_extract(finding, '$.outcome.result'), '') = ''")
	default:
		filter("json_extract(finding, '$.outcome.result') = ?", q.Outcome)
	}
	if !q.Since.IsZero() {
		filter("event_time >= ?", clampNanos(q.Since))
	}
	if !q.Until.IsZero() {
		filter("event_time < ?", clampNanos(q.Until))
	}
	if q.DriftOnly {
		where = append(where, "drift = 1")
	}
	if !q.After.IsZero() {
		// A row value, which SQLite compares in the order of ORDER BY and
		// can seek to in the time indexes.
		where = append(where, "(event_time, id) > (?, ?)")
		args = append(args, clampNanos(q.After.Time), q.After.ID)
	}

	var b strings.Builder
	b.WriteString("SELECT id, finding FROM findings")
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY event_time, id")
	if q.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, q.Limit)
	}
	return b.String(), args
}

// clampNanos is t in Unix nanoseconds, with times beyond what they can hold
// moved to the nearest end, so that "since 1 AD" still means "since ever".
func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(minEventTime):
		return -1 << 63
	case t.After(maxEventTime):
		return 1<<63 - 1
	}
	return t.UnixNano()
}

// DefaultPath is where the history lives when no path is given:
// $XDG_STATE_HOME/eksdrift/history.db, or ~/.local/state/eksdrift/history.db
// as the XDG Base Directory specification says.
func DefaultPath(getenv func(string) string) (string, error) {
	// The specification says to ignore a relative XDG_STATE_HOME.
	if dir := getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "eksdrift", "history.db"), nil
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "eksdrift", "history.db"), nil
	}
	return "", errors.New("sqlite history: cannot choose a default path: neither XDG_STATE_HOME nor HOME is set")
}

var _ drift.FindingStore = (*Store)(nil)

// Get returns one finding by its ID.
func (s *Store) Get(ctx context.Context, id string) (drift.Finding, bool, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT finding FROM findings WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return drift.Finding{}, false, nil
	}
	if err != nil {
		return drift.Finding{}, false, fmt.Errorf("sqlite history %s: cannot read finding %s: %w", s.path, id, err)
	}
	var f drift.Finding
	if err := json.Unmarshal([]byte(doc), &f); err != nil {
		return drift.Finding{}, false, fmt.Errorf("sqlite history %s: finding %s: cannot decode: %w", s.path, id, err)
	}
	f.EventTime = f.EventTime.UTC()
	return f, true, nil
}

// MarkNotified sets the finding's notifiedAt in its stored JSON.
func (s *Store) MarkNotified(ctx context.Context, id string, at time.Time) error {
	stamp, err := json.Marshal(at.UTC())
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE findings SET finding = json_set(finding, '$.notifiedAt', json(?)) WHERE id = ?`, string(stamp), id)
	if err != nil {
		return fmt.Errorf("sqlite history %s: cannot mark finding %s notified: %w", s.path, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite history %s: cannot mark finding %s notified: no such finding", s.path, id)
	}
	return nil
}

// ClaimPublication sets the finding's claim in one conditional UPDATE: not
// marked notified, and no claim made at or after staleBefore but holder's own.
func (s *Store) ClaimPublication(ctx context.Context, id, holder string, at, staleBefore time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE findings SET publish_claim = ?, publish_claimed_at = ?
		WHERE id = ? AND json_extract(finding, '$.notifiedAt') IS NULL
		AND (publish_claimed_at IS NULL OR publish_claimed_at < ? OR publish_claim = ?)`,
		holder, at.UnixNano(), id, staleBefore.UnixNano(), holder)
	if err != nil {
		return false, fmt.Errorf("sqlite history %s: cannot claim the publication of finding %s: %w", s.path, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite history %s: cannot claim the publication of finding %s: %w", s.path, id, err)
	}
	return n == 1, nil
}

// ReleasePublication clears holder's claim, and leaves another's alone.
func (s *Store) ReleasePublication(ctx context.Context, id, holder string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE findings SET publish_claim = NULL, publish_claimed_at = NULL WHERE id = ? AND publish_claim = ?`, id, holder)
	if err != nil {
		return fmt.Errorf("sqlite history %s: cannot release the publication claim of finding %s: %w", s.path, id, err)
	}
	return nil
}

// SetOutcome sets the finding's outcome in its stored JSON.
func (s *Store) SetOutcome(ctx context.Context, id string, o drift.RevertOutcome) error {
	o.At = o.At.UTC()
	doc, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("sqlite history %s: finding %s: cannot encode the outcome: %w", s.path, id, err)
	}
	res, err := s.db.ExecContext(ctx,
		`UPDATE findings SET finding = json_set(finding, '$.outcome', json(?)) WHERE id = ?`, string(doc), id)
	if err != nil {
		return fmt.Errorf("sqlite history %s: cannot set the outcome of finding %s: %w", s.path, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite history %s: cannot set the outcome of finding %s: no such finding", s.path, id)
	}
	return nil
}
