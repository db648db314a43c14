// Package interact is the use case behind Slack's buttons on drift
// messages (Revert now, Accept into baseline, Snooze 1 h / 24 h): it takes
// Slack's interaction requests from a Lambda function URL, and acts only on
// one that Slack signed, that it has not seen before, from a Slack user the
// finding's cluster lists as an approver in the baseline, about a finding
// the history holds. Everything in a request is hostile until checked: the
// button's value only names a finding, which is looked up; response_url is
// used only when it is Slack's.
//
// Revert now does not revert here: it writes an approval to the history and
// sends the reverter a request that names it; the reverter consumes the
// approval and runs every guardrail (internal/revert's HandleApproved).
// Every attempt from a signed request, allowed or refused, is recorded in
// the history. functions/interact wires it; docs/alerts.md tells how to set
// the Slack app up.
package interact

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/slack"
)

// SlackOrigin is where every response_url Slack gives points.
const SlackOrigin = "https://hooks.slack.com/"

// Defaults for the zero values of Handler's settings.
const (
	DefaultMaxBody     = 64 << 10 // Slack's payloads are a few KB; a message with 50 blocks stays far below
	DefaultApprovalTTL = 15 * time.Minute
	DefaultBudget      = 2500 * time.Millisecond // Slack waits 3 s for the answer
	// MaxSkew is how far a request's timestamp may be from the clock, either
	// way, as Slack advises: a signed request older (or newer) is refused.
	MaxSkew = 5 * time.Minute
)

// History is what the handler needs of the history table.
type History interface {
	Get(ctx context.Context, id string) (drift.Finding, bool, error)
	PutApproval(ctx context.Context, a drift.Approval) error
	Snooze(ctx context.Context, driftKey string, until time.Time, by string) error
	RecordInteraction(ctx context.Context, in drift.Interaction) error
}

// Requests remember the signatures of requests seen, to refuse replays.
type Requests interface {
	NoteRequest(ctx context.Context, signature string, expires time.Time) (fresh bool, err error)
}

// RevertQueue takes a revert request to the reverter.
type RevertQueue interface {
	SendRevertRequest(ctx context.Context, req drift.RevertRequest) error
}

// Groups lists the members of a Slack user group (usergroups.users.list).
type Groups interface {
	Members(ctx context.Context, group string) ([]string, error)
}

// Responder posts to an interaction's response_url.
type Responder interface {
	Respond(ctx context.Context, url string, r slack.Response) error
}

// AcceptResult is what accepting a finding into the baseline did.
type AcceptResult struct {
	Written bool   // a new baseline version was written
	Pending bool   // waiting for a second approver
	Version string // the version written
	Why     string // why not, or what is awaited
}

// Acceptor writes a finding's drifted state into the baseline
// (internal/accept builds it).
type Acceptor interface {
	Accept(ctx context.Context, f drift.Finding, approver string, at time.Time) (AcceptResult, error)
}

// Handler answers Slack's interaction requests.
type Handler struct {
	// Secret gives the Slack app's signing secret (cached by internal/secrets).
	Secret   func(ctx context.Context) (string, error)
	Requests Requests
	History  History
	Baseline func(ctx context.Context) (*drift.Index, error)
	// BaselineFor, when set, gives the baseline of one account (the shared
	// file merged with baselines/<account>.yaml: an organization
	// deployment); a finding's approvers are then those of its own
	// account's baseline. nil reads every finding's approvers in Baseline.
	BaselineFor func(ctx context.Context, account string) (*drift.Index, error)
	Reverter    RevertQueue // nil (no reverter deployed): Revert now is refused
	Acceptor    Acceptor    // nil: Accept into baseline is refused
	Groups      Groups      // nil: approvers that are user groups are refused
	Responder   Responder
	// ResponseOrigin is the only origin a response_url may have: SlackOrigin
	// when empty. Wiring sets another (a test server on 127.0.0.1) for
	// tests; a request never can.
	ResponseOrigin string
	ApprovalTTL    time.Duration
	MaxBody        int
	Budget         time.Duration
	Now            func() time.Time
	Log            *slog.Logger
}

// reply is an HTTP answer to Slack (or to whoever sent the request).
func reply(status int, text string) events.LambdaFunctionURLResponse {
	return events.LambdaFunctionURLResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: text}
}

