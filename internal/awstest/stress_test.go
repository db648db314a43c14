package awstest_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

// TestStressLostAnswers hunts the emulator's lost answers: workers, each
// with a fresh client as every test has, create users with unique names
// right after MiniStack starts, and any create that needed a second
// attempt fails the test (awstest's stderr names the first attempt's error,
// and conn.go who closed its connection). It is skipped unless
// EKSDRIFT_STRESS=1; EKSDRIFT_STRESS_N sets the creates per worker (50).
// To run several fresh emulators at once with no Python bytecode cache,
// point MINISTACK_BIN at a copy of .venv and set PYTHONDONTWRITEBYTECODE=1.
func TestStressLostAnswers(t *testing.T) {
	if os.Getenv("EKSDRIFT_STRESS") != "1" {
		t.Skip("set EKSDRIFT_STRESS=1 to hunt lost answers")
	}
	const workers = 8
	per := 50
	if n, err := strconv.Atoi(os.Getenv("EKSDRIFT_STRESS_N")); err == nil && n > 0 {
		per = n
	}
	var retried, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := iam.NewFromConfig(awstest.Config(t))
			for i := range per {
				name := awstest.Name(t, fmt.Sprintf("stress%d-%d", w, i))
				out, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})
				if err != nil {
					failed.Add(1)
					t.Errorf("CreateUser %s: %v", name, err)
					continue
				}
				if r, ok := retry.GetAttemptResults(out.ResultMetadata); ok && len(r.Results) > 1 {
					retried.Add(1)
					t.Errorf("CreateUser %s: got %d attempts, want 1", name, len(r.Results))
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d creates: %d retried, %d failed", workers*per, retried.Load(), failed.Load())
}
