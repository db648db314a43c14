package drift

import (
	"strings"
	"testing"
	"time"
)

func TestRejudge(t *testing.T) {
	e := testBaseline(t) // break-glass role/break-glass until 2027-01-01; prod in revert mode
	e.Index().Baseline.VersionID = "v1"
	x := "arn:aws:iam::111122223333:role/x"
	glass := "arn:aws:iam::111122223333:role/break-glass"
	entry := func(actor string) Finding {
		f := e.Evaluate(Change{Event: ev(actor), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x, Type: EntryStandard}})
		if !f.Drift {
			t.Fatal("setup: want drift")
		}
		return f
	}
	before, after := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)
	failed := entry("arn:aws:iam::111122223333:role/person")
	failed.Outcome = &RevertOutcome{Result: ResultRevertFailed, At: before, Error: "ThrottlingException"}
	held := entry("")
	held.DetectedBy, held.EventTime = DetectedBySweep, before
	held = HoldForGrace([]Finding{held}, DefaultSweepGrace)[0]
	if held.Decision != DecisionAlert {
		t.Fatalf("setup: got %s, want the sweep's first sighting held", held.Decision)
	}
	unjudged := Unjudged(Change{Event: ev("arn:aws:iam::111122223333:role/person"), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: x}}, "s3: access denied")
	settled := entry("arn:aws:iam::111122223333:role/person")
	settled.Decision = DecisionAlert // the detector found the live state compliant then
	tests := []struct {
		name string
		open Finding
		at   time.Time
		want Decision // "" for nothing offered
		sev  Severity
	}{
		{"break-glass still valid", entry(glass), before, "", ""},
		{"break-glass expired", entry(glass), after, DecisionRevert, SeverityMedium},
		{"failed revert, too soon", failed, before.Add(10 * time.Minute), "", ""},
		{"failed revert, offered again", failed, before.Add(2 * time.Hour), DecisionRevert, SeverityMedium},
		{"held by the sweep, within grace", held, before.Add(5 * time.Minute), "", ""},
		{"held by the sweep, grace passed", held, before.Add(time.Hour), DecisionRevert, SeverityMedium},
		{"never judged, now judged", unjudged, before, DecisionRevert, SeverityMedium},
		{"settled by the detector on the same version", settled, before, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := DriftKey(tt.open)
			out := e.Rejudge(tt.at, map[string]Finding{k: tt.open}, map[string]bool{k: true}, DefaultSweepGrace, DefaultRetryFailedAfter)
			if tt.want == "" {
				if len(out) != 0 {
					t.Errorf("got %s (%s), want nothing offered", out[0].Decision, out[0].Reason)
				}
				return
			}
			if len(out) != 1 {
				t.Fatalf("got %d findings, want 1", len(out))
			}
			f := out[0]
			if f.Decision != tt.want || f.Severity != tt.sev || f.DetectedBy != DetectedBySweep || !f.EventTime.Equal(tt.at) || f.Outcome != nil {
				t.Errorf("got %s %s by %s at %s, want %s %s by the sweep at %s", f.Decision, f.Severity, f.DetectedBy, f.EventTime, tt.want, tt.sev, tt.at)
			}
			if f.ID() == tt.open.ID() || !strings.Contains(f.Reason, tt.open.ID()) {
				t.Errorf("got id %s, reason %q: want a new finding naming the open one", f.ID(), f.Reason)
			}
			if f.Actor != tt.open.Actor {
				t.Errorf("got actor %q, want the change's actor %q kept", f.Actor, tt.open.Actor)
			}
			// Once offered, the new finding is the open one: nothing again.
			if again := e.Rejudge(tt.at, map[string]Finding{k: f}, map[string]bool{k: true}, DefaultSweepGrace, DefaultRetryFailedAfter); len(again) != 0 {
				t.Errorf("got %d offered again, want each change of decision once", len(again))
			}
			// Drift the sweep no longer sees is never offered.
			if gone := e.Rejudge(tt.at, map[string]Finding{k: tt.open}, map[string]bool{}, DefaultSweepGrace, DefaultRetryFailedAfter); len(gone) != 0 {
				t.Error("drift no longer there was offered")
			}
		})
	}
}

