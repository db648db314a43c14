package drift

import (
	"encoding/json"
	"time"
)

// Severity ranks a finding.
type Severity string

// Severities, from the most to the least urgent.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// Severities lists the severities from the most urgent down.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

// Rank orders severities: critical is 4, info 0, anything else -1.
func (s Severity) Rank() int {
	switch s {
	case SeverityCritical:
		return 4
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	case SeverityInfo:
		return 0
	}
	return -1
}

// Decision is what eksdrift does about a finding.
type Decision string

// Decisions. DecisionNone is for compliant changes.
const (
	DecisionNone       Decision = "none"
	DecisionAlert      Decision = "alert"
	DecisionDryRun     Decision = "dry-run"
	DecisionRevert     Decision = "revert"
	DecisionBreakGlass Decision = "break-glass"
	// DecisionRemediation marks a change made by eksdrift's own reverter:
	// recorded as remediation, never judged as new drift or reverted.
	DecisionRemediation Decision = "remediation"
)

// Detection sources: how a finding was found.
const (
	DetectedByEvent = "event"
	DetectedBySweep = "sweep"
)

// Finding is the judgement of one change. Its JSON field names are a public
// contract: `replay --output json`, the SNS message body and the history
// stores all use them, and SIEMs ingest them.
type Finding struct {
	EventID     string    `json:"eventId"`
	EventTime   time.Time `json:"eventTime"`
	EventName   string    `json:"eventName"`
	EventSource string    `json:"eventSource"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	Cluster     string    `json:"cluster"`
	Kind        Kind      `json:"kind"`
	// Resource identifies the changed thing within its cluster or account:
	// a principal ARN, "principalArn|policyArn", "namespace/serviceAccount",
	// a role name, "roleName|policyArn" or "roleName|policyName".
	Resource       string   `json:"resource"`
	Principal      string   `json:"principal,omitempty"`
	Change         Op       `json:"change"`
	Drift          bool     `json:"drift"`
	Severity       Severity `json:"severity"`
	SeverityReason string   `json:"severityReason"`
	Decision       Decision `json:"decision"`
	Reason         string   `json:"reason"`

	Actor        string `json:"actor"`
	ActorType    string `json:"actorType,omitempty"`
	ActorSession string `json:"actorSession,omitempty"`
	SourceIP     string `json:"sourceIp,omitempty"`
	UserAgent    string `json:"userAgent,omitempty"`

	// Expected is what the baseline declares for the resource (null when it
	// declares nothing); Before is what the event says was there before (for
	// removals), After what it says is there now (null for removals).
	Expected json.RawMessage `json:"expected"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`

	// Live is the state of the resource read after the event, when the
	// detector confirmed it; the decision is made on it.
	Live *LiveState `json:"live,omitempty"`

	// Outcome is what the reverter did about the finding, nil until it acts.
	Outcome *RevertOutcome `json:"outcome,omitempty"`

	// NotifiedAt is when the finding was published, nil until it is.
	NotifiedAt *time.Time `json:"notifiedAt,omitempty"`

	BaselineSource  string `json:"baselineSource,omitempty"`
	BaselineVersion string `json:"baselineVersion,omitempty"`
	DetectedBy      string `json:"detectedBy"`
}

// LiveState records what the detector read of a resource after its event.
type LiveState struct {
	Present bool            `json:"present"`
	State   json.RawMessage `json:"state"`
	ReadAt  time.Time       `json:"readAt"`
	// Drift says whether the live state itself departs from the baseline.
	Drift bool `json:"drift"`
}

// ID is the finding's identity in history: one event can change several
// resources, and a redelivered event must not record twice.
func (f Finding) ID() string {
	return f.EventID + "#" + string(f.Kind) + "#" + f.Cluster + "#" + f.Resource
}

// subject is what a finding is about: the event behind it, the resource it
// touched and that resource's state as the event tells it.
type subject struct {
	Event     Event
	Cluster   string
	Kind      Kind
	Resource  string // the resource's key
	Principal string
	Op        Op
	// Before and After are the states (JSON null when there is none).
	Before, After json.RawMessage
}

// subjectOf is the subject of a change: for a removal the resource is the
// state before, otherwise the state after.
func subjectOf(c Change) subject {
	s := subject{Event: c.Event, Cluster: c.Cluster, Kind: c.Kind(), Resource: c.Resource.Key(), Principal: c.Resource.Principal(), Op: c.Op}
	s.Before, s.After = statesOf(c.Op, rawJSON(c.Resource))
	return s
}

// subjectOfFinding is the subject of an earlier finding, for one that
// follows it (a re-judgement).
func subjectOfFinding(f Finding) subject {
	return subject{
		Event: Event{ID: f.EventID, Time: f.EventTime, Name: f.EventName, Source: f.EventSource, Account: f.Account, Region: f.Region,
			Actor: Actor{ARN: f.Actor, Type: f.ActorType, SessionName: f.ActorSession, SourceIP: f.SourceIP, UserAgent: f.UserAgent}},
		Cluster: f.Cluster, Kind: f.Kind, Resource: f.Resource, Principal: f.Principal, Op: f.Change, Before: f.Before, After: f.After,
	}
}

// statesOf places a resource's state: before for a removal, after otherwise.
func statesOf(op Op, state json.RawMessage) (before, after json.RawMessage) {
	if op == OpRemoved {
		return state, rawJSON(nil)
	}
	return rawJSON(nil), state
}

// judgement is what was concluded about a subject.
type judgement struct {
	Drift          bool
	Severity       Severity
	SeverityReason string
	Decision       Decision
	Reason         string
	Expected       json.RawMessage
	// BaselineSource and BaselineVersion name the baseline judged against.
	BaselineSource, BaselineVersion string
	DetectedBy                      string
}

// newFinding is the one constructor of a Finding: every finding, whatever
// made it (a rule, a change left unjudged, a baseline write, a sweep's
// resolution, a re-judgement), is built here from what it is about and what
// was concluded, so that no path forgets a field of the public contract.
func newFinding(s subject, j judgement) Finding {
	expected := j.Expected
	if expected == nil {
		expected = rawJSON(nil)
	}
	return Finding{
		EventID:         s.Event.ID,
		EventTime:       s.Event.Time,
		EventName:       s.Event.Name,
		EventSource:     s.Event.Source,
		Account:         s.Event.Account,
		Region:          s.Event.Region,
		Cluster:         s.Cluster,
		Kind:            s.Kind,
		Resource:        s.Resource,
		Principal:       s.Principal,
		Change:          s.Op,
		Drift:           j.Drift,
		Severity:        j.Severity,
		SeverityReason:  j.SeverityReason,
		Decision:        j.Decision,
		Reason:          j.Reason,
		Actor:           s.Event.Actor.ARN,
		ActorType:       s.Event.Actor.Type,
		ActorSession:    s.Event.Actor.SessionName,
		SourceIP:        s.Event.Actor.SourceIP,
		UserAgent:       s.Event.Actor.UserAgent,
		Expected:        expected,
		Before:          s.Before,
		After:           s.After,
		BaselineSource:  j.BaselineSource,
		BaselineVersion: j.BaselineVersion,
		DetectedBy:      j.DetectedBy,
	}
}

func rawJSON(v any) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
