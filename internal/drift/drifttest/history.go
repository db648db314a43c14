// Package drifttest holds what the implementations of the drift interfaces
// share in their tests: one contract suite per interface, run by every
// implementation, and sample data that looks like what the detector records.
//
// A store that passes RunHistoryStore can replace another without the
// command or the auditors noticing.
package drifttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// RunHistoryStore runs the HistoryStore contract against the stores that open
// returns. Each call to open must return a new, empty store; open registers
// whatever cleanup the store needs with t.Cleanup.
//
// What the contract asks beyond the interface's comments:
//   - every field reads back as recorded; EventTime as the same instant to
//     the nanosecond, in UTC; Expected, Before and After as the same JSON
//     value (stores may reformat them; a nil message reads back as null);
//   - the first record of an ID wins: recording a finding whose ID is stored
//     changes nothing, even when its other fields differ;
//   - Query orders by EventTime (the instant, whatever the zone it was
//     recorded in), then by ID, and returns an empty, non-nil slice when
//     nothing matches.
func RunHistoryStore(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	t.Helper()
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("Idempotent", func(t *testing.T) { testIdempotent(t, open) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, open) })
	t.Run("Order", func(t *testing.T) { testOrder(t, open) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, open) })
	t.Run("LargeBatch", func(t *testing.T) { testLargeBatch(t, open) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, open) })
}

// sampleEpoch is the time of SampleFinding(0).
var sampleEpoch = time.Date(2026, time.March, 14, 9, 26, 53, 589793238, time.UTC)

// SampleTime is the EventTime of SampleFinding(i): one minute after the one
// before, plus a sub-second part that differs from finding to finding, so
// times increase with i and no two are equal.
func SampleTime(i int) time.Time {
	return sampleEpoch.Add(time.Duration(i)*time.Minute +
		time.Duration(i%997)*time.Millisecond +
		time.Duration(i%7)*123*time.Nanosecond)
}

var (
	sampleClusters   = []string{"prod-eu", "prod-us", "staging"}
	samplePrincipals = []string{
		"arn:aws:iam::111122223333:role/platform-admin",
		"arn:aws:iam::111122223333:role/ci-deployer",
		"arn:aws:iam::111122223333:user/alice",
		"", // the principal is omitted when the resource has none
	}
	sampleActors = []string{
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
		"arn:aws:iam::111122223333:role/github-actions",
		"arn:aws:iam::111122223333:user/alice",
		"arn:aws:iam::111122223333:root",
		"eks.amazonaws.com",
	}
	sampleActorTypes = []string{"AssumedRole", "AssumedRole", "IAMUser", "Root", "AWSService"}
	sampleDecisions  = []drift.Decision{
		drift.DecisionNone, drift.DecisionAlert, drift.DecisionDryRun,
		drift.DecisionRevert, drift.DecisionBreakGlass,
	}
	sampleOps = []drift.Op{drift.OpAdded, drift.OpRemoved, drift.OpModified}
)

// samplePeriod is the period of the sample series: the kinds the contract's
// tables were written for. The first twelve kinds have a slot each; the
// baseline and every kind added since take turns in the last slot, so the
// tables hold whatever kinds are added, and any 60 consecutive findings
// hold every kind while there are at most four of those (SampleSpan).
const samplePeriod = 13

var slotKinds = []drift.Kind{
	drift.KindCluster, drift.KindAccessEntry, drift.KindAccessPolicy, drift.KindAuthenticationMode,
	drift.KindPodIdentity, drift.KindIdentityProvider, drift.KindRole, drift.KindTrustPolicy,
	drift.KindManagedPolicy, drift.KindInlinePolicy, drift.KindPermissionsBoundary, drift.KindOIDCProvider,
}

// SampleSpan is how many consecutive samples hold every kind: 60, or one
// period for each kind that takes turns in the last slot, when that is more.
func SampleSpan() int { return max(60, samplePeriod*len(turnKinds())) }

func turnKinds() []drift.Kind {
	turns := []drift.Kind{drift.KindBaseline}
	for _, k := range drift.Kinds {
		if !slices.Contains(slotKinds, k) && k != drift.KindBaseline {
			turns = append(turns, k)
		}
	}
	return turns
}

