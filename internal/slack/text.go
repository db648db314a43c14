package slack

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eksdrift/eksdrift/internal/notice"
)

// esc makes untrusted text inert in Slack mrkdwn, on one line. Slack reads
// <...> as links and mentions (<!channel>, <@U123>), so its three control
// characters are escaped as entities everywhere; "|", which splits a link's
// address from its text, becomes a look-alike ("∣"), so that no character
// of a finding can take part in a link; "@channel", "@here" and
// "@everyone" lose their "@" (see notice.Unmention); and control and
// bidi characters go (see notice.Line). A role or session name is chosen by
// whoever made the change, who is the last person who should be able to
// ping a channel or disguise a link.
func esc(s string) string { return escaper.Replace(notice.Unmention(notice.Line(s))) }

// escLines is esc for text that keeps its line breaks: a policy document.
func escLines(s string) string { return escaper.Replace(notice.Unmention(notice.Lines(s))) }

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "∣")

// code gives s as inline code: escaped, on one line, without backticks
// (which would end the span), or "_none_" when s is empty.
func code(s string) string {
	s = esc(strings.ReplaceAll(s, "`", "'"))
	if s == "" {
		return "_none_"
	}
	return "`" + s + "`"
}

// codes gives a list as inline code, comma-separated.
func codes(list []string) string {
	if len(list) == 0 {
		return "_none_"
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = code(s)
	}
	return strings.Join(out, ", ")
}

// link gives a mrkdwn link. u must come from internal/notice's console
// links, which are built only from a valid region and percent-encode
// everything else; a u that still holds a character Slack reads in a link
// gives the text alone, never a link.
func link(u, text string) string {
	if u == "" || strings.ContainsAny(u, "<>| \t\r\n`") {
		return esc(text)
	}
	return "<" + strings.ReplaceAll(u, "&", "&amp;") + "|" + esc(text) + ">"
}

// clip shortens s to at most max characters (runes, as Slack counts),
// ending it with "…" when cut. It never cuts an entity (&amp;) in two.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max-1]
	out := string(r)
	if i := strings.LastIndexByte(out, '&'); i >= 0 && !strings.Contains(out[i:], ";") {
		out = out[:i]
	}
	return out + "…"
}

// slackDate gives a time Slack shows in each reader's own time zone, with
// UTC as the fallback for clients that cannot.
func slackDate(t time.Time) string {
	if t.IsZero() {
		return "_unknown_"
	}
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^{date_short_pretty} {time_secs}|" + notice.When(t) + ">"
}

// uaNoise are the user-agent tokens that describe the SDK's plumbing, not
// the tool a person ran.
var uaNoise = []string{"md/", "ua/", "os/", "lang/", "cfg/", "api/", "m/", "exec-env/", "feat/", "sdk-metrics/", "APN/", "HashiCorp/", "Botocore/", "botocore/", "aws-sdk-go-v2/", "aws-sdk-go/", "Python/", "Linux/", "Darwin/", "Windows/", "aws-sdk-java/", "aws-sdk-js/", "exec-env", "Go-http-client/"}

// shortUserAgent reduces a user agent to the tools a person would name:
//
//	aws-cli/2.22.0 md/awscrt#0.22.0 ua/2.0 os/linux#6.1 ... md/command#eks.associate-access-policy
//	  → aws-cli/2.22.0 (eks.associate-access-policy)
//	APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.74.0 ...
//	  → Terraform/1.9.8 terraform-provider-aws/5.74.0
//	Mozilla/5.0 (Macintosh; ...) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36
//	  → browser (Chrome/131.0.0.0)
//
// The full user agent stays in the finding.
func shortUserAgent(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ""
	}
	if strings.HasPrefix(ua, "Mozilla/") {
		for _, b := range []string{"Edg/", "Firefox/", "Chrome/", "Safari/"} {
			if i := strings.Index(ua, b); i >= 0 {
				return "browser (" + strings.Fields(ua[i:])[0] + ")"
			}
		}
		return "browser"
	}
	var keep []string
	command := ""
	depth := 0
	for _, tok := range strings.Fields(ua) {
		if strings.HasPrefix(tok, "(") {
			depth++
		}
		if depth > 0 {
			if strings.HasSuffix(tok, ")") {
				depth--
			}
			continue
		}
		if c, ok := strings.CutPrefix(tok, "md/command#"); ok {
			command = c
			continue
		}
		if !strings.Contains(tok, "/") || hasAnyPrefix(tok, uaNoise) {
			continue
		}
		keep = append(keep, tok)
	}
	if len(keep) == 0 {
		return clip(ua, 60)
	}
	if len(keep) > 3 {
		keep = keep[:3]
	}
	s := strings.Join(keep, " ")
	if command != "" {
		s += " (" + command + ")"
	}
	return clip(s, 80)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
