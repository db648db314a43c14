package awstest_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func TestEmulatorAnswers(t *testing.T) {
	out, err := sts.NewFromConfig(awstest.Config(t)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity on %s: %v", awstest.Endpoint(t), err)
	}
	if out.Account == nil || *out.Account == "" {
		t.Errorf("got no account, want the emulator's")
	}
}
