package wiring_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// These run on MiniStack without IAM enforced, where every role can be
// assumed: what they check is whom eksdrift asks, and how often.
// internal/orgtest checks trust policies and external IDs with IAM on.

const (
	home   = "000000000000"
	member = "222222222222"
)

func org(members ...string) config.Org {
	return config.Org{ReadRole: "eksdrift-read", RevertRole: "eksdrift-revert", ExternalID: "xid-1", Members: members}
}

func TestAccountsRefuseWhatIsNotAMember(t *testing.T) {
	a := wiring.NewAccounts(awstest.Config(t), home, org(member), "detect")
	for _, account := range []string{"333333333333", "", "*", "22222222222", member + " ", "../222222222222"} {
		t.Run(account, func(t *testing.T) {
			_, err := a.Config(context.Background(), account, "eksdrift-read")
			var ae *drift.AccountError
			if !errors.As(err, &ae) || !ae.Refused {
				t.Errorf("got %v, want a refusal", err)
			}
		})
	}
	if n := a.Assumes(); n != 0 {
		t.Errorf("assumes: got %d, want 0", n)
	}
}

func TestAccountsAssumeOncePerAccountAndRole(t *testing.T) {
	base := awstest.Config(t)
	a := wiring.NewAccounts(base, home, org(member), "revert")
	ctx := context.Background()
	cfg, err := a.Config(ctx, home, "eksdrift-read")
	if err != nil || cfg.Credentials != base.Credentials {
		t.Fatalf("home: got %v, want the function's own credentials", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 32 {
		for _, role := range []string{"eksdrift-read", "eksdrift-revert"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := a.Config(ctx, member, role)
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := a.Assumes(); n != 2 {
		t.Errorf("assumes: got %d, want 2 (one per role)", n)
	}
	// The credentials land in the member account, under a session that
	// names eksdrift and the function.
	cfg, err = a.Config(ctx, member, "eksdrift-revert")
	if err != nil {
		t.Fatal(err)
	}
	id, err := awssts.NewFromConfig(cfg).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::"+member+":assumed-role/eksdrift-revert/eksdrift-revert"; got != want {
		t.Errorf("caller: got %v, want %v", got, want)
	}
	built := 0
	per := wiring.PerAccount(a, "eksdrift-read", "test", func(aws.Config) int { built++; return built })
	for range 3 {
		if v, err := per(ctx, member); err != nil || v != 1 {
			t.Fatalf("PerAccount: got %v %v, want 1 built once", v, err)
		}
	}
	if _, err := per(ctx, "333333333333"); err == nil {
		t.Errorf("PerAccount of a stranger: got no error, want a refusal")
	}
}

func TestAccountBaselines(t *testing.T) {
	cfg := awstest.Config(t)
	ctx := context.Background()
	cluster := func(account, name string) string {
		return "  - {name: " + name + `, account: "` + account + `", region: us-west-2}` + "\n"
	}
	bucket, key := object(t, cfg, "version: 1\nmode: alert\nbreakGlass:\n  - {principal: arn:aws:iam::999999999999:role/glass, expires: \"2099-01-01T00:00:00Z\", allowLongExpiry: {reason: test}}\nclusters:\n"+cluster("444444444444", "shared"))
	s3c := awss3.NewFromConfig(cfg)
	put := func(account, body string) {
		_, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: aws.String(wiring.AccountKey(key, account)), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(member, "version: 1\nclusters:\n"+cluster(member, "prod"))
	put("333333333333", "version: 1\nclusters:\n"+cluster("333333333333", "prod"))                                                                                        // not managed: never read
	put("555555555555", "version: 1\nclusters:\n"+cluster("444444444444", "other"))                                                                                       // speaks for another account
	put("666666666666", "version: 1\nclusters: [")                                                                                                                        // unreadable
	put("777777777777", "version: 1\nbreakGlass:\n  - {principal: arn:aws:iam::777777777777:role/me, expires: \"2099-01-01T00:00:00Z\", allowLongExpiry: {reason: x}}\n") // widens break-glass
	shared := wiring.Baseline(wiring.BaselineSource(cfg, bucket, key, 0, 0), nil, discard())
	managed := func(_ context.Context, a string) (bool, error) { return a != "333333333333", nil }
	b := wiring.NewAccountBaselines(cfg, bucket, key, 0, 0, shared, managed, nil, discard())
	tests := []struct {
		account string
		cluster string // a cluster of the account the baseline must declare; "" none
		err     string
	}{
		{account: member, cluster: "prod"},
		{account: "888888888888"}, // no file: the shared baseline alone
		{account: "333333333333"}, // not managed: its file is never read
		{account: "555555555555", err: "is in account 444444444444, not 555555555555"},
		{account: "666666666666", err: "account 666666666666's baseline"},
		{account: "777777777777", err: "may not declare breakGlass"},
	}
	for _, tt := range tests {
		t.Run(tt.account, func(t *testing.T) {
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
			_, ok := ix.Cluster(tt.account, "us-west-2", "prod")
			if ok != (tt.cluster != "") {
				t.Errorf("cluster prod of %s: got %v, want %v", tt.account, ok, tt.cluster != "")
			}
			again, _ := b.For(ctx, tt.account)
			if again != ix {
				t.Errorf("a second read: got another index, want the same one (merged once per version pair)")
			}
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestAccountHoldDown: a grant written into an account file is held down as
// one written into the shared file is, even when the shared file changes
// after it (which must not make the account file's grant look old).
func TestAccountHoldDown(t *testing.T) {
	cfg := awstest.Config(t)
	ctx := context.Background()
	s3c := awss3.NewFromConfig(cfg)
	bucket, key := awstest.Name(t, "baseline"), "baseline.yaml"
	if _, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &bucket}); awstest.Created(err) != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	put := func(k, body string) {
		if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	entry := "arn:aws:iam::" + member + ":role/friend"
	file := func(grant bool) string {
		s := "version: 1\nclusters:\n  - name: prod\n    account: \"" + member + "\"\n    region: us-west-2\n    accessEntries:\n      - principalArn: arn:aws:iam::" + member + ":role/admin\n"
		if grant {
			s += "      - principalArn: " + entry + "\n"
		}
		return s
	}
	put(key, "version: 1\nmode: alert\n")
	put(wiring.AccountKey(key, member), file(false))
	put(wiring.AccountKey(key, member), file(true)) // the grant, just now
	put(key, "version: 1\nmode: revert\n")          // then the shared file
	shared := wiring.Baseline(wiring.BaselineSource(cfg, bucket, key, 0, 0), nil, discard())
	b := wiring.NewAccountBaselines(cfg, bucket, key, 0, 0, shared, func(context.Context, string) (bool, error) { return true, nil }, nil, discard())
	current, err := b.For(ctx, member)
	if err != nil {
		t.Fatal(err)
	}
	declared := func(ix *drift.Index) bool {
		if ix == nil {
			return false
		}
		c, ok := ix.Cluster(member, "us-west-2", "prod")
		if !ok {
			return false
		}
		for _, e := range c.AccessEntries {
			if e.PrincipalARN == entry {
				return true
			}
		}
		return false
	}
	if !declared(current) {
		t.Fatal("the current baseline does not declare the grant")
	}
	tests := []struct {
		name     string
		holdDown time.Duration
		want     bool // whether the previous baseline declares the grant
	}{
		{"both files younger than the hold-down: the grant is new", time.Hour, false},
		{"both files older than the hold-down: the grant is old", -time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			since, prev, err := b.Versions(tt.holdDown)(ctx, current)
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(since) > time.Minute {
				t.Errorf("since: got %v, want the younger file's time, just now", since)
			}
			if got := declared(prev); got != tt.want {
				t.Errorf("the previous baseline declares the grant: got %v, want %v", got, tt.want)
			}
		})
	}
}