func TestRejudgeExpiredBreakGlassInAlertModeIsCritical(t *testing.T) {
	b := &Baseline{Version: 1, Mode: ModeAlert, BreakGlass: []BreakGlass{{Principal: "arn:aws:iam::111122223333:role/break-glass", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}},
		Clusters: []ClusterBaseline{{Name: "prod", Account: acct, Region: "us-west-2", AccessEntries: []AccessEntryBaseline{}}}}
	ix, err := NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEvaluator(ix)
	o := e.Evaluate(Change{Event: ev("arn:aws:iam::111122223333:role/break-glass"), Op: OpAdded, Cluster: "prod", Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x", Type: EntryStandard}})
	k := DriftKey(o)
	out := e.Rejudge(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), map[string]Finding{k: o}, map[string]bool{k: true}, 0, 0)
	if len(out) != 1 || out[0].Decision != DecisionAlert || out[0].Severity != SeverityCritical || !strings.Contains(out[0].Reason, "expired") {
		t.Errorf("got %+v, want one critical alert saying the break-glass entry expired", out)
	}
}

func TestGrantsOver(t *testing.T) {
	x := "arn:aws:iam::111122223333:role/x"
	present := func(r Resource) Observation { return Observation{Present: true, Resource: r} }
	tests := []struct {
		name string
		op   Operation
		live Observation
		want bool
	}{
		{"delete", Operation{Action: ActDeleteAccessEntry, Resource: &AccessEntry{PrincipalARN: x}}, present(&AccessEntry{PrincipalARN: x}), false},
		{"create", Operation{Action: ActCreateAccessEntry, Resource: &AccessEntry{PrincipalARN: x}}, Observation{}, true},
		{"groups back to fewer", Operation{Action: ActUpdateAccessEntry, Resource: &AccessEntry{PrincipalARN: x, KubernetesGroups: []string{"dev"}}},
			present(&AccessEntry{PrincipalARN: x, KubernetesGroups: []string{"dev", "admins"}}), false},
		{"groups back to more", Operation{Action: ActUpdateAccessEntry, Resource: &AccessEntry{PrincipalARN: x, KubernetesGroups: []string{"dev", "ops"}}},
			present(&AccessEntry{PrincipalARN: x, KubernetesGroups: []string{"dev"}}), true},
		{"username back", Operation{Action: ActUpdateAccessEntry, Resource: &AccessEntry{PrincipalARN: x, Username: "a"}},
			present(&AccessEntry{PrincipalARN: x, Username: "b"}), true},
		{"scope narrowed", Operation{Action: ActAssociateAccessPolicy, Resource: &AccessPolicy{PrincipalARN: x, PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"app"}}}},
			present(&AccessPolicy{PrincipalARN: x, PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeCluster}}), false},
		{"scope widened back", Operation{Action: ActAssociateAccessPolicy, Resource: &AccessPolicy{PrincipalARN: x, PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"app", "jobs"}}}},
			present(&AccessPolicy{PrincipalARN: x, PolicyARN: PolicyEdit, Scope: AccessScope{Type: ScopeNamespace, Namespaces: []string{"app"}}}), true},
		{"policy re-associated", Operation{Action: ActAssociateAccessPolicy, Resource: &AccessPolicy{PrincipalARN: x, PolicyARN: PolicyEdit}}, Observation{}, true},
		{"boundary removed", Operation{Action: ActDeleteRolePermissionsBoundary, Resource: &PermissionsBoundary{RoleName: "r"}}, present(&PermissionsBoundary{RoleName: "r"}), true},
	}
	for _, tt := range tests {
		if got := tt.op.GrantsOver(tt.live); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
