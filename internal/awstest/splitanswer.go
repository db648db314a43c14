package awstest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// SplitAnswer starts a stand-in IAM endpoint on 127.0.0.1 that reads each
// request whole, then answers a CreateUser in two writes 20 ms apart, as
// hypercorn writes headers and body apart: what makes the SDK's double
// send (awsconfig.SendOnce) show on demand, which no emulator does. It
// gives the endpoint's URL and the count of requests it got.
func SplitAnswer(t testing.TB) (url string, requests *atomic.Int64) {
	t.Helper()
	const answer = `<CreateUserResponse><CreateUserResult><User><UserName>u</UserName><Arn>arn:aws:iam::000000000000:user/u</Arn></User></CreateUserResult></CreateUserResponse>`
	requests = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		requests.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		io.WriteString(w, answer[:20])
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
		io.WriteString(w, answer[20:])
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}
