package awstest_test

import (
	"context"
	"fmt"
	"testing"

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
	url, requests := awstest.SplitAnswer(t)
	t.Setenv("AWS_ENDPOINT_URL", url)

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
