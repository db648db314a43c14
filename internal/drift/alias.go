package drift

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxAliasRunes is the longest account alias shown; longer names are cut
// with an ellipsis, so that a hostile name cannot push the account ID off a
// line or a Slack block.
const MaxAliasRunes = 64

// AccountAliases names accounts for people: account ID to a name such as
// Organizations' account name. A name is shown beside its ID, never in
// its place: the ID is what a reader can check.
type AccountAliases map[string]string

// IsAccountID reports whether s is an AWS account ID: twelve digits.
func IsAccountID(s string) bool { return isAccountID(s) }

// NewAccountAliases checks every key is an account ID and cleans every
// name with CleanAlias; names that clean to nothing are left out.
func NewAccountAliases(m map[string]string) (AccountAliases, error) {
	out := AccountAliases{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !isAccountID(k) {
			return nil, fmt.Errorf("account aliases: %q is not an account ID (12 digits)", CleanAlias(k))
		}
		if name := CleanAlias(m[k]); name != "" {
			out[k] = name
		}
	}
	return out, nil
}

// CleanAlias makes an untrusted name fit for one line of text: control and
// format characters (newlines, bidirectional overrides, zero-width ones)
// and invalid UTF-8 dropped, runs of spaces made one, and at most
// MaxAliasRunes runes kept. Escaping for a medium (Slack mrkdwn, HTML) is
// still the renderer's job.
func CleanAlias(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, unicode.Is(unicode.Cf, r):
			continue
		case unicode.IsControl(r) || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > MaxAliasRunes {
		out = string([]rune(out)[:MaxAliasRunes-1]) + "…"
	}
	return out
}

// Name is the alias of account, or "" when it has none.
func (a AccountAliases) Name(account string) string { return a[account] }

// Label is the account ID with its alias beside it, "111122223333
// (payments)", or the ID alone when it has none.
func (a AccountAliases) Label(account string) string {
	if name := a[account]; name != "" {
		return account + " (" + name + ")"
	}
	return account
}
