package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eksdrift/eksdrift/internal/awsconfig"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/s3"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// scanRetries is how many times a throttled call is tried during a scan:
// adaptive retries slow the client down, and a large account needs more
// than the SDK's three tries to get through a burst of throttling.
const scanRetries = 10

// awsConfig loads the SDK configuration the way the AWS CLI does (the
// environment, shared files, SSO), with adaptive retries so that throttling
// slows the command down rather than failing it. region, when set,
// overrides the configured one.
func awsConfig(ctx context.Context, region string) (aws.Config, error) {
	return awsconfig.Load(ctx, region, scanRetries)
}

// callerAccount is the account the credentials belong to: a scan reads the
// clusters and roles of that account only.
func callerAccount(ctx context.Context, cfg aws.Config) (string, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("sts GetCallerIdentity (which account do these credentials reach?): %w", err)
	}
	return aws.ToString(out.Account), nil
}

// loadBaseline reads a baseline from a file or an s3://bucket/key URI.
func loadBaseline(ctx context.Context, ref string, cfg func() (aws.Config, error)) (*drift.Index, error) {
	bucket, key, isS3 := s3.ParseURI(ref)
	if !isS3 {
		return baseline.Load(ref)
	}
	if key == "" {
		return nil, usageError{fmt.Errorf("--baseline %s: want s3://bucket/key", ref)}
	}
	c, err := cfg()
	if err != nil {
		return nil, err
	}
	return wiring.BaselineAt(ctx, c, bucket, key)
}

// isTerminal reports whether w is a terminal, where a progress bar belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// splitList accepts repeated flags and comma-separated values alike.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
