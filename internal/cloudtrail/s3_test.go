package cloudtrail

import (
	"os"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestS3Writes(t *testing.T) {
	created, err := os.ReadFile("../../events/s3-object-created-baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../events/s3-put-object-baseline-data-event.json")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(b []byte, from, to string) []byte {
		if !strings.Contains(string(b), from) {
			t.Fatalf("the sample has no %s", from)
		}
		return []byte(strings.Replace(string(b), from, to, 1))
	}
	tests := []struct {
		name      string
		input     []byte
		op        drift.Op
		eventName string
		actor     string
		actorType string
		version   string
		err       string // an error from Decode or Changes
		ignored   string
	}{
		{"notification of a put", created, drift.OpModified, "PutObject", "111122223333", "AWSAccount", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", "", ""},
		{"notification of a copy", edit(created, `"reason": "PutObject"`, `"reason": "CopyObject"`), drift.OpModified, "CopyObject", "111122223333", "AWSAccount", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", "", ""},
		{"notification of an unknown way to create", edit(created, `"reason": "PutObject"`, `"reason": "RestoreObject"`), drift.OpModified, "PutObject", "111122223333", "AWSAccount", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", "", ""},
		{"deletion by a lifecycle rule", edit(edit(created, `"detail-type": "Object Created"`, `"detail-type": "Object Deleted"`), `"requester": "111122223333"`, `"requester": "s3.amazonaws.com"`),
			drift.OpRemoved, "DeleteObject", "s3.amazonaws.com", "AWSService", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", "", ""},
		{"forged notification source", edit(created, `"source": "aws.s3"`, `"source": "custom.s3"`), "", "", "", "", "", "want aws.s3", ""},
		{"data event", data, drift.OpModified, "PutObject", "arn:aws:iam::111122223333:role/ci/ci-deployer", "AssumedRole", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", "", ""},
		{"data event of a delete", edit(data, `"eventName": "PutObject"`, `"eventName": "DeleteObject"`), drift.OpRemoved, "DeleteObject", "arn:aws:iam::111122223333:role/ci/ci-deployer", "AssumedRole", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", "", ""},
		{"data event without a key", edit(data, `"key": "baseline.yaml"`, `"prefix": "baseline.yaml"`), "", "", "", "", "", "no bucketName or key", ""},
		{"failed data event", edit(data, `"eventName": "PutObject",`, `"eventName": "PutObject", "errorCode": "AccessDenied",`), "", "", "", "", "", "", IgnoredFailed},
		{"a read", edit(data, `"eventName": "PutObject"`, `"eventName": "GetObject"`), "", "", "", "", "", "", IgnoredUnwatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode(tt.input)
			var changes []drift.Change
			ignored := ""
			if err == nil {
				changes, ignored, err = Changes(&b.Records[0])
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ignored != tt.ignored {
				t.Fatalf("got ignored %q, want %q", ignored, tt.ignored)
			}
			if tt.ignored != "" {
				return
			}
			if len(changes) != 1 {
				t.Fatalf("got %d changes, want 1", len(changes))
			}
			c := changes[0]
			o, ok := c.Resource.(*drift.BaselineObject)
			if !ok {
				t.Fatalf("got %T, want *drift.BaselineObject", c.Resource)
			}
			if o.URI != "s3://eksdrift-baselines-111122223333/baseline.yaml" || o.VersionID != tt.version {
				t.Errorf("got %s version %s, want the baseline object version %s", o.URI, o.VersionID, tt.version)
			}
			if c.Op != tt.op || c.Event.Name != tt.eventName || c.Event.Source != SourceS3 {
				t.Errorf("got %v %v %v, want %v %v %v", c.Op, c.Event.Name, c.Event.Source, tt.op, tt.eventName, SourceS3)
			}
			if c.Event.Actor.ARN != tt.actor || c.Event.Actor.Type != tt.actorType {
				t.Errorf("got actor %v (%v), want %v (%v)", c.Event.Actor.ARN, c.Event.Actor.Type, tt.actor, tt.actorType)
			}
			if c.Event.Account != "111122223333" || c.Event.Region != "us-west-2" || c.Event.ID == "" {
				t.Errorf("got event %+v, want account, region and id", c.Event)
			}
		})
	}
}
