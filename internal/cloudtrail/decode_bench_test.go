package cloudtrail

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// benchLog builds a log file like a real trail's: mostly records of other
// services and read-only calls, one watched call in fifty.
func benchLog(b *testing.B) []byte {
	b.Helper()
	files, _ := filepath.Glob("../../events/*.json")
	var watchedRecs, other [][]byte
	for _, f := range files {
		data, _ := os.ReadFile(f)
		rec := detailOf(b, data)
		if prefilter(rec) == "" {
			watchedRecs = append(watchedRecs, rec)
		} else {
			other = append(other, rec)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		if i%50 == 0 {
			buf.Write(watchedRecs[i%len(watchedRecs)])
		} else {
			buf.Write(other[i%len(other)])
		}
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

func BenchmarkDecodeLog(b *testing.B) {
	data := benchLog(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadGzipLog(b *testing.B) {
	data := benchLog(b)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	zw.Write(data)
	zw.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(gz.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
