package awstest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// TestLostAnswerIsNamed plays the emulator's lost answer on purpose, which
// MiniStack does only now and then: a stand-in IAM endpoint on 127.0.0.1
// creates the user on the first request and drops the connection before
// answering, then answers the SDK's retry with EntityAlreadyExists.
func TestLostAnswerIsNamed(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch calls.Add(1) {
		case 1:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>EntityAlreadyExists</Code><Message>User with name u already exists.</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
		}
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	c := iam.NewFromConfig(awstest.Config(t))

	_, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("u")})
	var lost *awstest.LostAnswerError
	if !errors.As(err, &lost) {
		t.Fatalf("got %v, want a LostAnswerError", err)
	}
	if lost.Operation != "CreateUser" || lost.First == nil || !strings.Contains(err.Error(), "EntityAlreadyExists") {
		t.Errorf("got %+v, want CreateUser with the first attempt's error and the retry's", lost)
	}
	if got := awstest.Created(err); got != nil {
		t.Errorf("Created: got %v, want nil", got)
	}
	if calls.Load() != 2 {
		t.Errorf("got %d requests, want 2", calls.Load())
	}
}

// TestAlreadyExistsWithoutRetryIsAnError: a first attempt that meets
// "already exists" is a real conflict, never excused.
func TestAlreadyExistsWithoutRetryIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>EntityAlreadyExists</Code><Message>exists</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
	}))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	_, err := iam.NewFromConfig(awstest.Config(t)).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("u")})
	if err == nil || awstest.Created(err) == nil {
		t.Fatalf("got %v, want the conflict kept", err)
	}
}
