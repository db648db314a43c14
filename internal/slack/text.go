package slack

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eksdrift/eksdrift/internal/notice"
)

// esc makes untrusted text inert in Slack mrkdwn: Slack reads <...> as
// links and mentions (<!channel>), so the three control characters must be
// escaped as entities. A role or session name is chosen by whoever made
// the change, who is the last person who should be able to ping a channel.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// code gives s as inline code: escaped, on one line, without backticks
// (which would end the span), or "_none_" when s is empty.
func code(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "'")), " ")
	if s == "" {
		return "_none_"
	}
	return "`" + esc(s) + "`"
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

// link gives a mrkdwn link; url must come from this package (console URLs),
// never from a finding as it is.
func link(u, text string) string {
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
