package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/cloudtrail"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// TestRulesMatchTheSamples asks EventBridge's matcher (MiniStack's
// TestEventPattern) about every sample: each watched, successful call matches
// exactly its source's rule; failed, read-only and unrelated events match none.
func TestRulesMatchTheSamples(t *testing.T) {
	client := eventbridge.NewFromConfig(awstest.Config(t))
	files, _ := filepath.Glob("../../events/*.json")
	if len(files) < 25 {
		t.Fatalf("got %d samples", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Source string `json:"source"`
			Detail struct {
				EventSource string `json:"eventSource"`
				EventName   string `json:"eventName"`
				ErrorCode   string `json:"errorCode"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatal(err)
		}
		// What should match is derived from the sample, not from the patterns.
		want := ""
		if env.Detail.ErrorCode == "" && cloudtrail.IsWatched(env.Detail.EventSource, env.Detail.EventName) {
			want = map[string]string{"aws.eks": "eks-access-changes", "aws.iam": "iam-access-changes", "aws.sso": "sso-permission-set-changes"}[env.Source]
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			for _, r := range Rules() {
				got := matches(t, client, r.Pattern, data)
				if got != (r.Name == want) {
					t.Errorf("rule %s: got match %v, want %v", r.Name, got, r.Name == want)
				}
			}
		})
	}
}

func TestForgedEventsDoNotMatch(t *testing.T) {
	client := eventbridge.NewFromConfig(awstest.Config(t))
	real, err := os.ReadFile("../../events/eks-associate-access-policy-cluster-admin.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to string }{
		{"custom source", `"source": "aws.eks"`, `"source": "custom.eks"`},
		{"other detail-type", `"detail-type": "AWS API Call via CloudTrail"`, `"detail-type": "EKS Access Change"`},
		{"other event source", `"eventSource": "eks.amazonaws.com"`, `"eventSource": "evil.example.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forged := bytes.Replace(real, []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(forged, real) {
				t.Fatalf("the sample has no %s", tt.from)
			}
			for _, r := range Rules() {
				if matches(t, client, r.Pattern, forged) {
					t.Errorf("rule %s matches a forged event", r.Name)
				}
			}
		})
	}
}

func matches(t *testing.T, c *eventbridge.Client, p Pattern, event []byte) bool {
	t.Helper()
	out, err := c.TestEventPattern(context.Background(), &eventbridge.TestEventPatternInput{
		EventPattern: aws.String(p.JSON()),
		Event:        aws.String(string(event)),
	})
	if err != nil {
		t.Fatalf("TestEventPattern: %v", err)
	}
	return out.Result
}

func TestRulesShape(t *testing.T) {
	rules := Rules()
	if len(rules) != 3 || rules[1].Region != IAMRegion || rules[0].Region != "" || rules[2].Region != "" {
		t.Errorf("got %+v, want an EKS rule in the detector's region, an IAM rule in us-east-1 and an Identity Center rule in the detector's region", rules)
	}
	for _, r := range rules {
		if !strings.Contains(r.Pattern.JSON(), `"errorCode":[{"exists":false}]`) {
			t.Errorf("rule %s does not leave out failed calls: %s", r.Name, r.Pattern.JSON())
		}
	}
}

// TestBaselineRules asks EventBridge's matcher which samples the baseline
// rules take: the S3 samples of the baseline object each match their own
// rule; every other sample, and writes to any other object, match none.
func TestBaselineRules(t *testing.T) {
	client := eventbridge.NewFromConfig(awstest.Config(t))
	rules := BaselineRules("eksdrift-baselines-111122223333", "baseline.yaml")
	want := map[string]string{
		"s3-object-created-baseline":        RuleBaselineNotifications,
		"s3-object-deleted-baseline":        RuleBaselineNotifications,
		"s3-put-object-baseline-data-event": RuleBaselineDataEvents,
	}
	files, _ := filepath.Glob("../../events/*.json")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			for _, r := range rules {
				if got := matches(t, client, r.Pattern, data); got != (r.Name == want[name]) {
					t.Errorf("rule %s: got match %v, want %v", r.Name, got, r.Name == want[name])
				}
			}
		})
	}
	created, _ := os.ReadFile("../../events/s3-object-created-baseline.json")
	data, _ := os.ReadFile("../../events/s3-put-object-baseline-data-event.json")
	forged := []struct {
		name     string
		sample   []byte
		from, to string
	}{
		{"notification for another bucket", created, `"name": "eksdrift-baselines-111122223333"`, `"name": "eksdrift-baselines-999999999999"`},
		{"notification for another key", created, `"key": "baseline.yaml"`, `"key": "baseline.yaml.bak"`},
		{"notification from a custom source", created, `"source": "aws.s3"`, `"source": "custom.s3"`},
		{"other S3 notification", created, `"detail-type": "Object Created"`, `"detail-type": "Object Restore Completed"`},
		{"data event for another key", data, `"key": "baseline.yaml"`, `"key": "other.yaml"`},
		{"data event for another bucket", data, `"bucketName": "eksdrift-baselines-111122223333"`, `"bucketName": "evil"`},
		{"data event of a read", data, `"eventName": "PutObject"`, `"eventName": "GetObject"`},
		{"failed data event", data, `"eventName": "PutObject",`, `"eventName": "PutObject", "errorCode": "AccessDenied",`},
	}
	// Writes to the account files beside the baseline, and to any other
	// object in their folder (which the detector reports as unexpected),
	// reach the detector by both ways. They used to match neither rule:
	// an account file could be rewritten with no finding at all.
	account := []struct {
		name, rule string
		sample     []byte
		from, to   string
	}{
		{"notification for an account file", RuleBaselineNotifications, created, `"key": "baseline.yaml"`, `"key": "baselines/111122223333.yaml"`},
		{"data event for an account file", RuleBaselineDataEvents, data, `"key": "baseline.yaml"`, `"key": "baselines/111122223333.yaml"`},
		{"notification for a backup in the folder", RuleBaselineNotifications, created, `"key": "baseline.yaml"`, `"key": "baselines/111122223333.yaml.bak"`},
		{"data event for a dot-dot key in the folder", RuleBaselineDataEvents, data, `"key": "baseline.yaml"`, `"key": "baselines/../x"`},
	}
	for _, tt := range account {
		t.Run(tt.name, func(t *testing.T) {
			ev := bytes.Replace(tt.sample, []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(ev, tt.sample) {
				t.Fatalf("the sample has no %s", tt.from)
			}
			for _, r := range rules {
				if got := matches(t, client, r.Pattern, ev); got != (r.Name == tt.rule) {
					t.Errorf("rule %s: got match %v, want %v", r.Name, got, r.Name == tt.rule)
				}
			}
		})
	}
	forged = append(forged, []struct {
		name     string
		sample   []byte
		from, to string
	}{
		{"notification for a folder named like the account files'", created, `"key": "baseline.yaml"`, `"key": "baselinesx/111122223333.yaml"`},
		{"data event for an account file of another folder", data, `"key": "baseline.yaml"`, `"key": "prod/baselines/111122223333.yaml"`},
	}...)
	for _, tt := range forged {
		t.Run(tt.name, func(t *testing.T) {
			ev := bytes.Replace(tt.sample, []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(ev, tt.sample) {
				t.Fatalf("the sample has no %s", tt.from)
			}
			for _, r := range append(rules, Rules()...) {
				if matches(t, client, r.Pattern, ev) {
					t.Errorf("rule %s matches", r.Name)
				}
			}
		})
	}
}