func sampleKind(i int) drift.Kind {
	if slot := i % samplePeriod; slot < len(slotKinds) {
		return slotKinds[slot]
	}
	turns := turnKinds()
	return turns[(i/samplePeriod)%len(turns)]
}

// SampleFinding returns the i-th of a deterministic series of findings
// (i >= 0). Each has its own EventID and an EventTime of SampleTime(i). The
// other fields cycle with short periods, so any 60 consecutive findings hold
// every kind, severity, decision, operation, detection source and drift
// value, and the usual filters select proper, non-empty subsets. The cluster
// changes every samplePeriod findings; findings of kinds that belong to the
// account (IAM, Identity Center, the baseline) have none, as the evaluator
// makes them.
func SampleFinding(i int) drift.Finding {
	kind := sampleKind(i)
	iam := strings.HasPrefix(string(kind), "iam-")
	account := kind.Service() != drift.ServiceEKS // no cluster
	cluster := sampleClusters[(i/samplePeriod)%len(sampleClusters)]
	if account {
		cluster = ""
	}
	principal := samplePrincipals[i%len(samplePrincipals)]
	op := sampleOps[i%len(sampleOps)]
	actor := i % len(sampleActors)
	f := drift.Finding{
		EventID:        fmt.Sprintf("%08x-5e1f-4c2a-9b7d-%012x", i, i*2654435761%(1<<48)),
		EventTime:      SampleTime(i),
		EventName:      sampleEventName(kind, op),
		EventSource:    "eks.amazonaws.com",
		Account:        "111122223333",
		Region:         []string{"eu-west-1", "us-east-1"}[i%2],
		Cluster:        cluster,
		Kind:           kind,
		Resource:       sampleResource(kind, principal, i),
		Principal:      principal,
		Change:         op,
		Drift:          i%2 == 0,
		Severity:       drift.Severities[i%len(drift.Severities)],
		SeverityReason: fmt.Sprintf("sample severity reason %d", i),
		Decision:       sampleDecisions[i%len(sampleDecisions)],
		Reason:         fmt.Sprintf("sample %d: %s %s is not in the baseline", i, op, kind),
		Actor:          sampleActors[actor],
		ActorType:      sampleActorTypes[actor],
		SourceIP:       fmt.Sprintf("198.51.100.%d", i%250+1),
		UserAgent:      "aws-cli/2.27.41 md/awscrt#0.26.1 ua/2.1 os/linux#6.8.0 md/arch#x86_64 lang/python#3.13.4",
		Expected: json.RawMessage(`{"principalArn":"` + principal + `","type":"STANDARD",` +
			`"policies":[{"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",` +
			`"accessScope":{"type":"namespace","namespaces":["team-a","team-b"]}}],"kubernetesGroups":[]}`),
		Before:          json.RawMessage(fmt.Sprintf(`{"username":"sample-%d","scope":{"type":"cluster"},"n":%d}`, i, i)),
		After:           json.RawMessage(`{"accessScope":{"type":"cluster","namespaces":null},"tags":{"owner":"platform","cost-centre":"42"}}`),
		BaselineSource:  "s3://eksdrift-baseline-111122223333/baseline.yaml",
		BaselineVersion: fmt.Sprintf("v%d", i%3+1),
		DetectedBy:      drift.DetectedByEvent,
	}
	if iam {
		f.EventSource = "iam.amazonaws.com"
		f.Region = "us-east-1"
	}
	if i%5 == 0 {
		f.ActorSession = fmt.Sprintf("alice@example.com-%d", i)
	}
	switch op {
	case drift.OpAdded:
		f.Before = json.RawMessage("null")
	case drift.OpRemoved:
		f.After = nil // reads back as null
	}
	if i%4 == 3 {
		f.Expected = json.RawMessage("null")
	}
	if i%6 == 5 {
		f.DetectedBy = drift.DetectedBySweep
		f.SourceIP, f.UserAgent = "", ""
	}
	return f
}

// OtherAccount and ThirdAccount are the accounts of some of
// AuditedFindings; the others are in 111122223333.
const (
	OtherAccount = "444455556666"
	ThirdAccount = "777788889999"
)

