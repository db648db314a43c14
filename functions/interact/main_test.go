package main

import (
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
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/eksdrift/eksdrift/internal/accept"
	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/s3"
	"github.com/eksdrift/eksdrift/internal/slack"
)

// The signing secret, the baseline bucket (versioned) and the history
// table are Secrets Manager, S3 and DynamoDB on MiniStack; the handler is
// the one build makes, from the environment the stack gives the function.
// Slack is a test server on 127.0.0.1 that takes the posts to response_url
// (MiniStack serves no Slack).
// TestMain is url_test.go's (lambdatest.Main).

const (
	baselineKey = "baseline.yaml"
	approver1   = "U0APPROVER1"
	approver2   = "U0APPROVER2"
	role        = "arn:aws:iam::111122223333:role/"
)

var at = time.Now().UTC()

// world is what the deployed endpoint sees: its environment, and the
// handler build makes from it, behind a real HTTP server that hands each
// request over as a function URL does.
type world struct {
	t        *testing.T
	s3       *awss3.Client
	bucket   string
	store    *dynamodb.Store
	endpoint *httptest.Server
	slack    *httptest.Server

	mu    sync.Mutex
	posts []slack.Response
}

func newWorld(t *testing.T, slackAccept bool) *world {
	t.Helper()
	ctx := t.Context()
	cfg := awstest.Config(t)
	w := &world{t: t, s3: awss3.NewFromConfig(cfg), bucket: awstest.Name(t, "baseline")}
	if _, err := w.s3.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(w.bucket)}); awstest.Created(err) != nil {
		t.Fatal(err)
	}
	if _, err := w.s3.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: aws.String(w.bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../events/baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Both clusters name the two approvers.
	doc := strings.ReplaceAll(string(data), "    region: us-west-2\n", fmt.Sprintf("    region: us-west-2\n    approvers: [%s, %s]\n", approver1, approver2))
	if _, err := w.s3.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(baselineKey), Body: strings.NewReader(doc)}); err != nil {
		t.Fatal(err)
	}
	dc := ddb.NewFromConfig(cfg)
	table := awstest.Name(t, "history")
	if err := dynamodb.CreateTable(ctx, dc, table); err != nil {
		t.Fatal(err)
	}
	w.store = dynamodb.New(dc, table)
	sec, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(awstest.Name(t, "slack-signing")), SecretString: aws.String(signingSecret)})
	if err != nil {
		t.Fatal(err)
	}
	w.slack = httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var resp slack.Response
		_ = json.NewDecoder(r.Body).Decode(&resp)
		w.mu.Lock()
		w.posts = append(w.posts, resp)
		w.mu.Unlock()
	}))
	t.Cleanup(w.slack.Close)

	env := map[string]string{
		config.EnvSlackSigningSecretARN: aws.ToString(sec.ARN),
		config.EnvHistoryTable:          table,
		config.EnvBaselineBucket:        w.bucket,
		config.EnvBaselineKey:           baselineKey,
		config.EnvSlackTestOrigin:       w.slack.URL + "/",
	}
	if slackAccept {
		env[config.EnvSlackAccept] = "true"
	}
	h, err := build(ctx, func(k string) string { return env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w.endpoint = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		ev := events.LambdaFunctionURLRequest{Headers: map[string]string{}, Body: base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true}
		for k := range r.Header {
			ev.Headers[strings.ToLower(k)] = r.Header.Get(k)
		}
		ev.RequestContext.HTTP.Method = r.Method
		resp, _ := h(r.Context(), ev)
		rw.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(rw, resp.Body)
	}))
	t.Cleanup(w.endpoint.Close)
	return w
}

// record judges c against the baseline in the bucket, as the detector
// does (the live state is the change's own resource), and records the
// finding.
func (w *world) record(c drift.Change) drift.Finding {
	w.t.Helper()
	data, _, _ := w.current()
	ix, err := baseline.IndexAt(at, "s3://"+w.bucket+"/"+baselineKey, []byte(data))
	if err != nil {
		w.t.Fatal(err)
	}
	ev := drift.NewEvaluator(ix)
	f := ev.Confirm(ev.Evaluate(c), c, drift.Observation{Present: true, Resource: c.Resource, ReadAt: c.Event.Time.Add(time.Second)})
	if !f.Drift {
		w.t.Fatalf("the fixture's change is no drift: %s", f.Reason)
	}
	if _, err := w.store.Record(w.t.Context(), []drift.Finding{f}); err != nil {
		w.t.Fatal(err)
	}
	return f
}

func (w *world) current() (data, version string, meta map[string]string) {
	w.t.Helper()
	out, err := w.s3.GetObject(w.t.Context(), &awss3.GetObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(baselineKey)})
	if err != nil {
		w.t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b), aws.ToString(out.VersionId), out.Metadata
}

