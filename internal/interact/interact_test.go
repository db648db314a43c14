package interact

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/slack"
	"github.com/eksdrift/eksdrift/internal/sqs"
)

// The history, the replay records and the reverter's queue are DynamoDB and
// SQS on MiniStack. Slack itself is a test server on 127.0.0.1: it takes
// the posts to response_url, and answers usergroups.users.list (MiniStack
// serves no Slack).
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const (
	secret   = "8f742231b10e8888abcd99yyyzzz85a5"
	approver = "U0APPROVER"
	member   = "U0MEMBER"
	stranger = "U0STRANGER"
	group    = "S0SECURITY"
)

// fakeSlack is Slack's side: response_url posts and the user groups API.
type fakeSlack struct {
	mu    sync.Mutex
	posts []slack.Response
	srv   *httptest.Server
}

func newFakeSlack(t *testing.T) *fakeSlack {
	s := &fakeSlack{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/usergroups.users.list") {
			_ = r.ParseForm()
			users := []string{}
			if r.Form.Get("usergroup") == group {
				users = []string{member}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "users": users})
			return
		}
		var resp slack.Response
		_ = json.NewDecoder(r.Body).Decode(&resp)
		s.mu.Lock()
		s.posts = append(s.posts, resp)
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fakeSlack) taken() []slack.Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.posts
	s.posts = nil
	return out
}

// recordingAcceptor stands in for internal/accept, so that these tests
// see what the handler asks: it records it and answers result. The real
// accepter behind the handler is functions/interact's test.
type recordingAcceptor struct {
	mu     sync.Mutex
	asked  []string
	result AcceptResult
}

func (a *recordingAcceptor) Accept(_ context.Context, f drift.Finding, approver string, _ time.Time) (AcceptResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, approver+" "+f.ID())
	return a.result, nil
}

type world struct {
	t        *testing.T
	h        *Handler
	store    *dynamodb.Store
	sqsc     *awssqs.Client
	queueURL string
	slack    *fakeSlack
	endpoint *httptest.Server
	f        drift.Finding
	acceptor *recordingAcceptor
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	cfg := awstest.Config(t)
	ddbc := awsddb.NewFromConfig(cfg)
	table := awstest.Name(t, "h")
	if err := dynamodb.CreateTable(ctx, ddbc, table); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: dynamodb.New(ddbc, table), sqsc: awssqs.NewFromConfig(cfg), slack: newFakeSlack(t), acceptor: &recordingAcceptor{}}
	q, err := w.sqsc.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "revert"))})
	if err != nil {
		t.Fatal(err)
	}
	w.queueURL = aws.ToString(q.QueueUrl)
	w.f = drifttest.FixtureFinding(t, "access-entry")
	if _, err := w.store.Record(ctx, []drift.Finding{w.f}); err != nil {
		t.Fatal(err)
	}
	ix, err := baseline.Index("b.yaml", []byte(fmt.Sprintf(`version: 1
mode: alert
clusters:
  - name: %s
    account: "%s"
    region: %s
    approvers: [%s, %s]
`, w.f.Cluster, w.f.Account, w.f.Region, approver, group)))
	if err != nil {
		t.Fatal(err)
	}
	groups := slack.NewGroups(func(context.Context) (string, error) { return "xoxb-test", nil })
	groups.APIURL = w.slack.srv.URL + "/api/"
	w.h = &Handler{
		Secret:         func(context.Context) (string, error) { return secret, nil },
		Requests:       w.store,
		History:        w.store,
		Baseline:       func(context.Context) (*drift.Index, error) { return ix, nil },
		Reverter:       sqs.New(w.sqsc, w.queueURL),
		Acceptor:       w.acceptor,
		Groups:         groups,
		Responder:      slack.NewResponder(),
		ResponseOrigin: w.slack.srv.URL + "/",
		Log:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	// The handler behind a real HTTP server, given each request as a
	// function URL gives it (headers in lower case, the body in base64).
	w.endpoint = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		ev := events.LambdaFunctionURLRequest{Headers: map[string]string{}, Body: base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true}
		for k := range r.Header {
			ev.Headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		ev.RequestContext.HTTP.Method = r.Method
		resp, _ := w.h.Handle(r.Context(), ev)
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(rw, resp.Body)
	}))
	t.Cleanup(w.endpoint.Close)
	return w
}

var triggers int

