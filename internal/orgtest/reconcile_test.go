package orgtest

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/lookup"
	"github.com/eksdrift/eksdrift/internal/reconcile"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// memberTrail stands in for CloudTrail's LookupEvents, per account: a
// request is routed to the records of the account its signing key belongs
// to, which MiniStack's sts:GetAccessKeyInfo tells (as AWS's does), so a
// member's records are served only to calls signed with credentials of
// that member. A stand-in because MiniStack's CloudTrail records are not
// CloudTrail's shapes (see functions/reconcile's fakeCloudTrail).
type memberTrail struct {
	sts *awssts.Client

	mu      sync.Mutex
	records map[string][]json.RawMessage // by account
	owner   map[string]string            // access key -> account
	calls   map[string]int               // by account
	keys    map[string][]string          // access keys seen, by account
	failed  []string
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/\d+/([^/]+)/cloudtrail/`)

func (m *memberTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scope := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if scope == nil || !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".LookupEvents") {
		m.fail("unsigned or not LookupEvents: " + r.Header.Get("X-Amz-Target"))
		http.Error(w, `{"__type":"UnrecognizedClientException"}`, http.StatusBadRequest)
		return
	}
	key, region := scope[1], scope[2]
	account, err := m.accountOf(r.Context(), key)
	if err != nil {
		m.fail(err.Error())
		http.Error(w, `{"__type":"UnrecognizedClientException"}`, http.StatusBadRequest)
		return
	}
	var in struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        float64
		EndTime          float64
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	name := ""
	if len(in.LookupAttributes) == 1 && in.LookupAttributes[0].AttributeKey == "EventName" {
		name = in.LookupAttributes[0].AttributeValue
	}
	from, to := time.Unix(int64(in.StartTime), 0), time.Unix(int64(in.EndTime)+1, 0)
	type event struct {
		EventId, EventName, CloudTrailEvent string
		EventTime                           float64
	}
	var out []event
	m.mu.Lock()
	m.calls[account]++
	if !slices.Contains(m.keys[account], key) {
		m.keys[account] = append(m.keys[account], key)
	}
	for _, rec := range m.records[account] {
		var h struct{ EventID, EventName, EventTime, AWSRegion string }
		if json.Unmarshal(rec, &h) != nil {
			continue
		}
		at, _ := time.Parse(time.RFC3339, h.EventTime)
		if h.EventName == name && h.AWSRegion == region && !at.Before(from) && at.Before(to) {
			out = append(out, event{h.EventID, h.EventName, string(rec), float64(at.Unix())})
		}
	}
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(map[string]any{"Events": out})
}

func (m *memberTrail) fail(why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed = append(m.failed, why)
}

// accountOf is the account an access key belongs to.
func (m *memberTrail) accountOf(ctx context.Context, key string) (string, error) {
	m.mu.Lock()
	account, ok := m.owner[key]
	m.mu.Unlock()
	if ok {
		return account, nil
	}
	out, err := m.sts.GetAccessKeyInfo(ctx, &awssts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owner[key] = aws.ToString(out.Account)
	return m.owner[key], nil
}

func (m *memberTrail) seen() (calls map[string]int, keys map[string][]string, failed []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	calls, keys = map[string]int{}, map[string][]string{}
	for k, v := range m.calls {
		calls[k] = v
	}
	for k, v := range m.keys {
		keys[k] = slices.Clone(v)
	}
	return calls, keys, slices.Clone(m.failed)
}

// recordIn is the sample CreateAccessEntry's CloudTrail record (the
// contractor's entry on prod), made in account id, as LookupEvents gives it.
func recordIn(t *testing.T, id, prefix string) json.RawMessage {
	t.Helper()
	var e struct {
		Detail json.RawMessage `json:"detail"`
	}
	must(t, json.Unmarshal(eventN(t, id, prefix), &e))
	return e.Detail
}

// The reconcile test's members: accounts of their own, since the package's
// tests share one emulator and TestOrganization made prod in member1 and
// member2 and their read roles trust the detect function's role.
const (
	sweptMember  = "700000000007" // its read role trusts the reconcile function's role
	unreadMember = "800000000008" // listed, its spoke never deployed
)

// TestReconcileFansOutOverTheOrganization runs the real reconcile
// bootstrap in an organization deployment: the home (security) account's
// function role, sweptMember with its read role (trusting that role with
// the external ID), unreadMember listed but without one. The sweep reads
// sweptMember's cluster, declared only in that account's own file, through
// the read role, and the home account's declared cluster with the
// function's own credentials; unreadMember is unread and stops nobody. The
// catch-up looks up sweptMember's CloudTrail with its assumed-role
// credentials, in the region its own file declares, and judges the event
// it finds against its merged baseline (the shared file alone does not
// declare that cluster: without det.BaselineFor the event was "out of
// scope").
func TestReconcileFansOutOverTheOrganization(t *testing.T) {
	ctx := context.Background()
	fnRole, fnEnv := functionRoleWith(t, "eksdrift-reconcile", "iam:Get*", "iam:List*", "cloudtrail:LookupEvents")
	read := policy(append(append(append([]string{}, eks.ScanActions...), iam.ScanActions...), lookup.Actions...)...)
	role(t, account(t, sweptMember), config.DefaultMemberReadRole, trustOf(fnRole), read)
	cluster(t, sweptMember)  // prod: its cluster-admin, and the contractor's entry
	cluster(t, unreadMember) // the same, but no read role: its spoke was never deployed
	cluster(t, home)

	// The shared file declares the home account's prod only; each member's
	// prod is declared in its own file alone.
	shared := "version: 1\nmode: alert\nclusters:\n" + clusterYAML(home)
	w := stacktest.New(t, []byte(shared))
	s3c := awss3.NewFromConfig(w.Config, func(o *awss3.Options) { o.UsePathStyle = true })
	for _, id := range []string{sweptMember, unreadMember} {
		body := "version: 1\nclusters:\n" + clusterYAML(id)
		_, err := s3c.PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.Bucket, Key: aws.String("baselines/" + id + ".yaml"), Body: strings.NewReader(body)})
		must(t, err)
	}
	queue := w.Subscribe(t, `{"drift":["true"]}`)
	allowTopic(t, w, queue)

	// CloudTrail: sweptMember holds the event of the contractor's entry; the
	// home account and unreadMember hold nothing.
	eventID := "e92177ec-ccf9-448f-938d-" + sweptMember
	trail := &memberTrail{sts: awssts.NewFromConfig(account(t, home)), records: map[string][]json.RawMessage{
		sweptMember: {recordIn(t, sweptMember, "e92177ec")},
	}, owner: map[string]string{}, calls: map[string]int{}, keys: map[string][]string{}}
	srv := httptest.NewServer(trail)
	t.Cleanup(srv.Close)

	env := map[string]string{}
	for k, v := range w.Env {
		env[k] = v
	}
	for k, v := range fnEnv {
		env[k] = v
	}
	env[config.EnvMemberAccounts] = sweptMember + "," + unreadMember
	env[config.EnvMemberExternalID] = externalID
	env["AWS_ENDPOINT_URL_CLOUDTRAIL"] = srv.URL
	env[config.EnvCatchUpFirstLookback] = "720h"
	env[config.EnvCatchUpInterval] = "0s"
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/reconcile"), env)

	at := time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC) // the sample's event is 2026-10-03T13:05:26Z
	res := fn.Invoke(t, []byte(`{"version":"0","id":"fanout","detail-type":"Scheduled Event","source":"aws.events","account":"`+home+
		`","time":"`+at.Format(time.RFC3339)+`","region":"us-east-1","resources":[],"detail":{}}`))
	// An unread member makes the run end in error (no SweepsCompleted), so
	// the answer is the error; the report is in the log line that says so.
	if !strings.Contains(res.Error, "could not be read (the others were swept)") {
		t.Fatalf("got answer %s error %q, want the run in error for the unread member\n%s", res.Body, res.Error, fn.Logs())
	}
	rep := reportOf(t, fn)
	t.Logf("report: %+v; catch-up: %+v", rep.Sweep, rep.CatchUp)

	t.Run("unreadMember without a read role is unread, in the sweep and the catch-up", func(t *testing.T) {
		// The sweep reports the credentials once per target of the
		// account (its IAM and its cluster), the catch-up once.
		for _, u := range [][]reconcile.Unread{rep.Sweep.Unread, rep.CatchUp.Unread} {
			if len(u) == 0 {
				t.Errorf("got nothing unread, want unreadMember's credentials")
			}
			for _, e := range u {
				if e.Account != unreadMember || e.What != "credentials" || !strings.Contains(e.Why, "cannot assume "+config.DefaultMemberReadRole+" in account "+unreadMember) {
					t.Errorf("got unread %+v, want unreadMember's credentials only, naming %s", e, config.DefaultMemberReadRole)
				}
			}
		}
		doc, found, err := w.History.SweepRecord(ctx, reconcile.SweepRecordName)
		must(t, err)
		var rec reconcile.SweepRecord
		if found {
			must(t, json.Unmarshal(doc, &rec))
		}
		if len(rec.Unread) == 0 || rec.Unread[0].Account != unreadMember || len(rec.Done) != rep.Sweep.Targets {
			t.Errorf("got sweep record %s (found %v), want unreadMember unread in it and every target done", doc, found)
		}
	})

	t.Run("the sweep reads sweptMember through its read role and the home account with its own credentials", func(t *testing.T) {
		if rep.Sweep.Accounts != 3 || rep.Sweep.Clusters != 2 || rep.Sweep.Recorded != 1 || rep.Sweep.AlreadyOpen != 1 {
			t.Errorf("got %d accounts and %d clusters read, %d recorded and %d already open, want 3 accounts (home and both members), 2 clusters (home's and sweptMember's), home's drift recorded and sweptMember's open from the catch-up",
				rep.Sweep.Accounts, rep.Sweep.Clusters, rep.Sweep.Recorded, rep.Sweep.AlreadyOpen)
		}
		for _, id := range []string{home, sweptMember} {
			fs, err := w.History.Query(ctx, drift.HistoryQuery{Principal: contractor(id), Accounts: []string{id}})
			must(t, err)
			open := slices.Collect(maps.Values(drift.OpenDrift(fs)))
			if len(open) != 1 || open[0].Account != id || open[0].Kind != drift.KindAccessEntry || open[0].Cluster != "prod" {
				t.Errorf("%s: got open drift %+v, want the contractor's entry on its prod", id, open)
			}
		}
		if fs, err := w.History.Query(ctx, drift.HistoryQuery{Accounts: []string{unreadMember}}); err != nil || len(fs) != 0 {
			t.Errorf("unreadMember: got %d findings (%v), want none: nothing of it was read", len(fs), err)
		}
		logs := fn.Logs()
		if n := strings.Count(logs, `"message":"member role assumed","account":"`+sweptMember+`"`); n != 1 {
			t.Errorf("got %d assumes of sweptMember's read role, want 1 (the sweep's and the catch-up's share it)", n)
		}
		if strings.Contains(logs, `"message":"member role assumed","account":"`+home+`"`) {
			t.Errorf("a role was assumed in the home account, want its own credentials:\n%s", logs)
		}
	})

	t.Run("the catch-up looks up sweptMember with sweptMember's credentials", func(t *testing.T) {
		calls, keys, failed := trail.seen()
		if len(failed) != 0 {
			t.Errorf("the stand-in refused calls: %q", failed)
		}
		if calls[sweptMember] == 0 || calls[home] == 0 {
			t.Errorf("got lookups by account %v, want sweptMember's and the home account's", calls)
		}
		if _, ok := calls[unreadMember]; ok {
			t.Errorf("got %d lookups signed for unreadMember, want none (it has no read role)", calls[unreadMember])
		}
		for _, k := range keys[sweptMember] {
			if !strings.HasPrefix(k, "ASIA") {
				t.Errorf("sweptMember's lookups signed with key %s, want an assumed role's session key", k)
			}
		}
		if rep.CatchUp.New != 1 || rep.CatchUp.Events != 1 {
			t.Errorf("got catch-up %+v, want sweptMember's one event new", rep.CatchUp)
		}
	})

	t.Run("the event the catch-up finds is judged against sweptMember's merged baseline", func(t *testing.T) {
		f := findingAt(t, w, eventID, sweptMember)
		if !f.Drift || f.Account != sweptMember || f.Decision != drift.DecisionRevert || f.Live == nil || !f.Live.Present || f.NotifiedAt == nil {
			t.Errorf("got drift %v account %s decision %s live %+v notified %v reason %q, want drift in %s, revert (sweptMember's file: mode revert), confirmed present through the read role, notified",
				f.Drift, f.Account, f.Decision, f.Live, f.NotifiedAt, f.Reason, sweptMember)
		}
	})

	t.Run("findings are published", func(t *testing.T) {
		var got []string
		for _, m := range w.Receive(t, queue, 3*time.Second) {
			var f drift.Finding
			must(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &f))
			got = append(got, f.Account+" "+string(f.DetectedBy))
		}
		slices.Sort(got)
		want := []string{home + " " + string(drift.DetectedBySweep), sweptMember + " " + string(drift.DetectedByEvent)}
		if !slices.Equal(got, want) {
			t.Errorf("got published %q, want %q (sweptMember's from the catch-up, already open for the sweep; home's from the sweep)", got, want)
		}
	})
}

