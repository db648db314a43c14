package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// sampleRecord gives the bare record of a sample, changed by edit (on its
// decoded JSON), on one line.
func sampleRecord(t *testing.T, sample string, edit func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(detailOf(t, readSample(t, sample)), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func identity(m map[string]any) map[string]any { return m["userIdentity"].(map[string]any) }

// TestLogFileSurvivesDriftedTypes is a log file of several records, one
// drifted or broken in each way real exports do it: the records whose types
// can be read are judged, the one that cannot is reported with its place and
// event ID, and the file is not lost.
func TestLogFileSurvivesDriftedTypes(t *testing.T) {
	recs := []string{
		// 0: as CloudTrail writes it.
		sampleRecord(t, "eks-associate-access-policy-cluster-admin.json", nil),
		// 1: a needed field as a number: converted.
		sampleRecord(t, "eks-delete-access-entry-declared.json", func(m map[string]any) {
			m["eventID"] = "arn-number"
			identity(m)["arn"] = 111122223333
		}),
		// 2: a field eksdrift only shows, as a boolean.
		sampleRecord(t, "eks-create-access-entry-undeclared-role.json", func(m map[string]any) {
			m["eventID"] = "console-bool"
			m["sessionCredentialFromConsole"] = true
		}),
		// 3: readOnly as SIEM exports write it, on a watched call.
		sampleRecord(t, "eks-create-access-entry-declared.json", func(m map[string]any) {
			m["eventID"] = "read-only-string"
			m["readOnly"] = "False"
			m["eventVersion"] = 1.09
			m["requestID"] = map[string]any{"x": 1}
		}),
		// 4: a needed field that cannot be a string: unreadable.
		sampleRecord(t, "iam-attach-role-policy-administrator-access.json", func(m map[string]any) {
			m["eventID"] = "arn-object"
			identity(m)["arn"] = map[string]any{"not": "an arn"}
		}),
		// 5: readOnly "false" on a call that is not watched: not read-only.
		sampleRecord(t, "ec2-run-instances-unrelated.json", func(m map[string]any) { m["readOnly"] = "false" }),
		// 6: readOnly "TRUE" on a read: read-only.
		sampleRecord(t, "eks-describe-access-entry-read-only.json", func(m map[string]any) { m["readOnly"] = "TRUE" }),
	}
	// 7: a literal that is not JSON, in a watched call.
	recs = append(recs, strings.Replace(sampleRecord(t, "eks-update-access-entry-adds-group.json", func(m map[string]any) {
		m["eventID"] = "bad-literal"
		m["eventType"] = "PLACEHOLDER"
	}), `"PLACEHOLDER"`, `tru`, 1))
	log := "{\"Records\": [\n" + strings.Join(recs, ",\n") + "\n]}\n"

	b, err := Decode([]byte(log))
	if err != nil {
		t.Fatalf("got %v, want the file read", err)
	}
	if b.Total != len(recs) {
		t.Errorf("got total %d, want %d", b.Total, len(recs))
	}
	t.Run("readable records are judged", func(t *testing.T) {
		got := map[string]Record{}
		for _, r := range b.Records {
			got[r.EventID] = r
		}
		for _, id := range []string{"arn-number", "console-bool", "read-only-string"} {
			r, ok := got[id]
			if !ok {
				t.Errorf("record %s: got none, want it parsed", id)
				continue
			}
			changes, ignored, err := Changes(&r)
			if err != nil || ignored != "" || len(changes) == 0 {
				t.Errorf("record %s: got %d changes, ignored %q, error %v, want changes", id, len(changes), ignored, err)
			}
		}
		num, console := got["arn-number"], got["console-bool"]
		if a := num.Actor(); a.ARN != "111122223333" {
			t.Errorf("number arn: got actor %q, want %q", a.ARN, "111122223333")
		}
		if a := console.Actor(); !a.Console {
			t.Errorf("boolean sessionCredentialFromConsole: got console %v, want true", a.Console)
		}
		if ro := got["read-only-string"].ReadOnly; ro == nil || *ro {
			t.Errorf(`readOnly "False": got %v, want false`, ro)
		}
		if len(b.Records) != 4 {
			t.Errorf("got %d records parsed, want 4 (0 to 3)", len(b.Records))
		}
	})
	t.Run("unwatched records are counted by what they are", func(t *testing.T) {
		if n := b.Ignored[IgnoredUnwatched]; n != 1 {
			t.Errorf(`got %d %q, want 1 (readOnly "false" is not read-only)`, n, IgnoredUnwatched)
		}
		if n := b.Ignored[IgnoredReadOnly]; n != 1 {
			t.Errorf(`got %d %q, want 1 (readOnly "TRUE")`, n, IgnoredReadOnly)
		}
	})
	t.Run("unreadable records are reported with their place", func(t *testing.T) {
		want := []struct {
			index, line int
			id, says    string
		}{
			{4, 6, "arn-object", "userIdentity.arn"},
			{7, 9, "bad-literal", "invalid character"},
		}
		if len(b.Errors) != len(want) {
			t.Fatalf("got %d errors (%v), want %d", len(b.Errors), b.Errors, len(want))
		}
		for i, w := range want {
			e := b.Errors[i]
			if e.Index != w.index || e.Line != w.line || e.Column != 1 || e.EventID != w.id {
				t.Errorf("got Records[%d] line %d column %d id %q, want Records[%d] line %d column 1 id %q", e.Index, e.Line, e.Column, e.EventID, w.index, w.line, w.id)
			}
			msg := e.Error()
			for _, part := range []string{w.says, w.id, "line"} {
				if !strings.Contains(msg, part) {
					t.Errorf("got %q, want it to say %q", msg, part)
				}
			}
		}
		var se *SyntaxError
		if !errors.As(b.Errors[1], &se) || se.Line != 9 {
			t.Errorf("got %v, want the syntax error placed on line 9", b.Errors[1])
		}
	})
}

// TestPrefilterNeverSkipsAPossibleWrite: encoding/json matches keys without
// regard to case and after unescaping them, so a record the prefilter reads
// as unwatched might decode as a watched call. Those records are parsed.
func TestPrefilterNeverSkipsAPossibleWrite(t *testing.T) {
	tests := []struct{ name, rec string }{
		{"key in another case", `{"eventName":"ListClusters","EventName":"CreateAccessEntry","readOnly":true}`},
		{"key in upper case", `{"EVENTNAME":"CreateAccessEntry","readOnly":true}`},
		{"escaped key", `{"event\u004eame":"CreateAccessEntry","readOnly":true}`},
		{"escaped name", `{"eventName":"Create\u0041ccessEntry","readOnly":true}`},
		{"read-only as a string", `{"eventName":"CreateAccessEntry","readOnly":"true"}`},
		{"failed as a number", `{"eventName":"CreateAccessEntry","errorCode":403}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			if err := json.Unmarshal([]byte(tt.rec), &r); err != nil {
				t.Fatal(err)
			}
			if !IsWatched(SourceEKS, r.EventName) {
				t.Fatalf("got event name %q decoded, want a watched call", r.EventName)
			}
			if got := prefilter([]byte(tt.rec)); got != "" {
				t.Errorf("got %q, want the record parsed", got)
			}
		})
	}
}

// TestPrefilterReadsDriftedTypesAsChangesDoes: for records that are not
// watched calls, the prefilter's reason is the one Changes gives after full
// decoding, whatever the types of errorCode and readOnly.
func TestPrefilterReadsDriftedTypesAsChangesDoes(t *testing.T) {
	for _, v := range []string{`true`, `false`, `"true"`, `"True"`, `"FALSE"`, `"yes"`, `1`, `null`, `{}`} {
		for _, code := range []string{``, `,"errorCode":null`, `,"errorCode":""`, `,"errorCode":"AccessDenied"`, `,"errorCode":403`, `,"errorCode":false`, `,"errorCode":{"x":1}`} {
			rec := `{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","readOnly":` + v + code + `}`
			t.Run(rec, func(t *testing.T) {
				var r Record
				if err := json.Unmarshal([]byte(rec), &r); err != nil {
					t.Fatal(err)
				}
				_, ignored, err := Changes(&r)
				if err != nil {
					t.Fatal(err)
				}
				if got := prefilter([]byte(rec)); got != ignored {
					t.Errorf("got prefilter %q, want %q as Changes says", got, ignored)
				}
			})
		}
	}
}

// TestUnwatchedEventWithDriftedTypesIsIgnored: a single EventBridge event
// whose unused fields cannot be read is passed over as a log file's record
// would be, not rejected (the detector would send it to the dead-letter
// queue).
func TestUnwatchedEventWithDriftedTypesIsIgnored(t *testing.T) {
	env := readSample(t, "ec2-run-instances-unrelated.json")
	env = bytes.Replace(env, []byte(`"userIdentity": {`), []byte(`"userIdentity": "someone", "x": {`), 1)
	if !bytes.Contains(env, []byte(`"userIdentity": "someone"`)) {
		t.Fatal("sample changed: no userIdentity to replace")
	}
	b, err := Decode(env)
	if err != nil {
		t.Fatalf("got %v, want the event passed over", err)
	}
	if b.Total != 1 || b.Ignored[IgnoredUnwatched] != 1 {
		t.Errorf("got total %d, ignored %v, want 1 %q", b.Total, b.Ignored, IgnoredUnwatched)
	}
}
