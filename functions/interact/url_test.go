package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/lambdatest"
	"github.com/eksdrift/eksdrift/internal/slack"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// The interaction endpoint end to end: the real bootstrap is a MiniStack
// Lambda function (provided.al2023, run natively) behind a MiniStack
// function URL, and the test is Slack, posting signed interaction payloads
// to that URL over HTTP. Its history table, revert queue, baseline object
// and signing secret are MiniStack's DynamoDB, SQS, S3 and Secrets Manager;
// the revert request it queues is then carried to the real revert bootstrap
// under the runtime emulator. Slack's side of response_url is a test server
// on 127.0.0.1 (MiniStack serves no Slack), named to the function with
// EKSDRIFT_SLACK_TEST_ORIGIN.
func TestMain(m *testing.M) { os.Exit(lambdatest.Main(m)) }

const (
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	approver      = "U0APPROVER"
	stranger      = "U0STRANGER"
	account       = "111122223333"
	admin         = "arn:aws:iam::111122223333:role/platform-admin"
	intruder      = "arn:aws:iam::111122223333:role/contractor"
)

// slackSide takes the posts to response_url.
type slackSide struct {
	mu    sync.Mutex
	posts []slack.Response
	srv   *httptest.Server
}

func newSlackSide(t *testing.T) *slackSide {
	s := &slackSide{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var resp slack.Response
		_ = json.NewDecoder(r.Body).Decode(&resp)
		s.mu.Lock()
		s.posts = append(s.posts, resp)
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// taken gives the posts that came within wait (at least n of them, or
// what came), and forgets them.
func (s *slackSide) taken(n int, wait time.Duration) []slack.Response {
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		got := len(s.posts)
		s.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.posts
	s.posts = nil
	return out
}

var triggers int

// pressOf is a block_actions form body as Slack posts it, with its own
// trigger_id.
func pressOf(user, action, findingID, responseURL string) string {
	triggers++
	p := map[string]any{
		"type": "block_actions", "trigger_id": fmt.Sprint("1.", triggers), "user": map[string]any{"id": user, "username": "someone"}, "team": map[string]any{"id": "T0TEAM"},
		"response_url": responseURL, "actions": []map[string]any{{"type": "button", "action_id": action, "block_id": slack.ActionsBlockID, "value": findingID}},
	}
	b, _ := json.Marshal(p)
	return "payload=" + url.QueryEscape(string(b))
}

// post sends body to the function URL, signed with key at ts as Slack
// signs, and gives the status and the answer's body.
func post(t *testing.T, fnURL, body, key string, ts time.Time) (int, string) {
	t.Helper()
	stamp, sig := sign(body, key, ts)
	return postSigned(t, fnURL, body, stamp, sig)
}

// sign gives the X-Slack-Request-Timestamp and X-Slack-Signature Slack
// sends with body.
func sign(body, key string, ts time.Time) (stamp, sig string) {
	stamp = strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	return stamp, "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// postSigned sends body with the headers as given. A URL in the host form
// (https://{id}.lambda-url.{region}.on.aws/) goes to the emulator with
// that Host header, as a DNS entry for it pointing at 127.0.0.1 would
// send it.
func postSigned(t *testing.T, fnURL, body, stamp, sig string) (int, string) {
	t.Helper()
	target, host := fnURL, ""
	if u, err := url.Parse(fnURL); err == nil && strings.Contains(u.Host, ".lambda-url.") {
		target, host = awstest.Endpoint(t)+u.Path, u.Host
	}
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	must(t, err)
	if host != "" {
		req.Host = host
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", sig)
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("posting to the function URL %s: %v", fnURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deployFunction creates a function package's bootstrap as a MiniStack
// function (provided.al2023, run natively: a build for this machine) with
// env, and gives its name.
func deployFunction(t *testing.T, cfg aws.Config, pkg string, timeout int32, env map[string]string) string {
	t.Helper()
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	fw, err := zw.CreateHeader(hdr)
	must(t, err)
	bin, err := os.ReadFile(lambdatest.Build(t, pkg))
	must(t, err)
	_, err = fw.Write(bin)
	must(t, err)
	must(t, zw.Close())
	lc := awslambda.NewFromConfig(cfg)
	name := awstest.Name(t, strings.TrimPrefix(pkg, "./functions/"))
	_, err = lc.CreateFunction(context.Background(), &awslambda.CreateFunctionInput{
		FunctionName: &name, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/eksdrift-" + strings.TrimPrefix(pkg, "./functions/")), Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()},
		Timeout: aws.Int32(timeout), MemorySize: aws.Int32(256), Environment: &lambdatypes.Environment{Variables: env},
	})
	if !lostAnswer(err, "ResourceConflictException") {
		must(t, err)
	}
	t.Cleanup(func() { lc.DeleteFunction(context.Background(), &awslambda.DeleteFunctionInput{FunctionName: &name}) })
	return name
}

// deploy creates the interact bootstrap as a MiniStack function with env,
// gives it a function URL (AuthType NONE, as infra.NewInteract does), and
// gives the URL in both of MiniStack's forms: the path form,
// {endpoint}/_aws/lambda-url/{url id}/, and the host form the API answers
// (https://{id}.lambda-url.{region}.on.aws/, which postSigned sends to the
// emulator by its Host header, since no DNS here names 127.0.0.1 for it).
func deploy(t *testing.T, cfg aws.Config, env map[string]string) (pathForm, hostForm string) {
	t.Helper()
	name := deployFunction(t, cfg, "./functions/interact", 5, env)
	lc := awslambda.NewFromConfig(cfg)
	u, err := lc.CreateFunctionUrlConfig(context.Background(), &awslambda.CreateFunctionUrlConfigInput{FunctionName: &name, AuthType: lambdatypes.FunctionUrlAuthTypeNone})
	fnURL := ""
	if lostAnswer(err, "ResourceConflictException") {
		got, err := lc.GetFunctionUrlConfig(context.Background(), &awslambda.GetFunctionUrlConfigInput{FunctionName: &name})
		must(t, err)
		fnURL = aws.ToString(got.FunctionUrl)
	} else {
		must(t, err)
		fnURL = aws.ToString(u.FunctionUrl)
	}
	parsed, err := url.Parse(fnURL)
	if err != nil || !strings.Contains(parsed.Host, ".lambda-url.") {
		t.Fatalf("got function URL %q (%v), want https://{id}.lambda-url.{region}.on.aws/", fnURL, err)
	}
	id, _, _ := strings.Cut(parsed.Host, ".")
	return awstest.Endpoint(t) + "/_aws/lambda-url/" + id + "/", parsed.String()
}

// endpoint is one test's deployed interaction endpoint and what it acts on.
type endpoint struct {
	*stacktest.World
	cluster        string
	f              drift.Finding // the intruder's access entry, recorded
	queue          string        // the reverter's queue
	slack          *slackSide
	respURL        string
	fnURL, hostURL string
	revertEnv      map[string]string // the reverter's environment
}

// newEndpoint builds the world: a cluster with a declared admin and an
// undeclared intruder, the finding about the intruder in the history, the
// baseline naming approver for the cluster, the signing secret, the
// reverter's queue, and the interact function behind its URL with the
// environment infra.NewInteract gives it.
func newEndpoint(t *testing.T) *endpoint {
	t.Helper()
	ctx := context.Background()
	e := &endpoint{cluster: awstest.Name(t, "c")}
	doc := []byte(fmt.Sprintf(`version: 1
mode: alert
clusters:
  - name: %s
    account: "%s"
    region: %s
    approvers: [%s]
    accessEntries:
      - principalArn: %s
        accessPolicies:
          - {policyArn: %s, accessScope: {type: cluster}}
`, e.cluster, account, stacktest.EKSRegion, approver, admin, drift.PolicyClusterAdmin))
	ix, err := baseline.Index("b.yaml", doc)
	must(t, err)
	e.World = stacktest.New(t, doc)
	e.CreateCluster(t, e.cluster)
	for _, p := range []string{admin, intruder} {
		must(t, err2(e.EKS.CreateAccessEntry(ctx, &awseks.CreateAccessEntryInput{ClusterName: &e.cluster, PrincipalArn: aws.String(p)})))
	}
	must(t, err2(e.EKS.AssociateAccessPolicy(ctx, &awseks.AssociateAccessPolicyInput{ClusterName: &e.cluster, PrincipalArn: aws.String(admin),
		PolicyArn: aws.String(drift.PolicyClusterAdmin), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}})))
	// The finding the detector would have recorded for the intruder's entry.
	e.f = drift.NewEvaluator(ix).Evaluate(drift.Change{Cluster: e.cluster, Op: drift.OpAdded, Resource: &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD"},
		Event: drift.Event{ID: "ev-" + e.cluster, Time: time.Now().Add(-time.Minute).UTC(), Name: "CreateAccessEntry", Account: account, Region: stacktest.EKSRegion,
			Actor: drift.Actor{ARN: "arn:aws:iam::111122223333:role/person", Type: "AssumedRole"}}})
	if e.f.Decision != drift.DecisionAlert {
		t.Fatalf("got decision %s (%s), want alert", e.f.Decision, e.f.Reason)
	}
	must(t, err2(e.History.Record(ctx, []drift.Finding{e.f})))

	sm := secretsmanager.NewFromConfig(e.Config)
	secretName := awstest.Name(t, "slack-signing")
	sec, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: &secretName, SecretString: aws.String(signingSecret)})
	secretARN := aws.ToString(sec.ARN)
	if lostAnswer(err, "ResourceExistsException") {
		d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &secretName})
		must(t, err)
		secretARN = aws.ToString(d.ARN)
	} else {
		must(t, err)
	}
	q, err := e.SQS.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "revert"))})
	must(t, err)
	e.queue = aws.ToString(q.QueueUrl)
	e.slack = newSlackSide(t)
	e.respURL = e.slack.srv.URL + "/actions/T0TEAM/1234/abcd"

	// What infra.NewInteract gives the function, plus the test origin.
	env := map[string]string{}
	for k, v := range e.Env {
		env[k] = v
	}
	env[config.EnvSlackSigningSecretARN] = secretARN
	env[config.EnvRevertQueueURL] = e.queue
	env[config.EnvSlackTestOrigin] = e.slack.srv.URL + "/"
	e.fnURL, e.hostURL = deploy(t, e.Config, env)

	e.revertEnv = map[string]string{}
	for k, v := range e.Env {
		e.revertEnv[k] = v
	}
	e.revertEnv[config.EnvReverterRoleARN] = "arn:aws:iam::111122223333:role/eksdrift-revert"
	e.revertEnv[config.EnvBaselineHoldDown] = "0s" // the baseline was written a moment ago
	return e
}

