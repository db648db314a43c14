package audit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

const (
	account  = "111122223333"
	region   = "us-west-2"
	edit     = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
	view     = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	admin    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	bob      = "arn:aws:iam::111122223333:user/bob"
	reverter = "arn:aws:iam::111122223333:role/eksdrift-revert"
)

func role(name string) string { return "arn:aws:iam::111122223333:role/" + name }

// t0 is when the first baseline version came into force; at(h) is h hours
// later.
var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

var prod = ClusterID{Account: account, Region: region, Name: "prod"}

func entry(principal string, groups ...string) drift.AccessEntryBaseline {
	return drift.AccessEntryBaseline{PrincipalARN: principal, KubernetesGroups: groups}
}

func withPolicy(e drift.AccessEntryBaseline, policy string, scope drift.AccessScope) drift.AccessEntryBaseline {
	e.AccessPolicies = append(e.AccessPolicies, drift.AccessPolicyBaseline{PolicyARN: policy, Scope: scope})
	return e
}

var (
	clusterScope = drift.AccessScope{Type: drift.ScopeCluster}
	appScope     = drift.AccessScope{Type: drift.ScopeNamespace, Namespaces: []string{"app"}}
)

// v1 declares developers (edit on app) and platform-admin (cluster-admin);
// v2, four days later, also declares ci-deployer, which drift added before.
func versions() []BaselineVersion {
	v1 := &drift.Baseline{Version: 1, Source: "s3://b/baseline.yaml", VersionID: "v1", Clusters: []drift.ClusterBaseline{{
		Name: "prod", Account: account, Region: region, AuthenticationMode: drift.AuthModeAPI,
		AccessEntries: []drift.AccessEntryBaseline{
			withPolicy(entry(role("developers"), "dev"), edit, appScope),
			withPolicy(entry(role("platform-admin")), admin, clusterScope),
		},
		IdentityProviderConfigs: []drift.IdentityProviderConfig{},
	}}}
	v2 := *v1
	v2.VersionID = "v2"
	v2.Clusters = slices.Clone(v1.Clusters)
	v2.Clusters[0].AccessEntries = append(slices.Clone(v1.Clusters[0].AccessEntries), entry(role("ci-deployer")))
	return []BaselineVersion{{From: t0, Baseline: v1, ID: "v1"}, {From: at(96), Baseline: &v2, ID: "v2"}}
}

// finding builds a finding on prod (or IAM, for IAM kinds) at hour h.
func finding(h float64, id string, kind drift.Kind, op drift.Op, isDrift bool, resource string, after any) drift.Finding {
	f := drift.Finding{
		EventID: id, EventTime: at(h), EventName: id, Account: account, Region: region, Cluster: "prod",
		Kind: kind, Resource: resource, Change: op, Drift: isDrift, Severity: drift.SeverityHigh,
		Decision: drift.DecisionAlert, Actor: bob, DetectedBy: drift.DetectedByEvent,
	}
	if !isDrift {
		f.Severity, f.Decision = drift.SeverityInfo, drift.DecisionNone
	}
	if strings.HasPrefix(string(kind), "iam-") {
		f.Cluster, f.Region = "", "us-east-1"
	}
	switch kind {
	case drift.KindAccessEntry:
		f.Principal = resource
	case drift.KindAccessPolicy:
		f.Principal = policyPrincipal(resource)
	}
	f.After, _ = json.Marshal(after)
	return f
}

func outcome(f drift.Finding, result string, h float64) drift.Finding {
	f.Outcome = &drift.RevertOutcome{Result: result, At: at(h), By: reverter}
	return f
}