// payload is a block_actions form body as Slack posts it; each has its own
// trigger_id, as Slack's do, so that no two are the same request.
func payload(user, action, value, responseURL string) string {
	triggers++
	p := map[string]any{
		"type": "block_actions", "trigger_id": fmt.Sprint("1.", triggers), "user": map[string]any{"id": user, "username": "someone"}, "team": map[string]any{"id": "T0TEAM"},
		"response_url": responseURL, "actions": []map[string]any{{"type": "button", "action_id": action, "block_id": slack.ActionsBlockID, "value": value}},
	}
	b, _ := json.Marshal(p)
	return "payload=" + url.QueryEscape(string(b))
}

// post sends body signed with key at ts, and gives the status.
func (w *world) post(body, key string, ts time.Time) int {
	w.t.Helper()
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	req, _ := http.NewRequest(http.MethodPost, w.endpoint.URL, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (w *world) interactions() []drift.Interaction {
	w.t.Helper()
	list, err := w.store.Interactions(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return list
}

func (w *world) respURL() string { return w.slack.srv.URL + "/actions/T0TEAM/1234/abcd" }

func TestRequests(t *testing.T) {
	w := newWorld(t)
	id := w.f.ID()
	ok := func(user, action string) string { return payload(user, action, id, w.respURL()) }
	tests := []struct {
		name   string
		body   string
		key    string
		at     time.Duration // from now
		status int
		// outcome is the interaction recorded ("" none); reply what is
		// posted to response_url: "replace", "ephemeral" or "" (nothing).
		outcome, reply, says string
	}{
		{"signed correctly, by an approver", ok(approver, slack.ActionSnooze1h), secret, 0, 200, drift.InteractionAllowed, "replace", "Snoozed until"},
		{"signed with another secret", ok(approver, slack.ActionSnooze1h), "not-the-secret", 0, 401, "", "", ""},
		{"stale: 6 minutes old", ok(approver, slack.ActionSnooze24h), secret, -6 * time.Minute, 401, "", "", ""},
		{"from the future: 6 minutes ahead", ok(approver, slack.ActionSnooze24h), secret, 6 * time.Minute, 401, "", "", ""},
		{"from a non-approver", ok(stranger, slack.ActionRevert), secret, 0, 200, drift.InteractionRefused, "ephemeral", "not an approver"},
		{"from a member of an approver group", ok(member, slack.ActionSnooze24h), secret, 0, 200, drift.InteractionAllowed, "replace", "Snoozed until"},
		{"with a forged response_url", payload(approver, slack.ActionRevert, id, "https://hooks.slack.com.evil.example/x"), secret, 0, 200, drift.InteractionRefused, "", ""},
		{"with response_url on another origin", payload(approver, slack.ActionRevert, id, "http://127.0.0.2:1/"+w.slack.srv.URL), secret, 0, 200, drift.InteractionRefused, "", ""},
		{"a finding that is not recorded", payload(approver, slack.ActionRevert, "forged#access-entry#prod#x", w.respURL()), secret, 0, 200, drift.InteractionRefused, "ephemeral", "is recorded"},
		{"an oversized body", ok(approver, slack.ActionSnooze1h) + "&pad=" + strings.Repeat("a", DefaultMaxBody), secret, 0, 413, "", "", ""},
		{"an action that is not eksdrift's", ok(approver, "delete_everything"), secret, 0, 400, "", "", ""},
		{"a user that is no Slack ID", ok("<@U0APPROVER>", slack.ActionSnooze1h), secret, 0, 400, "", "", ""},
		{"no payload", "hello=world", secret, 0, 400, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(w.interactions())
			if got := w.post(tt.body, tt.key, time.Now().Add(tt.at)); got != tt.status {
				t.Fatalf("status: got %d, want %d", got, tt.status)
			}
			list := w.interactions()
			switch {
			case tt.outcome == "" && len(list) != before:
				t.Errorf("got %d interactions recorded, want none", len(list)-before)
			case tt.outcome != "" && (len(list) != before+1 || list[len(list)-1].Outcome != tt.outcome):
				t.Errorf("got interactions %+v, want one more, %s", list[before:], tt.outcome)
			}
			posts := w.slack.taken()
			switch tt.reply {
			case "":
				if len(posts) != 0 {
					t.Errorf("got %d posts to response_url, want none", len(posts))
				}
			case "replace", "ephemeral":
				if len(posts) != 1 {
					t.Fatalf("got %d posts to response_url, want 1", len(posts))
				}
				p := posts[0]
				if p.ReplaceOriginal != (tt.reply == "replace") || (p.ResponseType == "ephemeral") != (tt.reply == "ephemeral") {
					t.Errorf("got %+v, want a %s reply", p, tt.reply)
				}
				text, _ := json.Marshal(p)
				if !bytes.Contains(text, []byte(tt.says)) {
					t.Errorf("got %s, want it to say %q", text, tt.says)
				}
			}
		})
	}
}

func TestReplayIsRefused(t *testing.T) {
	w := newWorld(t)
	body := payload(approver, slack.ActionSnooze1h, w.f.ID(), w.respURL())
	at := time.Now()
	if got := w.post(body, secret, at); got != 200 {
		t.Fatalf("first: got %d, want 200", got)
	}
	if got := w.post(body, secret, at); got != 401 {
		t.Errorf("replay: got %d, want 401", got)
	}
	if n := len(w.interactions()); n != 1 {
		t.Errorf("got %d interactions, want the first alone", n)
	}
}

func TestRevertNowWritesAnApprovalAndARequest(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	if got := w.post(payload(approver, slack.ActionRevert, w.f.ID(), w.respURL()), secret, time.Now()); got != 200 {
		t.Fatalf("got %d, want 200", got)
	}
	out, err := w.sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL), WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("got %d messages (%v), want one request", len(out.Messages), err)
	}
	var req drift.RevertRequest
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &req); err != nil || req.FindingID != w.f.ID() {
		t.Fatalf("got %+v (%v), want a request for %s", req, err, w.f.ID())
	}
	a, ok, err := w.store.ConsumeApproval(ctx, req.ApprovalID, time.Now())
	if err != nil || !ok || a.FindingID != w.f.ID() || a.Approver != approver || !a.Expires.After(time.Now()) {
		t.Errorf("approval: got %+v, %v, %v, want a fresh one for the finding by %s", a, ok, err, approver)
	}
	posts := w.slack.taken()
	text, _ := json.Marshal(posts)
	if len(posts) != 1 || !posts[0].ReplaceOriginal || !bytes.Contains(text, []byte("Revert requested")) || !bytes.Contains(text, []byte("@"+approver)) {
		t.Errorf("got %+v, want the message replaced with the request", posts)
	}
}

