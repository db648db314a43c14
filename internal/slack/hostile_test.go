package slack

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	slackgo "github.com/slack-go/slack"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// The only <...> tokens a message may hold are the ones this package
// writes: links to the AWS console, built from a valid region and
// percent-encoded, and dates.
var (
	ourLink = regexp.MustCompile(`^<https://(?:([a-z0-9-]+)\.)?console\.(?:aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/[A-Za-z0-9._~%/?=#-]*(?:&amp;[A-Za-z0-9._~%/?=#-]*)*\|[^<>|]*>$`)
	ourDate = regexp.MustCompile(`^<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[0-9: -]+ UTC>$`)
	token   = regexp.MustCompile(`<[^<>]*>`)
	pings   = regexp.MustCompile(`(?i)@(channel|here|everyone)`)
)

// checkInert fails t when a mrkdwn text could do more than show the
// finding: a mention, a link of a finding's making, a raw <, > or | outside
// this package's own tokens, or a control or bidi character.
func checkInert(t *testing.T, where, s string) {
	t.Helper()
	rest := token.ReplaceAllStringFunc(s, func(tok string) string {
		if m := ourLink.FindStringSubmatch(tok); m != nil {
			if m[1] != "" && !notice.ValidRegion(m[1]) {
				t.Errorf("%s: a link to the console of region %q: %s", where, m[1], tok)
			}
			return ""
		}
		if ourDate.MatchString(tok) {
			return ""
		}
		t.Errorf("%s: got the token %q, want only console links and dates", where, tok)
		return ""
	})
	if strings.ContainsAny(rest, "<>|") {
		t.Errorf("%s: got a raw <, > or | outside a link: %q", where, rest)
	}
	if m := pings.FindString(s); m != "" {
		t.Errorf("%s: got the mention %q in %q", where, m, s)
	}
	checkPrintable(t, where, s, true)
}

// checkPrintable fails t on a control character (but LF, where newlines are
// allowed) or an invisible format character such as a bidi override.
func checkPrintable(t *testing.T, where, s string, newlines bool) {
	t.Helper()
	for _, r := range s {
		if (unicode.IsControl(r) && !(newlines && r == '\n')) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			t.Errorf("%s: got the character %U in %q", where, r, s)
			return
		}
	}
}

// checkMessage checks every text of m: the fallback, each mrkdwn object
// (which must be verbatim, so that Slack does not make links and mentions
// of its own from plain words), and each plain-text header.
func checkMessage(t *testing.T, m *slackgo.WebhookMessage) {
	t.Helper()
	if err := Validate(m); err != nil {
		t.Errorf("not valid: %v", err)
	}
	checkInert(t, "text", m.Text)
	obj := func(where string, o *slackgo.TextBlockObject) {
		if o == nil {
			return
		}
		if o.Type == slackgo.PlainTextType {
			// Slack reads no markup in plain text, so < > | may stand.
			checkPrintable(t, where, o.Text, false)
			if m := pings.FindString(o.Text); m != "" {
				t.Errorf("%s: got the mention %q in %q", where, m, o.Text)
			}
			return
		}
		if !o.Verbatim {
			t.Errorf("%s: got verbatim false, want true", where)
		}
		checkInert(t, where, o.Text)
	}
	for i, b := range m.Blocks.BlockSet {
		where := "block " + strconv.Itoa(i)
		switch b := b.(type) {
		case *slackgo.HeaderBlock:
			obj(where, b.Text)
		case *slackgo.SectionBlock:
			obj(where, b.Text)
			for _, f := range b.Fields {
				obj(where+" field", f)
			}
		case *slackgo.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if o, ok := e.(*slackgo.TextBlockObject); ok {
					obj(where+" context", o)
				}
			}
		}
	}
}

func samples(t *testing.T, folder string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range drifttest.Fixtures(t, folder) {
		out[f.Name] = f.Data
	}
	return out
}

// TestHostileFieldsAreInert puts each hostile payload in each string field
// of each sample finding (and of each sample outcome's result), and checks
// every text of the finding's message, its outcome's, and a digest holding
// both.
func TestHostileFieldsAreInert(t *testing.T) {
	outcomes := samples(t, "outcomes")
	var results []drift.RevertOutcome
	for _, data := range outcomes {
		var o drift.Outcome
		mustDecode(t, data, &o)
		results = append(results, o.Result)
	}
	for name, data := range samples(t, "findings") {
		var base drift.Finding
		mustDecode(t, data, &base)
		for p, payload := range drifttest.HostilePayloads {
			for _, c := range drifttest.Hostile(base, payload) {
				t.Run(name+"/"+c.Field+"/"+strconv.Itoa(p), func(t *testing.T) {
					f := c.Finding
					r := results[p%len(results)]
					o := drift.Outcome{FindingID: f.ID(), Finding: f, Result: r, At: f.EventTime}
					t.Run("finding", func(t *testing.T) { checkMessage(t, Finding(f)) })
					t.Run("outcome", func(t *testing.T) { checkMessage(t, Outcome(o)) })
					t.Run("digest", func(t *testing.T) {
						checkMessage(t, Digest([]Item{{Finding: f}, {Finding: f, Result: &r, At: f.EventTime}, {Finding: base}}))
					})
				})
			}
			for _, c := range drifttest.HostileResult(results[0], payload) {
				t.Run(name+"/result."+c.Field+"/"+strconv.Itoa(p), func(t *testing.T) {
					o := drift.Outcome{FindingID: base.ID(), Finding: base, Result: c.Result, At: base.EventTime}
					checkMessage(t, Outcome(o))
					checkMessage(t, Digest([]Item{{Finding: base, Result: &c.Result, At: base.EventTime}}))
				})
			}
		}
	}
}

// TestHostileRegion is the case of issue 12: a region that would make a
// live @channel and a disguised link gives no console link, and is shown
// escaped.
func TestHostileRegion(t *testing.T) {
	f := loadFinding(t, "access-policy")
	f.Region = "us-west-2<!channel> <https://evil.example|click>"
	for name, m := range map[string]*slackgo.WebhookMessage{
		"finding": Finding(f),
		"outcome": Outcome(drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultReverted}}),
		"digest":  Digest([]Item{{Finding: f}}),
	} {
		t.Run(name, func(t *testing.T) {
			checkMessage(t, m)
			all := strings.Join(texts(m), "\n")
			if strings.Contains(all, "console.aws.amazon.com/cloudtrailv2") || strings.Contains(all, "console.aws.amazon.com/eks") {
				t.Errorf("got a regional console link, want none:\n%s", all)
			}
			if name == "finding" {
				if want := "`us-west-2&lt;!channel&gt; &lt;https://evil.example∣click&gt;`"; !strings.Contains(all, want) {
					t.Errorf("got no %s in:\n%s", want, all)
				}
			}
		})
	}
}
