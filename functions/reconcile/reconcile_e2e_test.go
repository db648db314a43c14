package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/cli"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/reconcile"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// The end-to-end tests run the real bootstrap under the Lambda runtime
// emulator against MiniStack (S3 baseline, DynamoDB history and
// checkpoint, SNS to SQS findings, EKS and IAM live state), and the
// eksdrift command (capture, validate, plan) against the same emulator.

func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

const (
	policyPrefix = "arn:aws:eks::aws:cluster-access-policy/"
	clusterAdmin = policyPrefix + "AmazonEKSClusterAdminPolicy"
	adminAccess  = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// run runs the eksdrift command in this process, against the emulator.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"XDG_STATE_HOME": t.TempDir()}
	code = cli.Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

// scheduled is the event an EventBridge schedule sends.
func scheduled(at time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"%d","detail-type":"Scheduled Event","source":"aws.events","account":"000000000000","time":"%s","region":"us-east-1","resources":["arn:aws:events:us-east-1:000000000000:rule/eksdrift-reconcile"],"detail":{}}`,
		at.Unix(), at.UTC().Format(time.RFC3339))
}

func invoke(t *testing.T, fn *lambdatest.Function, at time.Time) reconcile.Report {
	t.Helper()
	r := fn.Invoke(t, scheduled(at))
	if r.Error != "" {
		t.Fatalf("invocation failed: %s\n%s", r.Error, fn.Logs())
	}
	var rep reconcile.Report
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatalf("answer %s: %v", r.Body, err)
	}
	t.Logf("run at %s answered %s", at.Format(time.RFC3339), r.Body)
	return rep
}

// account builds, on the emulator, three clusters with entries (policies of
// both scopes, a node entry), pod identity associations, and the roles
// behind them.
type account struct {
	clusters              []string
	dev, ops, nodes, apps string // role ARNs
	intruder              string
}

func buildAccount(t *testing.T, w *stacktest.World) account {
	t.Helper()
	ctx := context.Background()
	im := awsiam.NewFromConfig(w.Config)
	a := account{intruder: "arn:aws:iam::000000000000:role/" + awstest.Name(t, "contractor")}
	role := func(prefix, path, trust string) string {
		name := awstest.Name(t, prefix)
		out, err := im.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust)})
		must(t, err)
		return aws.ToString(out.Role.Arn)
	}
	a.dev = role("dev", "/teams/", `{"Version":"2012-10-17","Statement":[{"Sid":"SSO","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)
	a.ops = role("ops", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)
	a.nodes = role("nodes", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	a.apps = role("apps", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)
	name := func(arn string) *string { n, _ := drift.RoleName(arn); return aws.String(n) }
	_, err := im.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: name(a.dev), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	must(t, err)
	_, err = im.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: name(a.apps), PolicyName: aws.String("read-bucket"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::app/*"}]}`)})
	must(t, err)
	for range 3 {
		c := awstest.Name(t, "cluster")
		a.clusters = append(a.clusters, c)
		w.CreateCluster(t, c)
		for _, in := range []*awseks.CreateAccessEntryInput{
			{PrincipalArn: aws.String(a.dev), KubernetesGroups: []string{"dev"}},
			{PrincipalArn: aws.String(a.ops)},
			{PrincipalArn: aws.String(a.nodes), Type: aws.String("EC2_LINUX")},
		} {
			in.ClusterName = aws.String(c)
			_, err := w.EKS.CreateAccessEntry(ctx, in)
			err = awstest.Created(err)
			must(t, err)
		}
		for _, p := range []struct {
			principal, policy string
			scope             ekstypes.AccessScope
		}{
			{a.dev, policyPrefix + "AmazonEKSEditPolicy", ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"app", "jobs"}}},
			{a.dev, policyPrefix + "AmazonEKSViewPolicy", ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}},
			{a.ops, clusterAdmin, ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}},
		} {
			_, err := w.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: aws.String(c), PrincipalArn: aws.String(p.principal),
				PolicyArn: aws.String(p.policy), AccessScope: &p.scope})
			must(t, err)
		}
		_, err := w.EKS.CreatePodIdentityAssociation(ctx, &awseks.CreatePodIdentityAssociationInput{ClusterName: aws.String(c),
			Namespace: aws.String("app"), ServiceAccount: aws.String("api"), RoleArn: aws.String(a.apps)})
		must(t, err)
	}
	return a
}

// planDrift runs plan --output json and summarises its drift as
// "kind change resource".
func planDrift(t *testing.T, path string) (int, []string, cli.PlanReport) {
	t.Helper()
	code, out, errOut := run(t, "plan", "--baseline", path, "--output", "json")
	var rep cli.PlanReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("plan exit %d, output not JSON (%v):\n%s\n%s", code, err, out, errOut)
	}
	var got []string
	for _, it := range rep.Drift {
		got = append(got, string(it.Finding.Kind)+" "+string(it.Finding.Change)+" "+it.Finding.Resource)
	}
	slices.Sort(got)
	return code, got, rep
}

func TestCapturePlanReconcile(t *testing.T) {
	ctx := context.Background()
	w := stacktest.New(t, []byte("version: 1\n"))
	queue := w.Subscribe(t, "")
	a := buildAccount(t, w)

	// Capture: the file validates, and plan against it finds no drift.
	path := filepath.Join(t.TempDir(), "baseline.yaml")
	args := []string{"baseline", "capture", "--region", stacktest.EKSRegion, "-o", path}
	for _, c := range a.clusters {
		args = append(args, "--cluster", c)
	}
	code, _, errOut := run(t, args...)
	if code != cli.ExitOK {
		t.Fatalf("capture: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "captured 3 clusters, 9 access entries and 4 roles") {
		t.Errorf("capture summary: %s", errOut)
	}
	captured, err := os.ReadFile(path)
	must(t, err)
	for _, want := range []string{"# EC2_LINUX: managed by EKS", "accessScope: {type: namespace, namespaces: [app, jobs]}", "accessScope: {type: cluster}", "Sid: SSO", "read-bucket:"} {
		if !strings.Contains(string(captured), want) {
			t.Errorf("the captured baseline lacks %q:\n%s", want, captured)
		}
	}
	if code, out, errOut := run(t, "baseline", "validate", path); code != cli.ExitOK || !strings.Contains(out, "valid") {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	if code, got, _ := planDrift(t, path); code != cli.ExitOK || len(got) != 0 {
		t.Fatalf("plan against the capture: exit %d, drift %q, want 0 and none", code, got)
	}

	// Drift, made with the SDK: plan reports exactly it.
	c0 := aws.String(a.clusters[0])
	_, err = w.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: c0, PrincipalArn: aws.String(a.intruder)})
	err = awstest.Created(err)
	must(t, err)
	_, err = w.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: c0, PrincipalArn: aws.String(a.intruder),
		PolicyArn: aws.String(clusterAdmin), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})
	must(t, err)
	devName, _ := drift.RoleName(a.dev)
	_, err = awsiam.NewFromConfig(w.Config).AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String(devName), PolicyArn: aws.String(adminAccess)})
	must(t, err)
	want := []string{
		"access-entry added " + a.intruder,
		"access-policy added " + a.intruder + "|" + clusterAdmin,
		"iam-managed-policy added " + devName + "|" + adminAccess,
	}
	code, got, rep := planDrift(t, path)
	if code != cli.ExitDrift || !slices.Equal(got, want) {
		t.Fatalf("plan after drift: exit %d, drift %q, want 2 and %q", code, got, want)
	}
	if !slices.Contains(rep.Operations, "eks:DeleteAccessEntry "+a.clusters[0]+" "+a.intruder) || len(rep.Operations) != 2 {
		t.Errorf("plan operations: got %q, want the entry deleted (its policy with it) and the policy detached", rep.Operations)
	}

	// The reconcile function, on the captured baseline.
	_, err = awss3.NewFromConfig(w.Config).PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.Bucket, Key: &w.Key, Body: bytes.NewReader(captured)})
	must(t, err)
	w.Env[config.EnvCatchUp] = "false"
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/reconcile"), w.Env)
	t1 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	first := invoke(t, fn, t1)
	if first.Sweep.Clusters != 3 || first.Sweep.Roles != 4 || first.Sweep.Recorded != 3 || first.Sweep.Resolved != 0 {
		t.Fatalf("first run: got %+v, want 3 clusters and 4 roles read, 3 drifts recorded", first.Sweep)
	}
	msgs := w.Receive(t, queue, 3*time.Second)
	if len(msgs) != 3 {
		t.Errorf("got %d messages after the first run, want 3", len(msgs))
	}
	history := func() []drift.Finding {
		var all []drift.Finding
		for _, c := range a.clusters {
			fs, err := w.History.Query(ctx, drift.HistoryQuery{Cluster: c})
			must(t, err)
			all = append(all, fs...)
		}
		fs, err := w.History.Query(ctx, drift.HistoryQuery{Principal: a.dev})
		must(t, err)
		return append(all, fs...)
	}
	for _, f := range history() {
		if f.DetectedBy != drift.DetectedBySweep || f.NotifiedAt == nil || f.Live == nil {
			t.Errorf("got %+v, want a published sweep finding with its live state", f)
		}
	}

	// The next run, and the same run retried: nothing recorded again.
	for _, at := range []time.Time{t1.Add(time.Hour), t1} {
		rep := invoke(t, fn, at)
		if rep.Sweep.Recorded != 0 || rep.Sweep.AlreadyOpen != 3 {
			t.Errorf("run at %v: got %+v, want the 3 drifts already open", at, rep.Sweep)
		}
	}
	if again := w.Receive(t, queue, 2*time.Second); len(again) != 0 {
		t.Errorf("later runs published %d more messages, want none", len(again))
	}
	if n := len(history()); n != 3 {
		t.Errorf("got %d findings after three runs, want 3", n)
	}

	// Fixed outside eksdrift: the entry (and with it its policy) is removed.
	_, err = w.EKS.DeleteAccessEntry(ctx, &awseks.DeleteAccessEntryInput{ClusterName: c0, PrincipalArn: aws.String(a.intruder)})
	must(t, err)
	fixed := invoke(t, fn, t1.Add(2*time.Hour))
	if fixed.Sweep.Resolved != 2 || fixed.Sweep.Recorded != 0 || fixed.Sweep.AlreadyOpen != 1 {
		t.Fatalf("after the fix: got %+v, want the entry and its policy resolved", fixed.Sweep)
	}
	var resolved []string
	for _, f := range history() {
		if !f.Drift {
			resolved = append(resolved, string(f.Kind))
			if f.DetectedBy != drift.DetectedBySweep || !strings.HasPrefix(f.Reason, drift.ReasonFixedOutside) {
				t.Errorf("resolution: got detectedBy %s reason %q", f.DetectedBy, f.Reason)
			}
		}
	}
	if len(resolved) != 2 || len(drift.OpenDrift(history())) != 1 {
		t.Errorf("got resolutions %v and %d open, want 2 and the AdministratorAccess one open", resolved, len(drift.OpenDrift(history())))
	}
	if code, got, _ := planDrift(t, path); code != cli.ExitDrift || len(got) != 1 {
		t.Errorf("plan after the fix: exit %d, drift %q, want only the managed policy", code, got)
	}
	if !fn.LogsContain(`"ClustersScanned"`, 2*time.Second) {
		t.Error("no EMF metrics line in the function's output")
	}
}

// fakeCloudTrail serves LookupEvents, the one CloudTrail call the catch-up
// makes, over real-shaped records (the samples in events/), two at a time,
// newest first, as CloudTrail answers. MiniStack's CloudTrail recording
// cannot stand in: it names the Go SDK's EKS and IAM calls "POST.eks" and
// "POST.iam" and records request parameters, not CloudTrail's shapes (see
// internal/lookup's test).
type fakeCloudTrail struct {
	mu       sync.Mutex
	records  []json.RawMessage
	requests []lookupRequest
}

type lookupRequest struct {
	Region    string
	EventName string
	Start     time.Time
	End       time.Time
}

var credentialRegion = regexp.MustCompile(`Credential=[^/]+/\d+/([^/]+)/cloudtrail/`)

func (f *fakeCloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".LookupEvents") {
		http.Error(w, `{"__type":"UnknownOperationException"}`, http.StatusBadRequest)
		return
	}
	var in struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        float64
		EndTime          float64
		NextToken        string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := lookupRequest{Start: epoch(in.StartTime), End: epoch(in.EndTime)}
	if m := credentialRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.Region = m[1]
	}
	if len(in.LookupAttributes) == 1 && in.LookupAttributes[0].AttributeKey == "EventName" {
		req.EventName = in.LookupAttributes[0].AttributeValue
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	type event struct {
		EventId, EventName, CloudTrailEvent string
		EventTime                           float64
	}
	var match []event
	for _, rec := range f.records {
		var h struct{ EventID, EventName, EventTime, AWSRegion string }
		must(nil, json.Unmarshal(rec, &h))
		t, _ := time.Parse(time.RFC3339, h.EventTime)
		if h.EventName == req.EventName && h.AWSRegion == req.Region && !t.Before(req.Start) && !t.After(req.End) {
			match = append(match, event{h.EventID, h.EventName, string(rec), float64(t.Unix())})
		}
	}
	f.mu.Unlock()
	slices.SortFunc(match, func(a, b event) int { return int(b.EventTime - a.EventTime) })
	start, _ := strconv.Atoi(in.NextToken)
	end := min(start+2, len(match))
	out := map[string]any{"Events": match[start:end]}
	if end < len(match) {
		out["NextToken"] = strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func epoch(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func (f *fakeCloudTrail) startsOf(name string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Time
	for _, r := range f.requests {
		if r.EventName == name {
			out = append(out, r.Start)
		}
	}
	return out
}

// record is the CloudTrail record of a sample, as LookupEvents returns it,
// optionally moved to another time and id.
func record(t *testing.T, sample string, at time.Time, id string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", sample))
	must(t, err)
	var e struct {
		Detail map[string]any `json:"detail"`
	}
	must(t, json.Unmarshal(b, &e))
	if !at.IsZero() {
		e.Detail["eventTime"], e.Detail["eventID"] = at.UTC().Format(time.RFC3339), id
	}
	out, err := json.Marshal(e.Detail)
	must(t, err)
	return out
}

func TestCatchUp(t *testing.T) {
	ctx := context.Background()
	sampleBaseline, err := os.ReadFile("../../events/baseline.yaml")
	must(t, err)
	w := stacktest.New(t, sampleBaseline)
	queue := w.Subscribe(t, `{"drift":["true"]}`)
	w.CreateCluster(t, "prod")

	// The event path delivers one event; CloudTrail holds it and two more.
	entryEvent, err := os.ReadFile("../../events/eks-create-access-entry-undeclared-role.json")
	must(t, err)
	detector := lambdatest.Start(t, lambdatest.Build(t, "./functions/detect"), w.Env)
	if r := detector.Invoke(t, entryEvent); r.Error != "" {
		t.Fatalf("detect: %s", r.Error)
	}
	ct := &fakeCloudTrail{records: []json.RawMessage{
		record(t, "eks-create-access-entry-undeclared-role.json", time.Time{}, ""),
		record(t, "eks-associate-access-policy-cluster-admin.json", time.Time{}, ""),
		record(t, "iam-attach-role-policy-administrator-access.json", time.Time{}, ""),
	}}
	srv := httptest.NewServer(ct)
	t.Cleanup(srv.Close)

	w.Env["AWS_ENDPOINT_URL_CLOUDTRAIL"] = srv.URL
	w.Env[config.EnvCatchUpRegions] = stacktest.EKSRegion
	w.Env[config.EnvCatchUpFirstLookback] = "720h"
	w.Env[config.EnvCatchUpInterval] = "0s"
	bootstrap := lambdatest.Build(t, "./functions/reconcile")
	at := time.Date(2026, 10, 23, 0, 0, 0, 0, time.UTC)
	first := invoke(t, lambdatest.Start(t, bootstrap, w.Env), at)
	if c := first.CatchUp; c.Events != 3 || c.Known != 1 || c.New != 2 || c.Calls != 37 {
		t.Fatalf("first run: got %+v, want 3 events in 37 lookups, 1 known from the event path, 2 new", c)
	}
	if starts := ct.startsOf("CreateAccessEntry"); len(starts) != 1 || !starts[0].Equal(at.Add(-720*time.Hour)) {
		t.Errorf("first window: got starts %v, want %v (the first lookback)", starts, at.Add(-720*time.Hour))
	}
	all, err := w.History.Query(ctx, drift.HistoryQuery{Since: at.Add(-720 * time.Hour)})
	must(t, err)
	if len(all) != 3 {
		t.Errorf("got %d findings, want 3: one per event, none twice", len(all))
	}
	if msgs := w.Receive(t, queue, 3*time.Second); len(msgs) != 3 {
		t.Errorf("got %d drift messages, want 3 (1 from the event path, 2 from the catch-up)", len(msgs))
	}
	cp, found, err := w.History.Checkpoint(ctx, reconcile.CheckpointName)
	must(t, err)
	if !found || !cp.Equal(at) {
		t.Errorf("checkpoint: got %v %v, want %v", cp, found, at)
	}

	// A new process (a cold start) starts from the stored checkpoint, less
	// the overlap, and finds one more event CloudTrail made visible late.
	late := record(t, "iam-attach-role-policy-administrator-access.json", at.Add(-5*time.Minute), "5f0c7d7e-late-0000-0000-000000000001")
	ct.mu.Lock()
	ct.records = append(ct.records, late)
	ct.mu.Unlock()
	second := invoke(t, lambdatest.Start(t, bootstrap, w.Env), at.Add(time.Hour))
	if c := second.CatchUp; c.New != 1 || c.Events != 1 || !c.From.Equal(at.Add(-reconcile.DefaultOverlap)) {
		t.Errorf("after a restart: got %+v, want the window from the checkpoint less %v and the late event new", c, reconcile.DefaultOverlap)
	}
	// The event path delivers an event on time; when CloudTrail shows it to
	// the next run, the run knows it.
	onTime := record(t, "iam-attach-role-policy-administrator-access.json", at.Add(50*time.Minute), "5f0c7d7e-time-0000-0000-000000000002")
	envelope := fmt.Appendf(nil, `{"version":"0","id":"e2e","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","account":"111122223333","time":"%s","region":"us-east-1","resources":[],"detail":%s}`,
		at.Add(50*time.Minute).Format(time.RFC3339), onTime)
	if r := detector.Invoke(t, envelope); r.Error != "" {
		t.Fatalf("detect: %s", r.Error)
	}
	ct.mu.Lock()
	ct.records = append(ct.records, onTime)
	ct.mu.Unlock()
	third := invoke(t, lambdatest.Start(t, bootstrap, w.Env), at.Add(2*time.Hour))
	if c := third.CatchUp; c.New != 0 || c.Known != 1 || c.Events != 1 {
		t.Errorf("third run: got %+v, want the event of the event path known", c)
	}
	if msgs := w.Receive(t, queue, 2*time.Second); len(msgs) != 2 {
		t.Errorf("got %d more drift messages, want 2 (the late event and the event path's, once each)", len(msgs))
	}
}

func TestMissingConfigurationStopsAtStart(t *testing.T) {
	fn := lambdatest.Start(t, lambdatest.Build(t, "./functions/reconcile"), map[string]string{"AWS_REGION": "us-east-1"})
	if r := fn.Invoke(t, scheduled(time.Now())); r.Error == "" {
		t.Error("a function with no configuration answered without error")
	}
	if !fn.LogsContain(config.EnvBaselineBucket+" is not set", 2*time.Second) {
		t.Errorf("the logs do not name the missing variable:\n%s", fn.Logs())
	}
}

func must(t testing.TB, err error) {
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Helper()
		t.Fatal(err)
	}
}

// TestCatchUpOfTamperCalls: with its deployment in EKSDRIFT_DEPLOYMENT
// (what the stack gives it), the real bootstrap looks up the tamper calls
// in its own region and judges them as the detector does live: the
// detector's rule disabled is a critical tamper finding, published; a
// redeploy is compliant. LookupEvents is a local stand-in (MiniStack's
// records approximations, not CloudTrail's shapes), as in TestCatchUp.
func TestCatchUpOfTamperCalls(t *testing.T) {
	ctx := context.Background()
	sampleBaseline, err := os.ReadFile("../../events/baseline.yaml")
	must(t, err)
	w := stacktest.New(t, sampleBaseline)
	queue := w.Subscribe(t, `{"drift":["true"]}`)
	outputs, err := os.ReadFile("../../events/deployment.outputs")
	must(t, err)
	var dep map[string]map[string]string
	must(t, json.Unmarshal(outputs, &dep))
	b, err := json.Marshal(dep["eksdrift"])
	must(t, err)
	w.Env[config.EnvDeployment] = string(b)

	region := w.Env["AWS_REGION"]
	move := func(sample string) json.RawMessage {
		var r map[string]any
		must(t, json.Unmarshal(record(t, sample, time.Time{}, ""), &r))
		r["awsRegion"] = region
		out, err := json.Marshal(r)
		must(t, err)
		return out
	}
	ct := &fakeCloudTrail{records: []json.RawMessage{move("events-disable-rule-detector.json"), move("lambda-update-function-configuration-redeploy.json")}}
	srv := httptest.NewServer(ct)
	t.Cleanup(srv.Close)
	w.Env["AWS_ENDPOINT_URL_CLOUDTRAIL"] = srv.URL
	w.Env[config.EnvCatchUpFirstLookback] = "2160h"
	w.Env[config.EnvCatchUpInterval] = "0s"
	at := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	rep := invoke(t, lambdatest.Start(t, lambdatest.Build(t, "./functions/reconcile"), w.Env), at)
	if c := rep.CatchUp; c.New != 2 || c.Events != 2 {
		t.Errorf("got %+v, want the 2 tamper calls new", c)
	}
	if n := len(ct.startsOf("UpdateFunctionConfiguration20150331v2")) + len(ct.startsOf("DisableRule")); n != 2 {
		t.Errorf("got %d lookups of DisableRule and UpdateFunctionConfiguration20150331v2, want one each", n)
	}
	f, found, err := w.History.Get(ctx, "4bcc61c9-654a-d4c6-a38d-c98f6d2d0772#tamper##rule:eksdrift-RoutingeksaccesschangesD1C2B3A4-1A2B3C4D5E6F")
	must(t, err)
	if !found || !f.Drift || f.Severity != drift.SeverityCritical || f.NotifiedAt == nil {
		t.Errorf("got %+v (found %v), want a published critical tamper finding", f, found)
	}
	redeploy, err := w.History.Query(ctx, drift.HistoryQuery{Since: at.Add(-2160 * time.Hour)})
	must(t, err)
	var compliant int
	for _, r := range redeploy {
		if r.Kind == drift.KindTamper && !r.Drift && strings.Contains(r.Reason, "a redeploy") {
			compliant++
		}
	}
	if compliant != 1 {
		t.Errorf("got %d compliant redeploys in the history, want 1", compliant)
	}
	if msgs := w.Receive(t, queue, 3*time.Second); len(msgs) != 1 {
		t.Errorf("got %d drift messages, want 1 (the disabled rule)", len(msgs))
	}
}
