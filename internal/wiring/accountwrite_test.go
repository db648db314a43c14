package wiring_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// The account files' folder the detector watches is where AccountKey puts
// them, and only exactly <account>.yaml there names an account.
func TestAccountKeyIsTheWatchedFolder(t *testing.T) {
	for _, key := range []string{"baseline.yaml", "prod/baseline.yaml", "a/b/eksdrift.yaml"} {
		t.Run(key, func(t *testing.T) {
			k := wiring.AccountKey(key, "111122223333")
			if got, problem, in := drift.AccountOfBaselineKey(key, k); got != "111122223333" || problem != "" || !in {
				t.Errorf("got %q %q %v, want account 111122223333 of %s", got, problem, in, k)
			}
			for _, stray := range []string{k + ".bak", strings.Replace(k, "111122223333", "12345", 1), drift.AccountBaselinesPrefix(key) + "../x"} {
				if got, problem, in := drift.AccountOfBaselineKey(key, stray); got != "" || problem == "" || !in {
					t.Errorf("%s: got %q %q %v, want no account, a problem, in the folder", stray, got, problem, in)
				}
			}
		})
	}
}

// TestAccountBaselineVersions reads an account file's versions from
// MiniStack's versioned S3 around each write and merges each with the
// shared baseline: what the detector diffs is the account's baseline before
// and after, so a grant written into the account file shows as new, and a
// deleted file leaves the shared baseline alone in force.
func TestAccountBaselineVersions(t *testing.T) {
	base := awstest.Config(t)
	ctx := context.Background()
	const account = "111122223333"
	cluster := `clusters:
  - name: prod
    account: "` + account + `"
    region: us-west-2
    accessEntries:
      - principalArn: arn:aws:iam::` + account + `:role/dev
        kubernetesGroups: [%s]
`
	bucket, key := object(t, base, "version: 1\nmode: alert\n")
	s3c := awss3.NewFromConfig(base)
	if _, err := s3c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	file := wiring.AccountKey(key, account)
	put := func(body string) string {
		t.Helper()
		out, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: aws.String(file), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	shared := wiring.Baseline(wiring.BaselineSource(base, bucket, key, 0, 0), nil, discard())
	read := wiring.AccountBaselineVersions(base, bucket, key, shared)

	first := put("version: 1\n" + strings.Replace(cluster, "%s", "dev", 1))
	second := put("version: 1\n" + strings.Replace(cluster, "%s", "dev, system:masters", 1))
	broken := put("version: 1\nbreakGlass:\n  - {principal: \"arn:aws:iam::" + account + ":role/me\", reason: mine, expires: \"2026-12-20T00:00:00Z\"}\n")
	put("version: 1\n" + strings.Replace(cluster, "%s", "dev", 1))
	del, err := s3c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &bucket, Key: aws.String(file)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, version string
		deleted       bool
		// want is the most severe delta's severity, "" for a new version
		// that cannot be used (nextErr says why).
		want    drift.Severity
		nextErr string
	}{
		{name: "the first file: everything it grants beyond the shared one", version: first, want: drift.SeverityMedium},
		{name: "system:masters added", version: second, want: drift.SeverityCritical},
		{name: "breakGlass in an account file", version: broken, nextErr: "only the shared"},
		{name: "deleted: the shared baseline alone, its cluster undeclared", version: aws.ToString(del.VersionId), deleted: true, want: drift.SeverityHigh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.version
			if tt.deleted {
				v = ""
			}
			a, err := read(ctx, account, v, tt.deleted)
			if err != nil {
				t.Fatal(err)
			}
			if tt.nextErr != "" {
				if a.Next != nil || a.NextErr == nil || !strings.Contains(a.NextErr.Error(), tt.nextErr) {
					t.Fatalf("got next %v, error %v, want an unusable version saying %q", a.Next, a.NextErr, tt.nextErr)
				}
				return
			}
			if a.Next == nil || a.Previous == nil {
				t.Fatalf("got previous %v (%v), next %v (%v), want both merged", a.Previous, a.PreviousErr, a.Next, a.NextErr)
			}
			diff := drift.DiffBaselines(a.Previous, a.Next)
			if len(diff) == 0 || diff[0].Severity != tt.want {
				t.Errorf("got diff %v, want its most severe %v", diff, tt.want)
			}
			if a.Next.Mode != drift.ModeAlert {
				t.Errorf("got mode %q, want the shared file's alert merged in", a.Next.Mode)
			}
		})
	}
}
