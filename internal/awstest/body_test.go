package awstest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// TestAnsweredRequestIsNotSentTwice is the lost answer's cause, played on a
// stand-in IAM endpoint that reads each request whole, then answers in two
// parts, 20 ms apart. The SDK closes a request's body as soon as the
// answer's headers arrive; net/http's writeLoop may not yet have made its
// last read of that body (its check for data past Content-Length), and
// smithy-go's body answers that read with io.EOF as an error (WriteTo
// after Close). net/http took it for a failed write and closed the
// connection under the answer, and the SDK sent the create again: with
// MiniStack, "already exists". Every create must reach the endpoint once.
func TestAnsweredRequestIsNotSentTwice(t *testing.T) {
	const answer = `<CreateUserResponse><CreateUserResult><User><UserName>u</UserName><Arn>arn:aws:iam::000000000000:user/u</Arn></User></CreateUserResult></CreateUserResponse>`
	var requests atomic.Int64
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
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)

	const calls = 40
	for i := range calls {
		// A fresh client each time, as each test has.
		c := iam.NewFromConfig(awstest.Config(t))
		if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%d", i))}); err != nil {
			t.Errorf("CreateUser: %v", err)
		}
	}
	if got := requests.Load(); got != calls {
		t.Errorf("got %d requests for %d creates, want one each", got, calls)
	}
}