func TestAccept(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name     string
		acceptor Acceptor
		result   AcceptResult
		reply    string
	}{
		{"written", w.acceptor, AcceptResult{Written: true, Version: "v42"}, "Accepted into the baseline (version v42)"},
		{"waiting for a second approver", w.acceptor, AcceptResult{Pending: true, Why: "cluster-admin needs two approvers"}, "waits for a second approver"},
		{"refused", w.acceptor, AcceptResult{Why: "the baseline changed"}, "Not accepted: the baseline changed"},
		{"no acceptor wired", nil, AcceptResult{}, "not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.h.Acceptor = tt.acceptor
			w.acceptor.result = tt.result
			if got := w.post(payload(approver, slack.ActionAccept, w.f.ID(), w.respURL()), secret, time.Now()); got != 200 {
				t.Fatalf("got %d", got)
			}
			posts := w.slack.taken()
			text, _ := json.Marshal(posts)
			if len(posts) != 1 || !bytes.Contains(text, []byte(tt.reply)) {
				t.Errorf("got %s, want %q", text, tt.reply)
			}
		})
	}
	if len(w.acceptor.asked) != 3 || w.acceptor.asked[0] != approver+" "+w.f.ID() {
		t.Errorf("got %v, want the acceptor asked three times, by %s", w.acceptor.asked, approver)
	}
}

func TestGroupsWithoutABotToken(t *testing.T) {
	w := newWorld(t)
	w.h.Groups = nil
	if got := w.post(payload(member, slack.ActionSnooze1h, w.f.ID(), w.respURL()), secret, time.Now()); got != 200 {
		t.Fatalf("got %d", got)
	}
	posts := w.slack.taken()
	if len(posts) != 1 || !strings.Contains(posts[0].Text, "bot token") {
		t.Errorf("got %+v, want a refusal naming the bot token", posts)
	}
}

