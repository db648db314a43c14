package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/k8saudit"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// isAuditLog reports whether the event is a CloudWatch Logs subscription
// delivery ({"awslogs": {"data": ...}}), which carries the control plane's
// audit events, not a CloudTrail record.
func isAuditLog(event json.RawMessage) bool {
	// Most events are CloudTrail's: a byte search spares them a second
	// decoding.
	if !bytes.Contains(event, []byte(`"awslogs"`)) {
		return false
	}
	var probe struct {
		AWSLogs *json.RawMessage `json:"awslogs"`
	}
	return json.Unmarshal(event, &probe) == nil && probe.AWSLogs != nil
}

// handleAuditLog judges the aws-auth writes of a subscription delivery: the
// cluster from its log group, the account from its owner, the region the
// detector's own (a subscription filter delivers within its region).
func (d *Detector) handleAuditLog(ctx context.Context, event json.RawMessage) error {
	b, err := k8saudit.Decode(event)
	if err != nil {
		d.Metrics.Add(metrics.Errors, 1)
		return &MalformedEventError{Err: err}
	}
	b.At(k8saudit.Where{Region: d.Region})
	d.Metrics.Add(metrics.EventsProcessed, float64(b.Events))
	for k, n := range b.Ignored {
		d.Metrics.Add(metrics.EventsIgnored, float64(n))
		d.Log.InfoContext(ctx, "audit event ignored", "reason", k, "count", n)
	}
	for _, c := range b.Changes {
		if err := d.handleChange(ctx, c); err != nil {
			d.Metrics.Add(metrics.Errors, 1)
			return err
		}
	}
	if len(b.Errors) > 0 {
		d.Metrics.Add(metrics.Errors, float64(len(b.Errors)))
		return &MalformedEventError{Err: b.Errors[0]}
	}
	return nil
}

// judgeAwsAuth judges a write to the aws-auth ConfigMap. A patch whose
// result the audit event lacks is judged on the ConfigMap read live when
// the detector has a reader for it; without one, it is reported as
// "unconfirmed: patch without result". Drift is confirmed on a live read
// when there is a reader; the ConfigMap is never reverted either way.
func (d *Detector) judgeAwsAuth(ctx context.Context, ev *drift.Evaluator, c drift.Change) (drift.Finding, error) {
	if d.AwsAuth == nil {
		return ev.Evaluate(c), nil
	}
	r, _ := c.Resource.(*drift.AwsAuth)
	var obs drift.Observation
	read := false
	if r != nil && r.Unresolved && c.Op != drift.OpRemoved {
		o, err := d.AwsAuth.Observe(ctx, c)
		if err != nil {
			return drift.Finding{}, fmt.Errorf("detect: reading aws-auth on cluster %s: %w", c.Cluster, err)
		}
		obs, read = o, true
		if o.Present {
			c.Resource = o.Resource
			c.Note = "the patch's result read live at " + o.ReadAt.UTC().Format("2006-01-02T15:04:05Z")
		} else {
			c.Op, c.Resource = drift.OpRemoved, &drift.AwsAuth{}
			c.Note = "the ConfigMap was gone when read live"
		}
	}
	f := ev.Evaluate(c)
	if !f.Drift || f.Decision == drift.DecisionRemediation {
		return f, nil
	}
	if !read {
		o, err := d.AwsAuth.Observe(ctx, c)
		if err != nil {
			return drift.Finding{}, fmt.Errorf("detect: reading aws-auth on cluster %s: %w", c.Cluster, err)
		}
		obs = o
	}
	return ev.Confirm(f, c, obs), nil
}
