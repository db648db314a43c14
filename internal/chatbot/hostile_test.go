package chatbot

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/notice"
)

var (
	pings    = regexp.MustCompile(`(?i)@(channel|here|everyone)`)
	codeSpan = regexp.MustCompile("`[^`]*`")
	// consoleLink is the only kind of URL a next step may hold.
	consoleLink = regexp.MustCompile(`https://(?:([a-z0-9-]+)\.)?console\.(?:aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/[A-Za-z0-9._~%/?=#&-]*$`)
)

// checkNotification fails t when any text of n could do more than show the
// finding: a mention, markup that makes a link, a raw <, > or |, a URL in
// the next steps that is not a console link from a valid region, a control
// or bidi character (the description alone may have line breaks), or an
// empty or multi-line keyword. The ID and the additional context are
// machine values (see machine), checked for all but < > | and markdown.
func checkNotification(t *testing.T, n Notification) {
	t.Helper()
	body, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case string:
			checkText(t, path, v, path == "content.description", path == "id" || strings.HasPrefix(path, "metadata.additionalContext."))
		case []any:
			for i, x := range v {
				walk(path+"["+strconv.Itoa(i)+"]", x)
			}
		case map[string]any:
			for k, x := range v {
				walk(strings.TrimPrefix(path+"."+k, "."), x)
			}
		}
	}
	walk("", v)
	for i, step := range n.Content.NextSteps {
		// Code spans are shown as they are, never as links.
		for _, u := range strings.Fields(codeSpan.ReplaceAllString(step, "")) {
			if !strings.Contains(u, "://") {
				continue
			}
			m := consoleLink.FindStringSubmatch(u)
			if m == nil || (m[1] != "" && !notice.ValidRegion(m[1])) {
				t.Errorf("next step %d: got the URL %q, want only console links of a valid region", i, u)
			}
		}
	}
	for i, k := range n.Content.Keywords {
		if k == "" || strings.ContainsAny(k, "\n\r\t") {
			t.Errorf("keyword %d: got %q, want one non-empty line", i, k)
		}
	}
}

// checkText checks one string; a machine value (the ID, the additional
// context custom actions read), which no channel shows, keeps its < > |
// so that it matches the history.
func checkText(t *testing.T, where, s string, newlines, machine bool) {
	t.Helper()
	if !machine && strings.ContainsAny(s, "<>|") {
		t.Errorf("%s: got a raw <, > or | in %q", where, s)
	}
	if !machine && strings.Contains(s, "](") {
		t.Errorf("%s: got a markdown link in %q", where, s)
	}
	if m := pings.FindString(s); m != "" {
		t.Errorf("%s: got the mention %q in %q", where, m, s)
	}
	for _, r := range s {
		if (unicode.IsControl(r) && !(newlines && r == '\n')) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			t.Errorf("%s: got the character %U in %q", where, r, s)
			return
		}
	}
}

func samples(t *testing.T, folder string, each func(name string, data []byte)) {
	t.Helper()
	for _, f := range drifttest.Fixtures(t, folder) {
		each(f.Name, f.Data)
	}
}

// TestHostileFieldsAreInert puts each hostile payload in each string field
// of each sample finding (and of a sample outcome's result), and checks
// every string of the finding's notification, its outcome's, and a digest's,
// keywords included.
func TestHostileFieldsAreInert(t *testing.T) {
	var results []drift.RevertOutcome
	samples(t, "outcomes", func(_ string, data []byte) {
		var o drift.Outcome
		mustDecode(t, data, &o)
		results = append(results, o.Result)
	})
	samples(t, "findings", func(name string, data []byte) {
		var base drift.Finding
		mustDecode(t, data, &base)
		for p, payload := range drifttest.HostilePayloads {
			for _, c := range drifttest.Hostile(base, payload) {
				t.Run(name+"/"+c.Field+"/"+strconv.Itoa(p), func(t *testing.T) {
					f := c.Finding
					r := results[p%len(results)]
					t.Run("finding", func(t *testing.T) { checkNotification(t, Finding(f)) })
					t.Run("outcome", func(t *testing.T) {
						checkNotification(t, Outcome(drift.Outcome{FindingID: f.ID(), Finding: f, Result: r, At: f.EventTime}))
					})
					t.Run("digest", func(t *testing.T) {
						checkNotification(t, Digest([]Item{{Finding: f}, {Finding: f, Result: &r, At: f.EventTime}, {Finding: base}}))
					})
				})
			}
			for _, c := range drifttest.HostileResult(results[0], payload) {
				t.Run(name+"/result."+c.Field+"/"+strconv.Itoa(p), func(t *testing.T) {
					checkNotification(t, Outcome(drift.Outcome{FindingID: base.ID(), Finding: base, Result: c.Result, At: base.EventTime}))
					checkNotification(t, Digest([]Item{{Finding: base, Result: &c.Result, At: base.EventTime}}))
				})
			}
		}
	})
}

// TestHostileRegion is the case of issue 12: a region that would make a
// live @channel and a disguised link gives no regional console link.
func TestHostileRegion(t *testing.T) {
	f := drifttest.FixtureFinding(t, "access-policy")
	f.Region = "us-west-2<!channel> <https://evil.example|click>"
	for name, n := range map[string]Notification{
		"finding": Finding(f),
		"outcome": Outcome(drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultReverted}}),
		"digest":  Digest([]Item{{Finding: f}}),
	} {
		t.Run(name, func(t *testing.T) {
			checkNotification(t, n)
			for _, s := range n.Content.NextSteps {
				if strings.Contains(s, "cloudtrailv2") || strings.Contains(s, "/eks/") {
					t.Errorf("got the next step %q, want no regional console link", s)
				}
			}
		})
	}
}
