package notice

import (
	"regexp"
	"strings"
	"unicode"
)

// Everything a finding carries can come from whoever made the change: the
// event's region, the session name, the user agent, ARNs and request
// parameters are all written by the caller of the API, who is the last
// person who should be able to ping a channel, forge a line in an e-mail or
// point a link elsewhere. The functions here make such text inert before
// a channel formats it.

// regionPattern is what an AWS region looks like: "us-west-2",
// "us-gov-east-1", "us-iso-east-1", "us-isob-east-1", "cn-north-1". Only a
// region that matches it goes into a console link.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$`)

// ValidRegion reports whether s looks like an AWS region. A finding whose
// region does not gets no console link: its region is shown as text only.
func ValidRegion(s string) bool { return regionPattern.MatchString(s) }

// Line reduces untrusted text to one printable line: control characters
// (CR, LF, tab, escape ...) and line or paragraph separators become
// spaces; invisible format characters, among them the Unicode bidi
// overrides and isolates (U+202A-U+202E, U+2066-U+2069) that reorder what
// a reader sees, are dropped; invalid UTF-8 becomes U+FFFD; runs of white
// space become one space, and the ends are trimmed.
func Line(s string) string {
	return strings.Join(strings.Fields(strings.Map(printable(' '), s)), " ")
}

// Lines is Line for text that keeps its line breaks (an indented policy
// document): LF is kept, CR and every other control character become
// spaces, format characters are dropped, and spacing is left as it is.
func Lines(s string) string {
	keep := printable(' ')
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		return keep(r)
	}, s)
}

func printable(blank rune) func(rune) rune {
	return func(r rune) rune {
		switch {
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return blank
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}
}

// broadcasts are the words chat platforms read as a mention of everyone
// when they follow an "@", with or without angle brackets.
var broadcasts = []string{"channel", "here", "everyone"}

// Unmention breaks "@channel", "@here" and "@everyone" (in any case) by
// writing their "@" as a full-width "＠", which no chat platform reads as a
// mention and every reader still reads as one. Mentions with angle brackets
// (<!channel>, <@U123>) are the channels' to escape.
func Unmention(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '@' && isBroadcast(s[i+1:]) {
			b.WriteString("＠")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isBroadcast(rest string) bool {
	for _, w := range broadcasts {
		if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) {
			return true
		}
	}
	return false
}

// PathEscape percent-encodes s for one segment of a URL's path, query or
// fragment, more strictly than net/url: everything but ASCII letters,
// digits and "-._~" is encoded, so that a link carries none of the
// characters chat markup reads (< > | & * ` : @ and the like) whatever the
// finding held.
func PathEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