// AuditedFinding is SampleFinding(i) as an auditor's history holds it: one
// in seven is in OtherAccount, of the rest one in eleven in ThirdAccount, and the reverter has acted on some: reverted
// (i%20 == 8), failed (i%20 == 18), found already compliant (i%20 == 13),
// dry runs (decision dry-run). The others have no outcome.
func AuditedFinding(i int) drift.Finding {
	f := SampleFinding(i)
	switch {
	case i%7 == 1:
		f.Account = OtherAccount
	case i%11 == 5:
		f.Account = ThirdAccount
	}
	result := ""
	switch {
	case f.Decision == drift.DecisionRevert && i%20 == 8:
		result = drift.ResultReverted
	case f.Decision == drift.DecisionRevert && i%20 == 18:
		result = drift.ResultRevertFailed
	case f.Decision == drift.DecisionRevert && i%20 == 13:
		result = drift.ResultAlreadyCompliant
	case f.Decision == drift.DecisionDryRun:
		result = drift.ResultDryRun
	}
	if result != "" {
		f.Outcome = &drift.RevertOutcome{
			Operations: []string{"eks:DeleteAccessEntry " + f.Cluster + " " + f.Resource},
			Result:     result,
			Duration:   time.Duration(i) * 10 * time.Millisecond,
			By:         "arn:aws:iam::111122223333:role/eksdrift-revert",
			At:         f.EventTime.Add(90 * time.Second).UTC(),
			Attempts:   1,
		}
		if result == drift.ResultRevertFailed {
			f.Outcome.Error, f.Outcome.Critical, f.Outcome.Attempts = "AccessDeniedException", true, 3
		}
	}
	return f
}

// AuditedFindings returns AuditedFinding(0) to AuditedFinding(n-1).
func AuditedFindings(n int) []drift.Finding {
	fs := make([]drift.Finding, n)
	for i := range fs {
		fs[i] = AuditedFinding(i)
	}
	return fs
}

// SampleFindings returns SampleFinding(0) to SampleFinding(n-1), oldest first.
func SampleFindings(n int) []drift.Finding {
	fs := make([]drift.Finding, n)
	for i := range fs {
		fs[i] = SampleFinding(i)
	}
	return fs
}

func sampleEventName(k drift.Kind, op drift.Op) string {
	verb := map[drift.Op]string{drift.OpAdded: "Create", drift.OpRemoved: "Delete", drift.OpModified: "Update"}[op]
	switch k {
	case drift.KindAccessPolicy:
		if op == drift.OpRemoved {
			return "DisassociateAccessPolicy"
		}
		return "AssociateAccessPolicy"
	case drift.KindRole, drift.KindTrustPolicy:
		return verb + "Role"
	case drift.KindManagedPolicy:
		return "AttachRolePolicy"
	case drift.KindInlinePolicy:
		return "PutRolePolicy"
	}
	return verb + "AccessEntry"
}

func sampleResource(k drift.Kind, principal string, i int) string {
	role := fmt.Sprintf("workload-%d", i%13)
	switch k {
	case drift.KindAccessEntry:
		return principal
	case drift.KindAccessPolicy:
		return principal + "|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	case drift.KindPodIdentity:
		return fmt.Sprintf("team-%d/app-%d", i%3, i%11)
	case drift.KindManagedPolicy:
		return role + "|arn:aws:iam::aws:policy/AdministratorAccess"
	case drift.KindInlinePolicy:
		return role + "|inline-admin"
	case drift.KindRole, drift.KindTrustPolicy, drift.KindPermissionsBoundary:
		return role
	case drift.KindBaseline:
		return "s3://eksdrift-baseline-111122223333/baseline.yaml"
	}
	return fmt.Sprintf("%s-%d", k, i)
}

// record records fs and fails the test unless it inserted want findings.
func record(t *testing.T, s drift.HistoryStore, fs []drift.Finding, want int) {
	t.Helper()
	got, err := s.Record(t.Context(), fs)
	if err != nil {
		t.Fatalf("Record(%d findings): %v", len(fs), err)
	}
	if got != want {
		t.Fatalf("Record(%d findings) inserted: got %v, want %v", len(fs), got, want)
	}
}

func query(t *testing.T, s drift.HistoryStore, q drift.HistoryQuery) []drift.Finding {
	t.Helper()
	got, err := s.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	return got
}