// reportOf is the report in the function's "reconcile incomplete" log line.
func reportOf(t *testing.T, fn *lambdatest.Function) reconcile.Report {
	t.Helper()
	if !fn.LogsContain(`"reconcile incomplete"`, 2*time.Second) {
		t.Fatalf("no reconcile incomplete line:\n%s", fn.Logs())
	}
	for _, line := range strings.Split(fn.Logs(), "\n") {
		if !strings.Contains(line, `"reconcile incomplete"`) {
			continue
		}
		var l struct {
			Report *reconcile.Report `json:"report"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Report == nil || l.Report.CatchUp == nil {
			t.Fatalf("the reconcile incomplete line has no report with a catch-up (%v):\n%s", err, line)
		}
		return *l.Report
	}
	panic("unreachable")
}

// allowTopic lets the findings topic send to the queue: with IAM enforced,
// SNS delivers to SQS only what the queue's policy allows, as in AWS.
func allowTopic(t *testing.T, w *stacktest.World, queueURL string) {
	t.Helper()
	ctx := context.Background()
	qa, err := w.SQS.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &queueURL, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must(t, err)
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
		"Resource": qa.Attributes["QueueArn"], "Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": w.TopicARN}}}}})
	_, err = w.SQS.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: &queueURL, Attributes: map[string]string{"Policy": string(doc)}})
	must(t, err)
}
