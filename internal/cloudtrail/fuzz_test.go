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
		if bytes.Contains(data, []byte(`"detail-type": "Object `)) {
			continue // S3's own notifications hold no CloudTrail record: no log file has them
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
// changes: nothing may panic, and a batch always accounts for its records.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../../events/*.json")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
		f.Add(append(append([]byte(`{"Records":[`), detailOf(f, data)...), ']', '}'))
	}
	f.Add([]byte(`{"Records":[{"eventName":"CreateAccessEntry","eventSource":"eks.amazonaws.com"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data)
		if err != nil {
			return
		}
		n := len(b.Records)
		for _, v := range b.Ignored {
			n += v
		}
		if n != b.Total {
			t.Fatalf("parsed %d + ignored = %d, want total %d", len(b.Records), n, b.Total)
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
