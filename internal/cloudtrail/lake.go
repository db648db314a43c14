package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CloudTrail Lake query results, as `aws cloudtrail get-query-results`
// prints them:
//
//	{"QueryStatus": "FINISHED", "QueryStatistics": {...},
//	 "QueryResultRows": [[{"eventVersion": "1.09"}, {"userIdentity": "{type=IAMUser, ...}"}, ...], ...]}
//
// Each row is a list of one-key objects, one per column, and every value
// is text. A scalar column is its text; eventTime is a Trino timestamp
// ("2026-12-01 10:00:00.000", UTC). A column of a struct or map type
// (userIdentity, requestParameters, responseElements) is, when the query
// selects it as it is (SELECT * FROM eds), Trino's rendering of it:
// {key=value, key=value}, nested structs as {...}, null as null, and the
// values of Lake's map<string,string> columns as they were stored: a
// nested object or list of the record (accessScope, kubernetesGroups) as
// its JSON text, a string as itself. When the query selects
// json_format(CAST(col AS JSON)), the column is JSON text instead. Both are
// read. CloudTrail Lake's schema has no column holding a whole record
// (there is no eventJson); a row of one column whose text is a record's
// JSON (a query that builds one) is read as that record.
//
// Trino's rendering does not quote: a value that itself holds ", key="
// cannot be told from the next key. Such a value is split where it says;
// a key that then appears twice refuses the row, and so does any text that
// does not parse, with the row and column named; the other rows are read.
// Where exactness matters, select json_format(CAST(col AS JSON)).

// lakeColumns are the columns eksdrift reads, by their lower-case name (Lake
// names columns in lower case, the console and some queries in the
// record's case), with the record's key and how the text is read. Every
// other column (resources, tlsDetails, additionalEventData, addendum, ...)
// is left out: a column eksdrift does not read never refuses a row.
var lakeColumns = func() map[string]lakeColumn {
	m := map[string]lakeColumn{}
	for _, k := range []string{"eventVersion", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
		"errorCode", "errorMessage", "requestID", "eventID", "eventType", "recipientAccountId", "sessionCredentialFromConsole"} {
		m[strings.ToLower(k)] = lakeColumn{key: k, kind: lakeText}
	}
	m["eventtime"] = lakeColumn{key: "eventTime", kind: lakeTime}
	m["readonly"] = lakeColumn{key: "readOnly", kind: lakeBool}
	m["useridentity"] = lakeColumn{key: "userIdentity", kind: lakeStruct}
	m["requestparameters"] = lakeColumn{key: "requestParameters", kind: lakeMap}
	m["responseelements"] = lakeColumn{key: "responseElements", kind: lakeMap}
	return m
}()

type lakeColumn struct {
	key  string
	kind int
}

const (
	lakeText = iota
	lakeTime
	lakeBool
	lakeStruct // a Trino row: every value a string, a nested row or null
	lakeMap    // Lake's map<string,string>: values as the record had them
)

// lakeJSONStrings are the request and response parameters whose string
// value is itself a JSON document: Lake's map keeps them as text, as it
// keeps a nested object, so they are told apart by name and stay strings.
var lakeJSONStrings = map[string]bool{
	"policy": true, "policyDocument": true, "assumeRolePolicyDocument": true,
}

// lakeBools are the top-level parameters eksdrift reads as booleans; Lake's
// map keeps them as the text true or false.
var lakeBools = map[string]bool{"disableSessionTags": true}

// lakeRows reads QueryResultRows. A row that cannot be read is a
// RecordError at its place (QueryResultRows[i], the column named); the
// others are judged.
func (b *Batch) lakeRows(s *scanner) error {
	return b.eachItem(s, "QueryResultRows", '[', "a row of QueryResultRows must be a list", "a row", func(raw []byte, _ int, at RecordError) {
		rec, id, reason, err := lakeRecord(raw)
		switch {
		case err != nil:
			b.fail(at, id, err)
		case reason != "":
			b.Ignored[reason]++
		default:
			var r Record
			if err := json.Unmarshal(rec, &r); err != nil {
				b.fail(at, id, err)
			} else {
				b.Records = append(b.Records, r)
			}
		}
	})
}

