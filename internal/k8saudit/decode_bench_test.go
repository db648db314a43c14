package k8saudit

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkDecodeExport reads a CloudWatch Logs export of 10,000 audit
// events, one in a hundred a write to aws-auth, as `eksdrift replay` does.
func BenchmarkDecodeExport(b *testing.B) {
	lines := strings.Split(strings.TrimSpace(string(read(b, filepath.Join("testdata", "export.log")))), "\n")
	var buf bytes.Buffer
	for i := range 10000 {
		l := lines[0] // coredns: not aws-auth
		if i%100 == 0 {
			l = lines[2]
		}
		buf.WriteString(l)
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		batch, err := Decode(data)
		if err != nil || len(batch.Changes) != 100 {
			b.Fatalf("got %v changes, %v", len(batch.Changes), err)
		}
	}
}
