package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
)

// staticSecret is a secret that never changes.
type staticSecret string

func (s staticSecret) Value(context.Context) (string, error) { return string(s), nil }

// hook stands in for Slack: it answers each post with the next response in
// its script (the last one repeats) and keeps what it received.
type hook struct {
	mu     sync.Mutex
	script []response
	bodies [][]byte
	server *httptest.Server
}

type response struct {
	status     int
	body       string
	retryAfter string
}

func newHook(t *testing.T, script ...response) *hook {
	t.Helper()
	h := &hook{script: script}
	h.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		resp := h.script[min(len(h.bodies), len(h.script))-1]
		h.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/services/T000/B000/XXXXsecretXXXX" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if resp.retryAfter != "" {
			w.Header().Set("Retry-After", resp.retryAfter)
		}
		w.WriteHeader(resp.status)
		io.WriteString(w, resp.body)
	}))
	t.Cleanup(h.server.Close)
	return h
}

func (h *hook) url() string { return h.server.URL + "/services/T000/B000/XXXXsecretXXXX" }

func (h *hook) posts() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bodies
}

// client gives a client of h that records its waits instead of sleeping.
func client(h *hook, waits *[]time.Duration) *Client {
	c := NewClient(staticSecret(h.url()))
	c.Sleep = func(_ context.Context, d time.Duration) error { *waits = append(*waits, d); return nil }
	return c
}

func sample(t testing.TB) *slackgo.WebhookMessage {
	return Finding(drifttest.FixtureFinding(t, "access-policy"))
}

func TestPost(t *testing.T) {
	ok := response{status: 200, body: "ok"}
	for _, tt := range []struct {
		name      string
		script    []response
		attempts  int
		waits     []time.Duration // exact waits; nil to check bounds only
		textOnly  bool
		wantErr   string
		permanent bool
	}{
		{name: "ok", script: []response{ok}, attempts: 1, waits: []time.Duration{}},
		{name: "429 waits Retry-After", script: []response{{status: 429, body: "rate_limited", retryAfter: "3"}, ok}, attempts: 2, waits: []time.Duration{3 * time.Second}},
		{name: "429 without Retry-After waits a second", script: []response{{status: 429}, ok}, attempts: 2, waits: []time.Duration{time.Second}},
		{name: "429 with a long Retry-After fails at once", script: []response{{status: 429, retryAfter: "3600"}}, attempts: 1, waits: []time.Duration{}, wantErr: `slack webhook: HTTP 429: rate limited for 1h0m0s, more than the 1m0s eksdrift waits (after 1 attempts)`},
		{name: "500 then ok", script: []response{{status: 500, body: "rollup_error"}, {status: 503}, ok}, attempts: 3},
		{name: "500 until the attempts run out", script: []response{{status: 500, body: "rollup_error"}}, attempts: 5, wantErr: `slack webhook: HTTP 500 "rollup_error" (after 5 attempts)`},
		{name: "404 is permanent", script: []response{{status: 404, body: "no_service"}}, attempts: 1, waits: []time.Duration{}, wantErr: `slack webhook: HTTP 404 "no_service" (after 1 attempts)`, permanent: true},
		{name: "refused blocks fall back to the text", script: []response{{status: 400, body: "invalid_blocks"}, ok}, attempts: 2, waits: []time.Duration{}, textOnly: true},
		{name: "refused text too", script: []response{{status: 400, body: "invalid_blocks"}, {status: 400, body: "invalid_payload"}}, attempts: 2, waits: []time.Duration{}, textOnly: true, wantErr: `HTTP 400 "invalid_payload"`, permanent: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t, tt.script...)
			var waits []time.Duration
			c := client(h, &waits)
			m := sample(t)
			d, err := c.Post(context.Background(), m)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if tt.wantErr != "" {
				var pe *PostError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &pe) {
					t.Fatalf("got %v, want a *PostError saying %q", err, tt.wantErr)
				}
				if pe.Permanent != tt.permanent {
					t.Errorf("Permanent: got %v, want %v", pe.Permanent, tt.permanent)
				}
			}
			if d.Attempts != tt.attempts || len(h.posts()) != tt.attempts {
				t.Errorf("attempts: got %d (server saw %d), want %d", d.Attempts, len(h.posts()), tt.attempts)
			}
			if d.TextOnly != tt.textOnly {
				t.Errorf("TextOnly: got %v, want %v", d.TextOnly, tt.textOnly)
			}
			if tt.waits != nil {
				if len(waits) != len(tt.waits) {
					t.Fatalf("waits: got %v, want %v", waits, tt.waits)
				}
				for i := range waits {
					if waits[i] != tt.waits[i] {
						t.Errorf("waits: got %v, want %v", waits, tt.waits)
					}
				}
			} else {
				for i, w := range waits {
					hi := min(c.BaseDelay<<i, c.MaxDelay)
					if w < hi/2 || w > hi {
						t.Errorf("wait %d: got %v, want between %v and %v", i, w, hi/2, hi)
					}
				}
			}
			// The first post is the message, as Encode gives it.
			want, _ := Encode(m, "")
			if got := h.posts()[0]; string(got) != string(want) {
				t.Errorf("posted:\ngot  %s\nwant %s", got, want)
			}
			if tt.textOnly {
				var got map[string]any
				json.Unmarshal(h.posts()[1], &got)
				if got["text"] != m.Text || got["blocks"] != nil {
					t.Errorf("fallback: got %s, want the text alone", h.posts()[1])
				}
			}
		})
	}
}