// lakeRecord turns one row into a record's JSON, or says why the row is
// passed over (the prefilter's reasons, from the scalar columns alone, so
// that the nested columns of an unwatched call are never parsed).
func lakeRecord(row []byte) (rec []byte, eventID, ignored string, err error) {
	var cells []map[string]json.RawMessage
	if err := json.Unmarshal(row, &cells); err != nil {
		return nil, "", "", fmt.Errorf("a row must be a list of {column: text} objects: %w", err)
	}
	type cell struct {
		col  lakeColumn
		name string
		text string
	}
	var (
		cols     []cell
		seen     = map[string]string{}
		only     string
		colCount int
	)
	for _, c := range cells {
		for name, raw := range c {
			colCount++
			if isNull(raw) {
				continue
			}
			var text string
			if err := json.Unmarshal(raw, &text); err != nil {
				// Lake gives text; a number or boolean written by a tool
				// in between is taken as its text.
				t, ok, _ := scalar(raw)
				if !ok {
					return nil, "", "", fmt.Errorf("column %s: want text, got %s", name, kind(raw))
				}
				text = t
			}
			only = text
			lc, known := lakeColumns[strings.ToLower(name)]
			if !known {
				continue
			}
			if prev, dup := seen[lc.key]; dup {
				return nil, "", "", fmt.Errorf("columns %s and %s are both %s", prev, name, lc.key)
			}
			seen[lc.key] = name
			cols = append(cols, cell{lc, name, text})
		}
	}
	if len(cols) == 0 && colCount == 1 && strings.HasPrefix(strings.TrimSpace(only), "{") {
		// One column holding a whole record as JSON.
		rec := []byte(only)
		if !json.Valid(rec) {
			return nil, "", "", errors.New("the row's one column is not a record's JSON")
		}
		return rec, "", prefilter(rec), nil
	}
	var f recordFields
	for _, c := range cols {
		switch c.col.key {
		case "eventName":
			f.eventName = []byte(c.text)
		case "errorCode":
			f.errorCode = c.text != "" && c.text != "null"
		case "readOnly":
			f.readOnly = strings.EqualFold(c.text, "true")
		case "eventID":
			eventID = c.text
		}
	}
	if len(eventID) > 100 {
		eventID = eventID[:100] + "..."
	}
	if reason := f.prefilter(); reason != "" {
		return nil, eventID, reason, nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, c := range cols {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(&buf, c.col.key)
		buf.WriteByte(':')
		if err := lakeValue(&buf, c.col.kind, c.text); err != nil {
			return nil, eventID, "", fmt.Errorf("column %s: %w", c.name, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), eventID, "", nil
}

// lakeValue writes one column's text as the record's JSON value.
func lakeValue(buf *bytes.Buffer, kind int, text string) error {
	switch kind {
	case lakeTime:
		writeString(buf, lakeTimestamp(text))
	case lakeBool:
		switch strings.ToLower(text) {
		case "true", "false":
			buf.WriteString(strings.ToLower(text))
		default:
			writeString(buf, text)
		}
	case lakeStruct, lakeMap:
		t := strings.TrimSpace(text)
		if t == "" || t == "null" {
			buf.WriteString("null")
			return nil
		}
		if strings.HasPrefix(t, `{"`) {
			// json_format(CAST(col AS JSON)).
			return jsonColumn(buf, kind, t)
		}
		p := &trino{s: t, mapValues: kind == lakeMap}
		if err := p.object(buf, true); err != nil {
			return err
		}
		if p.i != len(p.s) {
			return p.errorf("text after the closing }")
		}
	default:
		writeString(buf, text)
	}
	return nil
}

// jsonColumn writes a column selected as JSON. A map's values are strings
// there too, and read as in Trino's rendering.
func jsonColumn(buf *bytes.Buffer, kind int, t string) error {
	if kind == lakeStruct {
		if !json.Valid([]byte(t)) {
			return errors.New("text starts as JSON but is not valid JSON")
		}
		buf.WriteString(t)
		return nil
	}
	d := json.NewDecoder(strings.NewReader(t))
	d.UseNumber()
	var m map[string]json.RawMessage
	if err := d.Decode(&m); err != nil {
		return fmt.Errorf("text starts as JSON but is not a JSON object: %w", err)
	}
	if d.More() {
		return errors.New("text after the JSON object")
	}
	keys := orderedKeys(t, m)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, k)
		buf.WriteByte(':')
		var s string
		if err := json.Unmarshal(m[k], &s); err != nil {
			buf.Write(m[k]) // not a string: as it is
			continue
		}
		mapValue(buf, k, s)
	}
	buf.WriteByte('}')
	return nil
}

// orderedKeys gives m's keys in the order the text has them, so that the
// record reads as Lake wrote it.
func orderedKeys(t string, m map[string]json.RawMessage) []string {
	d := json.NewDecoder(strings.NewReader(t))
	var keys []string
	depth := 0
	expectKey := false
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
			expectKey = depth == 1 && v == '{'
			continue
		case string:
			if depth == 1 && expectKey {
				if _, ok := m[v]; ok {
					keys = append(keys, v)
				}
				expectKey = false
				continue
			}
		}
		if depth == 1 {
			expectKey = true
		}
	}
	if len(keys) != len(m) {
		keys = keys[:0]
		for k := range m {
			keys = append(keys, k)
		}
	}
	return keys
}

