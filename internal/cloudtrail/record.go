// Package cloudtrail reads CloudTrail records, as EventBridge delivers them,
// as bare records, or as the log files a trail writes to S3, and turns the
// access-changing ones into drift.Change values.
//
// The record shapes are CloudTrail's, not the SDK's: this package needs no
// AWS client, and knows the traps of real records (URL-encoded path
// parameters, percent-encoded policy documents, epoch-number times in EKS
// responses, roles named without their path).
package cloudtrail

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Record is the part of a CloudTrail record that eksdrift reads. Unknown
// fields are ignored: CloudTrail adds fields with new event versions.
type Record struct {
	EventVersion                 string          `json:"eventVersion"`
	UserIdentity                 UserIdentity    `json:"userIdentity"`
	EventTime                    string          `json:"eventTime"`
	EventSource                  string          `json:"eventSource"`
	EventName                    string          `json:"eventName"`
	AWSRegion                    string          `json:"awsRegion"`
	SourceIPAddress              string          `json:"sourceIPAddress"`
	UserAgent                    string          `json:"userAgent"`
	ErrorCode                    string          `json:"errorCode"`
	ErrorMessage                 string          `json:"errorMessage"`
	RequestParameters            json.RawMessage `json:"requestParameters"`
	ResponseElements             json.RawMessage `json:"responseElements"`
	RequestID                    string          `json:"requestID"`
	EventID                      string          `json:"eventID"`
	ReadOnly                     *bool           `json:"readOnly"`
	EventType                    string          `json:"eventType"`
	RecipientAccountID           string          `json:"recipientAccountId"`
	SessionCredentialFromConsole string          `json:"sessionCredentialFromConsole"`
}

// UserIdentity is CloudTrail's description of the caller.
type UserIdentity struct {
	Type           string         `json:"type"`
	PrincipalID    string         `json:"principalId"`
	ARN            string         `json:"arn"`
	AccountID      string         `json:"accountId"`
	AccessKeyID    string         `json:"accessKeyId"`
	UserName       string         `json:"userName"`
	InvokedBy      string         `json:"invokedBy"`
	SessionContext SessionContext `json:"sessionContext"`
}

// SessionContext describes the session behind temporary credentials.
type SessionContext struct {
	SessionIssuer struct {
		Type     string `json:"type"`
		ARN      string `json:"arn"`
		UserName string `json:"userName"`
	} `json:"sessionIssuer"`
	Attributes struct {
		MFAAuthenticated string `json:"mfaAuthenticated"` // "true" or "false", a string
		CreationDate     string `json:"creationDate"`
	} `json:"attributes"`
}

// Actor canonicalises the caller: an assumed-role session becomes the role
// ARN with its path (from the session issuer), an AWS service its name.
func (r *Record) Actor() drift.Actor {
	u := r.UserIdentity
	a := drift.Actor{
		Type:      u.Type,
		AccountID: u.AccountID,
		InvokedBy: u.InvokedBy,
		SourceIP:  r.SourceIPAddress,
		UserAgent: r.UserAgent,
		Console:   r.SessionCredentialFromConsole == "true",
		MFA:       u.SessionContext.Attributes.MFAAuthenticated == "true",
	}
	switch u.Type {
	case "AWSService":
		a.ARN = firstNonEmpty(u.InvokedBy, r.SourceIPAddress, "aws-service")
	case "AssumedRole", "FederatedUser":
		a.ARN, a.SessionName = drift.CanonicalPrincipal(u.ARN, u.SessionContext.SessionIssuer.ARN)
	default:
		a.ARN = u.ARN
	}
	if a.ARN == "" {
		a.ARN = firstNonEmpty(u.PrincipalID, u.AccountID, u.Type, "unknown")
	}
	return a
}

// Account is the account the call acted on.
func (r *Record) Account() string {
	return firstNonEmpty(r.RecipientAccountID, r.UserIdentity.AccountID)
}

// Time parses eventTime.
func (r *Record) Time() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, r.EventTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("eventTime %q: %w", r.EventTime, err)
	}
	return t.UTC(), nil
}

func (r *Record) event() (drift.Event, error) {
	t, err := r.Time()
	if err != nil {
		return drift.Event{}, err
	}
	if r.EventID == "" {
		return drift.Event{}, fmt.Errorf("record has no eventID")
	}
	return drift.Event{
		ID:      r.EventID,
		Time:    t,
		Name:    r.EventName,
		Source:  r.EventSource,
		Account: r.Account(),
		Region:  r.AWSRegion,
		Actor:   r.Actor(),
	}, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// isNull reports whether a raw JSON value is absent or null.
func isNull(b json.RawMessage) bool {
	s := strings.TrimSpace(string(b))
	return s == "" || s == "null"
}