func TestPostNeverShowsTheURL(t *testing.T) {
	// A port nothing listens on: every attempt is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	secretURL := "http://" + addr + "/services/T000/B000/XXXXsecretXXXX"
	var waits []time.Duration
	c := NewClient(staticSecret(secretURL))
	c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	d, err := c.Post(context.Background(), sample(t))
	if err == nil {
		t.Fatal("got no error")
	}
	if d.Attempts != 5 || len(waits) != 4 {
		t.Errorf("got %d attempts and %d waits, want 5 and 4", d.Attempts, len(waits))
	}
	if strings.Contains(err.Error(), "XXXXsecretXXXX") || strings.Contains(err.Error(), "/services/") {
		t.Errorf("error %q shows the webhook URL", err)
	}
	if !strings.Contains(err.Error(), "POST failed") {
		t.Errorf("error %q does not say the POST failed", err)
	}
}

func TestPostStopsBeforeTheDeadline(t *testing.T) {
	h := newHook(t, response{status: 429, retryAfter: "30"})
	var waits []time.Duration
	c := client(h, &waits)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Post(ctx, sample(t))
	if err == nil || !strings.Contains(err.Error(), "would come after the invocation's deadline") || len(waits) != 0 {
		t.Errorf("got %v after waits %v, want an error about the deadline and no wait", err, waits)
	}
}

func TestWebhookURL(t *testing.T) {
	for _, tt := range []struct {
		secret, want string
	}{
		{"https://hooks.slack.com/services/T0/B0/XXXX", "https://hooks.slack.com/services/T0/B0/XXXX"},
		{" https://hooks.slack.com/services/T0/B0/XXXX\n", "https://hooks.slack.com/services/T0/B0/XXXX"},
		{`{"url": "https://hooks.slack.com/services/T0/B0/XXXX"}`, "https://hooks.slack.com/services/T0/B0/XXXX"},
		{`{"webhookUrl": "https://hooks.slack.com/services/T0/B0/XXXX", "channel": "#sec"}`, "https://hooks.slack.com/services/T0/B0/XXXX"},
		{"http://127.0.0.1:8080/services/T0/B0/XXXX", "http://127.0.0.1:8080/services/T0/B0/XXXX"},
		{"http://hooks.slack.com/services/T0/B0/XXXX", ""},
		{"hooks.slack.com/services/T0/B0/XXXX", ""},
		{`{"token": "xoxb-XXXX"}`, ""},
		{`{not json XXXX`, ""},
		{"", ""},
	} {
		u, err := webhookURL(tt.secret)
		switch {
		case tt.want == "" && !errors.Is(err, ErrNoWebhook):
			t.Errorf("webhookURL(%q): got %v, %v, want ErrNoWebhook", tt.secret, u, err)
		case tt.want != "" && (err != nil || u.String() != tt.want):
			t.Errorf("webhookURL(%q): got %v, %v, want %s", tt.secret, u, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "XXXX") {
			t.Errorf("error %q shows the secret", err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": time.Second, "0": 0, "7": 7 * time.Second, "soon": time.Second, "-3": time.Second} {
		if got := parseRetryAfter(in); got != want {
			t.Errorf("parseRetryAfter(%q): got %v, want %v", in, got, want)
		}
	}
	if got := parseRetryAfter(time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)); got < 8*time.Second || got > 10*time.Second {
		t.Errorf("an HTTP date 10s ahead: got %v", got)
	}
}
