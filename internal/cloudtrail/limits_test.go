package cloudtrail

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// spaces is an endless stream of white space that costs no memory.
type spaces struct{ n int64 }

func (s *spaces) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), s.n))
	for i := range p[:n] {
		p[i] = ' '
	}
	s.n -= int64(n)
	return n, nil
}

// Bomb gzips n bytes of spaces, then an empty log file: a few hundred KB
// that decompress to n bytes.
func Bomb(t testing.TB, n int64) []byte {
	t.Helper()
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := io.Copy(zw, &spaces{n: n}); err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(`{"Records":[]}`))
	zw.Close()
	return gz.Bytes()
}

// allocated runs f and gives how many bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestGzipBombIsStoppedAtTheLimit: a gzip bomb over the default limit is
// refused with a TooLargeError naming the limit, after reading it as a
// stream: what it allocates is bounded by a record, not by the input.
func TestGzipBombIsStoppedAtTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 260 MB")
	}
	bomb := Bomb(t, DefaultMaxDecompressed+4<<20)
	t.Logf("bomb: %d bytes gzipped, %d MiB decompressed", len(bomb), (DefaultMaxDecompressed+4<<20)>>20)
	var err error
	n := allocated(func() { _, err = Read(bytes.NewReader(bomb)) })
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != DefaultMaxDecompressed {
		t.Fatalf("got %v, want a TooLargeError at %d bytes", err, DefaultMaxDecompressed)
	}
	if !strings.Contains(err.Error(), "256 MiB") {
		t.Errorf("got %q, want it to name the limit, 256 MiB", err)
	}
	if n > 8<<20 {
		t.Errorf("got %d MiB allocated, want at most 8 MiB: the input must be streamed, not held", n>>20)
	}
}

func TestLimits(t *testing.T) {
	record := sampleRecord(t, "eks-associate-access-policy-cluster-admin.json", nil)
	log := `{"Records":[` + record + `]}`
	var gzLog bytes.Buffer
	zw := gzip.NewWriter(&gzLog)
	zw.Write([]byte(log))
	zw.Close()
	huge := `{"Records":[{"eventName":"ListClusters","x":"` + strings.Repeat("a", 5<<20) + `"}]}`
	tests := []struct {
		name  string
		dec   Decoder
		input func() io.Reader
		what  string // the TooLargeError's What, or "" for no error
	}{
		{"plain input over the limit", Decoder{MaxDecompressed: 1 << 20}, func() io.Reader {
			return io.MultiReader(&spaces{n: 2 << 20}, strings.NewReader(log))
		}, "decompressed input"},
		{"gzip input over the limit", Decoder{MaxDecompressed: 1 << 20}, func() io.Reader { return bytes.NewReader(Bomb(t, 2<<20)) }, "decompressed input"},
		{"input of exactly the limit", Decoder{MaxDecompressed: int64(len(log))}, func() io.Reader { return strings.NewReader(log) }, ""},
		{"gzip input of exactly the limit", Decoder{MaxDecompressed: int64(len(log))}, func() io.Reader { return bytes.NewReader(gzLog.Bytes()) }, ""},
		{"a record over the limit", Decoder{}, func() io.Reader { return strings.NewReader(huge) }, "record"},
		{"an event over the limit", Decoder{MaxRecord: 1 << 10}, func() io.Reader { return strings.NewReader(record) }, "record"},
		{"a record under a raised limit", Decoder{MaxRecord: 8 << 20}, func() io.Reader { return strings.NewReader(huge) }, ""},
		{"white space between records is not kept", Decoder{MaxRecord: 1 << 10}, func() io.Reader {
			return io.MultiReader(strings.NewReader(`{"Records":[{"eventName":"ListClusters"},`), &spaces{n: 1 << 20}, strings.NewReader(`{"eventName":"ListClusters"}]}`))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.dec.Read(tt.input())
			var tl *TooLargeError
			switch {
			case tt.what == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.what == "":
				if b.Total == 0 {
					t.Errorf("got no records, want the input read")
				}
			case !errors.As(err, &tl) || tl.What != tt.what:
				t.Fatalf("got %v, want a TooLargeError for the %s", err, tt.what)
			}
		})
	}
	t.Run("decode in memory", func(t *testing.T) {
		_, err := Decoder{MaxDecompressed: 10}.Decode([]byte(log))
		var tl *TooLargeError
		if !errors.As(err, &tl) {
			t.Errorf("got %v, want a TooLargeError", err)
		}
	})
	t.Run("the record over the limit is placed", func(t *testing.T) {
		_, err := Read(strings.NewReader("{\"Records\":[\n" + huge[len(`{"Records":[`):]))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != 2 || se.Column != 1 {
			t.Errorf("got %v, want it placed on line 2, column 1", err)
		}
	})
}

// TestLargeWindowsLeaveThePool: a window grown for a large record is not
// kept for the next input.
func TestLargeWindowsLeaveThePool(t *testing.T) {
	huge := `{"Records":[{"eventName":"ListClusters","x":"` + strings.Repeat("a", 6<<20) + `"}]}`
	if _, err := (Decoder{MaxRecord: 16 << 20}).Read(strings.NewReader(huge)); err != nil {
		t.Fatal(err)
	}
	for {
		w, ok := windowPool.Get().(*[]byte)
		if !ok {
			break
		}
		if cap(*w) > maxPooledWindow {
			t.Errorf("got a window of %d MiB in the pool, want at most %d MiB", cap(*w)>>20, maxPooledWindow>>20)
		}
	}
}

// TestStreamedAndInMemoryAgree reads every sample, and a log of them all,
// through the stream with a small window and from memory: same batches.
func TestStreamedAndInMemoryAgree(t *testing.T) {
	var recs []string
	for _, name := range []string{"eks-associate-access-policy-cluster-admin.json", "ec2-run-instances-unrelated.json", "eks-describe-access-entry-read-only.json", "iam-put-role-policy-inline.json"} {
		recs = append(recs, string(detailOf(t, readSample(t, name))))
	}
	recs = append(recs, `{"eventName":"CreateAccessEntry","eventID":"bad","userIdentity":{"arn":[]}}`)
	log := "{\"Records\":[\n" + strings.Join(recs, ",\n") + "\n], \"Other\": {\"a\": [1, \"]\"]}}"
	mem, err := Decode([]byte(log))
	if err != nil {
		t.Fatal(err)
	}
	// One byte at a time moves the window at every token.
	streamed, err := Read(io.MultiReader(oneByte{strings.NewReader(log)}))
	if err != nil {
		t.Fatal(err)
	}
	if mem.Total != streamed.Total || len(mem.Records) != len(streamed.Records) || len(mem.Errors) != len(streamed.Errors) {
		t.Fatalf("got %d/%d/%d streamed, want %d/%d/%d as in memory", streamed.Total, len(streamed.Records), len(streamed.Errors), mem.Total, len(mem.Records), len(mem.Errors))
	}
	for i := range mem.Records {
		if mem.Records[i].EventID != streamed.Records[i].EventID || !bytes.Equal(mem.Records[i].RequestParameters, streamed.Records[i].RequestParameters) {
			t.Errorf("record %d: got %s, want %s", i, streamed.Records[i].EventID, mem.Records[i].EventID)
		}
	}
	for i := range mem.Errors {
		if got, want := streamed.Errors[i].Error(), mem.Errors[i].Error(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}