// Handle answers one function URL request. It never returns an error: the
// answer's status says what happened (401 for a request Slack did not sign,
// a stale or replayed one; 400 for one that is no button press; 413 for one
// too large), and a press that is refused is answered 200 with an
// ephemeral reply to the person, since it is Slack's request all the same.
func (h *Handler) Handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp(h.Budget, DefaultBudget))
	defer cancel()
	if m := req.RequestContext.HTTP.Method; m != "" && m != http.MethodPost {
		return reply(http.StatusMethodNotAllowed, "POST only"), nil
	}
	limit := h.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := bodyOf(req, limit)
	if err != nil {
		h.Log.WarnContext(ctx, "slack interaction refused", "reason", err.Error(), "bytes", len(req.Body))
		return reply(http.StatusRequestEntityTooLarge, err.Error()), nil
	}
	sig, err := h.verify(ctx, req.Headers, body)
	if err != nil {
		var internal *internalError
		if errors.As(err, &internal) {
			h.Log.ErrorContext(ctx, "slack interaction not verified", "error", err)
			return reply(http.StatusInternalServerError, "cannot verify the request now"), nil
		}
		h.Log.WarnContext(ctx, "slack interaction refused: not verified", "reason", err.Error(), "sourceIp", req.RequestContext.HTTP.SourceIP)
		return reply(http.StatusUnauthorized, err.Error()), nil
	}
	fresh, err := h.Requests.NoteRequest(ctx, sig, h.now().Add(2*MaxSkew))
	if err != nil {
		h.Log.ErrorContext(ctx, "slack interaction: cannot check for a replay", "error", err)
		return reply(http.StatusInternalServerError, "cannot verify the request now"), nil
	}
	if !fresh {
		h.Log.WarnContext(ctx, "slack interaction refused: a replay of a request already seen", "sourceIp", req.RequestContext.HTTP.SourceIP)
		return reply(http.StatusUnauthorized, "this request was seen before"), nil
	}
	p, err := parse(body)
	if err != nil {
		h.Log.WarnContext(ctx, "slack interaction refused: not a button press", "reason", err.Error())
		return reply(http.StatusBadRequest, err.Error()), nil
	}
	h.press(ctx, p)
	return events.LambdaFunctionURLResponse{StatusCode: http.StatusOK}, nil
}

