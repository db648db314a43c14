package slack

import (
	"errors"
	"fmt"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"
)

// Validate checks a message against what Slack accepts from an incoming
// webhook, as slack-go models it: known block types only, at most 50
// blocks, headers of plain text within 150 characters, sections with text
// or fields within their limits, contexts of at most 10 elements, and every
// text object valid (slack-go's own TextBlockObject.Validate). The renderers
// keep to these limits; the notifier checks again before posting, and falls
// back to the plain text when a message would be rejected.
func Validate(m *slackgo.WebhookMessage) error {
	if m == nil {
		return errors.New("no message")
	}
	if n := utf8.RuneCountInString(m.Text); n == 0 || n > maxFallback {
		return fmt.Errorf("text: %d characters, want 1 to %d", n, maxFallback)
	}
	if m.Blocks == nil {
		return nil
	}
	if n := len(m.Blocks.BlockSet); n > maxBlocks {
		return fmt.Errorf("%d blocks, want at most %d", n, maxBlocks)
	}
	for i, b := range m.Blocks.BlockSet {
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("block %d (%s): %w", i, b.BlockType(), err)
		}
	}
	return nil
}

func validateBlock(b slackgo.Block) error {
	switch b := b.(type) {
	case *slackgo.HeaderBlock:
		if b.Text == nil || b.Text.Type != slackgo.PlainTextType {
			return errors.New("header text must be plain_text")
		}
		if n := utf8.RuneCountInString(b.Text.Text); n > maxHeader {
			return fmt.Errorf("header text is %d characters, want at most %d", n, maxHeader)
		}
		return b.Text.Validate()
	case *slackgo.SectionBlock:
		if b.Text == nil && len(b.Fields) == 0 {
			return errors.New("a section needs text or fields")
		}
		if b.Text != nil {
			if err := b.Text.Validate(); err != nil {
				return fmt.Errorf("text: %w", err)
			}
		}
		if len(b.Fields) > maxFields {
			return fmt.Errorf("%d fields, want at most %d", len(b.Fields), maxFields)
		}
		for i, f := range b.Fields {
			if err := f.Validate(); err != nil {
				return fmt.Errorf("field %d: %w", i, err)
			}
			if n := utf8.RuneCountInString(f.Text); n > maxField {
				return fmt.Errorf("field %d is %d characters, want at most %d", i, n, maxField)
			}
		}
		return nil
	case *slackgo.ContextBlock:
		els := b.ContextElements.Elements
		if len(els) == 0 || len(els) > maxElements {
			return fmt.Errorf("%d context elements, want 1 to %d", len(els), maxElements)
		}
		for i, e := range els {
			t, ok := e.(*slackgo.TextBlockObject)
			if !ok {
				return fmt.Errorf("context element %d is a %T, want a text object", i, e)
			}
			if err := t.Validate(); err != nil {
				return fmt.Errorf("context element %d: %w", i, err)
			}
		}
		return nil
	case *slackgo.DividerBlock:
		return nil
	case *slackgo.ActionBlock:
		if b.Elements == nil || len(b.Elements.ElementSet) == 0 || len(b.Elements.ElementSet) > 25 {
			return errors.New("an actions block needs 1 to 25 elements")
		}
		for i, e := range b.Elements.ElementSet {
			btn, ok := e.(*slackgo.ButtonBlockElement)
			if !ok {
				return fmt.Errorf("element %d is a %T, want a button", i, e)
			}
			if btn.Text == nil || btn.Text.Type != slackgo.PlainTextType || utf8.RuneCountInString(btn.Text.Text) > 75 {
				return fmt.Errorf("button %d: text must be plain_text of at most 75 characters", i)
			}
			if btn.ActionID == "" || len(btn.ActionID) > 255 || len(btn.Value) > maxValue {
				return fmt.Errorf("button %d: action_id of 1 to 255 and value of at most %d characters", i, maxValue)
			}
		}
		return nil
	}
	return fmt.Errorf("block type %T is not one eksdrift sends", b)
}
