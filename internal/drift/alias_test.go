package drift

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanAlias(t *testing.T) {
	long := strings.Repeat("a", 200)
	tests := []struct {
		name, in, want string
	}{
		{"Plain", "payments-prod", "payments-prod"},
		{"Newlines", "prod\n\nSEVERITY: none\r", "prod SEVERITY: none"},
		{"Tabs", "a\t\tb", "a b"},
		{"Bidi", "admin\u202egnp.exe", "admingnp.exe"},
		{"ZeroWidth", "pro\u200bd", "prod"},
		{"Escape", "\x1b[31mred", "[31mred"},
		{"InvalidUTF8", "ok\xff\xfe", "ok"},
		{"OnlyControls", "\x00\x01\n", ""},
		{"Long", long, strings.Repeat("a", MaxAliasRunes-1) + "…"},
		{"Mrkdwn", "<!channel> *x*", "<!channel> *x*"}, // escaped by the renderer
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanAlias(tt.in)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > MaxAliasRunes {
				t.Errorf("runes: got %v, want at most %v", n, MaxAliasRunes)
			}
		})
	}
}

func TestNewAccountAliases(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]string
		want    AccountAliases
		wantErr bool
	}{
		{"Valid", map[string]string{"111122223333": "payments"}, AccountAliases{"111122223333": "payments"}, false},
		{"Cleaned", map[string]string{"111122223333": " pay\nments "}, AccountAliases{"111122223333": "pay ments"}, false},
		{"EmptyNameDropped", map[string]string{"111122223333": "\n"}, AccountAliases{}, false},
		{"ShortKey", map[string]string{"11112222333": "x"}, nil, true},
		{"LetterKey", map[string]string{"11112222333a": "x"}, nil, true},
		{"ARNKey", map[string]string{"arn:aws:iam::111122223333:root": "x"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewAccountAliases(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: got %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestAccountAliasesLabel(t *testing.T) {
	a := AccountAliases{"111122223333": "payments"}
	for _, tt := range []struct{ name, account, want string }{
		{"Known", "111122223333", "111122223333 (payments)"},
		{"Unknown", "444455556666", "444455556666"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.Label(tt.account); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	var none AccountAliases
	if got := none.Label("111122223333"); got != "111122223333" {
		t.Errorf("nil aliases: got %q, want %q", got, "111122223333")
	}
}