// bodyOf gives the request's body, decoded from base64 when the function
// URL encoded it, refused beyond limit bytes before any decoding.
func bodyOf(req events.LambdaFunctionURLRequest, limit int) ([]byte, error) {
	if !req.IsBase64Encoded {
		if len(req.Body) > limit {
			return nil, fmt.Errorf("body of %d bytes, more than %d", len(req.Body), limit)
		}
		return []byte(req.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > limit+3 {
		return nil, fmt.Errorf("body of about %d bytes, more than %d", base64.StdEncoding.DecodedLen(len(req.Body)), limit)
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, errors.New("body is not base64 as the function URL says")
	}
	if len(b) > limit {
		return nil, fmt.Errorf("body of %d bytes, more than %d", len(b), limit)
	}
	return b, nil
}

type internalError struct{ err error }

func (e *internalError) Error() string { return e.err.Error() }
func (e *internalError) Unwrap() error { return e.err }

// verify checks Slack's signature (slack-go's verifier: HMAC-SHA256 over
// v0:timestamp:body, compared in constant time) and that the timestamp is
// within MaxSkew of the handler's clock both ways (slack-go checks it
// against the system clock too). It gives the signature in lower case,
// which names the request for the replay check.
func (h *Handler) verify(ctx context.Context, headers map[string]string, body []byte) (string, error) {
	hdr := http.Header{}
	for k, v := range headers {
		hdr.Set(k, v) // function URLs give lower-case names; http.Header canonicalises
	}
	ts, sig := hdr.Get("X-Slack-Request-Timestamp"), hdr.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return "", errors.New("no Slack signature or timestamp")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 {
		return "", errors.New("the Slack timestamp is not a number of seconds")
	}
	if skew := h.now().Sub(time.Unix(secs, 0)); skew > MaxSkew || skew < -MaxSkew {
		return "", fmt.Errorf("the Slack timestamp is %s away from now, more than %s", skew.Abs().Truncate(time.Second), MaxSkew)
	}
	secret, err := h.Secret(ctx)
	if err != nil {
		return "", &internalError{fmt.Errorf("slack signing secret: %w", err)}
	}
	v, err := slackgo.NewSecretsVerifier(hdr, secret)
	if err != nil {
		if errors.Is(err, slackgo.ErrExpiredTimestamp) {
			return "", errors.New("the Slack timestamp is more than 5 minutes away from the system clock")
		}
		return "", errors.New("the Slack signature is malformed")
	}
	if _, err := v.Write(body); err != nil {
		return "", err
	}
	if err := v.Ensure(); err != nil {
		return "", errors.New("the Slack signature does not match")
	}
	// The verifier decodes the hex digits whatever their case, so one
	// signature has many spellings: the replay check must see one of them.
	return strings.ToLower(sig), nil
}

// press is one button press, as read from a verified payload.
type press struct {
	user, team, action, value, responseURL string
}

// parse reads the form Slack posts (payload=JSON) with slack-go, and keeps
// only a single button press with well-formed names.
func parse(body []byte) (press, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return press{}, errors.New("body is not a form")
	}
	raw := form.Get("payload")
	if raw == "" {
		return press{}, errors.New("no payload")
	}
	var cb slackgo.InteractionCallback
	if err := json.Unmarshal([]byte(raw), &cb); err != nil {
		return press{}, errors.New("payload is not an interaction")
	}
	if cb.Type != slackgo.InteractionTypeBlockActions {
		return press{}, fmt.Errorf("interaction type %q, want block_actions", clip(string(cb.Type), 40))
	}
	if n := len(cb.ActionCallback.BlockActions); n != 1 {
		return press{}, fmt.Errorf("%d actions, want one", n)
	}
	a := cb.ActionCallback.BlockActions[0]
	if !drift.IsSlackUser(cb.User.ID) {
		return press{}, errors.New("no Slack user ID")
	}
	p := press{user: cb.User.ID, team: clip(cb.Team.ID, 40), action: a.ActionID, value: a.Value, responseURL: cb.ResponseURL}
	if !slices.Contains(slack.Actions, p.action) {
		return p, fmt.Errorf("action %q is not eksdrift's", clip(p.action, 40))
	}
	if p.value == "" || len(p.value) > 2000 || !utf8.ValidString(p.value) {
		return p, errors.New("the button names no finding")
	}
	return p, nil
}

// press acts on a verified button press, or refuses it, records the
// attempt, and tells the person.
func (h *Handler) press(ctx context.Context, p press) {
	at := h.now().UTC()
	rec := drift.Interaction{At: at, User: p.user, Team: p.team, Action: p.action, FindingID: p.value}
	respondTo, urlOK := h.responseURL(p.responseURL)
	f, what, why := h.act(ctx, p, at, urlOK)
	rec.Outcome, rec.Reason = drift.InteractionAllowed, what
	if why != "" {
		rec.Outcome, rec.Reason = drift.InteractionRefused, why
	}
	if err := h.History.RecordInteraction(context.WithoutCancel(ctx), rec); err != nil {
		h.Log.ErrorContext(ctx, "slack interaction not recorded", "error", err, "user", p.user, "action", p.action, "findingId", p.value)
	}
	h.Log.InfoContext(ctx, "slack interaction", "user", p.user, "action", p.action, "findingId", p.value, "outcome", rec.Outcome, "reason", rec.Reason)
	if !urlOK {
		return
	}
	r := slack.Acted(f, p.user, what)
	if why != "" {
		r = slack.Reply("eksdrift: " + why)
	}
	if err := h.Responder.Respond(ctx, respondTo, r); err != nil {
		h.Log.WarnContext(ctx, "slack: response not posted", "error", err)
	}
}

// act checks who may act and does it; why says why not.
func (h *Handler) act(ctx context.Context, p press, at time.Time, urlOK bool) (f drift.Finding, what, why string) {
	if !urlOK {
		return f, "", "the response_url is not Slack's"
	}
	f, found, err := h.History.Get(ctx, p.value)
	switch {
	case err != nil:
		h.Log.ErrorContext(ctx, "slack interaction: history not read", "error", err)
		return f, "", "the history cannot be read now; try again"
	case !found:
		return f, "", "no finding " + clip(p.value, 80) + " is recorded"
	}
	if why := h.approver(ctx, f, p.user); why != "" {
		return f, "", why
	}
	switch p.action {
	case slack.ActionRevert:
		what, why = h.revert(ctx, f, p.user, at)
		return f, what, why
	case slack.ActionAccept:
		what, why = h.accept(ctx, f, p.user, at)
		return f, what, why
	case slack.ActionSnooze1h, slack.ActionSnooze24h:
		d := time.Hour
		if p.action == slack.ActionSnooze24h {
			d = 24 * time.Hour
		}
		until := at.Add(d)
		if err := h.History.Snooze(ctx, drift.DriftKey(f), until, p.user); err != nil {
			h.Log.ErrorContext(ctx, "slack interaction: snooze not written", "error", err)
			return f, "", "the snooze cannot be written now; try again"
		}
		return f, "Snoozed until " + until.Format("2006-01-02 15:04 UTC") + ": reminders and digests skip this drift; it is still recorded", ""
	}
	return f, "", "unknown action"
}

// approver says why user may not act on f's cluster; "" when they may.
func (h *Handler) approver(ctx context.Context, f drift.Finding, user string) string {
	if f.Cluster == "" {
		return "this finding has no cluster, so no approvers are declared for it"
	}
	baselineOf := h.Baseline
	if h.BaselineFor != nil {
		// The recorded finding's account, never the payload's: the
		// approvers of one account's cluster prod are not another's.
		baselineOf = func(ctx context.Context) (*drift.Index, error) { return h.BaselineFor(ctx, f.Account) }
	}
	ix, err := baselineOf(ctx)
	if err != nil {
		h.Log.ErrorContext(ctx, "slack interaction: baseline not read", "account", f.Account, "error", err)
		return "the baseline cannot be read now, so nobody's approval can be checked"
	}
	cb, ok := ix.Cluster(f.Account, f.Region, f.Cluster)
	if !ok || len(cb.Approvers) == 0 {
		return "the baseline lists no approvers for cluster " + f.Cluster
	}
	if slices.Contains(cb.Approvers, user) {
		return ""
	}
	groups := false
	for _, a := range cb.Approvers {
		if !drift.IsSlackGroup(a) {
			continue
		}
		groups = true
		if h.Groups == nil {
			continue
		}
		members, err := h.Groups.Members(ctx, a)
		if err != nil {
			h.Log.WarnContext(ctx, "slack user group not read", "group", a, "error", err)
			continue
		}
		if slices.Contains(members, user) {
			return ""
		}
	}
	if groups && h.Groups == nil {
		return "you are not an approver of cluster " + f.Cluster + "; its user groups cannot be checked without the Slack bot token (slackBotTokenArn)"
	}
	return "you are not an approver of cluster " + f.Cluster
}

func (h *Handler) revert(ctx context.Context, f drift.Finding, user string, at time.Time) (what, why string) {
	if h.Reverter == nil {
		return "", "Revert now needs the reverter, which this deployment does not run (mode alert)"
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	a := drift.Approval{ID: hex.EncodeToString(b), FindingID: f.ID(), Approver: user, At: at, Expires: at.Add(cmp(h.ApprovalTTL, DefaultApprovalTTL))}
	if err := h.History.PutApproval(ctx, a); err != nil {
		h.Log.ErrorContext(ctx, "slack interaction: approval not written", "error", err)
		return "", "the approval cannot be written now; try again"
	}
	if err := h.Reverter.SendRevertRequest(ctx, drift.RevertRequest{ApprovalID: a.ID, FindingID: a.FindingID}); err != nil {
		h.Log.ErrorContext(ctx, "slack interaction: revert request not sent", "error", err)
		return "", "the reverter cannot be reached now; try again"
	}
	return "Revert requested: the reverter checks every guardrail, and its outcome follows in this channel", ""
}

func (h *Handler) accept(ctx context.Context, f drift.Finding, user string, at time.Time) (what, why string) {
	if h.Acceptor == nil {
		return "", "Accept into baseline is not available in this deployment"
	}
	if h.BaselineFor != nil {
		// The acceptor amends the shared file only: a cluster declared in
		// its account's own file is not there to amend, and declaring it
		// in the shared file too would make that account's baseline
		// invalid (declared twice).
		shared, err := h.Baseline(ctx)
		if err != nil {
			h.Log.ErrorContext(ctx, "slack interaction: baseline not read", "error", err)
			return "", "the baseline cannot be read now; try again"
		}
		if _, ok := shared.Cluster(f.Account, f.Region, f.Cluster); !ok {
			return "", "cluster " + f.Cluster + " of account " + f.Account + " is declared in its account's file, not the shared one, and Accept writes only the shared file: edit that account's file by hand"
		}
	}
	r, err := h.Acceptor.Accept(ctx, f, user, at)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "", "Accept did not finish within Slack's 3 seconds; check the baseline's versions before pressing again"
	case err != nil:
		h.Log.ErrorContext(ctx, "slack interaction: accept failed", "error", err)
		return "", "Accept failed: " + clip(err.Error(), 200)
	case r.Written:
		return "Accepted into the baseline (version " + clip(r.Version, 100) + ")", ""
	case r.Pending:
		return "Accept recorded; it waits for a second approver: " + clip(r.Why, 200), ""
	}
	return "", "Not accepted: " + clip(r.Why, 200)
}

// responseURL checks that u is on the one allowed origin (Slack's), over
// the origin's scheme, with no user info: a forged payload must not make
// eksdrift post anywhere else.
func (h *Handler) responseURL(u string) (string, bool) {
	origin := h.ResponseOrigin
	if origin == "" {
		origin = SlackOrigin
	}
	p, err := url.Parse(u)
	if err != nil || p.User != nil || p.Opaque != "" || len(u) > 2000 {
		return "", false
	}
	if p.Scheme+"://"+p.Host+"/" != origin || !strings.HasPrefix(u, origin) {
		return "", false
	}
	return p.String(), true
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func cmp(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
