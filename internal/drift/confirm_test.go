package drift

import (
	"strings"
	"testing"
	"time"
)

func TestConfirm(t *testing.T) {
	e := testBaseline(t)
	readAt := time.Date(2026, 10, 14, 9, 0, 5, 0, time.UTC)
	undeclared := &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x", Type: EntryStandard, KubernetesGroups: []string{}}
	declared := &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/dev", Type: EntryStandard, KubernetesGroups: []string{"dev"}}
	tests := []struct {
		name      string
		change    Change
		obs       Observation
		decision  Decision
		liveDrift bool
		reasonHas string
	}{
		{"drift still there is reverted",
			Change{Event: ev("p"), Op: OpAdded, Cluster: "prod", Resource: undeclared},
			Observation{Present: true, Resource: undeclared, ReadAt: readAt}, DecisionRevert, true, ""},
		{"drift already undone is not reverted",
			Change{Event: ev("p"), Op: OpAdded, Cluster: "prod", Resource: undeclared},
			Observation{Present: false, ReadAt: readAt}, DecisionAlert, false, "already matches the baseline: nothing to revert"},
		{"deleted declared entry already recreated",
			Change{Event: ev("p"), Op: OpRemoved, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: declared.PrincipalARN}},
			Observation{Present: true, Resource: declared, ReadAt: readAt}, DecisionAlert, false, "already matches"},
		{"late event: the entry changed again and still drifts",
			Change{Event: ev("p"), Op: OpModified, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: declared.PrincipalARN, KubernetesGroups: []string{"dev", "ops"}}},
			Observation{Present: true, Resource: &AccessEntry{PrincipalARN: declared.PrincipalARN, Type: EntryStandard, KubernetesGroups: []string{"admins"}}, ReadAt: readAt}, DecisionRevert, true, ""},
		{"compliant change stays compliant",
			Change{Event: ev("p"), Op: OpAdded, Cluster: "prod", Resource: declared},
			Observation{Present: true, Resource: declared, ReadAt: readAt}, DecisionNone, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := e.Confirm(e.Evaluate(tt.change), tt.change, tt.obs)
			if f.Decision != tt.decision || f.Live == nil || f.Live.Drift != tt.liveDrift {
				t.Fatalf("got decision %s live %+v, want %s with live drift %v", f.Decision, f.Live, tt.decision, tt.liveDrift)
			}
			if !f.Live.ReadAt.Equal(readAt) || f.Live.Present != tt.obs.Present {
				t.Errorf("live: got %+v", f.Live)
			}
			if !strings.Contains(f.Reason, tt.reasonHas) {
				t.Errorf("reason %q does not say %q", f.Reason, tt.reasonHas)
			}
		})
	}
}

func TestUnjudgedNeverReverts(t *testing.T) {
	c := Change{Event: ev("p"), Op: OpAdded, Cluster: "prod", Resource: &AccessPolicy{PrincipalARN: "arn:aws:iam::111122223333:role/x", PolicyARN: PolicyClusterAdmin}}
	f := Unjudged(c, "s3://b/k: access denied")
	if f.Decision != DecisionAlert || !f.Drift || !strings.Contains(f.Reason, "access denied") || f.Resource == "" {
		t.Errorf("got %+v", f)
	}
}
