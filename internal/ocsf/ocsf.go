// Package ocsf converts eksdrift's findings and the outcomes of their
// reverts into OCSF Detection Findings (class 2004, category Findings), the
// schema Amazon Security Lake and many SIEMs ingest, for
// `eksdrift history|replay --output ocsf`.
//
// It is a rendering, like internal/slack's: it imports only the domain and
// notice, and calls nothing. The finding's uid is securityhub.ID's, derived from
// the drift key, so that an SIEM that follows finding_info.uid sees one
// finding per resource open, update and close, as Security Hub does.
// Untrusted text is reduced to one printable line (notice.Line).
package ocsf

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// Version is the OCSF schema version the events follow.
const Version = "1.3.0"

// The class, its category and its activities.
const (
	ClassUID    = 2004
	CategoryUID = 2

	ActivityCreate = 1
	ActivityUpdate = 2
	ActivityClose  = 3

	StatusNew      = 1
	StatusResolved = 4
)

// Event is one Detection Finding. Its field names are OCSF's attribute
// names; testdata holds the excerpt of the schema it is validated against.
type Event struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	// Time is when this version of the finding was made, in milliseconds
	// since the epoch, as every OCSF timestamp.
	Time       int64  `json:"time"`
	SeverityID int    `json:"severity_id"`
	Severity   string `json:"severity"`
	StatusID   int    `json:"status_id"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	IsAlert    bool   `json:"is_alert"`

	FindingInfo FindingInfo  `json:"finding_info"`
	Resources   []Resource   `json:"resources,omitempty"`
	Actor       *Actor       `json:"actor,omitempty"`
	API         *API         `json:"api,omitempty"`
	SrcEndpoint *Endpoint    `json:"src_endpoint,omitempty"`
	HTTPRequest *HTTPRequest `json:"http_request,omitempty"`
	Cloud       Cloud        `json:"cloud"`
	Metadata    Metadata     `json:"metadata"`
}

// FindingInfo is OCSF's finding_info object.
type FindingInfo struct {
	UID          string    `json:"uid"`
	Title        string    `json:"title"`
	Desc         string    `json:"desc,omitempty"`
	Types        []string  `json:"types,omitempty"`
	CreatedTime  int64     `json:"created_time"`
	ModifiedTime int64     `json:"modified_time,omitempty"`
	SrcURL       string    `json:"src_url,omitempty"`
	Analytic     *Analytic `json:"analytic,omitempty"`
}

// Analytic names the rule that judged the finding.
type Analytic struct {
	Name   string `json:"name"`
	TypeID int    `json:"type_id"` // 1: Rule
	Type   string `json:"type"`
}

// Resource is OCSF's resource_details object.
type Resource struct {
	UID            string `json:"uid,omitempty"`
	Name           string `json:"name,omitempty"`
	Type           string `json:"type"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition,omitempty"`
}

// Actor is who made the change.
type Actor struct {
	User      *User    `json:"user,omitempty"`
	Session   *Session `json:"session,omitempty"`
	InvokedBy string   `json:"invoked_by,omitempty"`
}

// User is OCSF's user object.
type User struct {
	UID     string   `json:"uid,omitempty"`
	Name    string   `json:"name,omitempty"`
	Type    string   `json:"type,omitempty"`
	Account *Account `json:"account,omitempty"`
}

// Session is OCSF's session object: the assumed role's session.
type Session struct {
	UID    string `json:"uid,omitempty"`
	Issuer string `json:"issuer,omitempty"`
}

// Account is OCSF's account object.
type Account struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"` // 10: AWS Account
	Type   string `json:"type"`
}

// API is the CloudTrail call behind the finding.
type API struct {
	Operation string  `json:"operation"`
	Service   Service `json:"service"`
	Request   Request `json:"request"`
}

// Service is OCSF's service object.
type Service struct {
	Name string `json:"name"`
}

// Request is OCSF's request object.
type Request struct {
	UID string `json:"uid"`
}

// Endpoint is OCSF's network_endpoint object.
type Endpoint struct {
	IP string `json:"ip"`
}

