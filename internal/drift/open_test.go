package drift

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// hf is a history finding about resource r of kind k on prod, at minute m.
func hf(id string, k Kind, r string, m int, drifted bool) Finding {
	f := Finding{EventID: id, EventTime: time.Date(2026, 10, 14, 10, m, 0, 0, time.UTC), Account: acct, Region: "us-west-2",
		Cluster: "prod", Kind: k, Resource: r, Drift: drifted, Change: OpAdded, DetectedBy: DetectedByEvent,
		Before: rawJSON(nil), After: rawJSON(map[string]string{"principalArn": r})}
	if drifted {
		f.Decision, f.Severity = DecisionAlert, SeverityMedium
	} else {
		f.Decision, f.Severity = DecisionNone, SeverityInfo
	}
	if isAccountKind(k) {
		f.Cluster, f.Region = "", "us-east-1"
	}
	return f
}

func with(f Finding, mod func(*Finding)) Finding { mod(&f); return f }

func TestOpenDrift(t *testing.T) {
	x, y := "arn:aws:iam::111122223333:role/x", "arn:aws:iam::111122223333:role/y"
	tests := []struct {
		name    string
		history []Finding
		want    []string // event ids of the open findings
	}{
		{"nothing", nil, nil},
		{"one drift is open", []Finding{hf("e1", KindAccessEntry, x, 1, true)}, []string{"e1"}},
		{"a later compliant change closes it", []Finding{hf("e1", KindAccessEntry, x, 1, true), hf("e2", KindAccessEntry, x, 2, false)}, nil},
		{"a later drift replaces it", []Finding{hf("e1", KindAccessEntry, x, 1, true), hf("e2", KindAccessEntry, x, 2, true)}, []string{"e2"}},
		{"order is by event time, not position", []Finding{hf("e2", KindAccessEntry, x, 2, false), hf("e1", KindAccessEntry, x, 1, true)}, nil},
		{"reverted is closed", []Finding{with(hf("e1", KindAccessEntry, x, 1, true), func(f *Finding) { f.Outcome = &RevertOutcome{Result: ResultReverted} })}, nil},
		{"found already compliant is closed", []Finding{with(hf("e1", KindAccessEntry, x, 1, true), func(f *Finding) { f.Outcome = &RevertOutcome{Result: ResultAlreadyCompliant} })}, nil},
		{"a failed revert leaves it open", []Finding{with(hf("e1", KindAccessEntry, x, 1, true), func(f *Finding) { f.Outcome = &RevertOutcome{Result: ResultRevertFailed} })}, []string{"e1"}},
		{"a dry run leaves it open", []Finding{with(hf("e1", KindAccessEntry, x, 1, true), func(f *Finding) { f.Outcome = &RevertOutcome{Result: ResultDryRun} })}, []string{"e1"}},
		{"remediation is never open", []Finding{with(hf("e1", KindAccessEntry, x, 1, true), func(f *Finding) { f.Decision = DecisionRemediation })}, nil},
		{"resources apart", []Finding{hf("e1", KindAccessEntry, x, 1, true), hf("e2", KindAccessEntry, y, 2, false), hf("e3", KindAccessPolicy, x, 3, true)}, []string{"e1", "e3"}},
		{"same name in another region is another resource", []Finding{hf("e1", KindAccessEntry, x, 1, true),
			with(hf("e2", KindAccessEntry, x, 2, false), func(f *Finding) { f.Region = "eu-west-1" })}, []string{"e1"}},
		{"IAM role names fold case", []Finding{hf("e1", KindManagedPolicy, "Dev|p", 1, true), hf("e2", KindManagedPolicy, "dev|p", 2, false)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range OpenDrift(tc.history) {
				got = append(got, f.EventID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got open %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	e := testBaseline(t)
	x := "arn:aws:iam::111122223333:role/x"
	cs := prodState()
	var scope SweepScope
	scope.AddCluster(cs)
	rs := devRoleState(t)
	scope.AddRole(rs)
	sweep := func(f Finding) Finding {
		f.EventID, f.DetectedBy, f.EventTime = "sweep-x", DetectedBySweep, sweepAt
		return f
	}
	summary := func(fs []Finding) []string {
		var out []string
		for _, f := range fs {
			s := string(f.Kind) + " " + f.Resource
			if f.Drift {
				s = "drift " + s
			} else {
				s = "resolve " + s + " (" + string(f.Change) + ")"
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name    string
		judged  []Finding
		history []Finding
		scope   SweepScope
		want    []string
	}{
		{"new drift is recorded", []Finding{sweep(hf("", KindAccessEntry, x, 0, true))}, nil, scope, []string{"drift access-entry " + x}},
		{"drift already open is not recorded again", []Finding{sweep(hf("", KindAccessEntry, x, 0, true))},
			[]Finding{hf("e1", KindAccessEntry, x, 1, true)}, scope, nil},
		{"drift closed since is recorded again", []Finding{sweep(hf("", KindAccessEntry, x, 0, true))},
			[]Finding{hf("e1", KindAccessEntry, x, 1, true), hf("e2", KindAccessEntry, x, 2, false)}, scope, []string{"drift access-entry " + x}},
		{"open drift now gone is resolved", nil, []Finding{hf("e1", KindAccessEntry, x, 1, true)}, scope, []string{"resolve access-entry " + x + " (removed)"}},
		{"open drift now compliant is resolved with the live state", []Finding{sweep(hf("", KindAccessEntry, x, 0, false))},
			[]Finding{hf("e1", KindAccessEntry, x, 1, true)}, scope, []string{"resolve access-entry " + x + " (modified)"}},
		{"a deleted declared entry back again", []Finding{sweep(hf("", KindAccessEntry, x, 0, false))},
			[]Finding{with(hf("e1", KindAccessEntry, x, 1, true), func(f *Finding) { f.Change = OpRemoved })}, scope, []string{"resolve access-entry " + x + " (added)"}},
		{"clusters not read are not resolved", nil, []Finding{with(hf("e1", KindAccessEntry, x, 1, true), func(f *Finding) { f.Cluster = "lab" })}, scope, nil},
		{"kinds not read are not resolved", nil, []Finding{hf("e1", KindIdentityProvider, "okta", 1, true)}, func() SweepScope {
			var s SweepScope
			c := prodState()
			c.IdentityProviderConfigs = nil
			s.AddCluster(c)
			return s
		}(), nil},
		{"undeclared clusters are never swept", nil, []Finding{hf("e1", KindCluster, "prod", 1, true)}, scope, nil},
		{"IAM drift resolved across case", nil, []Finding{hf("e1", KindManagedPolicy, "dev|arn:aws:iam::aws:policy/AdministratorAccess", 1, true)}, scope,
			[]string{"resolve iam-managed-policy dev|arn:aws:iam::aws:policy/AdministratorAccess (removed)"}},
		{"a role created with another trust stays open while its trust drifts",
			[]Finding{sweep(hf("", KindTrustPolicy, "Dev", 0, true))}, []Finding{hf("e1", KindRole, "Dev", 1, true)}, scope,
			[]string{"drift iam-trust-policy Dev"}},
		{"a role created with another trust is resolved once its trust matches",
			[]Finding{sweep(hf("", KindRole, "Dev", 0, false))}, []Finding{hf("e1", KindRole, "Dev", 1, true)}, scope, []string{"resolve iam-role Dev (modified)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			judged := tc.judged
			got := e.Reconcile(sweepAt, judged, OpenDrift(tc.history), tc.scope)
			if s := summary(got); !slices.Equal(s, tc.want) {
				t.Errorf("got %q, want %q", s, tc.want)
			}
			for _, f := range got {
				if f.Drift {
					continue
				}
				if f.DetectedBy != DetectedBySweep || !strings.HasPrefix(f.Reason, ReasonFixedOutside) || !strings.Contains(f.Reason, "closes finding e1#") || !f.EventTime.Equal(sweepAt) {
					t.Errorf("resolution: got %+v", f)
				}
				if again := e.Reconcile(sweepAt, judged, OpenDrift(append(tc.history, f)), tc.scope); len(again) != 0 {
					t.Errorf("a resolution must close its drift: the next sweep records %d more", len(again))
				}
			}
		})
	}
}
