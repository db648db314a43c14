package cloudtrail

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPrefilterAgreesWithChanges checks that no record the log-file fast path
// passes over would have made a change.
func TestPrefilterAgreesWithChanges(t *testing.T) {
	files, _ := filepath.Glob("../../events/*.json")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if bytes.Contains(data, []byte(`"detail-type": "Object `)) || !bytes.Contains(data, []byte(`"detail":`)) {
			continue // S3's own notifications and LookupEvents output hold no record a log file has
		}
		rec := detailOf(t, data)
		b, err := Decode(rec)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		_, ignored, err := Changes(&b.Records[0])
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if p := prefilter(rec); p != "" && p != ignored {
			t.Errorf("%s: prefilter says %q, Changes says %q", filepath.Base(f), p, ignored)
		}
	}
}

// FuzzDecode feeds arbitrary input through the decoder and the translation to
// changes: nothing may panic, a batch always accounts for its records, and
// reading the input as a stream (a byte at a time, so that the window moves
// at every token) gives what decoding it in memory gives.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../../events/*.json")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
		if bytes.Contains(data, []byte(`"detail":`)) {
			f.Add(append(append([]byte(`{"Records":[`), detailOf(f, data)...), ']', '}'))
		}
	}
	f.Add([]byte(`{"Records":[{"eventName":"CreateAccessEntry","eventSource":"eks.amazonaws.com"}]}`))
	f.Add([]byte("{\"Records\":[\n{\"eventName\":\"CreateAccessEntry\",\"eventID\":\"x\",\"userIdentity\":{\"arn\":{}}},\n{\"EVENTNAME\":\"ListClusters\",\"readOnly\":\"False\"}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data)
		if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			sb, serr := (Decoder{MaxRecord: len(data) + 1}).Read(oneByte{bytes.NewReader(data)})
			if (err == nil) != (serr == nil) {
				t.Fatalf("got %v streamed, want %v as in memory", serr, err)
			}
			if err == nil && (sb.Total != b.Total || len(sb.Records) != len(b.Records) || len(sb.Errors) != len(b.Errors)) {
				t.Fatalf("got %d/%d/%d streamed, want %d/%d/%d as in memory", sb.Total, len(sb.Records), len(sb.Errors), b.Total, len(b.Records), len(b.Errors))
			}
		}
		if err != nil {
			return
		}
		n := len(b.Records) + len(b.Errors)
		for _, v := range b.Ignored {
			n += v
		}
		if n != b.Total {
			t.Fatalf("parsed %d + unreadable %d + ignored = %d, want total %d", len(b.Records), len(b.Errors), n, b.Total)
		}
		for i := range b.Records {
			changes, _, _ := Changes(&b.Records[i])
			for _, c := range changes {
				if c.Resource == nil || c.Event.ID == "" {
					t.Fatalf("change without resource or event id: %+v", c)
				}
			}
		}
	})
}
