package drifttest

import (
	"encoding/json"
	"reflect"
	"slices"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// HostilePayloads are values an attacker can put in any field of a finding:
// the CloudTrail event's region, session name, user agent, ARNs and request
// parameters are all written by whoever made the call. Each renderer that
// shows a finding to a person is tested with each of them in each field.
var HostilePayloads = []string{
	// A live @channel and a link whose text hides its target, in Slack.
	"us-west-2<!channel> <https://evil.example|click>",
	// Every other Slack mention, and the bare words chat platforms ping on.
	"<!here> <@U0123ABC> <#C0123ABC> <!subteam^S0123ABC> @channel @here @everyone",
	// A forged e-mail header and line, a bidi override, a terminal escape.
	"x\r\nBcc: evil@example.com\n\u202egnp.exe\u2066\x1b[2J\x00\u2028",
	// Spreadsheet formulas, markup and already-escaped entities.
	"=1+1|cmd `code` *bold* _it_ ~s~ [click](https://evil.example) &lt;!channel&gt;",
}

// HostileCase is a finding with one field (Field, its JSON name) set to a
// hostile payload.
type HostileCase struct {
	Field   string
	Finding drift.Finding
}

// Hostile gives one copy of f per string field of drift.Finding, found by
// reflection so that a field added later is covered without a change here,
// with that field set to payload; one per JSON document (expected, before,
// after) with every string in it set to payload; and "all", with all of them
// at once.
func Hostile(f drift.Finding, payload string) []HostileCase {
	var out []HostileCase
	all := f
	t := reflect.TypeOf(f)
	for i := range t.NumField() {
		sf := t.Field(i)
		name := jsonName(sf)
		set := func(v reflect.Value) bool {
			fv := v.Field(i)
			switch {
			case sf.Type.Kind() == reflect.String:
				fv.SetString(payload)
			case sf.Type == reflect.TypeOf(json.RawMessage(nil)):
				fv.SetBytes(hostileDocument(fv.Bytes(), payload))
			default:
				return false
			}
			return true
		}
		c := f
		if !set(reflect.ValueOf(&c).Elem()) {
			continue
		}
		set(reflect.ValueOf(&all).Elem())
		out = append(out, HostileCase{Field: name, Finding: c})
	}
	return append(out, HostileCase{Field: "all", Finding: all})
}

// HostileResultCase is a revert's outcome with one field set to a hostile
// payload.
type HostileResultCase struct {
	Field  string
	Result drift.RevertOutcome
}

// HostileResult is Hostile for the outcome of a revert: each string field,
// and the operations.
func HostileResult(r drift.RevertOutcome, payload string) []HostileResultCase {
	var out []HostileResultCase
	all := r
	t := reflect.TypeOf(r)
	for i := range t.NumField() {
		sf := t.Field(i)
		set := func(v reflect.Value) bool {
			fv := v.Field(i)
			switch {
			case sf.Type.Kind() == reflect.String:
				fv.SetString(payload)
			case sf.Type == reflect.TypeOf([]string(nil)):
				fv.Set(reflect.ValueOf([]string{payload, payload}))
			default:
				return false
			}
			return true
		}
		c := r
		if !set(reflect.ValueOf(&c).Elem()) {
			continue
		}
		set(reflect.ValueOf(&all).Elem())
		out = append(out, HostileResultCase{Field: jsonName(sf), Result: c})
	}
	return append(out, HostileResultCase{Field: "all", Result: all})
}

// hostileDocument gives doc with every string in it (keys kept) set to
// payload, so that a renderer that decodes the document meets the payload
// wherever it reads a string; a document that is empty or not JSON becomes
// one JSON string.
func hostileDocument(doc []byte, payload string) json.RawMessage {
	var v any
	if json.Unmarshal(doc, &v) != nil || v == nil {
		v = payload
	}
	out, err := json.Marshal(replaceStrings(v, payload))
	if err != nil {
		panic(err) // a decoded document always encodes again
	}
	return out
}

func replaceStrings(v any, payload string) any {
	switch v := v.(type) {
	case string:
		return payload
	case []any:
		out := slices.Clone(v)
		for i := range out {
			out[i] = replaceStrings(out[i], payload)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = replaceStrings(x, payload)
		}
		return out
	}
	return v
}

func jsonName(sf reflect.StructField) string {
	if tag := sf.Tag.Get("json"); tag != "" {
		for i := range len(tag) {
			if tag[i] == ',' {
				tag = tag[:i]
				break
			}
		}
		if tag != "" && tag != "-" {
			return tag
		}
	}
	return sf.Name
}