// HTTPRequest is OCSF's http_request object.
type HTTPRequest struct {
	UserAgent string `json:"user_agent"`
}

// Cloud is OCSF's cloud object.
type Cloud struct {
	Provider string   `json:"provider"`
	Account  *Account `json:"account,omitempty"`
	Region   string   `json:"region,omitempty"`
}

// Metadata is OCSF's metadata object.
type Metadata struct {
	Version string `json:"version"`
	UID     string `json:"uid"`
	// Profiles lists "cloud": the Cloud profile, which adds cloud and api.
	Profiles []string `json:"profiles"`
	Product  Product  `json:"product"`
}

// Product is OCSF's product object.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

// Finding converts f; at is when this version of it was made (the history
// output passes the time of its event, so that it is reproducible).
func Finding(f drift.Finding, at time.Time) Event {
	if at.IsZero() {
		at = f.EventTime
	}
	created := f.EventTime
	if created.IsZero() {
		created = at
	}
	activity, status := ActivityCreate, StatusNew
	switch {
	case !drift.IsOpen(f):
		activity, status = ActivityClose, StatusResolved
	case f.Outcome != nil:
		activity = ActivityUpdate
	}
	n := notice.Of(f)
	line := func(s string) string { return clip(notice.Line(s), 4096) }
	e := Event{
		ActivityID: activity, ActivityName: activityNames[activity],
		CategoryUID: CategoryUID, CategoryName: "Findings",
		ClassUID: ClassUID, ClassName: "Detection Finding",
		TypeUID: ClassUID*100 + activity, TypeName: "Detection Finding: " + activityNames[activity],
		Time:       at.UnixMilli(),
		SeverityID: severityID(f), Status: statusNames[status], StatusID: status,
		Message: line(n.Summary),
		IsAlert: drift.IsOpen(f),
		FindingInfo: FindingInfo{
			UID:          ID(f),
			Title:        line(n.Title),
			Desc:         line(description(f, n)),
			Types:        []string{"eksdrift/" + kind(f.Kind)},
			CreatedTime:  created.UnixMilli(),
			ModifiedTime: at.UnixMilli(),
			SrcURL:       sourceURL(f),
			Analytic:     &Analytic{Name: "eksdrift/" + kind(f.Kind) + "/" + op(f.Change), TypeID: 1, Type: "Rule"},
		},
		Resources: resources(f),
		Cloud:     Cloud{Provider: "AWS", Region: region(f)},
		Metadata: Metadata{
			Version:  Version,
			UID:      line(f.ID()),
			Profiles: []string{"cloud"},
			Product:  Product{Name: "eksdrift", VendorName: "eksdrift"},
		},
	}
	e.Severity = severityNames[e.SeverityID]
	if acct := line(f.Account); acct != "" {
		e.Cloud.Account = &Account{UID: acct, TypeID: 10, Type: "AWS Account"}
	}
	if f.Actor != "" {
		u := &User{UID: line(f.Actor), Name: line(actorName(f)), Type: line(f.ActorType)}
		if a, ok := drift.ParseARN(f.Actor); ok && a.Account != "" {
			u.Account = &Account{UID: line(a.Account), TypeID: 10, Type: "AWS Account"}
		}
		e.Actor = &Actor{User: u}
		if f.ActorSession != "" {
			e.Actor.Session = &Session{UID: line(f.ActorSession), Issuer: line(f.Actor)}
		}
	}
	if f.EventName != "" {
		e.API = &API{Operation: line(f.EventName), Service: Service{Name: line(f.EventSource)}, Request: Request{UID: line(f.EventID)}}
	}
	if f.SourceIP != "" {
		e.SrcEndpoint = &Endpoint{IP: line(f.SourceIP)}
	}
	if f.UserAgent != "" {
		e.HTTPRequest = &HTTPRequest{UserAgent: line(f.UserAgent)}
	}
	return e
}

// Outcome converts the outcome of a revert: the finding's uid, updated (or
// closed, when the drift is gone) at o.At.
func Outcome(o drift.Outcome) Event {
	f := o.Finding
	r := o.Result
	f.Outcome = &r
	return Finding(f, o.At)
}