// history tells one story on prod; the comments give the hours.
func history() []drift.Finding {
	contractor, vendor, ci := role("contractor"), "arn:aws:iam::444455556666:role/vendor-support", role("ci-deployer")
	devs, padmin := role("developers"), role("platform-admin")
	idp := finding(150, "idp-added", drift.KindIdentityProvider, drift.OpAdded, true, "corp-okta",
		drift.IdentityProviderConfig{Name: "corp-okta", IssuerURL: "https://corp.okta.com"})
	idp.Live = &drift.LiveState{Present: false, ReadAt: at(150).Add(2 * time.Second), Drift: false, State: json.RawMessage("null")}
	return []drift.Finding{
		// 24: contractor gets an entry and cluster-admin; the reverter deletes
		// the entry five minutes later, which takes the policy with it.
		outcome(finding(24, "contractor-entry", drift.KindAccessEntry, drift.OpAdded, true, contractor,
			drift.AccessEntry{PrincipalARN: contractor, Type: "STANDARD", KubernetesGroups: []string{"viewers"}}), drift.ResultReverted, 24+5.0/60),
		finding(24+1.0/60, "contractor-admin", drift.KindAccessPolicy, drift.OpAdded, true, contractor+"|"+admin,
			drift.AccessPolicy{PrincipalARN: contractor, PolicyARN: admin, Scope: clusterScope}),
		// 48: a vendor from another account; nobody undoes it.
		finding(48, "vendor-entry", drift.KindAccessEntry, drift.OpAdded, true, vendor, drift.AccessEntry{PrincipalARN: vendor, Type: "STANDARD"}),
		// 50: ci-deployer's entry, adopted by baseline v2 at 96.
		finding(50, "ci-entry", drift.KindAccessEntry, drift.OpAdded, true, ci, drift.AccessEntry{PrincipalARN: ci, Type: "STANDARD"}),
		// 52: bob attaches AdministratorAccess; detached (compliant) at 200.
		finding(52, "iam-admin", drift.KindManagedPolicy, drift.OpAdded, true, "developers|arn:aws:iam::aws:policy/AdministratorAccess", nil),
		finding(200, "iam-admin-detach", drift.KindManagedPolicy, drift.OpRemoved, false, "developers|arn:aws:iam::aws:policy/AdministratorAccess", nil),
		// 72: developers' edit widened to the cluster; put back (compliant) at 80.
		finding(72, "devs-widened", drift.KindAccessPolicy, drift.OpModified, true, devs+"|"+edit,
			drift.AccessPolicy{PrincipalARN: devs, PolicyARN: edit, Scope: clusterScope}),
		finding(80, "devs-narrowed", drift.KindAccessPolicy, drift.OpAdded, false, devs+"|"+edit,
			drift.AccessPolicy{PrincipalARN: devs, PolicyARN: edit, Scope: appScope}),
		// 73: platform-admin loses cluster-admin; never restored.
		finding(73, "padmin-removed", drift.KindAccessPolicy, drift.OpRemoved, true, padmin+"|"+admin, nil),
		// 120: developers' entry deleted, with its policy; restored at 121.
		outcome(finding(120, "devs-deleted", drift.KindAccessEntry, drift.OpRemoved, true, devs, nil), drift.ResultReverted, 121),
		// 150: an identity provider, gone when the detector read the state.
		idp,
		// 160: the aws-auth ConfigMap enabled; still so.
		finding(160, "auth-mode", drift.KindAuthenticationMode, drift.OpModified, true, "authenticationMode",
			drift.AuthenticationMode{Mode: drift.AuthModeAPIAndConfigMap}),
		// 170: the reverter's own change, recorded as remediation, grants nothing.
		func() drift.Finding {
			f := finding(170, "remediation", drift.KindAccessEntry, drift.OpAdded, true, role("restored"), nil)
			f.Decision = drift.DecisionRemediation
			return f
		}(),
	}
}

