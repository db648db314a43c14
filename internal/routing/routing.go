// Package routing holds the EventBridge event patterns that send CloudTrail
// API events to the detector. They live here, once: the CDK stack builds its
// rules from them, and the tests check them against every sample in events/
// with EventBridge's own matcher (TestEventPattern on the emulator).
package routing

import (
	"encoding/json"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
)

// IAMRegion is the only region where IAM's CloudTrail events are delivered
// to EventBridge: IAM is a global service homed in us-east-1.
const IAMRegion = "us-east-1"

// Rule is one EventBridge rule's pattern and what it is for.
type Rule struct {
	// Name is a stable identifier, used for construct IDs and docs.
	Name string
	// Region is where the rule must live, "" for the detector's own region.
	Region string
	// Pattern is the EventBridge event pattern.
	Pattern Pattern
}

// Pattern is an EventBridge event pattern.
type Pattern map[string]any

// JSON renders the pattern as EventBridge takes it.
func (p Pattern) JSON() string {
	b, err := json.Marshal(p)
	if err != nil {
		panic("routing: pattern does not marshal: " + err.Error()) // only literals go in
	}
	return string(b)
}

// Rules are the detector's rules: EKS calls in the detector's region, IAM
// calls, which only us-east-1 sees (the stack forwards them when the
// detector lives elsewhere), and IAM Identity Center's permission-set calls,
// which its instance's region sees (the detector's region: see
// docs/deploy.md).
//
// Each pattern pins the AWS source (custom events cannot use an "aws."
// source, so a forged event does not match), the CloudTrail detail-type, the
// event source and the watched calls, and leaves out failed calls.
func Rules() []Rule {
	return []Rule{
		{Name: "eks-access-changes", Pattern: pattern("aws.eks", cloudtrail.SourceEKS)},
		{Name: "iam-access-changes", Region: IAMRegion, Pattern: pattern("aws.iam", cloudtrail.SourceIAM)},
		{Name: "sso-permission-set-changes", Pattern: pattern("aws.sso", cloudtrail.SourceSSO)},
	}
}

func pattern(source, eventSource string) Pattern {
	return Pattern{
		"source":      []string{source},
		"detail-type": []string{cloudtrail.DetailTypeAPICall},
		"detail": map[string]any{
			"eventSource": []string{eventSource},
			"eventName":   cloudtrail.WatchedEventNames(eventSource),
			"errorCode":   []map[string]bool{{"exists": false}},
		},
	}
}

// Names of the baseline rules, for construct IDs and docs.
const (
	RuleBaselineNotifications = "baseline-object-notifications"
	RuleBaselineDataEvents    = "baseline-object-data-events"
)

// BaselineRules are the rules that send writes to the baseline object
// s3://bucket/key to the detector, in the bucket's region: S3's own
// EventBridge notifications (the bucket must have them on), and CloudTrail
// data events, for trails that log the bucket's object writes. Both pin
// the bucket, and the exact key or the account files' folder beside it
// (drift.AccountBaselinesPrefix: baselines/<account>.yaml, and any other
// object there, which the detector reports as unexpected), so writes to
// other objects never reach the detector (which checks again).
func BaselineRules(bucket, key string) []Rule {
	keys := []any{key, map[string]string{"prefix": drift.AccountBaselinesPrefix(key)}}
	return []Rule{
		{Name: RuleBaselineNotifications, Pattern: Pattern{
			"source":      []string{"aws.s3"},
			"detail-type": []string{cloudtrail.DetailTypeObjectCreated, cloudtrail.DetailTypeObjectDeleted},
			"detail": map[string]any{
				"bucket": map[string]any{"name": []string{bucket}},
				"object": map[string]any{"key": keys},
			},
		}},
		{Name: RuleBaselineDataEvents, Pattern: Pattern{
			"source":      []string{"aws.s3"},
			"detail-type": []string{cloudtrail.DetailTypeAPICall},
			"detail": map[string]any{
				"eventSource": []string{cloudtrail.SourceS3},
				"eventName":   cloudtrail.WatchedEventNames(cloudtrail.SourceS3),
				"errorCode":   []map[string]bool{{"exists": false}},
				"requestParameters": map[string]any{
					"bucketName": []string{bucket},
					"key":        keys,
				},
			},
		}},
	}
}
