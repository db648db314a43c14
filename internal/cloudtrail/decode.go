package cloudtrail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// DetailTypeAPICall is the EventBridge detail-type of CloudTrail API events.
const DetailTypeAPICall = "AWS API Call via CloudTrail"

// Reasons an input is skipped whole.
const (
	IgnoredNotAPICall = "not a CloudTrail API call"
)

// Batch is what one input held: the records that may change access, fully
// parsed, and a count of the others by the reason they were passed over.
type Batch struct {
	Records []Record
	// Total is how many records the input held, parsed or not.
	Total int
	// Ignored counts records passed over without full parsing, by reason.
	Ignored map[string]int
}

// SyntaxError says where an input stops being readable.
type SyntaxError struct {
	Line, Column int
	Err          error
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// ReadFile reads an input file, gzip-compressed or not.
func ReadFile(path string) (*Batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// Buffers and gzip readers are reused across files: a trail is thousands of
// small files, and allocating a fresh megabyte for each costs more in GC
// than the decoding itself.
var (
	bufPool  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	gzipPool sync.Pool
)

// Read reads one input: an EventBridge event, a bare CloudTrail record, or a
// CloudTrail log file ({"Records": [...]}), gzip-compressed or not.
func Read(r io.Reader) (*Batch, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
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
		if _, err := buf.ReadFrom(zr); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
	} else if _, err := buf.ReadFrom(br); err != nil {
		return nil, err
	}
	// Decode copies what it keeps (json.Unmarshal copies strings and raw
	// messages), so the buffer can go back to the pool.
	return Decode(buf.Bytes())
}

// Decode reads one uncompressed input.
func Decode(data []byte) (*Batch, error) {
	key, err := firstKey(data)
	if err != nil {
		return nil, err
	}
	switch key {
	case "Records":
		return decodeLog(data)
	}
	var probe struct {
		DetailType   string          `json:"detail-type"`
		Detail       json.RawMessage `json:"detail"`
		EventVersion string          `json:"eventVersion"`
		EventName    string          `json:"eventName"`
	}
	if err := unmarshal(data, 0, data, &probe); err != nil {
		return nil, err
	}
	b := &Batch{Total: 1, Ignored: map[string]int{}}
	var rec Record
	switch {
	case probe.Detail != nil || probe.DetailType != "":
		if isS3ObjectEvent(probe.DetailType) {
			if rec, err = s3ObjectRecord(data); err != nil {
				return nil, err
			}
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
			return nil, fmt.Errorf("detail: %w", err)
		}
	case probe.EventName != "" || probe.EventVersion != "":
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, err
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
func decodeLog(data []byte) (*Batch, error) {
	b := &Batch{Ignored: map[string]int{}}
	s := scanner{data: data}
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
		if key != "Records" {
			if !s.skipValue() {
				return nil, s.errorf("bad value of %q", key)
			}
		} else if err := b.records(&s); err != nil {
			return nil, err
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
		start := s.pos
		fields, ok := s.scanRecord()
		if !ok {
			return s.errorf("a record must be an object")
		}
		rec := s.data[start:s.pos]
		b.Total++
		if reason := fields.prefilter(); reason != "" {
			b.Ignored[reason]++
		} else {
			var r Record
			if err := unmarshal(s.data, start, rec, &r); err != nil {
				return err
			}
			b.Records = append(b.Records, r)
		}
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

// recordFields are the top-level fields of a raw record that decide whether
// it must be parsed.
type recordFields struct {
	eventName []byte
	errorCode bool
	readOnly  bool
}

// prefilter says why a record can be passed over unparsed, or "" when it
// must be parsed. It agrees with Changes on every record it passes over.
func (f recordFields) prefilter() string {
	if _, ok := watched[string(f.eventName)]; ok {
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
		s.ws()
		if !s.expect(':') {
			return f, false
		}
		s.ws()
		start := s.pos
		if !s.skipValue() {
			return f, false
		}
		val := s.data[start:s.pos]
		switch string(key) {
		case "eventName":
			if len(val) >= 2 && val[0] == '"' {
				f.eventName = val[1 : len(val)-1]
			}
		case "errorCode":
			f.errorCode = string(val) != "null"
		case "readOnly":
			f.readOnly = string(val) == "true"
		}
		s.ws()
		if s.expect(',') {
			continue
		}
		return f, s.expect('}')
	}
}

// unmarshal decodes part of data that starts at offset, placing syntax
// errors on their line and column in data.
func unmarshal(data []byte, offset int, part []byte, v any) error {
	err := json.Unmarshal(part, v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, offset+int(se.Offset))
		return &SyntaxError{Line: line, Column: col, Err: err}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := position(data, offset+int(te.Offset))
		return &SyntaxError{Line: line, Column: col, Err: fmt.Errorf("field %s: want %s, got %s", te.Field, te.Type, te.Value)}
	}
	return err
}

func position(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// firstKey gives the first key of the top-level object.
func firstKey(data []byte) (string, error) {
	s := scanner{data: data}
	s.ws()
	if !s.expect('{') {
		if s.pos >= len(data) {
			return "", errors.New("empty input")
		}
		return "", s.errorf("want a JSON object")
	}
	s.ws()
	if s.peek() == '}' {
		return "", nil
	}
	k, ok := s.str()
	if !ok {
		return "", s.errorf("want a key")
	}
	return k, nil
}

// scanner is a minimal JSON tokenizer, just enough to split a log file into
// records at memory speed.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) errorf(format string, a ...any) error {
	line, col := position(s.data, s.pos)
	return &SyntaxError{Line: line, Column: col, Err: fmt.Errorf(format, a...)}
}

func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\n', '\r', '\t':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) expect(c byte) bool {
	if s.peek() == c {
		s.pos++
		return true
	}
	return false
}

// rawStr reads a string and gives its bytes between the quotes, escapes
// left as they are.
func (s *scanner) rawStr() ([]byte, bool) {
	if !s.expect('"') {
		return nil, false
	}
	start := s.pos
	for {
		i := bytes.IndexByte(s.data[s.pos:], '"')
		if i < 0 {
			s.pos = len(s.data)
			return nil, false
		}
		end := s.pos + i
		// An even run of backslashes before the quote leaves it unescaped.
		bs := 0
		for j := end - 1; j >= start && s.data[j] == '\\'; j-- {
			bs++
		}
		s.pos = end + 1
		if bs%2 == 0 {
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
		for s.pos < len(s.data) {
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
		start := s.pos
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return s.pos > start
			}
			s.pos++
		}
		return s.pos > start
	}
}