// approval reads an approval's item: the record, and whether the reverter
// consumed it.
func (e *endpoint) approval(t *testing.T, id string) (drift.Approval, bool) {
	t.Helper()
	item, err := awsddb.NewFromConfig(e.Config).GetItem(context.Background(), &awsddb.GetItemInput{TableName: &e.Table,
		Key: map[string]ddbtypes.AttributeValue{dynamodb.PartitionKey: &ddbtypes.AttributeValueMemberS{Value: dynamodb.ApprovalPrefix + id}}})
	must(t, err)
	var a drift.Approval
	if rec, ok := item.Item[dynamodb.AttrRecord].(*ddbtypes.AttributeValueMemberS); ok {
		must(t, json.Unmarshal([]byte(rec.Value), &a))
	}
	return a, item.Item[dynamodb.AttrConsumedAt] != nil
}

// TestSlackThroughTheFunctionURL presses the buttons of a drift message on
// an undeclared access entry: wrongly signed (refused, nothing written),
// Revert now by an approver (an approval and a request on the queue; the
// real reverter then removes the entry), the same request replayed
// (refused), and Revert now by someone who is no approver (an ephemeral
// refusal, recorded). It logs the time from the press to the revert
// applied.
func TestSlackThroughTheFunctionURL(t *testing.T) {
	ctx := context.Background()
	e := newEndpoint(t)
	w, f, queue, sl, respURL, fnURL, hostURL, cluster := e.World, e.f, e.queue, e.slack, e.respURL, e.fnURL, e.hostURL, e.cluster

	// The reverter, under the runtime emulator, warmed with an empty batch
	// so that the figure below is a warm reverter's.
	reverter := lambdatest.Start(t, lambdatest.Build(t, "./functions/revert"), e.revertEnv)
	if r := reverter.Invoke(t, []byte(`{"Records":[]}`)); r.Error != "" {
		t.Fatalf("reverter warm-up: %s", r.Error)
	}

	interactions := func() []drift.Interaction {
		t.Helper()
		list, err := w.History.Interactions(ctx)
		must(t, err)
		return list
	}
	// queued takes the requests on the queue, waiting up to wait seconds
	// for the first.
	queued := func(wait int32) []string {
		t.Helper()
		out, err := w.SQS.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
		must(t, err)
		var bodies []string
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			w.SQS.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle})
		}
		return bodies
	}

	// First, and cold: a press signed with another secret.
	start := time.Now()
	status, body := post(t, fnURL, pressOf(approver, slack.ActionRevert, f.ID(), respURL), "not-the-signing-secret", time.Now())
	t.Logf("function URL, cold start: %d after %s", status, time.Since(start).Round(time.Millisecond))
	if status != http.StatusUnauthorized || !strings.Contains(body, "signature does not match") {
		t.Fatalf("wrong signature: got %d %q, want 401 saying the signature does not match", status, body)
	}
	if list, msgs, posts := interactions(), queued(0), sl.taken(0, 0); len(list)+len(msgs)+len(posts) != 0 {
		t.Fatalf("wrong signature: got %d interactions, %d requests, %d posts, want nothing written", len(list), len(msgs), len(posts))
	}

	// Revert now, by an approver, and the reverter on the request it queued.
	press := pressOf(approver, slack.ActionRevert, f.ID(), respURL)
	pressedAt := time.Now()
	start = time.Now()
	status, body = post(t, fnURL, press, signingSecret, pressedAt)
	answered := time.Since(start)
	if status != http.StatusOK {
		t.Fatalf("Revert now: got %d %q, want 200", status, body)
	}
	msgs := queued(2)
	if len(msgs) != 1 {
		t.Fatalf("Revert now: got %d requests on the queue, want 1 (interactions %+v, posts %+v)", len(msgs), interactions(), sl.taken(1, time.Second))
	}
	var req drift.RevertRequest
	must(t, json.Unmarshal([]byte(msgs[0]), &req))
	if req.FindingID != f.ID() || req.ApprovalID == "" {
		t.Fatalf("got request %+v, want one naming an approval and %s", req, f.ID())
	}
	sqsEvent, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-1", Body: msgs[0]}}})
	if r := reverter.Invoke(t, sqsEvent); r.Error != "" || strings.Contains(string(r.Body), "itemIdentifier") {
		t.Fatalf("reverter: %s %s", r.Error, r.Body)
	}
	took := time.Since(start)
	if _, err := w.EKS.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: &cluster, PrincipalArn: aws.String(intruder)}); err == nil {
		t.Fatalf("the intruder's access entry is still there after the revert")
	}
	if _, err := w.EKS.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: &cluster, PrincipalArn: aws.String(admin)}); err != nil {
		t.Fatalf("the declared admin's access entry: %v, want it kept", err)
	}
	t.Logf("button press to revert applied, through the function URL: %s (the function URL answered after %s)", took.Round(time.Millisecond), answered.Round(time.Millisecond))
	stored, _, err := w.History.Get(ctx, f.ID())
	must(t, err)
	if stored.Outcome == nil || stored.Outcome.Result != drift.ResultReverted {
		t.Errorf("got outcome %+v, want reverted", stored.Outcome)
	}
	if a, consumed := e.approval(t, req.ApprovalID); a.Approver != approver || a.FindingID != f.ID() || !consumed {
		t.Errorf("got approval %+v (consumed %v), want %s's for %s, consumed by the reverter", a, consumed, approver, f.ID())
	}
	list := interactions()
	if len(list) != 1 || list[0].User != approver || list[0].Action != slack.ActionRevert || list[0].Outcome != drift.InteractionAllowed {
		t.Errorf("got interactions %+v, want %s's Revert now, allowed", list, approver)
	}
	posts := sl.taken(1, 2*time.Second)
	text, _ := json.Marshal(posts)
	if len(posts) != 1 || !posts[0].ReplaceOriginal || !bytes.Contains(text, []byte("Revert requested")) || !bytes.Contains(text, []byte("@"+approver)) {
		t.Errorf("got posts %s, want the message replaced with the request and who asked", text)
	}

	// The same request again, as an attacker who captured it would send it.
	if status, body := post(t, fnURL, press, signingSecret, pressedAt); status != http.StatusUnauthorized || !strings.Contains(body, "seen before") {
		t.Errorf("replay: got %d %q, want 401 saying it was seen before", status, body)
	}
	if n, msgs := len(interactions()), queued(0); n != 1 || len(msgs) != 0 {
		t.Errorf("replay: got %d interactions and %d requests, want the first press's alone", n, len(msgs))
	}
	// And again with the signature's hex digits in upper case: the same
	// HMAC to the verifier (hex decoding ignores case), another string.
	stamp, sig := sign(press, signingSecret, pressedAt)
	if status, body := postSigned(t, fnURL, press, stamp, "v0="+strings.ToUpper(strings.TrimPrefix(sig, "v0="))); status != http.StatusUnauthorized || !strings.Contains(body, "seen before") {
		t.Errorf("replay, signature in upper case: got %d %q, want 401 saying it was seen before", status, body)
	}
	if n, msgs := len(interactions()), queued(0); n != 1 || len(msgs) != 0 {
		t.Errorf("replay, signature in upper case: got %d interactions and %d requests, want the first press's alone", n, len(msgs))
	}

	// Revert now, signed by Slack, from someone the baseline does not list,
	// through the URL's host form.
	if status, body := post(t, hostURL, pressOf(stranger, slack.ActionRevert, f.ID(), respURL), signingSecret, time.Now()); status != http.StatusOK {
		t.Fatalf("non-approver: got %d %q, want 200 (Slack's request all the same)", status, body)
	}
	posts = sl.taken(1, 2*time.Second)
	if len(posts) != 1 || posts[0].ResponseType != "ephemeral" || posts[0].ReplaceOriginal || !strings.Contains(posts[0].Text, "not an approver") {
		t.Errorf("non-approver: got posts %+v, want one ephemeral refusal saying not an approver", posts)
	}
	list = interactions()
	if len(list) != 2 || list[1].User != stranger || list[1].Outcome != drift.InteractionRefused {
		t.Errorf("non-approver: got interactions %+v, want a second, %s refused", list, stranger)
	}
	if msgs := queued(0); len(msgs) != 0 {
		t.Errorf("non-approver: got %d requests on the queue, want none", len(msgs))
	}
}