// sorted returns fs in the order Query promises: by EventTime, then by ID.
func sorted(fs []drift.Finding) []drift.Finding {
	fs = slices.Clone(fs)
	slices.SortStableFunc(fs, func(a, b drift.Finding) int {
		if c := a.EventTime.Compare(b.EventTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID(), b.ID())
	})
	return fs
}

func ids(fs []drift.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID()
	}
	return out
}

// checkIDs fails the test unless got holds the findings of want, in order.
func checkIDs(t *testing.T, got, want []drift.Finding) {
	t.Helper()
	g, w := ids(got), ids(want)
	if slices.Equal(g, w) {
		return
	}
	if len(g) != len(w) {
		t.Errorf("found %d findings, want %d", len(g), len(w))
	}
	for i := range max(len(g), len(w)) {
		var gi, wi string
		if i < len(g) {
			gi = g[i]
		}
		if i < len(w) {
			wi = w[i]
		}
		if gi != wi {
			t.Fatalf("finding %d: got %v, want %v", i, gi, wi)
		}
	}
}

// checkFindings fails the test unless got reads back as want, field by field.
func checkFindings(t *testing.T, got, want []drift.Finding) {
	t.Helper()
	checkIDs(t, got, want)
	if t.Failed() {
		return
	}
	for i := range got {
		for _, d := range diffFinding(got[i], want[i]) {
			t.Errorf("%s: %s", want[i].ID(), d)
		}
	}
}

// diffFinding compares every field of Finding, including fields added after
// this suite was written, and describes the differences.
func diffFinding(got, want drift.Finding) []string {
	var diffs []string
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	rawType := reflect.TypeFor[json.RawMessage]()
	timeType := reflect.TypeFor[time.Time]()
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		switch gv.Field(i).Type() {
		case rawType:
			if !sameJSON(g.(json.RawMessage), w.(json.RawMessage)) {
				diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", name, g, w))
			}
		case timeType:
			gt, wt := g.(time.Time), w.(time.Time)
			if !gt.Equal(wt) {
				diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", name,
					gt.Format(time.RFC3339Nano), wt.Format(time.RFC3339Nano)))
			}
			if gt.Location() != time.UTC {
				diffs = append(diffs, fmt.Sprintf("%s location: got %v, want %v", name, gt.Location(), time.UTC))
			}
		default:
			if !reflect.DeepEqual(g, w) {
				diffs = append(diffs, fmt.Sprintf("%s: got %q, want %q", name, fmt.Sprint(g), fmt.Sprint(w)))
			}
		}
	}
	return diffs
}

// sameJSON reports whether a and b hold the same JSON value; an empty
// message is null, as encoding/json writes it.
func sameJSON(a, b json.RawMessage) bool {
	decode := func(m json.RawMessage) (any, bool) {
		if len(bytes.TrimSpace(m)) == 0 {
			return nil, true
		}
		d := json.NewDecoder(bytes.NewReader(m))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
		return v, true
	}
	av, aok := decode(a)
	bv, bok := decode(b)
	return aok && bok && reflect.DeepEqual(av, bv)
}

func testRoundTrip(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	t.Run("Samples", func(t *testing.T) {
		s := open(t)
		want := SampleFindings(60)
		record(t, s, want, len(want))
		checkFindings(t, query(t, s, drift.HistoryQuery{}), want)
	})
	t.Run("AwkwardValues", func(t *testing.T) {
		s := open(t)
		full := SampleFinding(1)
		full.EventTime = time.Date(2026, 2, 28, 23, 59, 59, 999999999, time.UTC)
		full.Reason = "quotes \" and ' and `, a tab\t, a newline\n, <html> & ünïcödé ✓, a NUL \x00 and '); DROP TABLE findings; --"
		full.ActorSession = "alice+break-glass@example.com"
		full.Resource = "arn:aws:iam::111122223333:role/with/path/Admin|arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
		full.Expected = json.RawMessage(`{
			"deep": {"list": [1, 2.5, -3e-7, true, false, null, "x<y&z"], "empty": {}, "none": []},
			"big": 12345678901234567890, "unicode": "\u00e9\u2713"
		}`)
		full.Before = json.RawMessage(`[{"a":{"b":{"c":{"d":"e"}}}}]`)
		full.After = json.RawMessage(`"just a string"`)

		minimal := drift.Finding{
			EventID:   "minimal",
			EventTime: time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
			Kind:      drift.KindOIDCProvider,
		}
		record(t, s, []drift.Finding{full, minimal}, 2)
		checkFindings(t, query(t, s, drift.HistoryQuery{}), []drift.Finding{minimal, full})
	})
	t.Run("OtherTimeZone", func(t *testing.T) {
		s := open(t)
		f := SampleFinding(2)
		f.EventTime = time.Date(2026, 3, 14, 15, 4, 5, 123456789, time.FixedZone("IST", 5*3600+1800))
		record(t, s, []drift.Finding{f}, 1)
		got := query(t, s, drift.HistoryQuery{})
		want := f
		want.EventTime = f.EventTime.UTC()
		checkFindings(t, got, []drift.Finding{want})
	})
}

