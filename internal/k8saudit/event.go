package k8saudit

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// EventSource is the finding's eventSource for a change seen in the audit
// log: the API group of the record, not an AWS service.
const EventSource = "audit.k8s.io"

// Event is what eksdrift reads of an audit.k8s.io/v1 Event.
type Event struct {
	Kind       string    `json:"kind"`
	APIVersion string    `json:"apiVersion"`
	AuditID    string    `json:"auditID"`
	Stage      string    `json:"stage"`
	Verb       string    `json:"verb"`
	User       UserInfo  `json:"user"`
	SourceIPs  []string  `json:"sourceIPs"`
	UserAgent  string    `json:"userAgent"`
	ObjectRef  ObjectRef `json:"objectRef"`
	Response   struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestObject  json.RawMessage `json:"requestObject"`
	ResponseObject json.RawMessage `json:"responseObject"`
	Received       time.Time       `json:"requestReceivedTimestamp"`
	StageTime      time.Time       `json:"stageTimestamp"`
}

// UserInfo is the authenticated user; on EKS, extra holds the IAM
// principal behind a token ("arn", "canonicalArn", "sessionName").
type UserInfo struct {
	Username string              `json:"username"`
	Groups   []string            `json:"groups"`
	Extra    map[string][]string `json:"extra"`
}

// ObjectRef names the object of the request.
type ObjectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Subresource string `json:"subresource"`
}

// Reasons an audit event makes no change; short and stable, like
// cloudtrail's, since summaries and metrics show them.
const (
	IgnoredNotAwsAuth = "not an aws-auth write"
	IgnoredStage      = "not the response's stage"
	IgnoredFailed     = "failed call"
)

// Watched reports whether the event is a write to kube-system/aws-auth. A
// deletecollection of kube-system's ConfigMaps names no object, and may
// delete aws-auth with the rest: it is watched too.
func (e *Event) Watched() bool {
	ref := e.ObjectRef
	if ref.Resource != "configmaps" || ref.Namespace != "kube-system" || ref.Subresource != "" {
		return false
	}
	switch e.Verb {
	case "create", "update", "patch", "delete":
		return ref.Name == "aws-auth"
	case "deletecollection":
		return ref.Name == "" || ref.Name == "aws-auth"
	}
	return false
}

// Change turns the event into the aws-auth change it made, with no cluster,
// account or region yet (Batch.At places them); ignored says why there is
// none.
func (e *Event) Change() (c drift.Change, ignored string, err error) {
	if e.Kind != "Event" || !strings.HasPrefix(e.APIVersion, "audit.k8s.io/") {
		return c, "", fmt.Errorf("not a Kubernetes audit event (kind %q, apiVersion %q)", e.Kind, e.APIVersion)
	}
	if !e.Watched() {
		return c, IgnoredNotAwsAuth, nil
	}
	if e.Stage != "" && e.Stage != "ResponseComplete" {
		return c, IgnoredStage, nil
	}
	if e.Response.Code >= 300 {
		return c, IgnoredFailed, nil
	}
	res, op, err := e.result()
	if err != nil {
		return c, "", fmt.Errorf("audit event %s: %w", e.AuditID, err)
	}
	at := e.StageTime
	if at.IsZero() {
		at = e.Received
	}
	c = drift.Change{
		Event: drift.Event{ID: e.AuditID, Time: at, Name: "aws-auth " + e.Verb, Source: EventSource, Actor: e.actor()},
		Op:    op, Resource: res,
	}
	if e.Verb == "deletecollection" {
		c.Note = "a deletecollection of kube-system's ConfigMaps, which deletes aws-auth unless its selector spares it"
	}
	return c, "", nil
}

// result reads the ConfigMap the write left: the response (the stored
// object) first, then a create's or update's request (the whole object).
// A patch's request is only a patch: without a response, the result is
// unresolved and must be read live.
func (e *Event) result() (*drift.AwsAuth, drift.Op, error) {
	switch e.Verb {
	case "delete", "deletecollection":
		return &drift.AwsAuth{}, drift.OpRemoved, nil
	case "create":
		return e.object(drift.OpAdded, e.ResponseObject, e.RequestObject)
	case "update":
		return e.object(drift.OpModified, e.ResponseObject, e.RequestObject)
	}
	if isObject(e.ResponseObject) {
		return e.object(drift.OpModified, e.ResponseObject)
	}
	return &drift.AwsAuth{Unresolved: true, Patch: string(e.RequestObject)}, drift.OpModified, nil
}

