package cli

import (
	"os"
	"testing"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// TestMain starts MiniStack for the tests that read a deployment's history
// and baseline (DynamoDB, S3), unless AWS_ENDPOINT_URL names one already.
// The other tests do not touch it.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }
