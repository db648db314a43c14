package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Response is what eksdrift posts to an interaction's response_url: an
// ephemeral reply to the person who pressed, or the message replaced in
// place with what was done and by whom.
type Response struct {
	ResponseType    string          `json:"response_type,omitempty"`
	ReplaceOriginal bool            `json:"replace_original"`
	Text            string          `json:"text"`
	Blocks          *slackgo.Blocks `json:"blocks,omitempty"`
}

// Reply is an ephemeral message to the person who pressed a button, seen
// by them alone; the drift message stays as it was.
func Reply(text string) Response {
	return Response{ResponseType: slackgo.ResponseTypeEphemeral, Text: clip(esc(text), maxFallback)}
}

// Acted replaces a drift message in place: the finding as the history
// holds it, without buttons, and a last line saying what user (a Slack user
// ID, already checked) did and what came of it.
func Acted(f drift.Finding, user, what string) Response {
	m := Finding(f)
	line := "*" + esc(what) + "*"
	if drift.IsSlackUser(user) {
		line += " by <@" + user + ">"
	}
	blocks := m.Blocks.BlockSet
	if len(blocks) >= maxBlocks {
		blocks = blocks[:maxBlocks-1]
	}
	blocks = append(blocks, contextBlock(line))
	return Response{ReplaceOriginal: true, Text: m.Text, Blocks: &slackgo.Blocks{BlockSet: blocks}}
}

// Responder posts responses to response_url addresses. It never follows a
// redirect: the address was checked, where it points to was not.
type Responder struct {
	HTTP *http.Client
}

// NewResponder gives a Responder with a short timeout: Slack waits 3 s.
func NewResponder() *Responder {
	return &Responder{HTTP: &http.Client{Timeout: 2 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Respond posts r to url; the caller has checked that url is Slack's.
func (p *Responder) Respond(ctx context.Context, url string, r Response) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("slack response: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("slack response: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		// The URL holds a token: say where, not the whole address.
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap()
		}
		return fmt.Errorf("slack response to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("slack response to %s: status %d", req.URL.Host, resp.StatusCode)
	}
	return nil
}
