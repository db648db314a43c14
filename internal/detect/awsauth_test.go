package detect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// lambdaLogs wraps a decoded CloudWatch Logs payload as Lambda delivers it.
func lambdaLogs(t *testing.T, payload []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.TrimSpace(payload))
	zw.Close()
	b, _ := json.Marshal(map[string]any{"awslogs": map[string]string{"data": base64.StdEncoding.EncodeToString(buf.Bytes())}})
	return b
}

func TestDetectorJudgesAwsAuthFromCloudWatchLogs(t *testing.T) {
	out := &outbox{}
	d, _ := newDetector(t, states{}, out)
	d.Region = "us-west-2"
	if err := d.Handle(context.Background(), sample(t, "k8s-audit-aws-auth-update-system-masters-subscription.json")); err != nil {
		t.Fatalf("got %v, want the subscription delivery judged", err)
	}
	if len(out.sent) != 1 {
		t.Fatalf("got %d findings, want 1", len(out.sent))
	}
	f := out.sent[0]
	if f.Kind != drift.KindAwsAuth || f.Cluster != "staging" || f.Region != "us-west-2" || f.Account != "111122223333" ||
		f.Severity != drift.SeverityCritical || f.Decision != drift.DecisionAlert || f.Actor != "arn:aws:iam::111122223333:role/ops-engineer" {
		t.Errorf("got %s on %s/%s/%s severity %s decision %s by %s, want a critical aws-auth alert on 111122223333/us-west-2/staging by ops-engineer",
			f.Kind, f.Account, f.Region, f.Cluster, f.Severity, f.Decision, f.Actor)
	}
	// Redelivered, it adds nothing (the audit ID is the event ID).
	if err := d.Handle(context.Background(), sample(t, "k8s-audit-aws-auth-update-system-masters-subscription.json")); err != nil || len(out.sent) != 1 {
		t.Errorf("redelivery: got %v and %d findings, want nil and 1", err, len(out.sent))
	}
}

// awsAuthLive stands in for the Kubernetes API, which MiniStack does not
// serve: the ConfigMap as a live read would find it.
type awsAuthLive struct {
	cm    *drift.AwsAuth
	reads int
}

func (a *awsAuthLive) Observe(_ context.Context, c drift.Change) (drift.Observation, error) {
	a.reads++
	return drift.Observation{Present: a.cm != nil, Resource: a.cm, ReadAt: time.Date(2026, 10, 14, 9, 31, 12, 0, time.UTC)}, nil
}

func TestDetectorPatchWithoutResult(t *testing.T) {
	node := drift.AwsAuthRole{RoleARN: "arn:aws:iam::111122223333:role/eks-node-role", Username: "system:node:{{EC2PrivateDNSName}}", Groups: []string{"system:bootstrappers", "system:nodes"}}
	devs := drift.AwsAuthRole{RoleARN: "arn:aws:iam::111122223333:role/developers", Username: "developers", Groups: []string{"dev"}}
	tests := []struct {
		name      string
		live      *awsAuthLive
		severity  drift.Severity
		drift     bool
		reasonHas string
	}{
		{"no reader: unconfirmed, rated from the patch", nil, drift.SeverityHigh, true, "unconfirmed: patch without result"},
		{"read live: an undeclared account", &awsAuthLive{cm: &drift.AwsAuth{MapRoles: []drift.AwsAuthRole{node, devs}, MapAccounts: []string{"444455556666"}}},
			drift.SeverityHigh, true, "undeclared account 444455556666 (the patch's result read live at 2026-10-14T09:31:12Z)"},
		{"read live: back to the baseline", &awsAuthLive{cm: &drift.AwsAuth{MapRoles: []drift.AwsAuthRole{node, devs}}}, drift.SeverityInfo, false, "matches the baseline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, _ := newDetector(t, states{}, out)
			d.Region = "us-west-2"
			if tt.live != nil {
				d.AwsAuth = tt.live
			}
			if err := d.Handle(context.Background(), lambdaLogs(t, sample(t, "k8s-audit-aws-auth-patch-payload.json"))); err != nil {
				t.Fatal(err)
			}
			if len(out.sent) != 2 {
				t.Fatalf("got %d findings, want 2", len(out.sent))
			}
			f := out.sent[1]
			if f.Drift != tt.drift || f.Severity != tt.severity || !strings.Contains(f.Reason, tt.reasonHas) {
				t.Errorf("got drift %v %s %q, want %v %s and %q", f.Drift, f.Severity, f.Reason, tt.drift, tt.severity, tt.reasonHas)
			}
			if f.Decision == drift.DecisionRevert || f.Decision == drift.DecisionDryRun {
				t.Errorf("got decision %s, want aws-auth never reverted", f.Decision)
			}
		})
	}
}

func TestDetectorRefusesBrokenAuditDelivery(t *testing.T) {
	d, _ := newDetector(t, states{}, &outbox{})
	err := d.Handle(context.Background(), []byte(`{"awslogs":{"data":"not base64!"}}`))
	if !IsMalformed(err) {
		t.Errorf("got %v, want a malformed event (dead-letter queue)", err)
	}
}
