package cloudtrail

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Writes to an S3 object reach eksdrift two ways, and both become a change
// of kind baseline (drift.BaselineObject); the caller decides whether the
// object is the baseline (drift.Evaluator.Judges, the detector's bucket
// and key):
//
//   - CloudTrail data events (eventSource s3.amazonaws.com), on trails
//     that log the baseline bucket's object writes: they carry the full
//     userIdentity of the writer.
//   - S3's own EventBridge notifications ("Object Created", "Object
//     Deleted", source aws.s3), sent when the bucket has EventBridge
//     notifications on: they need no trail, but name the writer only by
//     its account (detail.requester) and source IP address.

// SourceS3 is the event source of S3's CloudTrail data events.
const SourceS3 = "s3.amazonaws.com"

// The detail-types of S3's EventBridge notifications eksdrift reads.
const (
	DetailTypeObjectCreated = "Object Created"
	DetailTypeObjectDeleted = "Object Deleted"
)

// s3Writes are the S3 calls that make a new version of an object, or
// delete it; they are in watched, with SourceS3.
var s3Writes = map[string]drift.Op{
	"PutObject":               drift.OpModified,
	"CopyObject":              drift.OpModified,
	"CompleteMultipartUpload": drift.OpModified,
	"DeleteObject":            drift.OpRemoved,
}

func translateS3(r *Record, ev drift.Event) ([]drift.Change, string, error) {
	var req struct {
		BucketName string `json:"bucketName"`
		Key        string `json:"key"`
	}
	var resp struct {
		VersionID string `json:"x-amz-version-id"`
	}
	if err := decodeInto(r.RequestParameters, "requestParameters", &req); err != nil {
		return nil, "", err
	}
	if err := decodeInto(r.ResponseElements, "responseElements", &resp); err != nil {
		return nil, "", err
	}
	if req.BucketName == "" || req.Key == "" {
		return nil, "", fmt.Errorf("requestParameters has no bucketName or key")
	}
	op, ok := s3Writes[r.EventName]
	if !ok {
		return nil, IgnoredUnwatched, nil
	}
	obj := drift.NewBaselineObject(req.BucketName, req.Key)
	obj.VersionID = resp.VersionID
	return []drift.Change{{Event: ev, Op: op, Resource: obj}}, "", nil
}

// isS3ObjectEvent reports whether an EventBridge detail-type is one of
// S3's object notifications that eksdrift reads.
func isS3ObjectEvent(detailType string) bool {
	return detailType == DetailTypeObjectCreated || detailType == DetailTypeObjectDeleted
}

// s3ObjectRecord reads an S3 EventBridge notification into the Record a
// CloudTrail data event of the same write would give, so that one
// translation serves both. S3 names the writer by account (or AWS
// service) only; the record says so by its identity type.
func s3ObjectRecord(data []byte) (Record, error) {
	var ev struct {
		ID         string `json:"id"`
		DetailType string `json:"detail-type"`
		Source     string `json:"source"`
		Account    string `json:"account"`
		Time       string `json:"time"`
		Region     string `json:"region"`
		Detail     *struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				VersionID string `json:"version-id"`
			} `json:"object"`
			RequestID       string `json:"request-id"`
			Requester       string `json:"requester"`
			SourceIPAddress string `json:"source-ip-address"`
			Reason          string `json:"reason"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return Record{}, fmt.Errorf("S3 event: %w", err)
	}
	if ev.Source != "aws.s3" {
		return Record{}, fmt.Errorf("%s event from source %q, want aws.s3", ev.DetailType, ev.Source)
	}
	if ev.Detail == nil {
		return Record{}, fmt.Errorf("EventBridge event has no detail")
	}
	d := ev.Detail
	// The call that made the event; S3 gives the reason, such as
	// PutObject or "Lifecycle Expiration". A deletion by any means is a
	// deletion, and a creation by a call eksdrift does not list a write.
	name := "PutObject"
	if ev.DetailType == DetailTypeObjectDeleted {
		name = "DeleteObject"
	} else if _, ok := s3Writes[d.Reason]; ok {
		name = d.Reason
	}
	req, _ := json.Marshal(map[string]string{"bucketName": d.Bucket.Name, "key": d.Object.Key})
	resp, _ := json.Marshal(map[string]string{"x-amz-version-id": d.Object.VersionID})
	// The account, not its root user: S3 does not say which principal.
	id := UserIdentity{Type: "AWSAccount", AccountID: d.Requester, PrincipalID: d.Requester}
	if strings.Contains(d.Requester, ".amazonaws.com") {
		id = UserIdentity{Type: "AWSService", InvokedBy: d.Requester}
	}
	return Record{
		EventVersion:       "s3-eventbridge",
		UserIdentity:       id,
		EventTime:          ev.Time,
		EventSource:        SourceS3,
		EventName:          name,
		AWSRegion:          ev.Region,
		SourceIPAddress:    d.SourceIPAddress,
		UserAgent:          "S3 EventBridge notification: " + ev.DetailType + " (" + firstNonEmpty(d.Reason, "no reason given") + ")",
		RequestParameters:  req,
		ResponseElements:   resp,
		RequestID:          d.RequestID,
		EventID:            ev.ID,
		RecipientAccountID: ev.Account,
	}, nil
}
