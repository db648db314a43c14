package wiring_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// s3Keys records the object keys (and listing prefixes) of every S3 call
// made with the configuration it returns.
func s3Keys(cfg aws.Config) (aws.Config, func() []string) {
	var mu sync.Mutex
	var keys []string
	cfg = cfg.Copy()
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordKeys",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				var k *string
				switch p := in.Parameters.(type) {
				case *awss3.GetObjectInput:
					k = p.Key
				case *awss3.HeadObjectInput:
					k = p.Key
				case *awss3.ListObjectVersionsInput:
					k = p.Prefix
				}
				if k != nil {
					mu.Lock()
					keys = append(keys, *k)
					mu.Unlock()
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
	return cfg, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), keys...)
	}
}

// An OU-only organization deployment lists no members: the accounts it
// reaches are those Organizations says are the organization's. Each of them
// is judged against its own baselines/<account>.yaml, with a listed
// member's safety (a file speaking for another account or unreadable makes
// the account's baseline unusable; none leaves the shared file alone), and
// an event naming any other account (forged, of another organization, not
// an account ID) reads nothing under baselines/, even when a file waits
// there under its name.
func TestAccountBaselinesOfOrganizationMembers(t *testing.T) {
	base := awstest.Config(t)
	ctx := context.Background()
	orgID, admitted := newOrganization(t, base)
	_, speaksForAnother := newOrganization(t, base)
	_, unreadable := newOrganization(t, base)
	_, noFile := newOrganization(t, base)
	other := base.Copy()
	other.Credentials = credentials.NewStaticCredentialsProvider("111111111111", "test", "")
	_, stranger := newOrganization(t, other)
	const forged = "123456789012"

	cluster := func(account, name string) string {
		return "  - {name: " + name + `, account: "` + account + `", region: us-west-2}` + "\n"
	}
	bucket, key := object(t, base, "version: 1\nmode: alert\nclusters:\n"+cluster("444444444444", "shared"))
	s3c := awss3.NewFromConfig(base)
	if _, err := s3c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put := func(k, body string) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{admitted, forged, stranger} {
		put(wiring.AccountKey(key, a), "version: 1\nclusters:\n"+cluster(a, "prod"))
	}
	put(wiring.AccountKey(key, speaksForAnother), "version: 1\nclusters:\n"+cluster(admitted, "other"))
	put(wiring.AccountKey(key, unreadable), "version: 1\nclusters: [")
	put("baselines/12345.yaml", "version: 1\nclusters:\n"+cluster("000000012345", "prod"))

	accounts := wiring.NewAccounts(base, home, config.Org{ReadRole: "eksdrift-read", ExternalID: "xid-1", OrganizationID: orgID}, "detect")
	cfg, keys := s3Keys(base)
	shared := wiring.Baseline(wiring.BaselineSource(base, bucket, key, 0, 0), nil, discard())
	b := wiring.NewAccountBaselines(cfg, bucket, key, 0, 0, shared, accounts.Manages, nil, discard())
	tests := []struct {
		name, account string
		prod          bool   // whether the account's baseline declares its cluster prod
		err           string // "" no error
	}{
		{name: "an organization member's file", account: admitted, prod: true},
		{name: "a member's file speaking for another account", account: speaksForAnother, err: "is in account " + admitted + ", not " + speaksForAnother},
		{name: "a member's unreadable file", account: unreadable, err: "account " + unreadable + "'s baseline"},
		{name: "a member with no file", account: noFile},
		{name: "a forged account ID", account: forged},
		{name: "an account of another organization", account: stranger},
		{name: "not an account ID", account: "12345"},
		{name: "a path", account: "../" + admitted},
		{name: "a member with a space", account: admitted + " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := b.For(ctx, tt.account)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := ix.Cluster("444444444444", "us-west-2", "shared"); !ok {
				t.Errorf("the shared file's cluster: got none, want it")
			}
			if _, ok := ix.Cluster(tt.account, "us-west-2", "prod"); ok != tt.prod {
				t.Errorf("cluster prod of %s: got %v, want %v", tt.account, ok, tt.prod)
			}
		})
	}
	read := map[string]bool{}
	for _, k := range keys() {
		read[k] = true
	}
	for _, a := range []string{admitted, speaksForAnother, unreadable, noFile} {
		if !read[wiring.AccountKey(key, a)] {
			t.Errorf("S3 reads: got none of %s, want it read", wiring.AccountKey(key, a))
		}
	}
	for k := range read {
		switch k {
		case wiring.AccountKey(key, admitted), wiring.AccountKey(key, speaksForAnother), wiring.AccountKey(key, unreadable), wiring.AccountKey(key, noFile):
		default:
			t.Errorf("S3 read %q: got it, want no read of what an event names", k)
		}
	}

	// The reverter's hold-down holds for the admitted account's file: it
	// was written just now, so the previous baseline does not declare prod.
	ix, err := b.For(ctx, admitted)
	if err != nil {
		t.Fatal(err)
	}
	since, prev, err := b.Versions(time.Hour)(ctx, ix)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(since) > time.Minute {
		t.Errorf("since: got %v, want the account file's time, just now", since)
	}
	if prev != nil {
		if _, ok := prev.Cluster(admitted, "us-west-2", "prod"); ok {
			t.Errorf("the previous baseline declares prod: got true, want false (the file is younger than the hold-down)")
		}
	}
}

// When Organizations cannot say whether an account is the organization's,
// its baseline is unusable (nothing is reverted there) and nothing is read:
// the shared file alone could call drift what the account's file declares.
// Organizations' failure is a fake (MiniStack does not fail on demand).
func TestAccountBaselinesWhenOrganizationsFails(t *testing.T) {
	base := awstest.Config(t)
	bucket, key := object(t, base, "version: 1\nmode: alert\n")
	accounts := wiring.NewAccounts(base, home, config.Org{ReadRole: "eksdrift-read", ExternalID: "xid-1", OrganizationID: "o-abcdefghij"}, "detect")
	accounts.OrgMember = func(context.Context, string) (bool, error) {
		return false, errors.New("ThrottlingException: rate exceeded")
	}
	cfg, keys := s3Keys(base)
	shared := wiring.Baseline(wiring.BaselineSource(base, bucket, key, 0, 0), nil, discard())
	b := wiring.NewAccountBaselines(cfg, bucket, key, 0, 0, shared, accounts.Manages, nil, discard())
	_, err := b.For(context.Background(), member)
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") || !strings.Contains(err.Error(), wiring.AccountKey(key, member)) {
		t.Errorf("got %v, want an error naming the file and Organizations' failure", err)
	}
	var ae *drift.AccountError
	if errors.As(err, &ae) {
		t.Errorf("got a refusal %v, want an error that is not one", ae)
	}
	if got := keys(); len(got) != 0 {
		t.Errorf("S3 reads: got %v, want none", got)
	}
}