// Cluster prod in two accounts, each with its own approvers: the shared
// file declares the fixture's account's, member B's file B's. A press is
// judged with the approvers of the recorded finding's own account, and
// what it writes (the snooze, the approval, the revert request) names that
// finding alone. BaselineFor stands in for wiring.AccountBaselines (its
// merge is tested in internal/wiring on MiniStack).
func TestApproversAreThoseOfTheFindingsAccount(t *testing.T) {
	const b, bApprover = "999900001111", "U0BAPPROVER"
	w := newWorld(t)
	ctx := context.Background()
	fb := w.f
	fb.Account, fb.EventID = b, "b0b0b0b0-0000-4000-8000-000000000001"
	if fb.ID() == w.f.ID() || drift.DriftKey(fb) == drift.DriftKey(w.f) {
		t.Fatalf("the two findings share an ID or a drift key: %s, %s", fb.ID(), drift.DriftKey(fb))
	}
	if _, err := w.store.Record(ctx, []drift.Finding{fb}); err != nil {
		t.Fatal(err)
	}
	bix, err := baseline.Index("baselines/"+b+".yaml", []byte(fmt.Sprintf("version: 1\nmode: alert\nclusters:\n  - name: %s\n    account: \"%s\"\n    region: %s\n    approvers: [%s]\n",
		fb.Cluster, b, fb.Region, bApprover)))
	if err != nil {
		t.Fatal(err)
	}
	shared := w.h.Baseline
	w.h.BaselineFor = func(ctx context.Context, account string) (*drift.Index, error) {
		if account == b {
			return bix, nil
		}
		return shared(ctx)
	}
	tests := []struct {
		name, user, action string
		f                  drift.Finding
		outcome, says      string
	}{
		{"B's approver snoozes B's finding", bApprover, slack.ActionSnooze1h, fb, drift.InteractionAllowed, "Snoozed until"},
		{"the shared file's approver of prod, on B's prod", approver, slack.ActionRevert, fb, drift.InteractionRefused, "you are not an approver of cluster " + fb.Cluster},
		{"B's approver, on the other account's prod", bApprover, slack.ActionRevert, w.f, drift.InteractionRefused, "you are not an approver of cluster " + fb.Cluster},
		{"B's approver reverts B's finding", bApprover, slack.ActionRevert, fb, drift.InteractionAllowed, "Revert requested"},
		{"B's approver accepts B's finding, declared in B's file", bApprover, slack.ActionAccept, fb, drift.InteractionRefused, "Accept writes only the shared file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.post(payload(tt.user, tt.action, tt.f.ID(), w.respURL()), secret, time.Now()); got != 200 {
				t.Fatalf("status: got %d, want 200", got)
			}
			list := w.interactions()
			if last := list[len(list)-1]; last.Outcome != tt.outcome || last.FindingID != tt.f.ID() || !strings.Contains(last.Reason, tt.says) {
				t.Errorf("got %s on %s (%s), want %s on %s saying %q", last.Outcome, last.FindingID, last.Reason, tt.outcome, tt.f.ID(), tt.says)
			}
		})
	}
	if len(w.acceptor.asked) != 0 {
		t.Errorf("the acceptor was asked %v, want never: it amends the shared file, where B's prod is not", w.acceptor.asked)
	}
	if until, err := w.store.SnoozedUntil(ctx, drift.DriftKey(w.f)); err != nil || !until.IsZero() {
		t.Errorf("the other account's prod: got snoozed until %v (%v), want not snoozed", until, err)
	}
	if until, err := w.store.SnoozedUntil(ctx, drift.DriftKey(fb)); err != nil || until.IsZero() {
		t.Errorf("B's prod: got snoozed until %v (%v), want snoozed", until, err)
	}
	out, err := w.sqsc.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(w.queueURL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || !strings.Contains(aws.ToString(out.Messages[0].Body), fb.ID()) {
		t.Fatalf("revert requests: got %d, want one naming %s", len(out.Messages), fb.ID())
	}
	var req drift.RevertRequest
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &req); err != nil {
		t.Fatal(err)
	}
	a, ok, err := w.store.ConsumeApproval(ctx, req.ApprovalID, time.Now())
	if err != nil || !ok || a.FindingID != fb.ID() || a.Approver != bApprover {
		t.Errorf("the approval: got %+v, %v, %v, want B's finding approved by %s", a, ok, err, bApprover)
	}
}
