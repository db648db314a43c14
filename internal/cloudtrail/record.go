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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Record is the part of a CloudTrail record that eksdrift reads. Unknown
// fields are ignored: CloudTrail adds fields with new event versions. Its
// UnmarshalJSON takes the types real exports drift to.
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
	// SenderAccount is the EventBridge envelope's account when the record
	// came in an event: EventBridge sets it to the account the event was
	// put in (a spoke's rule forwards it unchanged), and no sender can
	// forge it, unlike every field of the detail. "" for a bare record or
	// a log file's.
	SenderAccount string `json:"-"`
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

// UnmarshalJSON reads a record as CloudTrail writes it, and as exports and
// SIEMs rewrite it: readOnly as "False", sessionCredentialFromConsole as a
// boolean, numbers where strings belong. A field eksdrift needs (the
// event's name, source, time and ID, who made the call) is converted when
// it is a number or a boolean, and rejects the record only when it is an
// object or a list; a field eksdrift only shows or does not use never
// rejects it.
func (r *Record) UnmarshalJSON(data []byte) error {
	// Most records have CloudTrail's types: decoded as they are, they give
	// what the wire shape gives, at a third of the allocations.
	type plain Record
	*r = Record{}
	err := json.Unmarshal(data, (*plain)(r))
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	var w wireRecord
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*r = Record{
		EventVersion: string(w.EventVersion), EventTime: string(w.EventTime), EventSource: string(w.EventSource),
		EventName: string(w.EventName), AWSRegion: string(w.AWSRegion), SourceIPAddress: string(w.SourceIPAddress),
		UserAgent: string(w.UserAgent), ErrorCode: string(w.ErrorCode), ErrorMessage: string(w.ErrorMessage),
		RequestParameters: w.RequestParameters, ResponseElements: w.ResponseElements, RequestID: string(w.RequestID),
		EventID: string(w.EventID), ReadOnly: w.ReadOnly.v, EventType: string(w.EventType),
		RecipientAccountID: string(w.RecipientAccountID), SessionCredentialFromConsole: string(w.SessionCredentialFromConsole),
		UserIdentity: UserIdentity{
			Type: string(w.UserIdentity.Type), PrincipalID: string(w.UserIdentity.PrincipalID), ARN: string(w.UserIdentity.ARN),
			AccountID: string(w.UserIdentity.AccountID), AccessKeyID: string(w.UserIdentity.AccessKeyID),
			UserName: string(w.UserIdentity.UserName), InvokedBy: string(w.UserIdentity.InvokedBy),
		},
	}
	sc := &r.UserIdentity.SessionContext
	wi := w.UserIdentity.SessionContext.SessionIssuer
	sc.SessionIssuer.Type, sc.SessionIssuer.ARN, sc.SessionIssuer.UserName = string(wi.Type), string(wi.ARN), string(wi.UserName)
	wa := w.UserIdentity.SessionContext.Attributes
	sc.Attributes.MFAAuthenticated, sc.Attributes.CreationDate = string(wa.MFAAuthenticated), string(wa.CreationDate)
	return nil
}

// The wire shape of a record: text for fields that are needed, loose for
// those that are only shown or not used.
type (
	wireRecord struct {
		EventVersion                 loose           `json:"eventVersion"`
		UserIdentity                 wireIdentity    `json:"userIdentity"`
		EventTime                    text            `json:"eventTime"`
		EventSource                  text            `json:"eventSource"`
		EventName                    text            `json:"eventName"`
		AWSRegion                    text            `json:"awsRegion"`
		SourceIPAddress              loose           `json:"sourceIPAddress"`
		UserAgent                    loose           `json:"userAgent"`
		ErrorCode                    errorCode       `json:"errorCode"`
		ErrorMessage                 loose           `json:"errorMessage"`
		RequestParameters            json.RawMessage `json:"requestParameters"`
		ResponseElements             json.RawMessage `json:"responseElements"`
		RequestID                    loose           `json:"requestID"`
		EventID                      text            `json:"eventID"`
		ReadOnly                     flag            `json:"readOnly"`
		EventType                    loose           `json:"eventType"`
		RecipientAccountID           text            `json:"recipientAccountId"`
		SessionCredentialFromConsole loose           `json:"sessionCredentialFromConsole"`
	}
	wireIdentity struct {
		Type           text        `json:"type"`
		PrincipalID    text        `json:"principalId"`
		ARN            text        `json:"arn"`
		AccountID      text        `json:"accountId"`
		AccessKeyID    loose       `json:"accessKeyId"`
		UserName       loose       `json:"userName"`
		InvokedBy      text        `json:"invokedBy"`
		SessionContext wireSession `json:"sessionContext"`
	}
	wireSession struct {
		SessionIssuer struct {
			Type     loose `json:"type"`
			ARN      text  `json:"arn"`
			UserName loose `json:"userName"`
		} `json:"sessionIssuer"`
		Attributes wireAttributes `json:"attributes"`
	}
	wireAttributes struct {
		MFAAuthenticated loose `json:"mfaAuthenticated"`
		CreationDate     loose `json:"creationDate"`
	}
)

