package replay

import (
	"context"
	"io"
	"os"
	"sync/atomic"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
)

// Source is one input to judge: a name for reports and errors (a path, an
// s3:// URI), and a way to open it. Size, when known, is its size in
// bytes as stored (gzipped or not), for progress. Decoder sets the limits
// it is read within (its zero value, the defaults).
type Source struct {
	Name    string
	Size    int64
	Open    func(ctx context.Context) (io.ReadCloser, error)
	Decoder cloudtrail.Decoder
	// AuditCluster is the cluster of a Kubernetes audit log that does not
	// name its own (a file of bare audit events, an export to S3).
	AuditCluster string
}

// FileSources gives the sources of local files.
func FileSources(files []string) []Source {
	out := make([]Source, len(files))
	for i, f := range files {
		out[i] = Source{Name: f, Open: func(context.Context) (io.ReadCloser, error) { return os.Open(f) }}
	}
	return out
}

// read opens the source and decodes it, gzipped or not, as CloudTrail input
// or a Kubernetes audit log (audit.go).
func (s Source) read(ctx context.Context) (input, error) {
	rc, err := s.Open(ctx)
	if err != nil {
		return input{}, err
	}
	defer rc.Close()
	return s.readInput(rc)
}

// CountingReader counts the bytes read through it, for throughput.
type CountingReader struct {
	R io.ReadCloser
	N *atomic.Int64
}

func (c CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N.Add(int64(n))
	return n, err
}

// Close closes the underlying reader.
func (c CountingReader) Close() error { return c.R.Close() }
