package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"
)

// webhookSecret gives the secret that holds the webhook URL; a
// *secrets.Cache is one, wired in by the function's main.
type webhookSecret interface {
	Value(ctx context.Context) (string, error)
}

// Client posts messages to a Slack incoming webhook. The webhook URL is a
// credential (whoever holds it can post to the channel), so it is read from
// the secret on each post, never kept in a field, and never appears in an
// error: errors say "slack webhook", the status and Slack's answer.
type Client struct {
	secret webhookSecret
	// HTTP sends the requests; its timeout bounds each attempt.
	HTTP *http.Client
	// MaxAttempts bounds the attempts of one post, the first included.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the backoff between attempts after a 5xx
	// or a network error: BaseDelay doubled on each retry, up to MaxDelay,
	// with jitter.
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After a 429 is waited out for;
	// beyond it the post fails, and the message is retried later by its queue.
	MaxRetryAfter time.Duration
	// Sleep waits; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewClient gives a client that posts to the webhook whose URL secret holds.
func NewClient(secret webhookSecret) *Client {
	return &Client{
		secret:        secret,
		HTTP:          &http.Client{Timeout: 10 * time.Second},
		MaxAttempts:   5,
		BaseDelay:     500 * time.Millisecond,
		MaxDelay:      8 * time.Second,
		MaxRetryAfter: 60 * time.Second,
		Sleep:         sleep,
	}
}

// Delivery says how a post went, for logs and metrics.
type Delivery struct {
	Attempts int
	// Waited is the time spent waiting between attempts.
	Waited time.Duration
	// RateLimited counts the 429 answers.
	RateLimited int
	// TextOnly is true when Slack refused the blocks and the message was
	// posted again as its plain text.
	TextOnly bool
}

// PostError is a post that failed for good: Slack refused the message, or
// kept failing until the attempts or the time ran out.
type PostError struct {
	// Status is Slack's last HTTP status, 0 when no answer came.
	Status int
	// Response is Slack's answer, such as "invalid_token" or
	// "channel_not_found".
	Response string
	Attempts int
	// Permanent is true when retrying cannot help (a 4xx other than 429).
	Permanent bool
	Err       error
}

func (e *PostError) Error() string {
	s := "slack webhook: "
	switch {
	case e.Status != 0 && e.Response != "":
		s += fmt.Sprintf("HTTP %d %q", e.Status, e.Response)
	case e.Status != 0:
		s += fmt.Sprintf("HTTP %d", e.Status)
	}
	if e.Err != nil {
		if e.Status != 0 {
			s += ": "
		}
		s += e.Err.Error()
	}
	return s + fmt.Sprintf(" (after %d attempts)", e.Attempts)
}

func (e *PostError) Unwrap() error { return e.Err }

// ErrNoWebhook says the secret does not hold a usable webhook URL.
var ErrNoWebhook = errors.New("the secret does not hold a Slack webhook URL: want https://hooks.slack.com/services/..., or JSON with a \"url\" key")

// Post sends m to the webhook. It waits out a 429's Retry-After, retries a
// 5xx or a network error with backoff, and posts m's text alone when Slack
// refuses its blocks; anything else is a *PostError, so that the caller can
// let the message be retried and kept, never dropped.
func (c *Client) Post(ctx context.Context, m *slackgo.WebhookMessage) (Delivery, error) {
	var d Delivery
	value, err := c.secret.Value(ctx)
	if err != nil {
		return d, fmt.Errorf("slack webhook: reading its URL: %w", err)
	}
	u, err := webhookURL(value)
	if err != nil {
		return d, err
	}
	body, err := Encode(m, "")
	if err != nil {
		return d, fmt.Errorf("slack webhook: encoding the message: %w", err)
	}
	for {
		d.Attempts++
		status, answer, retryAfter, err := c.once(ctx, u, body)
		fail := &PostError{Status: status, Response: answer, Attempts: d.Attempts, Err: err}
		var wait time.Duration
		switch {
		case err == nil && status >= 200 && status < 300:
			return d, nil
		case err == nil && status == http.StatusBadRequest && strings.HasPrefix(answer, "invalid_blocks") && !d.TextOnly:
			// Slack refused the blocks: the text alone still tells.
			d.TextOnly = true
			if body, err = Encode(&slackgo.WebhookMessage{Text: m.Text}, ""); err != nil {
				return d, fmt.Errorf("slack webhook: encoding the text: %w", err)
			}
			continue
		case err == nil && status == http.StatusTooManyRequests:
			d.RateLimited++
			wait = retryAfter
			if wait > c.MaxRetryAfter {
				fail.Err = fmt.Errorf("rate limited for %s, more than the %s eksdrift waits", wait, c.MaxRetryAfter)
				return d, fail
			}
		case err == nil && status >= 500:
			wait = c.backoff(d.Attempts)
		case err == nil:
			fail.Permanent = true
			return d, fail
		default:
			if ctx.Err() != nil {
				return d, fail
			}
			wait = c.backoff(d.Attempts)
		}
		if d.Attempts >= c.MaxAttempts {
			return d, fail
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			fail.Err = errors.Join(fail.Err, fmt.Errorf("the next attempt, in %s, would come after the invocation's deadline", wait.Round(time.Millisecond)))
			return d, fail
		}
		if err := c.Sleep(ctx, wait); err != nil {
			fail.Err = errors.Join(fail.Err, err)
			return d, fail
		}
		d.Waited += wait
	}
}

// Encode gives a message's JSON as it is posted, indented by indent when
// not empty, with a final newline when indented.
func Encode(m *slackgo.WebhookMessage, indent string) ([]byte, error) {
	if indent == "" {
		return json.Marshal(m)
	}
	b, err := json.MarshalIndent(m, "", indent)
	return append(b, '\n'), err
}

// once makes one attempt. Its errors never hold the URL.
func (c *Client) once(ctx context.Context, u *url.URL, body []byte) (status int, answer string, retryAfter time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, errors.New("cannot make the request")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, "", 0, redact(err, u)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	answer = strings.TrimSpace(strings.ReplaceAll(string(b), u.String(), "[webhook]"))
	return resp.StatusCode, answer, parseRetryAfter(resp.Header.Get("Retry-After")), nil
}

// redact strips the URL from an HTTP client error: *url.Error names it,
// and the URL's path is the webhook's secret.
func redact(err error, u *url.URL) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	s = strings.ReplaceAll(s, u.String(), "[webhook]")
	if u.Path != "" && u.Path != "/" {
		s = strings.ReplaceAll(s, u.Path, "/[redacted]")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("POST timed out: %s", s)
	}
	return fmt.Errorf("POST failed: %s", s)
}

// parseRetryAfter reads seconds or an HTTP date; a missing or unreadable
// value waits one second, Slack's usual rate.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}

// backoff gives the wait before the attempt after attempt n: half of
// BaseDelay·2ⁿ⁻¹ (capped at MaxDelay) plus a random part up to the other half.
func (c *Client) backoff(n int) time.Duration {
	d := c.BaseDelay
	for i := 1; i < n && d < c.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.MaxDelay)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// webhookURL reads the secret's value: the URL itself, or a JSON object
// with the URL under "url", "webhookUrl" or "webhook_url". It must be
// https, or http to a loopback address (for tests).
func webhookURL(value string) (*url.URL, error) {
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, "{") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(value), &obj); err != nil {
			return nil, ErrNoWebhook
		}
		value = ""
		for _, k := range []string{"url", "webhookUrl", "webhook_url"} {
			if s, ok := obj[k].(string); ok && s != "" {
				value = strings.TrimSpace(s)
				break
			}
		}
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" {
		return nil, ErrNoWebhook
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return u, nil
		}
	}
	return nil, ErrNoWebhook
}
