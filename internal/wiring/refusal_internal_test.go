package wiring

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// failingSTS answers every AssumeRole with err. It stands in for STS where
// MiniStack cannot: it never throttles, and never answers with an error
// that is neither a refusal nor retryable. (The refusal itself is tested
// on MiniStack with IAM enforced: internal/orgtest.)
type failingSTS struct {
	err   error
	calls atomic.Int64
}

func (f *failingSTS) AssumeRole(context.Context, *sts.AssumeRoleInput, ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.calls.Add(1)
	return nil, f.err
}

// Only a refusal is kept: an error that may pass is asked again at the
// next event.
func TestOnlyRefusalsAreKept(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		kept      bool
		transient bool
	}{
		{name: "AccessDenied", err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole"}, kept: true},
		{name: "NoSuchEntity", err: &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "no role"}, kept: true},
		{name: "throttling", err: &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, transient: true},
		{name: "a region STS is off in", err: &smithy.GenericAPIError{Code: "RegionDisabledException", Message: "STS is not activated"}},
		{name: "a network error", err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failingSTS{err: tt.err}
			a := NewAccounts(aws.Config{Region: "us-east-1"}, "000000000000", config.Org{ExternalID: "x1", Members: []string{"222222222222"}}, "detect")
			a.sts = f
			for range 3 {
				_, err := a.Config(context.Background(), "222222222222", "eksdrift-read")
				var ae *drift.AccountError
				if got := errors.Is(err, drift.ErrTransient); got != tt.transient {
					t.Errorf("transient: got %v (%v), want %v", got, err, tt.transient)
				}
				if !tt.transient && !errors.As(err, &ae) {
					t.Errorf("got %v, want an AccountError", err)
				}
			}
			want := int64(3)
			if tt.kept {
				want = 1
			}
			if got := f.calls.Load(); got != want {
				t.Errorf("AssumeRole calls: got %d, want %d", got, want)
			}
		})
	}
}