func testIdempotent(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	t.Run("RecordTwice", func(t *testing.T) {
		s := open(t)
		fs := SampleFindings(30)
		record(t, s, fs, 30)
		record(t, s, fs, 0)
		checkFindings(t, query(t, s, drift.HistoryQuery{}), fs)
	})
	t.Run("OneEventManyResources", func(t *testing.T) {
		// CreateCluster, for one, sets the authentication mode and may grant
		// its creator an access entry and a policy: three findings, one event.
		s := open(t)
		entry := SampleFinding(1)
		mode, policy := entry, entry
		mode.Kind, mode.Resource = drift.KindAuthenticationMode, entry.Cluster
		policy.Kind = drift.KindAccessPolicy
		policy.Resource = entry.Resource + "|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
		other := entry
		other.Cluster = "other-cluster"
		fs := []drift.Finding{entry, mode, policy, other}
		record(t, s, fs, 4)
		record(t, s, fs, 0)
		checkFindings(t, query(t, s, drift.HistoryQuery{}), sorted(fs))
	})
	t.Run("DuplicateInOneCall", func(t *testing.T) {
		s := open(t)
		f := SampleFinding(3)
		record(t, s, []drift.Finding{f, f, f}, 1)
		checkFindings(t, query(t, s, drift.HistoryQuery{}), []drift.Finding{f})
	})
	t.Run("FirstRecordWins", func(t *testing.T) {
		s := open(t)
		first := SampleFinding(4)
		second := first
		second.Reason = "a redelivery judged against a newer baseline"
		second.Severity = drift.SeverityCritical
		second.After = json.RawMessage(`{"changed":true}`)
		record(t, s, []drift.Finding{first}, 1)
		record(t, s, []drift.Finding{second}, 0)
		checkFindings(t, query(t, s, drift.HistoryQuery{}), []drift.Finding{first})
	})
	t.Run("Overlap", func(t *testing.T) {
		s := open(t)
		fs := SampleFindings(20)
		record(t, s, fs[:12], 12)
		record(t, s, fs[8:], 8)
		checkFindings(t, query(t, s, drift.HistoryQuery{}), fs)
	})
	t.Run("NothingToRecord", func(t *testing.T) {
		s := open(t)
		record(t, s, nil, 0)
		record(t, s, []drift.Finding{}, 0)
	})
}