// mapValue writes one value of Lake's map<string,string>: a nested object
// or list of the record is its JSON text, told by its first characters
// and checked; a policy document stays the string it was.
func mapValue(buf *bytes.Buffer, key, v string) {
	switch {
	case v == "null":
		buf.WriteString("null")
	case lakeBools[key] && (v == "true" || v == "false"):
		buf.WriteString(v)
	case !lakeJSONStrings[key] && (strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[")) && json.Valid([]byte(v)):
		buf.WriteString(v)
	default:
		writeString(buf, v)
	}
}

// lakeTimestamp turns Trino's "2026-12-01 10:00:00.000" (UTC) into the
// record's RFC 3339 time; other text is left for the record's own check.
func lakeTimestamp(t string) string {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999 UTC"} {
		if ts, err := time.Parse(layout, t); err == nil {
			return ts.UTC().Format(time.RFC3339Nano)
		}
	}
	return t
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	buf.Write(b)
}

// trino reads Trino's rendering of a row or map: {key=value, key=value}.
type trino struct {
	s string
	i int
	// mapValues: the values are Lake's map<string,string> values (JSON
	// text for nested objects), not a row's.
	mapValues bool
	depth     int
	// deep is set once the text nests past maxTrinoDepth: no reading of
	// it as a string is tried then.
	deep bool
}

// maxTrinoDepth bounds nesting: CloudTrail's structs are three deep.
const maxTrinoDepth = 32

func (p *trino) errorf(format string, a ...any) error {
	return fmt.Errorf("not readable as Trino's {key=value, ...} text at character %d: %s", p.i+1, fmt.Sprintf(format, a...))
}

// object reads {key=value, ...} at p.i and writes it as a JSON object.
// top is the column's own object: its values follow mapValues; a nested
// object's values are a row's.
func (p *trino) object(buf *bytes.Buffer, top bool) error {
	if p.depth++; p.depth > maxTrinoDepth {
		p.deep = true
		return p.errorf("nested more than %d deep", maxTrinoDepth)
	}
	defer func() { p.depth-- }()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return p.errorf("want {")
	}
	p.i++
	buf.WriteByte('{')
	if strings.HasPrefix(p.s[p.i:], "}") {
		p.i++
		buf.WriteByte('}')
		return nil
	}
	seen := map[string]bool{}
	for n := 0; ; n++ {
		k := keyLen(p.s[p.i:])
		if k == 0 || p.i+k >= len(p.s) || p.s[p.i+k] != '=' {
			return p.errorf("want key=value")
		}
		key := p.s[p.i : p.i+k]
		if seen[key] {
			return p.errorf("key %s appears twice (a value holding \", %s=\" cannot be told from a key)", key, key)
		}
		seen[key] = true
		p.i += k + 1
		if n > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, key)
		buf.WriteByte(':')
		if err := p.value(buf, key, top && p.mapValues); err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(p.s[p.i:], ", "):
			p.i += 2
		case strings.HasPrefix(p.s[p.i:], "}"):
			p.i++
			buf.WriteByte('}')
			return nil
		default:
			return p.errorf("want , or } after the value of %s", key)
		}
	}
}

// value reads one value, up to the ", " or "}" that ends it.
func (p *trino) value(buf *bytes.Buffer, key string, inMap bool) error {
	rest := p.s[p.i:]
	if strings.HasPrefix(rest, `{"`) || strings.HasPrefix(rest, "[") {
		// JSON text: a map value that is a nested object or list.
		d := json.NewDecoder(strings.NewReader(rest))
		var raw json.RawMessage
		if d.Decode(&raw) == nil {
			n := int(d.InputOffset())
			if after := rest[n:]; strings.HasPrefix(after, ", ") || strings.HasPrefix(after, "}") {
				if inMap && lakeJSONStrings[key] {
					writeString(buf, rest[:n])
				} else {
					buf.Write(raw)
				}
				p.i += n
				return nil
			}
		}
	}
	if strings.HasPrefix(rest, "{") && !inMap {
		// A nested row; if it does not read as one, the text is a string
		// that starts with {.
		save, mark := p.i, buf.Len()
		err := p.object(buf, false)
		if err == nil || p.deep {
			return err
		}
		p.i = save
		buf.Truncate(mark)
	}
	end, ok := scalarEnd(rest)
	if !ok {
		return p.errorf("the value of %s does not end", key)
	}
	text := rest[:end]
	p.i += end
	switch {
	case text == "null":
		buf.WriteString("null")
	case inMap:
		mapValue(buf, key, text)
	default:
		writeString(buf, text)
	}
	return nil
}

// scalarEnd finds where a value ends: at the first ", key=" or "}" outside
// the braces the value opens itself (an EKS username such as
// admin:{{SessionName}} holds some).
func scalarEnd(s string) (int, bool) {
	depth := 0
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return j, true
			}
			depth--
		case ',':
			if depth == 0 && strings.HasPrefix(s[j:], ", ") {
				if k := keyLen(s[j+2:]); k > 0 && j+2+k < len(s) && s[j+2+k] == '=' {
					return j, true
				}
			}
		}
	}
	return 0, false
}

// keyLen is the length of the key at the start of s: the characters of
// CloudTrail's field and parameter names.
func keyLen(s string) int {
	n := 0
	for n < len(s) {
		c := s[n]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':' || c == '@' {
			n++
			continue
		}
		break
	}
	return n
}

// lakeStatusError is a query whose results are not whole.
func lakeStatusError(status, message string) error {
	if message != "" {
		return fmt.Errorf("CloudTrail Lake query is %s, not FINISHED: its rows are not all there (%s); run it again and read its results once it is FINISHED", status, strconv.Quote(message))
	}
	return fmt.Errorf("CloudTrail Lake query is %s, not FINISHED: its rows are not all there; read its results once it is FINISHED", status)
}
