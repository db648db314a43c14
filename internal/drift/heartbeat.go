package drift

import "time"

// A heartbeat is a synthetic event that takes the path real events take
// (EventBridge rule, detector, history, topic): when heartbeats stop
// arriving, something on that path is broken or was switched off, and an
// alarm that treats missing data as breaching fires. It is recorded as a
// finding of KindTamper that is never drift, so that the history holds the
// last one and nothing downstream acts on it.

// HeartbeatEvent is the event name of a heartbeat's finding.
const HeartbeatEvent = "Heartbeat"

// HeartbeatFinding is the finding of one heartbeat from the scheduled rule
// named rule, scheduled at at and recorded at now.
func HeartbeatFinding(eventID, account, region, rule string, at, now time.Time) Finding {
	t := &TamperTarget{Type: TamperRule, Name: rule, Own: "HeartbeatSchedule", Detail: "heartbeat"}
	sub := subject{
		Event: Event{ID: eventID, Time: at.UTC(), Name: HeartbeatEvent, Source: "events.amazonaws.com", Account: account, Region: region,
			Actor: Actor{ARN: "events.amazonaws.com", Type: "AWSService"}},
		Kind: KindTamper, Resource: "heartbeat:" + rule, Op: OpModified, Before: rawJSON(nil), After: rawJSON(t),
	}
	return newFinding(sub, judgement{
		Severity: SeverityInfo, SeverityReason: "compliant", Decision: DecisionNone, DetectedBy: DetectedByEvent,
		Reason: "heartbeat: the path from EventBridge through the detector to the history and the topic works (" +
			now.Sub(at).Round(time.Millisecond).String() + " after it was scheduled)",
	})
}

// IsHeartbeat reports whether f is a heartbeat's finding.
func IsHeartbeat(f Finding) bool { return f.Kind == KindTamper && f.EventName == HeartbeatEvent }
