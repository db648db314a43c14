package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// TestAccountBaselineWriteEndToEnd: in an organization deployment, a
// write that puts a principal in system:masters in a member's own file
// (baselines/<account>.yaml), made for real on MiniStack's versioned
// bucket and delivered as S3's notification, is a critical baseline
// finding naming the file and the account, with the diff of the merged
// baseline; a write to another object under baselines/ is reported as
// unexpected. Both used to be ignored ("not the baseline object").
func TestAccountBaselineWriteEndToEnd(t *testing.T) {
	w := setup(t, sample(t, "baseline.yaml"))
	ctx := context.Background()
	const member = "444455556666"
	w.Env[config.EnvMemberAccounts] = member
	w.Env[config.EnvMemberExternalID] = "xid-1"
	s3c := awss3.NewFromConfig(w.Config, func(o *awss3.Options) { o.UsePathStyle = true })
	file := `version: 1
clusters:
  - name: payments
    account: "` + member + `"
    region: us-west-2
    accessEntries:
      - principalArn: arn:aws:iam::` + member + `:role/dev
        kubernetesGroups: [%s]
`
	put := func(key, body string) string {
		t.Helper()
		out, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(w.Bucket), Key: aws.String(key), Body: strings.NewReader(body)})
		must(t, err)
		return aws.ToString(out.VersionId)
	}
	key := "baselines/" + member + ".yaml"
	put(key, strings.Replace(file, "%s", "dev", 1))
	version := put(key, strings.Replace(file, "%s", "dev, system:masters", 1))
	stray := "baselines/" + member + ".yaml.bak"
	strayVersion := put(stray, "anything")

	fn := w.start(t)
	notify := func(eventID, key, version string) string {
		event := strings.NewReplacer(
			"eksdrift-baselines-111122223333", w.Bucket,
			`"key": "baseline.yaml"`, `"key": "`+key+`"`,
			"Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", version,
			"6f1e2d3c-4b5a-4978-8e6d-5c4b3a291807", eventID,
		).Replace(string(sample(t, "s3-object-created-baseline.json")))
		if r := fn.Invoke(t, []byte(event)); r.Error != "" {
			t.Fatalf("invocation failed: %s\n%s", r.Error, fn.Logs())
		}
		return eventID + "#" + string(drift.KindBaseline) + "##s3://" + w.Bucket + "/" + key
	}
	tests := []struct {
		name, key, version string
		want               drift.Severity
		why, account       string
	}{
		{"system:masters in the account file", key, version, drift.SeverityCritical, "system:masters", member},
		{"a backup beside the account files", stray, strayVersion, drift.SeverityMedium, "unexpected object", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := notify("6f1e2d3c-4b5a-4978-8e6d-5c4b3a29180"+string(rune('a'+i)), tt.key, tt.version)
			f, found, err := w.History.Get(ctx, id)
			must(t, err)
			if !found {
				t.Fatalf("the baseline finding %s was not recorded:\n%s", id, fn.Logs())
			}
			if f.Severity != tt.want || f.Decision != drift.DecisionAlert || !strings.Contains(f.SeverityReason, tt.why) || f.NotifiedAt == nil {
				t.Errorf("got %s %s %q notified %v, want %s, alert, %q, notified", f.Severity, f.Decision, f.SeverityReason, f.NotifiedAt, tt.want, tt.why)
			}
			var o drift.BaselineObject
			must(t, json.Unmarshal(f.After, &o))
			if o.Account != tt.account {
				t.Errorf("got account %q, want %q", o.Account, tt.account)
			}
			if tt.account != "" && (o.VersionID != tt.version || len(o.Diff) == 0 || !strings.Contains(f.Reason, "account "+member)) {
				t.Errorf("got %+v, reason %q, want version %s with its diff, naming account %s", o, f.Reason, tt.version, member)
			}
		})
	}
}