func testFilters(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	s := open(t)
	all := AuditedFindings(120)
	// Recorded newest first, so a store that returns insertion order fails.
	newestFirst := slices.Clone(all)
	slices.Reverse(newestFirst)
	record(t, s, newestFirst, len(all))

	tests := []struct {
		name string
		q    drift.HistoryQuery
		// contains and excludes are findings the filter must keep and drop,
		// checked on top of the comparison with HistoryQuery.Matches.
		contains, excludes []int
	}{
		{name: "None", q: drift.HistoryQuery{}},
		{name: "Cluster", q: drift.HistoryQuery{Cluster: "prod-us"}, contains: []int{13, 52}, excludes: []int{1, 25, 19}},
		{name: "Account", q: drift.HistoryQuery{Accounts: []string{OtherAccount}}, contains: []int{1, 8, 113}, excludes: []int{0, 2, 5}},
		{name: "Accounts", q: drift.HistoryQuery{Accounts: []string{OtherAccount, ThirdAccount}}, contains: []int{1, 5, 8, 16}, excludes: []int{0, 2, 3}},
		{name: "Principal", q: drift.HistoryQuery{Principal: samplePrincipals[2]}, contains: []int{2}, excludes: []int{1, 3}},
		{name: "Actor", q: drift.HistoryQuery{Actor: sampleActors[3]}, contains: []int{3, 8}, excludes: []int{4}},
		{name: "Kind", q: drift.HistoryQuery{Kind: drift.KindAccessPolicy}, contains: []int{2, 15}, excludes: []int{1}},
		{name: "Severity", q: drift.HistoryQuery{Severity: drift.SeverityHigh}, contains: []int{1, 6}, excludes: []int{0, 2}},
		{name: "Decision", q: drift.HistoryQuery{Decision: drift.DecisionBreakGlass}, contains: []int{4, 9}, excludes: []int{3}},
		{name: "OutcomeReverted", q: drift.HistoryQuery{Outcome: drift.ResultReverted}, contains: []int{8, 28}, excludes: []int{3, 13, 18}},
		{name: "OutcomeFailed", q: drift.HistoryQuery{Outcome: drift.ResultRevertFailed}, contains: []int{18, 38}, excludes: []int{8}},
		{name: "OutcomeAlreadyCompliant", q: drift.HistoryQuery{Outcome: drift.ResultAlreadyCompliant}, contains: []int{13}, excludes: []int{8}},
		{name: "OutcomeDryRun", q: drift.HistoryQuery{Outcome: drift.ResultDryRun}, contains: []int{2, 7}, excludes: []int{8}},
		{name: "OutcomeNone", q: drift.HistoryQuery{Outcome: drift.OutcomeNone}, contains: []int{0, 1, 3}, excludes: []int{2, 8, 18}},
		{name: "SinceInclusive", q: drift.HistoryQuery{Since: SampleTime(100)}, contains: []int{100, 119}, excludes: []int{99}},
		{name: "SinceBetween", q: drift.HistoryQuery{Since: SampleTime(100).Add(-time.Nanosecond)}, contains: []int{100}, excludes: []int{99}},
		{name: "UntilExclusive", q: drift.HistoryQuery{Until: SampleTime(10)}, contains: []int{0, 9}, excludes: []int{10}},
		{name: "UntilBetween", q: drift.HistoryQuery{Until: SampleTime(10).Add(time.Nanosecond)}, contains: []int{10}, excludes: []int{11}},
		{name: "Window", q: drift.HistoryQuery{Since: SampleTime(40), Until: SampleTime(50)}, contains: []int{40, 49}, excludes: []int{39, 50}},
		{name: "SinceOtherZone", q: drift.HistoryQuery{Since: SampleTime(100).In(time.FixedZone("PDT", -7*3600))}, contains: []int{100}, excludes: []int{99}},
		{name: "DriftOnly", q: drift.HistoryQuery{DriftOnly: true}, contains: []int{0}, excludes: []int{1}},
		{name: "After", q: drift.HistoryQuery{After: drift.CursorOf(all[50])}, contains: []int{51, 119}, excludes: []int{0, 50}},
		{name: "AfterOtherZone", q: drift.HistoryQuery{After: drift.Cursor{Time: all[50].EventTime.In(time.FixedZone("JST", 9*3600)), ID: all[50].ID()}}, contains: []int{51}, excludes: []int{50}},
		{name: "AfterTimeOnly", q: drift.HistoryQuery{After: drift.Cursor{Time: SampleTime(50)}}, contains: []int{50, 51}, excludes: []int{49}},
		{name: "AfterBeforeSince", q: drift.HistoryQuery{After: drift.CursorOf(all[10]), Since: SampleTime(20)}, contains: []int{20}, excludes: []int{11, 19}},
		{name: "AfterWindowLimit", q: drift.HistoryQuery{After: drift.CursorOf(all[60]), Until: SampleTime(90), Limit: 5}, contains: []int{61, 65}, excludes: []int{60, 66}},
		{name: "Limit", q: drift.HistoryQuery{Limit: 7}, contains: []int{0, 6}, excludes: []int{7}},
		{name: "LimitAboveCount", q: drift.HistoryQuery{Limit: 1000}},
		{name: "ClusterAndKind", q: drift.HistoryQuery{Cluster: "prod-eu", Kind: drift.KindAccessEntry}, contains: []int{1, 40}, excludes: []int{0, 13}},
		{
			name:     "Combined",
			q:        drift.HistoryQuery{Cluster: "staging", Principal: samplePrincipals[1], Since: SampleTime(5), Until: SampleTime(110)},
			contains: []int{29, 105}, excludes: []int{33, 13},
		},
		{
			name:     "CombinedDriftLimit",
			q:        drift.HistoryQuery{Cluster: "prod-eu", DriftOnly: true, Since: SampleTime(30), Limit: 3},
			contains: []int{40, 42, 44}, excludes: []int{0, 41, 78},
		},
		{name: "ActorKindSince", q: drift.HistoryQuery{Actor: sampleActors[0], Kind: drift.KindCluster, Since: SampleTime(1)}, contains: []int{65}, excludes: []int{0}},
		{name: "AccountSeverity", q: drift.HistoryQuery{Accounts: []string{OtherAccount}, Severity: drift.SeverityHigh}, contains: []int{1, 36, 71, 106}, excludes: []int{6, 8}},
		{name: "ClusterSeverity", q: drift.HistoryQuery{Cluster: "prod-eu", Severity: drift.SeverityCritical}, contains: []int{0, 5, 40}, excludes: []int{1, 10, 12}},
		{name: "PrincipalDecisionWindow", q: drift.HistoryQuery{Principal: samplePrincipals[0], Decision: drift.DecisionRevert, Since: SampleTime(10), Until: SampleTime(100)}, contains: []int{28, 48}, excludes: []int{8, 108, 12}},
		{name: "ActorOutcome", q: drift.HistoryQuery{Actor: sampleActors[3], Outcome: drift.ResultReverted}, contains: []int{8, 28}, excludes: []int{3, 18}},
		{
			name:     "AccountSeverityDecisionOutcomeWindow",
			q:        drift.HistoryQuery{Accounts: []string{OtherAccount}, Severity: drift.SeverityMedium, Decision: drift.DecisionDryRun, Outcome: drift.ResultDryRun, Since: SampleTime(3), Until: SampleTime(100)},
			contains: []int{22, 57, 92}, excludes: []int{2, 7, 12},
		},
		{name: "OutcomeDriftLimit", q: drift.HistoryQuery{Outcome: drift.OutcomeNone, DriftOnly: true, Limit: 4}, contains: []int{0, 4, 6}, excludes: []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := matching(all, tt.q)
			if len(want) == 0 {
				t.Fatalf("the query matches no sample: the test would prove nothing")
			}
			if len(want) == len(all) && tt.q.Limit == 0 && !reflect.DeepEqual(tt.q, drift.HistoryQuery{}) {
				t.Fatalf("the query matches every sample: the test would prove nothing")
			}
			got := query(t, s, tt.q)
			checkFindings(t, got, want)
			gotIDs := ids(got)
			for _, i := range tt.contains {
				if !slices.Contains(gotIDs, all[i].ID()) {
					t.Errorf("SampleFinding(%d) found: got %v, want %v", i, false, true)
				}
			}
			for _, i := range tt.excludes {
				if slices.Contains(gotIDs, all[i].ID()) {
					t.Errorf("SampleFinding(%d) found: got %v, want %v", i, true, false)
				}
			}
		})
	}
}

