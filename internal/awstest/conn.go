package awstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

// reports is where a connection read after this process closed it is
// described; a test swaps it.
var reports io.Writer = os.Stderr

// watchedConn is a connection to the emulator that remembers where this
// process closed it. The lost answers show up as the SDK's "failed to
// discard remaining HTTP response body ... use of closed network
// connection": a read of a response on a connection our own process had
// already closed (the kernel never says "closed network connection"; only
// Go's poller does, for a descriptor this process closed). Who closed it
// tells the cases apart: net/http's cancelRequest is a cancelled context
// (the caller's own doing, harmless; the SDK does not retry it), its
// writeLoop is a write that failed while the answer came in (what
// aws-sdk-go-v2#2737 traced the same line to), and anything else is a bug
// to chase. Recording the closer costs one runtime.Callers per connection.
type watchedConn struct {
	net.Conn
	mu       sync.Mutex
	closer   []uintptr
	reported bool
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil && errors.Is(err, net.ErrClosed) {
		c.report(err)
	}
	return n, err
}

func (c *watchedConn) Close() error {
	c.mu.Lock()
	if c.closer == nil {
		pcs := make([]uintptr, 24)
		c.closer = pcs[:runtime.Callers(2, pcs)]
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// report describes, once per connection, a read that met the connection
// closed by this process, with the stack that closed it.
func (c *watchedConn) report(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reported || c.closer == nil {
		return
	}
	c.reported = true
	var b strings.Builder
	fmt.Fprintf(&b, "awstest: a read on %s->%s met the connection this process had closed (%v); it was closed from:\n", c.LocalAddr(), c.RemoteAddr(), err)
	frames := runtime.CallersFrames(c.closer)
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			fmt.Fprintf(&b, "\t%s (%s:%d)\n", f.Function, f.File, f.Line)
		}
		if !more {
			break
		}
	}
	io.WriteString(reports, b.String())
}

// dialWatched dials as the SDK's default transport does (30 s connect
// timeout, 30 s TCP keep-alive) and watches the connection.
func dialWatched(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: conn}, nil
}