func (w *world) versions() int {
	w.t.Helper()
	vs, err := s3.Versions(w.t.Context(), w.s3, w.bucket, baselineKey)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(vs)
}

// press posts a signed press of Accept on f by user, as Slack does, and
// gives the status and what was posted back to response_url.
func (w *world) press(user string, f drift.Finding) (int, string) {
	w.t.Helper()
	body := pressOf(user, slack.ActionAccept, f.ID(), w.slack.URL+"/actions/T0TEAM/1234/abcd")
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(signingSecret))
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
	w.mu.Lock()
	defer w.mu.Unlock()
	var said []string
	for _, p := range w.posts {
		j, _ := json.Marshal(p)
		said = append(said, string(j))
	}
	w.posts = nil
	return resp.StatusCode, strings.Join(said, "\n")
}

var changes = 0

func change(cluster string, r drift.Resource) drift.Change {
	changes++
	return drift.Change{
		Event: drift.Event{ID: fmt.Sprintf("ev-%d-%d", changes, time.Now().UnixNano()), Time: at.Add(-time.Hour), Name: "Call",
			Account: "111122223333", Region: "us-west-2", Actor: drift.Actor{ARN: role + "someone", Type: "AssumedRole"}},
		Op: drift.OpAdded, Cluster: cluster, Resource: r,
	}
}

// TestAcceptThroughTheEndpoint: presses of Accept, signed as Slack signs
// them, through the handler the function builds with slackAccept, reach
// the real accepter: one approver accepts an ordinary grant (a new
// version naming the approver); a grant of cluster-admin waits for a
// second approver, the same approver pressing again writes nothing, and a
// different approver completes it; a stranger writes nothing.
func TestAcceptThroughTheEndpoint(t *testing.T) {
	w := newWorld(t, true)

	ordinary := w.record(change("prod", &drift.AccessEntry{PrincipalARN: role + "ci", Type: "STANDARD", KubernetesGroups: []string{"ci"}}))
	critical := w.record(change("staging", &drift.AccessPolicy{PrincipalARN: role + "developers",
		PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", Scope: drift.AccessScope{Type: "cluster"}}))

	steps := []struct {
		name      string
		user      string
		f         drift.Finding
		says      string
		versions  int
		approvers string // of the current version; "" not checked
	}{
		{"a stranger presses", stranger, ordinary, "not an approver", 1, ""},
		{"an approver accepts an ordinary grant", approver1, ordinary, "Accepted into the baseline", 2, approver1},
		{"an approver accepts cluster-admin", approver1, critical, "waits for a second approver", 2, approver1},
		{"the same approver presses again", approver1, critical, "already approved", 2, approver1},
		{"a different approver completes it", approver2, critical, "Accepted into the baseline", 3, approver1 + "," + approver2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			_, before, _ := w.current()
			start := time.Now()
			status, said := w.press(st.user, st.f)
			t.Logf("press answered in %v", time.Since(start).Round(time.Millisecond))
			if status != http.StatusOK {
				t.Fatalf("got status %d, want 200", status)
			}
			if !strings.Contains(said, st.says) {
				t.Errorf("got reply %s, want one saying %q", said, st.says)
			}
			if got := w.versions(); got != st.versions {
				t.Fatalf("got %d versions, want %d", got, st.versions)
			}
			_, version, meta := w.current()
			if st.approvers != "" && meta[accept.MetaApprovers] != st.approvers {
				t.Errorf("got approvers %q, want %q", meta[accept.MetaApprovers], st.approvers)
			}
			if written := version != before; written && meta[accept.MetaFinding] != st.f.ID() {
				t.Errorf("got accepted finding %q, want %q", meta[accept.MetaFinding], st.f.ID())
			} else if written && meta[accept.MetaPreviousVersion] != before {
				t.Errorf("got previous version %q, want %q", meta[accept.MetaPreviousVersion], before)
			}
		})
	}
}

// TestAcceptNeedsTheSetting: without EKSDRIFT_SLACK_ACCEPT the function
// wires no acceptor: an approver's press is refused and nothing is written.
func TestAcceptNeedsTheSetting(t *testing.T) {
	w := newWorld(t, false)
	f := w.record(change("prod", &drift.AccessEntry{PrincipalARN: role + "ci", Type: "STANDARD", KubernetesGroups: []string{"ci"}}))
	status, said := w.press(approver1, f)
	if status != http.StatusOK || !strings.Contains(said, "not available in this deployment") {
		t.Errorf("got %d %s, want 200 saying Accept is not available", status, said)
	}
	if got := w.versions(); got != 1 {
		t.Errorf("got %d versions, want 1", got)
	}
}
