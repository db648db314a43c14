package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/eksdrift/eksdrift/internal/audit"
	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/s3"
	"github.com/eksdrift/eksdrift/internal/sqlite"
)

// awsEnv is the environment of a command that reads the emulator.
func awsEnv(t *testing.T) map[string]string {
	env := stateEnv(t)
	env["AWS_ENDPOINT_URL"] = awstest.Endpoint(t)
	return env
}

// historyTable creates a DynamoDB history on the emulator holding fs.
func historyTable(t *testing.T, fs []drift.Finding) string {
	t.Helper()
	c := awsdynamodb.NewFromConfig(awstest.Config(t))
	name := awstest.Name(t, "history")
	if err := dynamodb.CreateTable(t.Context(), c, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.DeleteTable(context.Background(), &awsdynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	if n, err := dynamodb.New(c, name).Record(t.Context(), fs); err != nil || n != len(fs) {
		t.Fatalf("Record: got %v, %v, want %v", n, err, len(fs))
	}
	return name
}

// jsonLines decodes one finding a line.
func jsonLines(t *testing.T, out string) []drift.Finding {
	t.Helper()
	var fs []drift.Finding
	for line := range strings.Lines(out) {
		var f drift.Finding
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("not a finding: %q: %v", line, err)
		}
		fs = append(fs, f)
	}
	return fs
}

func TestHistoryFiltersOnBothStores(t *testing.T) {
	all := drifttest.AuditedFindings(240)
	// The local history, written as replay writes it.
	local := stateEnv(t)
	localPath := filepath.Join(local["XDG_STATE_HOME"], "eksdrift", "history.db")
	if r := run(t, local, "history"); r.code != ExitError {
		t.Fatalf("history before any replay: exit %d, want %d", r.code, ExitError)
	}
	recordLocal(t, localPath, all)
	table := historyTable(t, all)
	deployed := awsEnv(t)

	tests := []struct {
		name string
		args []string
		q    drift.HistoryQuery
	}{
		{"Everything", nil, drift.HistoryQuery{}},
		{"Cluster", []string{"--cluster", "prod-eu"}, drift.HistoryQuery{Cluster: "prod-eu"}},
		{"Account", []string{"--account", drifttest.OtherAccount}, drift.HistoryQuery{Accounts: []string{drifttest.OtherAccount}}},
		{"Accounts", []string{"--account", drifttest.OtherAccount + "," + drifttest.ThirdAccount}, drift.HistoryQuery{Accounts: []string{drifttest.OtherAccount, drifttest.ThirdAccount}}},
		{"AccountsAndSeverity", []string{"--account", drifttest.ThirdAccount + ", 111122223333", "--severity", "high"},
			drift.HistoryQuery{Accounts: []string{drifttest.ThirdAccount, "111122223333"}, Severity: drift.SeverityHigh}},
		{"Principal", []string{"--principal", "arn:aws:iam::111122223333:user/alice"}, drift.HistoryQuery{Principal: "arn:aws:iam::111122223333:user/alice"}},
		{"Actor", []string{"--actor", "arn:aws:iam::111122223333:root"}, drift.HistoryQuery{Actor: "arn:aws:iam::111122223333:root"}},
		{"Kind", []string{"--kind", "access-policy"}, drift.HistoryQuery{Kind: drift.KindAccessPolicy}},
		{"Severity", []string{"--severity", "critical"}, drift.HistoryQuery{Severity: drift.SeverityCritical}},
		{"Decision", []string{"--decision", "revert"}, drift.HistoryQuery{Decision: drift.DecisionRevert}},
		{"Outcome", []string{"--outcome", "revert-failed"}, drift.HistoryQuery{Outcome: drift.ResultRevertFailed}},
		{"NoOutcome", []string{"--outcome", "none", "--drift-only"}, drift.HistoryQuery{Outcome: drift.OutcomeNone, DriftOnly: true}},
		{"Window", []string{"--since", drifttest.SampleTime(30).Format(time.RFC3339Nano), "--until", drifttest.SampleTime(90).Format(time.RFC3339Nano)},
			drift.HistoryQuery{Since: drifttest.SampleTime(30), Until: drifttest.SampleTime(90)}},
		{"Combined", []string{"--cluster", "staging", "--severity", "high", "--since", drifttest.SampleTime(10).Format(time.RFC3339Nano)},
			drift.HistoryQuery{Cluster: "staging", Severity: drift.SeverityHigh, Since: drifttest.SampleTime(10)}},
		{"Limit", []string{"--decision", "alert", "--limit", "9"}, drift.HistoryQuery{Decision: drift.DecisionAlert, Limit: 9}},
	}
	for _, tt := range tests {
		var want []string
		for _, f := range all {
			if tt.q.Matches(f) && (tt.q.Limit == 0 || len(want) < tt.q.Limit) {
				want = append(want, f.ID())
			}
		}
		if len(want) == 0 {
			t.Fatalf("%s matches no sample: the test would prove nothing", tt.name)
		}
		for _, store := range []struct {
			name string
			env  map[string]string
			args []string
		}{
			{"SQLite", local, nil},
			{"DynamoDB", deployed, []string{"--table", table}},
			// Small pages: the same findings, read with a cursor.
			{"DynamoDBPaged", deployed, []string{"--table", table, "--page-size", "7"}},
			{"SQLitePaged", local, []string{"--page-size", "5"}},
		} {
			t.Run(tt.name+"/"+store.name, func(t *testing.T) {
				args := append(append([]string{"history", "-o", "json"}, store.args...), tt.args...)
				r := run(t, store.env, args...)
				if r.code != ExitOK {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				var got []string
				for _, f := range jsonLines(t, r.stdout) {
					got = append(got, f.ID())
				}
				if !slices.Equal(got, want) {
					t.Errorf("got %d findings, want %d (the same, in order)", len(got), len(want))
				}
				if !strings.Contains(r.stderr, fmt.Sprintf("%d findings in ", len(want))) {
					t.Errorf("stderr: got %q, want the count", r.stderr)
				}
			})
		}
	}

	t.Run("EnvironmentNamesTheTable", func(t *testing.T) {
		env := awsEnv(t)
		env["EKSDRIFT_HISTORY_TABLE"] = table
		r := run(t, env, "history", "--outcome", "reverted", "-o", "csv")
		if r.code != ExitOK || !strings.Contains(r.stderr, "DynamoDB table "+table) {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if !strings.HasSuffix(lines[0], ",outcome") || !strings.HasSuffix(lines[1], ",reverted") {
			t.Errorf("csv: got %q and %q, want an outcome column", lines[0], lines[1])
		}
	})
	t.Run("TableShowsTheOutcome", func(t *testing.T) {
		r := run(t, local, "history", "--outcome", "revert-failed", "--limit", "1")
		lines := strings.Split(r.stdout, "\n")
		if !strings.Contains(lines[0], "OUTCOME") || !strings.Contains(lines[1], "revert-failed") {
			t.Errorf("table: got %q", r.stdout)
		}
	})
}

// recordLocal writes fs to a local history, as replay would.
func recordLocal(t *testing.T, path string, fs []drift.Finding) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.Record(t.Context(), fs); err != nil || n != len(fs) {
		t.Fatalf("Record: got %v, %v", n, err)
	}
}

func TestHistoryUsage(t *testing.T) {
	env := stateEnv(t)
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"--severity", "urgent"}, `--severity "urgent" is not one of critical, high`},
		{[]string{"--decision", "ignore"}, `--decision "ignore" is not one of none, alert`},
		{[]string{"--outcome", "undone"}, `--outcome "undone" is not one of reverted`},
		{[]string{"--history", "x.db", "--table", "t"}, "give --history or --table, not both"},
		{[]string{"--page-size", "0"}, "--page-size must be positive"},
		{[]string{"--limit", "-1"}, "--limit must not be negative"},
	} {
		r := run(t, env, append([]string{"history"}, tt.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tt.says) {
			t.Errorf("history %v: got exit %d, %q, want exit %d saying %q", tt.args, r.code, r.stderr, ExitUsage, tt.says)
		}
	}
}