func (e *Event) object(op drift.Op, raws ...json.RawMessage) (*drift.AwsAuth, drift.Op, error) {
	for _, raw := range raws {
		if !isObject(raw) {
			continue
		}
		a, err := ParseConfigMap(raw)
		return a, op, err
	}
	return nil, op, errors.New("the event holds neither requestObject nor responseObject (audit level below Request)")
}

func isObject(raw json.RawMessage) bool {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b == '{'
	}
	return false
}

// ParseConfigMap reads the mappings of an aws-auth ConfigMap object: its
// data holds mapRoles and mapUsers as YAML lists and mapAccounts as a YAML
// list of account IDs (all strings, as a ConfigMap's data must be).
func ParseConfigMap(raw []byte) (*drift.AwsAuth, error) {
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(raw, &cm); err != nil {
		return nil, fmt.Errorf("aws-auth ConfigMap: %w", err)
	}
	a := &drift.AwsAuth{}
	var roles []struct {
		RoleARN  string   `yaml:"rolearn"`
		Username string   `yaml:"username"`
		Groups   []string `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["mapRoles"]), &roles); err != nil {
		return nil, fmt.Errorf("aws-auth ConfigMap: data.mapRoles: %w", err)
	}
	for _, r := range roles {
		a.MapRoles = append(a.MapRoles, drift.AwsAuthRole{RoleARN: r.RoleARN, Username: r.Username, Groups: r.Groups})
	}
	var users []struct {
		UserARN  string   `yaml:"userarn"`
		Username string   `yaml:"username"`
		Groups   []string `yaml:"groups"`
	}
	if err := yaml.Unmarshal([]byte(cm.Data["mapUsers"]), &users); err != nil {
		return nil, fmt.Errorf("aws-auth ConfigMap: data.mapUsers: %w", err)
	}
	for _, u := range users {
		a.MapUsers = append(a.MapUsers, drift.AwsAuthUser{UserARN: u.UserARN, Username: u.Username, Groups: u.Groups})
	}
	if err := yaml.Unmarshal([]byte(cm.Data["mapAccounts"]), &a.MapAccounts); err != nil {
		return nil, fmt.Errorf("aws-auth ConfigMap: data.mapAccounts: %w", err)
	}
	return a, nil
}

// actor is who wrote: the IAM principal behind the token when EKS gives it
// (extra's canonicalArn, then arn, canonicalised), else the username.
func (e *Event) actor() drift.Actor {
	a := drift.Actor{ARN: e.User.Username, UserAgent: e.UserAgent}
	// canonicalArn is the role with its path (EKS's issuer); arn is
	// the session's ARN, which names the session.
	if v := e.User.Extra["arn"]; len(v) > 0 && v[0] != "" {
		a.ARN, a.SessionName = drift.CanonicalPrincipal(v[0], first(e.User.Extra["canonicalArn"]))
	} else if v := first(e.User.Extra["canonicalArn"]); v != "" {
		a.ARN = v
	}
	if v := first(e.User.Extra["sessionName"]); v != "" {
		a.SessionName = v
	}
	if strings.HasPrefix(a.ARN, "arn:") {
		a.AccountID = drift.AccountOf(a.ARN)
	}
	if len(e.SourceIPs) > 0 {
		a.SourceIP = e.SourceIPs[0]
	}
	return a
}

// At places every change of the batch: its cluster, account and region,
// from what the input said (a payload's log group and owner) and, for what
// it did not say, from w.
func (b *Batch) At(w Where) {
	if b.Where.Cluster != "" {
		w.Cluster = b.Where.Cluster
	}
	if b.Where.Account != "" {
		w.Account = b.Where.Account
	}
	for i := range b.Changes {
		c := &b.Changes[i]
		c.Cluster, c.Event.Account, c.Event.Region = w.Cluster, w.Account, w.Region
	}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func decodeBase64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimSpace(s))
}
