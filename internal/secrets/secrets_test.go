package secrets

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// clock is a settable time for TTL tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestCacheWithSecretsManager(t *testing.T) {
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(awstest.Config(t))
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(awstest.Name(t, "slack-webhook")),
		SecretString: aws.String("https://hooks.slack.com/services/T0/B0/first"),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	arn := aws.ToString(out.ARN)

	clk := &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	c := New(sm, arn, 5*time.Minute)
	c.Now = clk.now

	step := func(name, want string, calls int) {
		t.Helper()
		got, err := c.Value(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want || c.Calls() != calls {
			t.Errorf("%s: got %q after %d calls, want %q after %d", name, got, c.Calls(), want, calls)
		}
	}
	step("first read", "https://hooks.slack.com/services/T0/B0/first", 1)
	step("cached", "https://hooks.slack.com/services/T0/B0/first", 1)

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("https://hooks.slack.com/services/T0/B0/rotated")}); err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	clk.t = clk.t.Add(4 * time.Minute)
	step("rotated, within the TTL", "https://hooks.slack.com/services/T0/B0/first", 1)
	clk.t = clk.t.Add(time.Minute)
	step("rotated, TTL over", "https://hooks.slack.com/services/T0/B0/rotated", 2)

	t.Run("missing secret", func(t *testing.T) {
		missing := strings.Replace(arn, "slack-webhook", "missing", 1)
		_, err := New(sm, missing, time.Minute).Value(ctx)
		if err == nil || !strings.Contains(err.Error(), "secrets manager "+missing+": ") {
			t.Errorf("got %v, want an error naming the secret", err)
		}
	})
}

type fakeGetter func() (*secretsmanager.GetSecretValueOutput, error)

func (f fakeGetter) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return f()
}

func TestCacheFailures(t *testing.T) {
	const secret = "https://hooks.slack.com/services/T0/B0/XYZsecret"
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	gone := &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."}

	for _, tt := range []struct {
		name      string
		second    error         // what the refresh returns
		age       time.Duration // age of the cached value at the refresh
		wantValue bool          // the cached value is served
		wantStale bool
	}{
		{"transient failure serves the cached value", throttled, 10 * time.Minute, true, true},
		{"too old to stand in", throttled, 2 * time.Hour, false, false},
		{"a deleted secret is not hidden", gone, 10 * time.Minute, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			c := New(fakeGetter(func() (*secretsmanager.GetSecretValueOutput, error) {
				calls++
				if calls == 1 {
					return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(secret)}, nil
				}
				return nil, tt.second
			}), "arn:aws:secretsmanager:us-east-1:1:secret:s", 5*time.Minute)
			clk := &clock{t: time.Unix(0, 0)}
			c.Now = clk.now
			var stale error
			c.OnStale = func(err error) { stale = err }
			if _, err := c.Value(context.Background()); err != nil {
				t.Fatal(err)
			}
			clk.t = clk.t.Add(tt.age)
			got, err := c.Value(context.Background())
			if tt.wantValue != (got == secret) || tt.wantValue != (err == nil) {
				t.Errorf("got %q, %v; want the cached value: %v", got, err, tt.wantValue)
			}
			if err != nil && !errors.Is(err, tt.second) {
				t.Errorf("got %v, want it to wrap %v", err, tt.second)
			}
			if (stale != nil) != tt.wantStale {
				t.Errorf("OnStale called with %v, want a call: %v", stale, tt.wantStale)
			}
			for _, e := range []error{err, stale} {
				if e != nil && strings.Contains(e.Error(), "XYZsecret") {
					t.Errorf("error %q holds the secret's value", e)
				}
			}
		})
	}

	t.Run("binary secret", func(t *testing.T) {
		c := New(fakeGetter(func() (*secretsmanager.GetSecretValueOutput, error) {
			return &secretsmanager.GetSecretValueOutput{SecretBinary: []byte("x")}, nil
		}), "s", time.Minute)
		if _, err := c.Value(context.Background()); err == nil || !strings.Contains(err.Error(), "no string value") {
			t.Errorf("got %v, want an error saying the secret has no string value", err)
		}
	})
}