var stringType = reflect.TypeFor[string]()

// text is a string field eksdrift needs: a string, or a number or boolean
// as written; null is empty. An object or a list is an error.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	s, ok, err := scalar(b)
	if !ok {
		return &json.UnmarshalTypeError{Value: kind(b), Type: stringType}
	}
	*t = text(s)
	return err
}

// loose is a string field eksdrift only shows: as text, or empty when it is
// an object or a list.
type loose string

func (l *loose) UnmarshalJSON(b []byte) error {
	s, _, err := scalar(b)
	*l = loose(s)
	return err
}

// errorCode is set when the call failed: any value but null, "" and false.
type errorCode string

func (e *errorCode) UnmarshalJSON(b []byte) error {
	if !errorCodeSet(b) {
		*e = ""
		return nil
	}
	s, ok, err := scalar(b)
	if !ok || s == "" {
		s = kind(b) // still a failed call
	}
	*e = errorCode(s)
	return err
}

// flag is a boolean written as one, or as the string "true" or "false" in
// any case; anything else leaves it unknown.
type flag struct{ v *bool }

func (f *flag) UnmarshalJSON(b []byte) error {
	f.v = nil
	if v, ok := parseFlag(b); ok {
		f.v = &v
	}
	return nil
}

// parseFlag reads a raw JSON value as a flag; ok is false when it is
// neither true nor false.
func parseFlag(b []byte) (v, ok bool) {
	b = bytes.Trim(b, `"`)
	switch {
	case bytes.EqualFold(b, []byte("true")):
		return true, true
	case bytes.EqualFold(b, []byte("false")):
		return false, true
	}
	return false, false
}

// flagTrue reports whether a raw JSON value reads as true for a flag.
func flagTrue(b []byte) bool {
	v, ok := parseFlag(b)
	return ok && v
}

// errorCodeSet reports whether a raw errorCode value says the call failed.
func errorCodeSet(b []byte) bool {
	switch string(b) {
	case "", "null", `""`, "false":
		return false
	}
	return true
}

// scalar gives the text of a raw JSON scalar: a string unquoted, a number or
// boolean as written, null as "". ok is false for an object or a list.
func scalar(b []byte) (s string, ok bool, err error) {
	if len(b) == 0 {
		return "", true, nil
	}
	switch b[0] {
	case '"':
		if in := b[1 : len(b)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
			return string(in), true, nil
		}
		err = json.Unmarshal(b, &s)
		return s, true, err
	case 'n':
		return "", true, nil
	case '{', '[':
		return "", false, nil
	}
	return string(b), true, nil
}

// kind names a raw JSON value's type, for errors.
func kind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// UnmarshalJSON reads the session's attributes, which eksdrift only shows:
// a value of another type than an object leaves them empty.
func (a *wireAttributes) UnmarshalJSON(b []byte) error {
	*a = wireAttributes{}
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	type plain wireAttributes
	return json.Unmarshal(b, (*plain)(a))
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

// Account is the account the call acted on, as far as eksdrift trusts it:
// the envelope's (SenderAccount) when the record came in an EventBridge
// event, else recipientAccountId, else the caller's account. An event whose
// detail names another account than its envelope is not believed about
// that account: see AccountConflict.
func (r *Record) Account() string {
	return firstNonEmpty(r.SenderAccount, r.RecipientAccountID, r.UserIdentity.AccountID)
}

// AccountConflict says how an event's detail disagrees with its envelope
// about the account, "" when it does not (or there is no envelope). A
// member account can put events on the hub's bus, so a detail naming
// another account (recipientAccountId) is a claim about someone else's
// account that only the envelope could vouch for, and it does not. The
// caller's own account (userIdentity.accountId) may differ from both: a
// role of another account acting here is an ordinary cross-account call.
func (r *Record) AccountConflict() string {
	if r.SenderAccount == "" || r.RecipientAccountID == "" || r.SenderAccount == r.RecipientAccountID {
		return ""
	}
	return fmt.Sprintf("the event came from account %s but its record says account %s (recipientAccountId)", r.SenderAccount, r.RecipientAccountID)
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