// matching is what a query must return from all, by HistoryQuery.Matches.
func matching(all []drift.Finding, q drift.HistoryQuery) []drift.Finding {
	var want []drift.Finding
	for _, f := range sorted(all) {
		if q.Matches(f) {
			want = append(want, f)
		}
	}
	if q.Limit > 0 && len(want) > q.Limit {
		want = want[:q.Limit]
	}
	return want
}

// testPaging reads queries page by page, each page starting after the last
// finding of the one before, as `eksdrift history` does with large results.
func testPaging(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	s := open(t)
	all := AuditedFindings(90)
	// Ties on the event time, which the cursor breaks by ID.
	for _, i := range []int{41, 42, 43, 44} {
		all[i].EventTime = all[40].EventTime
	}
	record(t, s, all, len(all))
	for _, tt := range []struct {
		name string
		q    drift.HistoryQuery
		page int
	}{
		{"All", drift.HistoryQuery{}, 7},
		{"PageOfOne", drift.HistoryQuery{Since: SampleTime(38), Until: SampleTime(47)}, 1},
		{"Cluster", drift.HistoryQuery{Cluster: "prod-eu"}, 4},
		{"Principal", drift.HistoryQuery{Principal: samplePrincipals[0]}, 3},
		{"SeverityOnly", drift.HistoryQuery{Severity: drift.SeverityCritical}, 5},
		{"OutcomeSince", drift.HistoryQuery{Outcome: drift.OutcomeNone, Since: SampleTime(20)}, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := matching(all, tt.q)
			var got []drift.Finding
			q := tt.q
			q.Limit = tt.page
			for pages := 0; ; pages++ {
				if pages > len(all) {
					t.Fatalf("more pages than findings: the cursor does not move")
				}
				page := query(t, s, q)
				if len(page) > tt.page {
					t.Fatalf("page %d: got %v findings, want at most %v", pages, len(page), tt.page)
				}
				got = append(got, page...)
				if len(page) < tt.page {
					break
				}
				q.After = drift.CursorOf(page[len(page)-1])
			}
			checkFindings(t, got, want)
		})
	}
}

