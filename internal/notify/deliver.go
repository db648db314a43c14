package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/chatbot"
	"github.com/eksdrift/eksdrift/internal/slack"
)

// deliver sends one unit to Slack and to Chatbot, whichever are on.
func (n *Notifier) deliver(ctx context.Context, u unit) error {
	var errs []error
	if n.Slack != nil {
		m := renderSlack(u, slack.Renderer{Buttons: n.Buttons, Accounts: n.Accounts})
		if err := slack.Validate(m); err != nil {
			// A rendering bug must not cost the alert: its text still tells.
			n.Log.WarnContext(ctx, "slack message is not valid Block Kit: posting its text alone", "error", err)
			n.Metrics.Add(metricSlackTextOnly, 1)
			m = &slackgo.WebhookMessage{Text: m.Text}
		}
		start := time.Now()
		d, err := n.Slack.Post(ctx, m)
		if d.Attempts > 1 {
			n.Metrics.Add(metricSlackRetries, float64(d.Attempts-1))
		}
		if d.RateLimited > 0 {
			n.Metrics.Add(metricSlackRateLimited, float64(d.RateLimited))
		}
		if d.TextOnly {
			n.Metrics.Add(metricSlackTextOnly, 1)
			n.Log.WarnContext(ctx, "slack refused the blocks: posted the text alone")
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			n.Log.InfoContext(ctx, "posted to slack", "messages", len(u.items), "digest", u.digest, "place", u.items[0].place(),
				"attempts", d.Attempts, "waited", d.Waited.String(), "took", time.Since(start).Round(time.Millisecond).String())
		}
	}
	if n.Chatbot != nil {
		if err := n.publishChatbot(ctx, renderChatbot(u)); err != nil {
			errs = append(errs, err)
		}
	}
	if u.digest && len(errs) == 0 {
		n.Metrics.Add(metricDigests, 1)
	}
	return errors.Join(errs...)
}

// publishChatbot sends a notification's JSON to the Chatbot topic: Chatbot
// reads the message body as the notification.
func (n *Notifier) publishChatbot(ctx context.Context, note chatbot.Notification) error {
	body, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("chatbot: encoding notification %s: %w", note.ID, err)
	}
	if err := n.Chatbot.PublishDocument(ctx, "chatbot notification "+note.ID, body); err != nil {
		return fmt.Errorf("chatbot: %w", err)
	}
	return nil
}

func renderSlack(u unit, r slack.Renderer) *slackgo.WebhookMessage {
	if u.digest {
		items := make([]slack.Item, len(u.items))
		for i, it := range u.items {
			items[i] = slack.Item{Finding: it.finding}
			if it.outcome != nil {
				items[i].Result, items[i].At = &it.outcome.Result, it.outcome.At
			}
		}
		return r.Digest(items)
	}
	if it := u.items[0]; it.outcome != nil {
		return r.Outcome(*it.outcome)
	}
	return r.Finding(u.items[0].finding)
}

func renderChatbot(u unit) chatbot.Notification {
	if u.digest {
		items := make([]chatbot.Item, len(u.items))
		for i, it := range u.items {
			items[i] = chatbot.Item{Finding: it.finding}
			if it.outcome != nil {
				items[i].Result, items[i].At = &it.outcome.Result, it.outcome.At
			}
		}
		return chatbot.Digest(items)
	}
	if it := u.items[0]; it.outcome != nil {
		return chatbot.Outcome(*it.outcome)
	}
	return chatbot.Finding(u.items[0].finding)
}
