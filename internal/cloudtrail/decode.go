package cloudtrail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// DetailTypeAPICall is the EventBridge detail-type of CloudTrail API events.
const DetailTypeAPICall = "AWS API Call via CloudTrail"

// Reasons an input is skipped whole.
const (
	IgnoredNotAPICall = "not a CloudTrail API call"
)

// Limits on what one input may cost. An input is hostile until read: a gzip
// bomb (a 510 KB .json.gz of spaces is 500 MB of JSON) or one endless record
// must cost a bounded amount of memory and time, and be reported, not crash
// the command or the function.
const (
	// DefaultMaxDecompressed bounds the JSON read from one input, after
	// gunzip. CloudTrail starts a new log file about every five minutes per
	// account and region, and its largest files are a few tens of MB
	// decompressed; 256 MiB is several times that, so no real file is
	// refused, and it still stops a bomb after a second or two of CPU. The
	// memory a file takes does not depend on it (see DefaultMaxRecord).
	DefaultMaxDecompressed int64 = 256 << 20
	// DefaultMaxRecord bounds one record of a log file, one EventBridge
	// event or one bare record. CloudTrail's quota is 256 KB per event (since
	// event version 1.05); 4 MiB is 16 times that. A log file is read one
	// record at a time, so this, not the file's size, is what reading a file
	// holds in memory.
	DefaultMaxRecord = 4 << 20
)

// Decoder reads inputs within limits. Its zero value uses the defaults.
type Decoder struct {
	// MaxDecompressed is the most JSON one input may hold, after gunzip;
	// zero means DefaultMaxDecompressed.
	MaxDecompressed int64
	// MaxRecord is the largest record (or event) an input may hold; zero
	// means DefaultMaxRecord.
	MaxRecord int
}

func (d Decoder) maxDecompressed() int64 {
	if d.MaxDecompressed > 0 {
		return d.MaxDecompressed
	}
	return DefaultMaxDecompressed
}

func (d Decoder) maxRecord() int {
	if d.MaxRecord > 0 {
		return d.MaxRecord
	}
	return DefaultMaxRecord
}

// TooLargeError is an input, or a record in it, over a Decoder's limit.
// The input is not read further.
type TooLargeError struct {
	// What is over the limit: "decompressed input" or "record".
	What  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the limit of %s", e.What, FormatSize(e.Limit))
}

