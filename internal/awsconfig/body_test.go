package awsconfig_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/awstest"
)

// TestFunctionsSendAnAnsweredCallOnce is the SDK's double send, played on a
// stand-in IAM endpoint on 127.0.0.1 (no emulator answers in two parts on
// demand): it reads each request whole, then answers in two writes 20 ms
// apart. Without SendOnce, net/http's writeLoop meets the body the SDK
// closed at the headers, closes the connection under the answer, and the
// SDK's retry sends the call again: a revert that worked would be sent
// twice and reported failed. The functions' and the command's
// configuration (Load) must reach the endpoint once a call.
func TestFunctionsSendAnAnsweredCallOnce(t *testing.T) {
	url, requests := awstest.SplitAnswer(t)
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")

	// With AWS_CA_BUNDLE the loader makes an HTTP client of its own;
	// without it (as in Lambda) it leaves none.
	for _, bundle := range []string{"", "/etc/ssl/certs/ca-certificates.crt"} {
		t.Run("AWS_CA_BUNDLE="+bundle, func(t *testing.T) {
			t.Setenv("AWS_CA_BUNDLE", bundle)
			if bundle == "" {
				os.Unsetenv("AWS_CA_BUNDLE")
			} else if _, err := os.Stat(bundle); err != nil {
				t.Skipf("no CA bundle at %s", bundle)
			}
			requests.Store(0)
			const calls = 40
			for i := range calls {
				cfg, err := awsconfig.Load(context.Background(), "", 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := iam.NewFromConfig(cfg).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%d", i))}); err != nil {
					t.Errorf("CreateUser: %v", err)
				}
			}
			if got := requests.Load(); got != calls {
				t.Errorf("got %d requests for %d calls, want one each", got, calls)
			}
		})
	}
}
