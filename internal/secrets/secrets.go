// Package secrets reads a secret from AWS Secrets Manager and keeps it for
// the life of a Lambda execution environment, so that a warm function pays
// for one GetSecretValue call per TTL, not one per invocation, and picks up
// a rotated secret within the TTL.
//
// A secret's value never appears in this package's errors: callers may log
// them as they are.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// getter is the one Secrets Manager call the cache makes; *secretsmanager.Client has it.
type getter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ getter = (*secretsmanager.Client)(nil)

// DefaultMaxStale is how long a cached value may stand in for one that
// Secrets Manager cannot serve because of a transient failure.
const DefaultMaxStale = time.Hour

// Cache holds one secret's current string value.
type Cache struct {
	client   getter
	secretID string
	ttl      time.Duration

	// MaxStale bounds how old a cached value may be when a refresh fails
	// for a reason other than the secret being gone or forbidden.
	MaxStale time.Duration
	// OnStale, when set, is told each time a cached value is served because
	// a refresh failed (to log it: the error never holds the value).
	OnStale func(err error)
	// Now is the clock; tests set it.
	Now func() time.Time

	mu      sync.Mutex
	value   string
	fetched time.Time
	calls   int
}

// New gives a cache of secretID (an ARN or a name), refreshed when its value
// is older than ttl; client is usually a *secretsmanager.Client.
func New(client getter, secretID string, ttl time.Duration) *Cache {
	return &Cache{client: client, secretID: secretID, ttl: ttl, MaxStale: DefaultMaxStale, Now: time.Now}
}

// Value gives the secret's current string value: the cached one while it is
// younger than the TTL, else a fresh one. When the refresh fails for a
// transient reason, a cached value younger than MaxStale is served instead.
func (c *Cache) Value(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.Now()
	if c.value != "" && now.Sub(c.fetched) < c.ttl {
		return c.value, nil
	}
	c.calls++
	out, err := c.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.secretID)})
	if err == nil && aws.ToString(out.SecretString) == "" {
		err = errors.New("the secret has no string value")
	}
	if err != nil {
		err = fmt.Errorf("secrets manager %s: %w", c.secretID, err)
		if c.value != "" && now.Sub(c.fetched) < c.MaxStale && !permanent(err) {
			if c.OnStale != nil {
				c.OnStale(err)
			}
			return c.value, nil
		}
		return "", err
	}
	c.value, c.fetched = aws.ToString(out.SecretString), now
	return c.value, nil
}

// Calls counts the GetSecretValue calls made so far.
func (c *Cache) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// permanent reports whether err says the secret is gone or not ours to
// read: then a cached value must not hide it.
func permanent(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceNotFoundException", "AccessDeniedException", "InvalidRequestException", "DecryptionFailure":
		return true
	}
	return false
}