func testOrder(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	s := open(t)
	at := time.Date(2026, 3, 14, 12, 0, 0, 500_000_000, time.UTC)
	mk := func(id string, when time.Time) drift.Finding {
		f := SampleFinding(len(id))
		f.EventID, f.EventTime = id, when
		return f
	}
	// Ties on EventTime are broken by ID. The times in other zones would sort
	// wrongly as text; they must sort by the instant.
	fs := []drift.Finding{
		mk("c", at),
		mk("a", at),
		mk("later", at.Add(time.Nanosecond)),
		mk("b", at),
		mk("earlier-in-tokyo", at.Add(-time.Second).In(time.FixedZone("JST", 9*3600))),
		mk("a-later-in-new-york", at.Add(time.Hour).In(time.FixedZone("EST", -5*3600))),
		mk("whole-second", at.Truncate(time.Second)),
		mk("same-instant-in-paris", at.In(time.FixedZone("CET", 3600))),
	}
	record(t, s, fs, len(fs))
	want := sorted(fs)
	for i := range want {
		want[i].EventTime = want[i].EventTime.UTC()
	}
	wantIDs := []string{"earlier-in-tokyo", "whole-second", "a", "b", "c", "same-instant-in-paris", "later", "a-later-in-new-york"}
	for i, id := range wantIDs {
		if want[i].EventID != id {
			t.Fatalf("the test's own order, finding %d: got %v, want %v", i, want[i].EventID, id)
		}
	}
	checkFindings(t, query(t, s, drift.HistoryQuery{}), want)
	checkFindings(t, query(t, s, drift.HistoryQuery{Limit: 3}), want[:3])
}

func testEmpty(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	check := func(t *testing.T, s drift.HistoryStore, q drift.HistoryQuery) {
		t.Helper()
		got := query(t, s, q)
		if got == nil || len(got) != 0 {
			t.Errorf("Query(%+v): got %#v, want %#v", q, got, []drift.Finding{})
		}
	}
	t.Run("EmptyStore", func(t *testing.T) {
		check(t, open(t), drift.HistoryQuery{})
	})
	t.Run("NoMatch", func(t *testing.T) {
		s := open(t)
		record(t, s, SampleFindings(10), 10)
		check(t, s, drift.HistoryQuery{Cluster: "no-such-cluster"})
		check(t, s, drift.HistoryQuery{Since: SampleTime(10)})
		check(t, s, drift.HistoryQuery{Since: SampleTime(5), Until: SampleTime(5)})
	})
}

func testLargeBatch(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	s := open(t)
	fs := SampleFindings(1000)
	record(t, s, fs, 1000)
	checkFindings(t, query(t, s, drift.HistoryQuery{}), fs)
	checkIDs(t, query(t, s, drift.HistoryQuery{Since: SampleTime(990)}), fs[990:])
	record(t, s, fs, 0)
}

func testCanceled(t *testing.T, open func(t *testing.T) drift.HistoryStore) {
	s := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Record(ctx, SampleFindings(3)); err == nil {
		t.Errorf("Record with a canceled context: got error %v, want one", err)
	}
	if _, err := s.Query(ctx, drift.HistoryQuery{}); err == nil {
		t.Errorf("Query with a canceled context: got error %v, want one", err)
	}
}