// rows writes an access as lines "principal policy scope source by".
func rows(a Access) []string {
	var out []string
	for _, r := range a.Rows {
		line := strings.TrimPrefix(r.Principal, "arn:aws:iam::")
		if r.Policy != nil {
			line += " " + r.Policy.Policy[strings.LastIndexByte(r.Policy.Policy, '/')+1:]
			if r.Policy.Scope != nil {
				line += " " + r.Policy.Scope.Type + strings.Join(r.Policy.Scope.Namespaces, ",")
			}
		} else {
			line += " -"
		}
		line += " " + string(r.Source())
		if e := r.DriftEvent(); e != nil {
			line += " " + e.EventID
		}
		out = append(out, line)
	}
	for _, w := range a.Withdrawn {
		out = append(out, "withdrawn "+strings.TrimPrefix(w.Resource, "arn:aws:iam::")+" by "+w.By.EventID)
	}
	return out
}

func TestAccessAt(t *testing.T) {
	base := []string{
		"111122223333:role/developers AmazonEKSEditPolicy namespaceapp baseline",
		"111122223333:role/platform-admin AmazonEKSClusterAdminPolicy cluster baseline",
	}
	vendor := "444455556666:role/vendor-support - drift vendor-entry"
	ci := "111122223333:role/ci-deployer - drift ci-entry"
	// platform-admin keeps its entry, without its policy.
	padmin := "111122223333:role/platform-admin - baseline"
	padminGone := "withdrawn 111122223333:role/platform-admin|" + admin + " by padmin-removed"
	tests := []struct {
		name string
		at   time.Time
		want []string
		mode string
	}{
		{"BeforeAnyBaseline", t0.Add(-time.Hour), nil, ""},
		{"FirstBaseline", t0, base, "API baseline"},
		{"DriftGranted", at(24 + 2.0/60), append([]string{
			"111122223333:role/contractor AmazonEKSClusterAdminPolicy cluster drift contractor-admin"}, base...), "API baseline"},
		{"ExactlyAtTheRevert", at(24 + 5.0/60), base, "API baseline"},
		{"Widened", at(72.5), []string{
			ci,
			"111122223333:role/developers AmazonEKSEditPolicy cluster drift devs-widened",
			"111122223333:role/platform-admin AmazonEKSClusterAdminPolicy cluster baseline",
			vendor,
		}, "API baseline"},
		{"NarrowedAgainAdminWithdrawn", at(90), []string{
			ci,
			"111122223333:role/developers AmazonEKSEditPolicy namespaceapp baseline",
			padmin, vendor, padminGone,
		}, "API baseline"},
		{"CIAdoptedBySecondVersion", at(100), []string{
			"111122223333:role/ci-deployer - baseline",
			"111122223333:role/developers AmazonEKSEditPolicy namespaceapp baseline",
			padmin, vendor, padminGone,
		}, "API baseline"},
		{"DevelopersDeleted", at(120.5), []string{
			"111122223333:role/ci-deployer - baseline",
			padmin, vendor,
			"withdrawn 111122223333:role/developers by devs-deleted",
			"withdrawn 111122223333:role/developers|" + edit + " by devs-deleted",
			padminGone,
		}, "API baseline"},
		{"DevelopersRestored", at(121), []string{
			"111122223333:role/ci-deployer - baseline",
			"111122223333:role/developers AmazonEKSEditPolicy namespaceapp baseline",
			padmin, vendor, padminGone,
		}, "API baseline"},
		{"ConfigMapEnabled", at(300), []string{
			"111122223333:role/ci-deployer - baseline",
			"111122223333:role/developers AmazonEKSEditPolicy namespaceapp baseline",
			padmin, vendor, padminGone,
		}, "API_AND_CONFIG_MAP drift"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := Build(versions(), history(), tt.at)
			all := tl.Access(func(c ClusterID) bool { return c == prod })
			if tt.want == nil {
				if len(all) != 0 {
					t.Fatalf("got %v, want no access", all)
				}
				return
			}
			if len(all) != 1 {
				t.Fatalf("clusters: got %v, want prod alone", len(all))
			}
			a := all[0]
			if got := rows(a); !slices.Equal(got, tt.want) {
				t.Errorf("rows:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
			mode := ""
			if a.AuthenticationMode != nil {
				mode = a.AuthenticationMode.Mode + " " + string(a.AuthenticationMode.Source)
			}
			if mode != tt.mode {
				t.Errorf("authentication mode: got %q, want %q", mode, tt.mode)
			}
			if len(a.IdentityProviders) != 0 && (tt.at.Before(at(150)) || tt.at.After(at(151))) {
				t.Errorf("identity providers: got %v, want none", a.IdentityProviders)
			}
		})
	}
}

func TestIdentityProviderLivesUntilTheLiveRead(t *testing.T) {
	for _, tt := range []struct {
		at   time.Time
		want int
	}{
		{at(150), 1},
		{at(150).Add(time.Second), 1},
		{at(150).Add(2 * time.Second), 0},
	} {
		a := Build(versions(), history(), tt.at).Access(nil)
		if got := len(a[0].IdentityProviders); got != tt.want {
			t.Errorf("identity providers at %v: got %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestExposureWindows(t *testing.T) {
	end := at(300)
	tl := Build(versions(), history(), end)
	type window struct {
		id    string
		hours float64 // -1: open
		ended string
	}
	var got []window
	for _, w := range tl.Exposures {
		h := -1.0
		if w.End != nil {
			h = w.End.Sub(w.Start).Hours()
		}
		got = append(got, window{w.Event.EventID, h, w.Ended})
	}
	want := []window{
		{"contractor-entry", 5.0 / 60, "reverted by eksdrift"},
		{"contractor-admin", 4.0 / 60, "removed with its access entry: reverted by eksdrift"},
		{"vendor-entry", -1, ""},
		{"ci-entry", 46, "adopted by baseline version v2"},
		{"iam-admin", 148, "removed by iam-admin-detach by user/bob at 2026-03-09T08:00:00Z"},
		{"devs-widened", 8, "back in line: devs-narrowed by user/bob at 2026-03-04T08:00:00Z"},
		{"idp-added", 2.0 / 3600, "already undone when the detector read the live state"},
		{"auth-mode", -1, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("windows: got %v, want %v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.id != w.id || g.ended != w.ended || fmt.Sprintf("%.6f", g.hours) != fmt.Sprintf("%.6f", w.hours) {
			t.Errorf("window %d: got %+v, want %+v", i, g, w)
		}
	}

	t.Run("Withdrawals", func(t *testing.T) {
		var got []string
		for _, w := range tl.Withdrawals {
			got = append(got, fmt.Sprintf("%s open=%v %s", w.Event.EventID, w.Open(), w.Ended))
		}
		want := []string{"padmin-removed open=true ", "devs-deleted open=false reverted by eksdrift"}
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})

	t.Run("Stats", func(t *testing.T) {
		stats := Stats(tl.Exposures, end)
		if len(stats) != 2 || stats[0].Cluster != prod || !stats[1].Cluster.IsIAM() {
			t.Fatalf("got %+v, want prod then IAM", stats)
		}
		p := stats[0]
		// prod: 5m, 4m, 2s, 8h, 46h, and open since 48 and 160 (252h, 140h).
		if p.Count != 7 || p.Open != 2 {
			t.Errorf("count, open: got %v, %v, want 7, 2", p.Count, p.Open)
		}
		if p.Median() != 8*time.Hour {
			t.Errorf("median: got %v, want %v", p.Median(), 8*time.Hour)
		}
		if p.WorstDuration() != 252*time.Hour || !p.WorstOpen || p.Worst.EventID != "vendor-entry" {
			t.Errorf("worst: got %v open=%v (%+v), want 252h, open, vendor-entry", p.WorstDuration(), p.WorstOpen, p.Worst)
		}
		if i := stats[1]; i.Count != 1 || i.Median() != 148*time.Hour || i.WorstOpen {
			t.Errorf("IAM: got %+v, want one window of 148h", i)
		}
	})

	t.Run("EvenCountMedian", func(t *testing.T) {
		ws := tl.ExposuresIn(at(24), at(49)) // contractor entry and policy, vendor
		ws = append(ws, tl.Exposures[5])     // devs-widened, 8h
		s := Summarize(ws, end)
		if want := (5*time.Minute + 8*time.Hour) / 2; s.Median() != want.Truncate(time.Second) {
			t.Errorf("median of four: got %v, want %v", s.Median(), want)
		}
	})
}

func TestPrincipalSegments(t *testing.T) {
	tl := Build(versions(), history(), at(300))
	var got []string
	for _, s := range tl.PrincipalSegments(role("developers"), at(60), at(130)) {
		to := "open"
		if s.To != nil {
			to = s.To.Format("02T15")
		}
		got = append(got, fmt.Sprintf("%s %s %s %s-%s", s.Kind, s.Policy, s.Source, s.From.Format("02T15"), to))
	}
	// In time order: the entry and its policy from the start, the policy
	// widened and narrowed again, both deleted at 120 and restored at 121.
	want := []string{
		"access-entry  baseline 01T00-06T00",
		"access-policy " + edit + " baseline 01T00-04T00",
		"access-policy " + edit + " drift 04T00-04T08",
		"access-policy " + edit + " baseline 04T08-06T00",
		"access-entry  baseline 06T01-open",
		"access-policy " + edit + " baseline 06T01-open",
	}
	if !slices.Equal(got, want) {
		t.Errorf("segments:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestBuildIgnoresWhatComesAfterTheEnd(t *testing.T) {
	h := history()
	// The contractor's revert comes after the end: still open then.
	tl := Build(versions(), h, at(24+3.0/60))
	if w := tl.Exposures[0]; !w.Open() || w.Duration(tl.End) != 3*time.Minute {
		t.Errorf("contractor window: got open=%v, %v, want open, 3m", w.Open(), w.Duration(tl.End))
	}
	// Duplicates and disorder change nothing.
	shuffled := append(slices.Clone(h), h...)
	slices.Reverse(shuffled)
	a, b := Build(versions(), h, at(300)), Build(versions(), shuffled, at(300))
	ja, _ := json.Marshal(a.Access(nil))
	jb, _ := json.Marshal(b.Access(nil))
	if string(ja) != string(jb) || len(a.Exposures) != len(b.Exposures) {
		t.Errorf("a history given twice, newest first, reads differently")
	}
}

func TestNoBaseline(t *testing.T) {
	// Drift alone, as with a history and no baseline versions.
	tl := Build(nil, history(), at(60))
	a := tl.Access(nil)
	if len(a) != 1 || a[0].Baseline != nil {
		t.Fatalf("got %+v, want prod without a baseline", a)
	}
	want := []string{"111122223333:role/ci-deployer - drift ci-entry", "444455556666:role/vendor-support - drift vendor-entry"}
	if got := rows(a[0]); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestWho(t *testing.T) {
	for _, tt := range []struct{ actor, session, want string }{
		{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_AdministratorAccess_0123456789abcdef", "alice@example.com", "alice@example.com (sso AdministratorAccess)"},
		{"arn:aws:iam::111122223333:role/ci/ci-deployer", "github-actions-1234", "github-actions-1234 (ci-deployer)"},
		{bob, "", "user/bob"},
		{"eks.amazonaws.com", "", "eks.amazonaws.com"},
	} {
		if got := Who(tt.actor, tt.session); got != tt.want {
			t.Errorf("Who(%s, %s): got %q, want %q", tt.actor, tt.session, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Second:                "2s",
		4*time.Minute + 30*time.Second: "4m 30s",
		8*time.Hour + 5*time.Minute:    "8h 5m",
		252 * time.Hour:                "10d 12h",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v): got %q, want %q", d, got, want)
		}
	}
}