func TestHistoryProgress(t *testing.T) {
	// On a terminal, each page redraws one status line; it is cleared
	// before the command prints anything else.
	path := filepath.Join(t.TempDir(), "h.db")
	recordLocal(t, path, drifttest.SampleFindings(30))
	h, err := (&env{getenv: func(string) string { return "" }}).openHistory(t.Context(), "history", storeFlags{history: path, pageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	var status bytes.Buffer
	// A query that has run for a while already.
	p := &progress{w: &status, on: true, start: time.Now().Add(-time.Second)}
	pages := 0
	n, err := h.each(t.Context(), drift.HistoryQuery{}, p, func(page []drift.Finding) error {
		pages++
		return nil
	})
	p.clear()
	if err != nil || n != 30 || pages != 3 {
		t.Fatalf("got %v findings in %v pages, %v, want 30 in 3", n, pages, err)
	}
	if got := status.String(); !strings.Contains(got, "reading "+path+": 10 findings, 1 requests") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("status: got %q, want the first page's count, then cleared", got)
	}
	// A quick query on a terminal: nothing either, rather than a flicker.
	status.Reset()
	quick := &progress{w: &status, on: true, start: time.Now()}
	if _, err := h.each(t.Context(), drift.HistoryQuery{}, quick, func([]drift.Finding) error { return nil }); err != nil {
		t.Fatal(err)
	}
	quick.clear()
	if status.Len() != 0 {
		t.Errorf("status of a quick query: got %q, want nothing", status.String())
	}
	// Not a terminal: nothing at all.
	r := run(t, map[string]string{}, "history", "--history", path, "--page-size", "4")
	if strings.Contains(r.stderr, "reading") || strings.Contains(r.stderr, "\r") {
		t.Errorf("stderr of a pipe: got %q, want no progress", r.stderr)
	}
}

// The access test's story, on the emulator: a versioned baseline bucket
// with two versions, and a DynamoDB history with drift added, reverted,
// adopted by the second version, and still open.
const (
	accessV1 = `version: 1
mode: revert
clusters:
  - name: prod
    account: "111122223333"
    region: us-west-2
    authenticationMode: API
    accessEntries:
      - principalArn: arn:aws:iam::111122223333:role/developers
        kubernetesGroups: [dev]
        accessPolicies:
          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
            accessScope: {type: namespace, namespaces: [app]}
`
	// accessV2 declares the auditors' read-only access, which drift made
	// before it was declared.
	accessV2 = accessV1 + `      - principalArn: arn:aws:iam::111122223333:role/auditor
        accessPolicies:
          - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
            accessScope: {type: cluster}
`
)

func TestAccessAtOnMiniStack(t *testing.T) {
	cfg := awstest.Config(t)
	s3c := awss3.NewFromConfig(cfg, func(o *awss3.Options) { o.UsePathStyle = true })
	bucket, key := awstest.Name(t, "baseline"), "eksdrift/baseline.yaml"
	if _, err := s3c.CreateBucket(t.Context(), &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); awstest.Created(err) != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(t.Context(), &awss3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{accessV1, accessV2} {
		if i > 0 {
			time.Sleep(time.Second) // the drift of the story happens in between
		}
		if _, err := s3c.PutObject(t.Context(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	versions, err := s3.Versions(t.Context(), s3c, bucket, key)
	if err != nil || len(versions) != 2 {
		t.Fatalf("versions: got %v, %v, want 2", versions, err)
	}
	v1, v2 := versions[0].LastModified, versions[1].LastModified
	if v2.Sub(v1) < 500*time.Millisecond {
		t.Fatalf("the versions are %v apart: the story needs room between them", v2.Sub(v1))
	}
	ms := func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Millisecond) }

	const (
		devs       = "arn:aws:iam::111122223333:role/developers"
		contractor = "arn:aws:iam::111122223333:role/contractor"
		vendor     = "arn:aws:iam::444455556666:role/vendor-support"
		auditor    = "arn:aws:iam::111122223333:role/auditor"
		edit       = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
		view       = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
		admin      = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	)
	find := func(id string, at time.Time, kind drift.Kind, op drift.Op, isDrift bool, principal, policy string, scope *drift.AccessScope) drift.Finding {
		f := drift.Finding{EventID: id, EventTime: at, EventName: id, Account: "111122223333", Region: "us-west-2", Cluster: "prod",
			Kind: kind, Change: op, Drift: isDrift, Severity: drift.SeverityHigh, Decision: drift.DecisionRevert, Principal: principal,
			Actor: "arn:aws:iam::111122223333:user/bob", DetectedBy: drift.DetectedByEvent, Resource: principal}
		if !isDrift {
			f.Severity, f.Decision = drift.SeverityInfo, drift.DecisionNone
		}
		if kind == drift.KindAccessPolicy {
			f.Resource = principal + "|" + policy
			f.After, _ = json.Marshal(drift.AccessPolicy{PrincipalARN: principal, PolicyARN: policy, Scope: *scope})
		} else {
			f.After, _ = json.Marshal(drift.AccessEntry{PrincipalARN: principal, Type: "STANDARD"})
		}
		return f
	}
	cluster := &drift.AccessScope{Type: "cluster"}
	app := &drift.AccessScope{Type: "namespace", Namespaces: []string{"app"}}
	contractorEntry := find("contractor-entry", ms(v1, 100), drift.KindAccessEntry, drift.OpAdded, true, contractor, "", nil)
	contractorEntry.Outcome = &drift.RevertOutcome{Result: drift.ResultReverted, At: ms(v1, 300), By: "arn:aws:iam::111122223333:role/eksdrift-revert"}
	history := []drift.Finding{
		contractorEntry,
		find("contractor-admin", ms(v1, 110), drift.KindAccessPolicy, drift.OpAdded, true, contractor, admin, cluster),
		find("vendor-entry", ms(v1, 150), drift.KindAccessEntry, drift.OpAdded, true, vendor, "", nil),
		find("auditor-entry", ms(v1, 200), drift.KindAccessEntry, drift.OpAdded, true, auditor, "", nil),
		find("auditor-view", ms(v1, 210), drift.KindAccessPolicy, drift.OpAdded, true, auditor, view, cluster),
		find("devs-widened", v2.Add(time.Hour), drift.KindAccessPolicy, drift.OpModified, true, devs, edit, cluster),
		find("devs-narrowed", v2.Add(2*time.Hour), drift.KindAccessPolicy, drift.OpAdded, false, devs, edit, app),
	}
	table := historyTable(t, history)
	env := awsEnv(t)
	base := []string{"access", "--cluster", "prod", "--table", table, "--baseline", "s3://" + bucket + "/" + key, "-o", "json"}

	devsBaseline := "role/developers AmazonEKSEditPolicy namespace:app baseline"
	tests := []struct {
		name    string
		at      time.Time
		version string
		rows    []string
	}{
		{"FirstVersion", ms(v1, 50), versions[0].ID, []string{devsBaseline}},
		{"DriftGranted", ms(v1, 250), versions[0].ID, []string{
			"role/auditor AmazonEKSViewPolicy cluster drift auditor-view",
			"role/contractor AmazonEKSClusterAdminPolicy cluster drift contractor-admin",
			devsBaseline,
			"role/vendor-support - drift vendor-entry",
		}},
		{"ContractorReverted", ms(v1, 300), versions[0].ID, []string{
			"role/auditor AmazonEKSViewPolicy cluster drift auditor-view",
			devsBaseline,
			"role/vendor-support - drift vendor-entry",
		}},
		{"AuditorAdoptedBySecondVersion", ms(v2, 1), versions[1].ID, []string{
			"role/auditor AmazonEKSViewPolicy cluster baseline",
			devsBaseline,
			"role/vendor-support - drift vendor-entry",
		}},
		{"DevelopersWidened", v2.Add(90 * time.Minute), versions[1].ID, []string{
			"role/auditor AmazonEKSViewPolicy cluster baseline",
			"role/developers AmazonEKSEditPolicy cluster drift devs-widened",
			"role/vendor-support - drift vendor-entry",
		}},
		{"DevelopersNarrowedAgain", v2.Add(3 * time.Hour), versions[1].ID, []string{
			"role/auditor AmazonEKSViewPolicy cluster baseline",
			devsBaseline,
			"role/vendor-support - drift vendor-entry",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, env, append(base, "--at", tt.at.Format(time.RFC3339Nano))...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var got []audit.Access
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Baseline == nil || got[0].Baseline.ID != tt.version {
				t.Fatalf("got %+v, want prod under version %s", got, tt.version)
			}
			var rows []string
			for _, row := range got[0].Rows {
				line := strings.TrimPrefix(strings.TrimPrefix(row.Principal, "arn:aws:iam::111122223333:"), "arn:aws:iam::444455556666:")
				if row.Policy != nil {
					line += " " + strings.TrimPrefix(row.Policy.Policy, "arn:aws:eks::aws:cluster-access-policy/") + " " + scopeText(row.Policy.Scope)
				} else {
					line += " -"
				}
				line += " " + string(row.Source())
				if ev := row.DriftEvent(); ev != nil {
					line += " " + ev.EventID
				}
				rows = append(rows, line)
			}
			if !slices.Equal(rows, tt.rows) {
				t.Errorf("rows at %v:\ngot  %s\nwant %s", tt.at, strings.Join(rows, "\n     "), strings.Join(tt.rows, "\n     "))
			}
		})
	}
	t.Run("BeforeAnything", func(t *testing.T) {
		r := run(t, env, append(base, "--at", v1.Add(-time.Hour).Format(time.RFC3339Nano))...)
		if r.code != ExitError || !strings.Contains(r.stderr, "neither the baseline nor the history knows cluster prod") {
			t.Errorf("got exit %d, %q", r.code, r.stderr)
		}
	})
	t.Run("Table", func(t *testing.T) {
		r := run(t, env, "access", "--cluster", "prod", "--table", table, "--baseline", "s3://"+bucket+"/"+key, "--at", ms(v1, 250).Format(time.RFC3339Nano))
		for _, want := range []string{
			"prod (111122223333, us-west-2) at ",
			"baseline s3://" + bucket + "/" + key + " version " + versions[0].ID,
			"role/contractor  ", "AmazonEKSClusterAdminPolicy", "drift", "contractor-admin by user/bob",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("table lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("Exposure", func(t *testing.T) {
		r := run(t, env, "access", "--exposure", "--table", table, "--baseline", "s3://"+bucket+"/"+key,
			"--since", v1.Format(time.RFC3339Nano), "--until", v2.Add(5*time.Hour).Format(time.RFC3339Nano), "-o", "json")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var got struct {
			Exposures []audit.Window
			All       audit.ExposureStats
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		ended := map[string]string{}
		for _, w := range got.Exposures {
			ended[w.Event.EventID] = w.Ended
			if w.Open() {
				ended[w.Event.EventID] = "open"
			}
		}
		want := map[string]string{
			"contractor-entry": "reverted by eksdrift",
			"contractor-admin": "removed with its access entry: reverted by eksdrift",
			"vendor-entry":     "open",
			"auditor-entry":    "adopted by baseline version " + versions[1].ID,
			"auditor-view":     "adopted by baseline version " + versions[1].ID,
			"devs-widened":     "back in line: devs-narrowed by user/bob at " + v2.Add(2*time.Hour).UTC().Format(time.RFC3339),
		}
		for id, w := range want {
			if ended[id] != w {
				t.Errorf("%s ended: got %q, want %q", id, ended[id], w)
			}
		}
		if got.All.Count != 6 || got.All.Open != 1 || !got.All.WorstOpen || got.All.Worst.EventID != "vendor-entry" {
			t.Errorf("stats: got %+v, want 6 windows, 1 open, the worst the vendor's", got.All)
		}
	})
}

func TestAccessOnTheSampleEvents(t *testing.T) {
	env := stateEnv(t)
	if r := run(t, env, "replay", "--baseline", sampleBaseline, events); r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	t.Run("At", func(t *testing.T) {
		r := run(t, env, "access", "--baseline", sampleBaseline, "--cluster", "prod", "--at", "2026-10-10T00:00:00Z")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, want := range []string{
			"role/contractor", "AmazonEKSClusterAdminPolicy", "dev,cluster-admins", "444455556666:role/vendor-support",
			"role/platform/platform-admin", "authentication mode API (baseline)",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("Principal", func(t *testing.T) {
		r := run(t, env, "access", "--baseline", sampleBaseline, "--principal", "arn:aws:iam::111122223333:role/contractor",
			"--since", "2026-10-01", "--until", "2026-11-01", "-o", "json")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var got struct {
			Segments  []audit.Segment
			Exposures []audit.Window
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatal(err)
		}
		// The entry and cluster-admin, both drift, both gone on 12 October.
		if len(got.Segments) != 2 || len(got.Exposures) != 2 {
			t.Fatalf("got %d segments and %d windows, want 2 and 2", len(got.Segments), len(got.Exposures))
		}
		for _, s := range got.Segments {
			if s.Source != audit.SourceDrift || s.To == nil || s.To.Format(time.DateOnly) != "2026-10-12" {
				t.Errorf("segment %s %s: got %s until %v, want drift until 2026-10-12", s.Kind, s.Resource, s.Source, s.To)
			}
		}
	})
	t.Run("Exposure", func(t *testing.T) {
		r := run(t, env, "access", "--baseline", sampleBaseline, "--exposure", "--since", "2026-10-01", "--until", "2026-11-01")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for _, want := range []string{"drift that granted access from 2026-10-01T00:00:00Z to 2026-11-01T00:00:00Z: 47", "prod       14     8     10d 16h  27d 6h (still open)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			says string
		}{
			{[]string{"access"}, "give one of --at (with --cluster), --principal or --exposure"},
			{[]string{"access", "--at", "2026-10-10"}, "--at needs --cluster"},
			{[]string{"access", "--exposure", "--principal", "x"}, "give one of"},
			{[]string{"access", "--cluster", "prod", "--at", "yesterday"}, "not an RFC 3339 time"},
		} {
			r := run(t, env, tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.says) {
				t.Errorf("%v: got exit %d, %q, want exit %d saying %q", tt.args, r.code, r.stderr, ExitUsage, tt.says)
			}
		}
	})
}

func TestReportCommand(t *testing.T) {
	env := stateEnv(t)
	if r := run(t, env, "replay", "--baseline", sampleBaseline, events); r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	out := filepath.Join(t.TempDir(), "report.html")
	r := run(t, env, "report", "--baseline", sampleBaseline, "--since", "2026-10-01", "--until", "2026-11-01", "-o", out)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := out + ": 107 findings (63 drift) from 2026-10-01T00:00:00Z to 2026-11-01T00:00:00Z, 4 clusters"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr: got %q, want %q", r.stderr, want)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", `id="findings-data"`, "Access at the end of the period", "vendor-support"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("report file mode: got %v, %v, want 0600", info.Mode().Perm(), err)
	}
	t.Run("Stdout", func(t *testing.T) {
		r := run(t, env, "report", "--baseline", sampleBaseline, "--cluster", "staging", "--since", "2026-10-01", "--until", "2026-11-01", "-o", "-")
		if r.code != ExitOK || !strings.HasPrefix(r.stdout, "<!DOCTYPE html>") || strings.Contains(r.stdout, "vendor-support") {
			t.Errorf("got exit %d, %d bytes: want staging's report alone", r.code, len(r.stdout))
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			says string
		}{
			{[]string{"report", "--since", "90d"}, "-o FILE is required"},
			{[]string{"report", "-o", out}, "--since is required"},
			{[]string{"report", "-o", out, "--since", "2026-10-02", "--until", "2026-10-01"}, "is not before --until"},
		} {
			r := run(t, env, tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.says) {
				t.Errorf("%v: got exit %d, %q, want exit %d saying %q", tt.args, r.code, r.stderr, ExitUsage, tt.says)
			}
		}
	})
}
