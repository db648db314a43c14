package awsconfig

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// SendOnce gives the SDK's HTTP client with every request body stripped of
// WriteTo, so that an answered request is never sent again. The SDK
// (smithy-go) closes a request's body as soon as the answer's headers
// arrive, and its body answers a WriteTo after Close with io.EOF as an
// error; net/http's writeLoop, whose last read of the body (its check for
// data past Content-Length) may come after that on a busy CPU, then takes
// the EOF for a failed write and closes the connection under the answer.
// The SDK retries the call the service already carried out: a create meets
// "already exists", a delete "not found", and a revert that worked would
// be reported failed. Through Read alone, a closed body is a plain end of
// data. (Found on MiniStack, which sends an answer's headers and body in
// two writes; see docs/ARCHITECTURE.md#testing.)
// A nil client (what the loader leaves without a CA bundle or a client of
// its own) is the SDK's default, as each service client would make it.
func SendOnce(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	return sendOnce{c}
}

type sendOnce struct{ aws.HTTPClient }

func (d sendOnce) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return d.HTTPClient.Do(r)
}

// readOnlyBody hides every method of its body but Read and Close.
type readOnlyBody struct{ io.ReadCloser }