// TestRevertNowThroughTheQueue is the deployment's path with no test in
// between: the reverter is a MiniStack function too, fed by an event
// source mapping on its queue as the stack feeds it, and the test presses
// Revert now at the function URL and waits for the access entry to go. It
// logs the time from the press to the revert applied, MiniStack's polling
// of the queue included.
func TestRevertNowThroughTheQueue(t *testing.T) {
	ctx := context.Background()
	e := newEndpoint(t)
	lc := awslambda.NewFromConfig(e.Config)
	reverter := deployFunction(t, e.Config, "./functions/revert", 30, e.revertEnv)
	// Warmed with an empty batch, so the figure is a warm reverter's.
	if out, err := lc.Invoke(ctx, &awslambda.InvokeInput{FunctionName: &reverter, Payload: []byte(`{"Records":[]}`)}); err != nil || out.FunctionError != nil {
		t.Fatalf("reverter warm-up: %v %s", err, out.Payload)
	}
	qa, err := e.SQS.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: &e.queue, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must(t, err)
	esm, err := lc.CreateEventSourceMapping(ctx, &awslambda.CreateEventSourceMappingInput{FunctionName: &reverter, EventSourceArn: aws.String(qa.Attributes["QueueArn"]),
		BatchSize: aws.Int32(10), FunctionResponseTypes: []lambdatypes.FunctionResponseType{lambdatypes.FunctionResponseTypeReportBatchItemFailures}})
	must(t, err)
	t.Cleanup(func() {
		lc.DeleteEventSourceMapping(context.Background(), &awslambda.DeleteEventSourceMappingInput{UUID: esm.UUID})
	})
	// The endpoint's cold start, out of the figure.
	if status, body := post(t, e.fnURL, pressOf(approver, slack.ActionRevert, e.f.ID(), e.respURL), "not-the-signing-secret", time.Now()); status != http.StatusUnauthorized {
		t.Fatalf("wrong signature: got %d %q, want 401", status, body)
	}

	start := time.Now()
	if status, body := post(t, e.fnURL, pressOf(approver, slack.ActionRevert, e.f.ID(), e.respURL), signingSecret, time.Now()); status != http.StatusOK {
		t.Fatalf("Revert now: got %d %q, want 200", status, body)
	}
	answered := time.Since(start)
	for {
		_, err := e.EKS.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: &e.cluster, PrincipalArn: aws.String(intruder)})
		if err != nil {
			break
		}
		if time.Since(start) > 15*time.Second {
			list, _ := e.History.Interactions(ctx)
			t.Fatalf("the intruder's access entry is still there %s after the press (interactions %+v)", time.Since(start).Round(time.Millisecond), list)
		}
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("button press to revert applied, function URL to queue to reverter on MiniStack: %s (the function URL answered after %s)", took.Round(time.Millisecond), answered.Round(time.Millisecond))
	// The reverter records its outcome after the entry is gone.
	var stored drift.Finding
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		stored, _, err = e.History.Get(ctx, e.f.ID())
		must(t, err)
		if stored.Outcome != nil {
			break
		}
	}
	if stored.Outcome == nil || stored.Outcome.Result != drift.ResultReverted || !strings.Contains(stored.Outcome.By, approver) {
		t.Errorf("got outcome %+v, want reverted, approved by %s", stored.Outcome, approver)
	}
}

// lostAnswer says whether err is code for a create this test named
// uniquely: the SDK retried a request whose first answer was lost on a
// loaded machine, and the emulator had made the resource the first time.
func lostAnswer(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func err2[T any](_ T, err error) error { return err }