// FormatSize writes a byte count the way limits are given: 256 MiB, 4 KiB,
// or bytes.
func FormatSize(n int64) string {
	for _, u := range []struct {
		unit string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.unit)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// Batch is what one input held: the records that may change access, fully
// parsed, a count of the others by the reason they were passed over, and
// the records that could not be read.
type Batch struct {
	Records []Record
	// Total is how many records the input held, parsed, ignored or
	// unreadable.
	Total int
	// Ignored counts records passed over without full parsing, by reason.
	Ignored map[string]int
	// Errors are the records of a log file that could not be read. The
	// other records are in Records or Ignored: one bad record does not cost
	// the file.
	Errors []*RecordError
}

// RecordError is one record of a log file that cannot be read.
type RecordError struct {
	// Index is the record's place in Records, from 0; Line and Column are
	// where it starts in the input.
	Index        int
	Line, Column int
	// EventID is the record's eventID, when it has one that can be read.
	EventID string
	Err     error
	// List names the list the record is in: "Records" when empty, "Events"
	// in LookupEvents output.
	List string
}

func (e *RecordError) Error() string {
	id := ""
	if e.EventID != "" {
		id = ", eventID " + strconv.Quote(e.EventID)
	}
	list := e.List
	if list == "" {
		list = "Records"
	}
	return fmt.Sprintf("%s[%d] at line %d, column %d%s: %v", list, e.Index, e.Line, e.Column, id, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// SyntaxError says where an input stops being readable.
type SyntaxError struct {
	Line, Column int
	Err          error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// ReadFile reads an input file, gzip-compressed or not, within the default
// limits.
func ReadFile(path string) (*Batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// Windows and gzip readers are reused across files: a trail is thousands of
// small files, and allocating fresh buffers for each costs more in GC than
// the decoding itself. A window grown for a large record is not kept:
// a pool holding a few oversized buffers per worker would keep that memory
// for the life of the process.
var (
	windowPool sync.Pool // *[]byte
	gzipPool   sync.Pool
)

const (
	// windowSize is a new window's size, and the least read at once.
	windowSize = 128 << 10
	// maxPooledWindow is the largest window put back in the pool.
	maxPooledWindow = 4 << 20
)

// Read reads one input within the default limits; see Decoder.Read.
func Read(r io.Reader) (*Batch, error) { return Decoder{}.Read(r) }

// Decode reads one uncompressed input within the default limits; see
// Decoder.Decode.
func Decode(data []byte) (*Batch, error) { return Decoder{}.Decode(data) }

// Read reads one input: an EventBridge event, a bare CloudTrail record, or a
// CloudTrail log file ({"Records": [...]}), gzip-compressed or not. It
// streams: a log file is held in memory one record at a time, so the memory
// it takes is bounded by MaxRecord whatever the file's size, and it stops
// with a TooLargeError after MaxDecompressed bytes of JSON.
func (d Decoder) Read(r io.Reader) (*Batch, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	var in io.Reader = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var zr *gzip.Reader
		if z, ok := gzipPool.Get().(*gzip.Reader); ok {
			zr = z
			if err := zr.Reset(br); err != nil {
				return nil, fmt.Errorf("gzip: %w", err)
			}
		} else {
			z, err := gzip.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("gzip: %w", err)
			}
			zr = z
		}
		defer gzipPool.Put(zr)
		in = gzipErrors{zr}
	}
	var window []byte
	if w, ok := windowPool.Get().(*[]byte); ok {
		window = (*w)[:0]
	} else {
		window = make([]byte, 0, windowSize)
	}
	s := &scanner{data: window, mark: -1, r: &limitReader{r: in, limit: d.maxDecompressed()}, maxKeep: d.maxRecord()}
	defer func() {
		// Decode copies what it keeps (json.Unmarshal copies strings and
		// raw messages), so the window can go back to the pool.
		if w := s.data[:0]; cap(w) <= maxPooledWindow {
			windowPool.Put(&w)
		}
	}()
	return s.decode()
}

// Decode reads one uncompressed input, already in memory.
func (d Decoder) Decode(data []byte) (*Batch, error) {
	if int64(len(data)) > d.maxDecompressed() {
		return nil, &TooLargeError{What: "decompressed input", Limit: d.maxDecompressed()}
	}
	s := &scanner{data: data, mark: -1}
	return s.decode()
}

// gzipErrors says which errors are the compression's.
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("gzip: %w", err)
	}
	return n, err
}

// limitReader fails with a TooLargeError once more than limit bytes were
// read.
type limitReader struct {
	r           io.Reader
	read, limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.read >= l.limit {
		// Only more data is an error: an input of exactly the limit is read.
		var one [1]byte
		for {
			n, err := l.r.Read(one[:])
			if n > 0 {
				return 0, &TooLargeError{What: "decompressed input", Limit: l.limit}
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if left := l.limit - l.read; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// decode reads the input in s: a log file is split into records, anything
// else is read whole and decoded as one event or record.
func (s *scanner) decode() (*Batch, error) {
	b, err := s.decodeAny()
	if err == nil {
		// What follows the value must be only white space; reading to the
		// end also checks a gzip stream's checksum.
		s.ws()
		if s.pos < len(s.data) {
			err = s.errorf("data after the end of the input")
		}
	}
	if s.rerr != nil && s.rerr != io.EOF {
		// A read error (a limit, a corrupt gzip stream) is the cause of
		// whatever the scanner says.
		var tl *TooLargeError
		if errors.As(s.rerr, &tl) && tl.What == "record" && s.mark >= 0 {
			line, col := s.where(s.mark)
			return nil, &SyntaxError{Line: line, Column: col, Err: s.rerr}
		}
		return nil, s.rerr
	}
	return b, err
}

func (s *scanner) decodeAny() (*Batch, error) {
	s.ws()
	if s.peek() != '{' {
		if s.pos >= len(s.data) {
			return nil, errors.New("empty input")
		}
		return nil, s.errorf("want a JSON object")
	}
	// The first key tells a log file from an event or a record. The window
	// keeps the object from its start, to read it again.
	s.mark = s.pos
	s.pos++
	s.ws()
	key := ""
	if s.peek() != '}' {
		k, ok := s.str()
		if !ok {
			return nil, s.errorf("want a key")
		}
		key = k
	}
	if key == "Records" || key == "Events" || key == "NextToken" || key == "QueryResultRows" || key == "QueryStatus" || key == "QueryStatistics" {
		// A log file, LookupEvents output as `aws cloudtrail
		// lookup-events` prints it ({"Events": [...], "NextToken": ...}),
		// or CloudTrail Lake results as `aws cloudtrail get-query-results`
		// prints them ({"QueryStatus": ..., "QueryResultRows": [...]}).
		s.pos, s.mark = s.mark, -1
		return s.decodeLog()
	}
	// One event or record: read to the end of the object (at most MaxRecord
	// bytes), then decode it. When the object does not end, all of the
	// input is in the window, and encoding/json says where it breaks.
	s.pos = s.mark
	if !s.skipValue() {
		if s.rerr != nil && s.rerr != io.EOF {
			return nil, s.rerr
		}
		s.pos = len(s.data)
	}
	if s.overKeep() {
		return nil, s.rerr
	}
	b, err := s.decodeOne(s.mark, s.data[s.mark:s.pos])
	s.mark = -1
	return b, err
}

// decodeOne decodes an EventBridge event or a bare record, which starts at
// offset in the window.
func (s *scanner) decodeOne(offset int, data []byte) (*Batch, error) {
	var probe struct {
		DetailType   string          `json:"detail-type"`
		Detail       json.RawMessage `json:"detail"`
		Account      text            `json:"account"`
		EventVersion text            `json:"eventVersion"`
		EventName    text            `json:"eventName"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, s.jsonError(offset, err)
	}
	b := &Batch{Total: 1, Ignored: map[string]int{}}
	var rec Record
	switch {
	case probe.Detail != nil || probe.DetailType != "":
		if isS3ObjectEvent(probe.DetailType) {
			r, err := s3ObjectRecord(data)
			if err != nil {
				return nil, err
			}
			rec = r
			break
		}
		if probe.DetailType != DetailTypeAPICall {
			b.Ignored[IgnoredNotAPICall]++
			return b, nil
		}
		if isNull(probe.Detail) {
			return nil, fmt.Errorf("EventBridge event has no detail")
		}
		if err := json.Unmarshal(probe.Detail, &rec); err != nil {
			// A record no watched call can be is passed over, as in a log
			// file: a field eksdrift does not read must not reject it.
			if reason := prefilter(probe.Detail); reason != "" {
				b.Ignored[reason]++
				return b, nil
			}
			return nil, fmt.Errorf("detail: %w", err)
		}
		rec.SenderAccount = string(probe.Account)
	case probe.EventName != "" || probe.EventVersion != "":
		if err := json.Unmarshal(data, &rec); err != nil {
			if reason := prefilter(data); reason != "" {
				b.Ignored[reason]++
				return b, nil
			}
			return nil, s.jsonError(offset, err)
		}
	default:
		return nil, errors.New("not an EventBridge event, a CloudTrail record, or a CloudTrail log file ({\"Records\": [...]})")
	}
	b.Records = append(b.Records, rec)
	return b, nil
}

// decodeLog walks a log file's Records without parsing the ones that cannot
// change access: most of a trail is reads and other services, and the full
// JSON decoding of a record costs far more than looking at its event name.
func (s *scanner) decodeLog() (*Batch, error) {
	b := &Batch{Ignored: map[string]int{}}
	// A Lake query's status and error message: rows of a query that did
	// not finish are not all the rows.
	var status, message string
	s.ws()
	if !s.expect('{') {
		return nil, s.errorf("want {")
	}
	for {
		s.ws()
		if s.expect('}') {
			break
		}
		key, ok := s.str()
		if !ok {
			return nil, s.errorf("want a key")
		}
		s.ws()
		if !s.expect(':') {
			return nil, s.errorf("want :")
		}
		s.ws()
		switch key {
		case "Records":
			if err := b.records(s); err != nil {
				return nil, err
			}
		case "Events":
			if err := b.events(s); err != nil {
				return nil, err
			}
		case "QueryResultRows":
			if err := b.lakeRows(s); err != nil {
				return nil, err
			}
		case "QueryStatus", "ErrorMessage":
			v, ok := s.str()
			if !ok {
				if s.peek() != 'n' || !s.skipValue() {
					return nil, s.errorf("%s must be text", key)
				}
			}
			if key == "QueryStatus" {
				status = v
			} else {
				message = v
			}
		default:
			if !s.skipValue() {
				return nil, s.errorf("bad value of %q", key)
			}
		}
		s.ws()
		if s.expect(',') {
			continue
		}
		if !s.expect('}') {
			return nil, s.errorf("want , or }")
		}
		break
	}
	if status != "" && status != "FINISHED" {
		return nil, lakeStatusError(status, message)
	}
	return b, nil
}

func (b *Batch) records(s *scanner) error {
	if !s.expect('[') {
		return s.errorf("Records must be a list")
	}
	s.ws()
	if s.expect(']') {
		return nil
	}
	for {
		s.ws()
		// The window keeps the record from its start while it is scanned.
		s.mark = s.pos
		fields, ok := s.scanRecord()
		if !ok {
			return s.errorf("a record must be an object")
		}
		start := s.mark
		if s.overKeep() {
			return s.rerr
		}
		rec := s.data[start:s.pos]
		index := b.Total
		b.Total++
		if reason := fields.prefilter(); reason != "" {
			b.Ignored[reason]++
		} else {
			var r Record
			if err := json.Unmarshal(rec, &r); err != nil {
				line, col := s.where(start)
				b.Errors = append(b.Errors, &RecordError{Index: index, Line: line, Column: col, EventID: fields.id(), Err: s.jsonError(start, err)})
			} else {
				b.Records = append(b.Records, r)
			}
		}
		s.mark = -1
		s.ws()
		if s.expect(',') {
			continue
		}
		if s.expect(']') {
			return nil
		}
		return s.errorf("want , or ] after a record")
	}
}

// lookupEvent is one event of LookupEvents output: the record is the
// CloudTrailEvent string; the other fields repeat parts of it.
type lookupEvent struct {
	EventID         text   `json:"EventId"`
	CloudTrailEvent string `json:"CloudTrailEvent"`
}

// events reads LookupEvents' Events: each event's CloudTrailEvent is a
// record as a JSON string. An event that has none, or whose record cannot be
// read, is a RecordError at its place; the others are judged.
func (b *Batch) events(s *scanner) error {
	return b.eachItem(s, "Events", '{', "an event must be an object", "an event", func(raw []byte, start int, at RecordError) {
		var ev lookupEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.fail(at, "", s.jsonError(start, err))
		} else if rec := []byte(ev.CloudTrailEvent); len(bytes.TrimSpace(rec)) == 0 {
			b.fail(at, string(ev.EventID), errors.New("event has no CloudTrailEvent"))
		} else if reason := prefilter(rec); reason != "" {
			b.Ignored[reason]++
		} else {
			var r Record
			if err := json.Unmarshal(rec, &r); err != nil {
				b.fail(at, string(ev.EventID), fmt.Errorf("CloudTrailEvent: %w", err))
			} else {
				b.Records = append(b.Records, r)
			}
		}
	})
}

// eachItem walks the JSON list named list, whose items are values opening
// with open ('{' or '['), for the outputs that wrap records (LookupEvents'
// Events, Lake's QueryResultRows): item gets each item's bytes, its offset
// and its place (a RecordError with the list, index, line and column filled
// in), and says what the item is. A list that is not one, or an item that
// does not open with open, ends the walk with an error naming mustBe; what
// follows an item must be , or ].
func (b *Batch) eachItem(s *scanner, list string, open byte, mustBe, one string, item func(raw []byte, start int, at RecordError)) error {
	if !s.expect('[') {
		return s.errorf("%s must be a list", list)
	}
	s.ws()
	if s.expect(']') {
		return nil
	}
	for {
		s.ws()
		s.mark = s.pos
		if s.peek() != open || !s.skipValue() {
			return s.errorf("%s", mustBe)
		}
		start := s.mark
		if s.overKeep() {
			return s.rerr
		}
		index := b.Total
		b.Total++
		line, col := s.where(start)
		item(s.data[start:s.pos], start, RecordError{List: list, Index: index, Line: line, Column: col})
		s.mark = -1
		s.ws()
		if s.expect(',') {
			continue
		}
		if s.expect(']') {
			return nil
		}
		return s.errorf("want , or ] after %s", one)
	}
}

// fail records the item at as unreadable, with its event ID when known.
func (b *Batch) fail(at RecordError, eventID string, err error) {
	at.EventID, at.Err = eventID, err
	b.Errors = append(b.Errors, &at)
}

// recordFields are the top-level fields of a raw record that decide whether
// it must be parsed, and its eventID for reports.
type recordFields struct {
	eventName []byte
	// unsure is set when a key might be eventName to encoding/json (which
	// matches keys case-insensitively and unescapes them) without being
	// exactly "eventName", or the name has escapes: the record is parsed.
	unsure    bool
	errorCode bool
	readOnly  bool
	eventID   []byte
}

// prefilter says why a record can be passed over unparsed, or "" when it
// must be parsed. It agrees with Changes on every record it passes over,
// and it errs on the side of parsing: a record that might be a watched call
// is never passed over, whatever the types of its other fields.
func (f recordFields) prefilter() string {
	if f.unsure {
		return ""
	}
	if _, ok := watched[string(f.eventName)]; ok || isTamperName(string(f.eventName)) {
		return ""
	}
	if f.errorCode {
		return IgnoredFailed
	}
	if f.readOnly {
		return IgnoredReadOnly
	}
	return IgnoredUnwatched
}

// id gives the record's eventID as text, for reports; empty when it has
// none that reads as a string or a number.
func (f recordFields) id() string {
	if len(f.eventID) == 0 {
		return ""
	}
	id, ok, err := scalar(f.eventID)
	if !ok || err != nil {
		return ""
	}
	if len(id) > 100 {
		id = id[:100] + "..."
	}
	return id
}

// prefilter classifies one raw record.
func prefilter(rec []byte) string {
	s := scanner{data: rec}
	f, ok := s.scanRecord()
	if !ok {
		return ""
	}
	return f.prefilter()
}

// scanRecord moves past one record, reading only its top-level keys and the
// values of the few that matter: one pass over the bytes, no allocation.
func (s *scanner) scanRecord() (f recordFields, ok bool) {
	if !s.expect('{') {
		return f, false
	}
	s.ws()
	if s.expect('}') {
		return f, true
	}
	for {
		s.ws()
		key, ok := s.rawStr()
		if !ok {
			return f, false
		}
		// Offsets from the mark, not slices: reading on may move the window.
		keyEnd := s.pos - 1 - s.mark
		keyStart := keyEnd - len(key)
		s.ws()
		if !s.expect(':') {
			return f, false
		}
		s.ws()
		start := s.pos - s.mark
		if !s.skipValue() {
			return f, false
		}
		key = s.data[s.mark+keyStart : s.mark+keyEnd]
		val := s.data[s.mark+start : s.pos]
		switch string(key) {
		case "eventName":
			f.eventName = nil
			if len(val) >= 2 && val[0] == '"' {
				f.eventName = val[1 : len(val)-1]
				if bytes.IndexByte(f.eventName, '\\') >= 0 {
					f.unsure = true
				}
			}
		case "errorCode":
			f.errorCode = errorCodeSet(val)
		case "readOnly":
			f.readOnly = flagTrue(val)
		case "eventID":
			f.eventID = val
		default:
			if len(key) == len("eventName") && strings.EqualFold(string(key), "eventName") || bytes.IndexByte(key, '\\') >= 0 {
				f.unsure = true
			}
		}
		s.ws()
		if s.expect(',') {
			continue
		}
		return f, s.expect('}')
	}
}

// jsonError places an encoding/json error of the part of the window that
// starts at offset on its line and column in the input.
func (s *scanner) jsonError(offset int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := s.where(offset + int(se.Offset))
		return &SyntaxError{Line: line, Column: col, Err: err}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		// A type error found by one of this package's types has no offset:
		// it is placed at the start of the record.
		line, col := s.where(offset + int(te.Offset))
		return &SyntaxError{Line: line, Column: col, Err: fmt.Errorf("field %s: want %s, got %s", te.Field, te.Type, te.Value)}
	}
	return err
}

// scanner is a minimal JSON tokenizer, just enough to split a log file into
// records at memory speed. It reads from a byte slice, or from a stream
// through a window: what is behind the position is forgotten as the window
// moves on, except from mark, the start of the record being read, which is
// kept whole (up to maxKeep bytes).
type scanner struct {
	data []byte // the input, or the window on the stream
	pos  int
	// mark is where the bytes to keep start, or -1.
	mark int
	// r is the stream, nil when data is the whole input; rerr its first
	// error (io.EOF at the end).
	r       io.Reader
	rerr    error
	maxKeep int
	// Positions: base is the input offset of data[0]; lines counts the
	// newlines in the input before data[counted], and lineStart is the
	// input offset just after the last of them.
	base, lineStart int64
	lines, counted  int
}

// more reads more of the stream into the window. It forgets the bytes
// before the position (or the mark), and grows the window when what it
// keeps fills it. It reports false at the end of the input, on an error,
// or when what it must keep would pass maxKeep bytes.
func (s *scanner) more() bool {
	if s.r == nil || s.rerr != nil {
		return false
	}
	keep := s.pos
	if s.mark >= 0 && s.mark < keep {
		keep = s.mark
	}
	if keep > 0 {
		s.where(keep)
		n := copy(s.data, s.data[keep:])
		s.data = s.data[:n]
		s.pos -= keep
		if s.mark >= 0 {
			s.mark -= keep
		}
		s.counted -= keep
		s.base += int64(keep)
	}
	if len(s.data) >= s.maxKeep {
		s.rerr = &TooLargeError{What: "record", Limit: int64(s.maxKeep)}
		return false
	}
	if cap(s.data)-len(s.data) < windowSize/2 {
		grown := make([]byte, len(s.data), max(2*cap(s.data), len(s.data)+windowSize))
		copy(grown, s.data)
		s.data = grown
	}
	for {
		n, err := s.r.Read(s.data[len(s.data):cap(s.data)])
		s.data = s.data[:len(s.data)+n]
		if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// overKeep reports whether what is kept from the mark is over maxKeep: a
// read may bring in more than it needs, so a record can fit in the window
// and still be over the limit.
func (s *scanner) overKeep() bool {
	if s.r == nil || s.pos-s.mark <= s.maxKeep {
		return false
	}
	s.rerr = &TooLargeError{What: "record", Limit: int64(s.maxKeep)}
	return true
}

// where gives the line and column of data[i].
func (s *scanner) where(i int) (line, col int) {
	i = min(i, len(s.data))
	if i >= s.counted {
		// Positions are mostly asked in order: count from the last one.
		seg := s.data[s.counted:i]
		s.lines += bytes.Count(seg, []byte{'\n'})
		if k := bytes.LastIndexByte(seg, '\n'); k >= 0 {
			s.lineStart = s.base + int64(s.counted+k+1)
		}
		s.counted = i
		return 1 + s.lines, int(s.base+int64(i)-s.lineStart) + 1
	}
	seg := s.data[i:s.counted]
	lines := s.lines - bytes.Count(seg, []byte{'\n'})
	lineStart := s.lineStart
	if bytes.IndexByte(seg, '\n') >= 0 {
		lineStart = s.base
		if k := bytes.LastIndexByte(s.data[:i], '\n'); k >= 0 {
			lineStart = s.base + int64(k+1)
		}
	}
	return 1 + lines, int(s.base+int64(i)-lineStart) + 1
}

func (s *scanner) errorf(format string, a ...any) error {
	line, col := s.where(s.pos)
	return &SyntaxError{Line: line, Column: col, Err: fmt.Errorf(format, a...)}
}

// peek, ws and expect are the hot path: each is small enough to be
// inlined, and leaves reading more of a stream to a call it rarely makes.
func (s *scanner) peek() byte {
	if s.pos < len(s.data) || s.more() {
		return s.data[s.pos]
	}
	return 0
}

// space marks JSON's white space.
var space = [256]bool{' ': true, '\n': true, '\r': true, '\t': true}

func (s *scanner) ws() {
	for s.pos < len(s.data) && space[s.data[s.pos]] {
		s.pos++
	}
	if s.pos >= len(s.data) {
		s.wsMore()
	}
}

func (s *scanner) wsMore() {
	for s.more() {
		for s.pos < len(s.data) && space[s.data[s.pos]] {
			s.pos++
		}
		if s.pos < len(s.data) {
			return
		}
	}
}

func (s *scanner) expect(c byte) bool {
	if s.pos >= len(s.data) {
		return s.expectMore(c)
	}
	if s.data[s.pos] != c {
		return false
	}
	s.pos++
	return true
}

func (s *scanner) expectMore(c byte) bool {
	if !s.more() || s.data[s.pos] != c {
		return false
	}
	s.pos++
	return true
}

// rawStr reads a string and gives its bytes between the quotes, escapes
// left as they are. The bytes are valid until the window next moves.
func (s *scanner) rawStr() ([]byte, bool) {
	if !s.expect('"') {
		return nil, false
	}
	// The string is kept whole while it is read, from the mark if there is
	// one, or from its start; offsets from the mark survive a move of the
	// window.
	own := s.mark < 0
	if own {
		s.mark = s.pos
	}
	rel := s.pos - s.mark
	for {
		i := bytes.IndexByte(s.data[s.pos:], '"')
		if i < 0 {
			s.pos = len(s.data)
			if s.more() {
				continue
			}
			if own {
				s.mark = -1
			}
			return nil, false
		}
		start := s.mark + rel
		end := s.pos + i
		// An even run of backslashes before the quote leaves it unescaped.
		bs := 0
		for j := end - 1; j >= start && s.data[j] == '\\'; j-- {
			bs++
		}
		s.pos = end + 1
		if bs%2 == 0 {
			if own {
				s.mark = -1
			}
			return s.data[start:end], true
		}
	}
}

func (s *scanner) str() (string, bool) {
	b, ok := s.rawStr()
	return string(b), ok
}

// skipValue moves past one JSON value.
func (s *scanner) skipValue() bool {
	switch c := s.peek(); c {
	case '"':
		_, ok := s.rawStr()
		return ok
	case '{', '[':
		depth := 0
		for s.pos < len(s.data) || s.more() {
			switch s.data[s.pos] {
			case '"':
				if _, ok := s.rawStr(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.pos++
					return true
				}
			}
			s.pos++
		}
		return false
	case 0:
		return false
	default:
		n := 0
		for s.pos < len(s.data) || s.more() {
			switch s.data[s.pos] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return n > 0
			}
			s.pos++
			n++
		}
		return n > 0
	}
}
