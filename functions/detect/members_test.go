package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// An OU-only deployment (EKSDRIFT_ORGANIZATION_ID, no member list) judges
// a change in an account Organizations admits against that account's own
// baselines/<account>.yaml, as it does a listed member's; it used to judge
// it against the shared file alone, leaving the account's clusters out of
// scope. An account Organizations does not know keeps the shared file.
func TestMembersJudgeOrganizationAccountsByTheirFile(t *testing.T) {
	cfg := awstest.Config(t)
	ctx := context.Background()
	orgID, accounts := awstest.Organization(t, cfg, "member", 1)
	member, forged := accounts[0], "123456789012"

	s3c := awss3.NewFromConfig(cfg)
	bucket, key := awstest.Name(t, "baseline"), "baseline.yaml"
	if _, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	put := func(k, body string) {
		if _, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	prod := func(account string) string {
		return "version: 1\nclusters:\n  - {name: prod, account: \"" + account + "\", region: us-west-2}\n"
	}
	put(key, "version: 1\nmode: alert\n")
	put(wiring.AccountKey(key, member), prod(member))
	put(wiring.AccountKey(key, forged), prod(forged))

	env := map[string]string{config.EnvOrganizationID: orgID, config.EnvMemberExternalID: "xid-1"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	shared := config.Shared{BaselineBucket: bucket, BaselineKey: key}
	d := &detect.Detector{Baseline: wiring.Baseline(wiring.BaselineSource(cfg, bucket, key, 0, 0), nil, log)}
	if err := members(ctx, func(k string) string { return env[k] }, cfg, shared, d, nil, log); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, account string
		want          bool
	}{
		{"admitted by Organizations", member, true},
		{"a forged account", forged, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := d.BaselineFor(ctx, tt.account)
			if err != nil {
				t.Fatal(err)
			}
			if _, got := ix.Cluster(tt.account, "us-west-2", "prod"); got != tt.want {
				t.Errorf("cluster prod of %s declared: got %v, want %v", tt.account, got, tt.want)
			}
		})
	}
}
