package awstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// syncBuffer is a bytes.Buffer safe for the transport's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReadAfterOwnCloseNamesTheCloser plays the SDK's "failed to discard
// remaining HTTP response body ... use of closed network connection" on a
// stand-in endpoint (MiniStack does it only now and then): the answer's
// headers come, its body does not, and the caller's context is cancelled
// meanwhile. net/http then closes the connection, the SDK's drain reads it,
// and the report must say net/http's cancelRequest closed it, which tells
// this harmless case from a lost answer.
func TestReadAfterOwnCloseNamesTheCloser(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The whole request first, as MiniStack reads it.
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Content-Length", "400")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<CreateUserResponse>")
		w.(http.Flusher).Flush()
		<-release
	}))
	defer srv.Close()
	defer close(release)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	var got syncBuffer
	old := reports
	reports = &got
	defer func() { reports = old }()
	c := iam.NewFromConfig(Config(t), func(o *iam.Options) { o.RetryMaxAttempts = 1 })

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}); err == nil {
		t.Fatal("got no error, want the cancelled context's")
	}
	report := got.String()
	t.Log(report)
	for _, want := range []string{"awstest: a read on 127.0.0.1:", "use of closed network connection", "net/http.(*persistConn).cancelRequest"} {
		if !strings.Contains(report, want) {
			t.Errorf("got report %q, want it to contain %q", report, want)
		}
	}
	if n := strings.Count(report, "awstest: a read on"); n > 1 {
		t.Errorf("got %d reports, want 1 per connection", n)
	}
}
