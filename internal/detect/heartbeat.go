package detect

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// handleHeartbeat takes the scheduled event of the heartbeat rule: it is
// recorded and published as a heartbeat finding (never drift), and its
// round trip, from the time EventBridge scheduled it to its publication,
// is a metric. ok is false for any other event. Only EventBridge can send
// an event of source aws.events (PutEvents refuses aws.* sources), so the
// rule's ARN in resources is the heartbeat's proof.
func (d *Detector) handleHeartbeat(ctx context.Context, event json.RawMessage) (ok bool, err error) {
	if d.HeartbeatRule == "" {
		return false, nil
	}
	var ev struct {
		ID         string    `json:"id"`
		DetailType string    `json:"detail-type"`
		Source     string    `json:"source"`
		Account    string    `json:"account"`
		Region     string    `json:"region"`
		Time       time.Time `json:"time"`
		Resources  []string  `json:"resources"`
	}
	if json.Unmarshal(event, &ev) != nil || ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" {
		return false, nil
	}
	if !slices.ContainsFunc(ev.Resources, func(r string) bool {
		return strings.HasSuffix(r, ":rule/"+d.HeartbeatRule)
	}) || ev.ID == "" {
		return false, nil
	}
	f := drift.HeartbeatFinding(ev.ID, ev.Account, ev.Region, d.HeartbeatRule, ev.Time, d.now())
	if err := d.deliver(ctx, f); err != nil {
		return true, err
	}
	d.Metrics.Add(metrics.Heartbeats, 1)
	d.Metrics.AddUnit(metrics.HeartbeatRoundTrip, d.now().Sub(ev.Time).Seconds(), metrics.Seconds)
	return true, nil
}