// ID is the uid of every finding about f's resource, the same as
// Security Hub's Id (securityhub.ID): a hash of its drift key.
func ID(f drift.Finding) string {
	sum := sha256.Sum256([]byte(drift.DriftKey(f)))
	return "eksdrift/drift/" + hex.EncodeToString(sum[:])
}

var activityNames = map[int]string{ActivityCreate: "Create", ActivityUpdate: "Update", ActivityClose: "Close"}

var statusNames = map[int]string{StatusNew: "New", StatusResolved: "Resolved"}

var severityNames = map[int]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}

// severityID maps eksdrift's severity to OCSF's severity_id; a drift whose
// severity eksdrift does not know is rated High rather than hidden.
func severityID(f drift.Finding) int {
	switch f.Severity {
	case drift.SeverityInfo:
		return 1
	case drift.SeverityLow:
		return 2
	case drift.SeverityMedium:
		return 3
	case drift.SeverityHigh:
		return 4
	case drift.SeverityCritical:
		return 5
	}
	if f.Drift {
		return 4
	}
	return 0
}

func kind(k drift.Kind) string {
	for _, c := range drift.Kinds {
		if c == k {
			return string(k)
		}
	}
	return "unknown"
}

func op(o drift.Op) string {
	switch o {
	case drift.OpAdded, drift.OpRemoved, drift.OpModified:
		return string(o)
	}
	return "unknown"
}

func region(f drift.Finding) string {
	if notice.ValidRegion(f.Region) {
		return f.Region
	}
	return ""
}

func actorName(f drift.Finding) string {
	if f.ActorSession != "" {
		return f.ActorSession
	}
	return notice.ShortARN(f.Actor)
}

func description(f drift.Finding, n notice.Notice) string {
	d := n.Why
	if r := strings.TrimSuffix(f.Reason, "."); r != "" {
		d += ". " + r
	}
	d += ". Decision: " + string(f.Decision) + "."
	if o := f.Outcome; o != nil {
		d += " Revert: " + notice.ResultLabel(*o) + "."
	}
	return d
}

// sourceURL is a console link notice builds (only from a valid region):
// the cluster's Access tab, the principal's role, or the CloudTrail event.
func sourceURL(f drift.Finding) string {
	for _, u := range []string{notice.ClusterAccessURL(f), notice.RoleURL(f), notice.CloudTrailURL(f)} {
		if u != "" && len(u) <= 2048 {
			return u
		}
	}
	return ""
}

func resources(f drift.Finding) []Resource {
	line := func(s string) string { return clip(notice.Line(s), 1024) }
	reg, part := region(f), notice.Partition(f)
	var rs []Resource
	if f.Cluster != "" {
		rs = append(rs, Resource{Name: line(f.Cluster), Type: "AWS::EKS::Cluster", Region: reg, CloudPartition: part})
	}
	typ := map[drift.Kind]string{
		drift.KindAccessEntry: "AWS::EKS::AccessEntry", drift.KindAccessPolicy: "AWS::EKS::AccessEntry",
		drift.KindPodIdentity: "AWS::EKS::PodIdentityAssociation", drift.KindIdentityProvider: "AWS::EKS::IdentityProviderConfig",
		drift.KindRole: "AWS::IAM::Role", drift.KindTrustPolicy: "AWS::IAM::Role", drift.KindManagedPolicy: "AWS::IAM::Role",
		drift.KindInlinePolicy: "AWS::IAM::Role", drift.KindPermissionsBoundary: "AWS::IAM::Role",
		drift.KindOIDCProvider: "AWS::IAM::OIDCProvider", drift.KindBaseline: "AWS::S3::Object",
	}[f.Kind]
	if typ != "" && f.Resource != "" {
		rs = append(rs, Resource{UID: line(f.Resource), Name: line(notice.ShortResource(f, " → ")), Type: typ, Region: reg, CloudPartition: part})
	}
	return rs
}

// clip cuts s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i]
}
