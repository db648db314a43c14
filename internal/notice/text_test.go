package notice

import "testing"

func TestValidRegion(t *testing.T) {
	for _, tt := range []struct {
		region string
		want   bool
	}{
		{"us-west-2", true},
		{"eu-central-1", true},
		{"ap-southeast-5", true},
		{"cn-north-1", true},
		{"us-gov-west-1", true},
		{"us-iso-east-1", true},
		{"us-isob-east-1", true},
		{"eu-isoe-west-1", true},
		{"", false},
		{"us-west-2<!channel> <https://evil.example|click>", false},
		{"us-west-2\n", false},
		{"evil.example/#", false},
		{"US-WEST-2", false},
		{"us-west-22", false},
		{"us-west", false},
		{"us-west-2.evil.example", false},
	} {
		t.Run(tt.region, func(t *testing.T) {
			if got := ValidRegion(tt.region); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "jane@example.com", "jane@example.com"},
		{"CR and LF", "jane\r\nBcc: evil@example.com", "jane Bcc: evil@example.com"},
		{"tab, escape, NUL, DEL", "a\tb\x1b[31mc\x00d\x7fe", "a b [31mc d e"},
		{"C1 control", "a\u0085b\u009bc", "a b c"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a b c"},
		{"bidi override and isolate", "user\u202egnp.exe\u2066x\u2069", "usergnp.exex"},
		{"invisible marks", "a\u200bb\u200ec\u200fd\ufeffe\u061cf", "abcdef"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
		{"spaces collapse", "  a   b  ", "a b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	in := "{\n  \"a\": \"x\r\u202ey\"\n}\x1b"
	want := "{\n  \"a\": \"x y\"\n} "
	if got := Lines(in); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnmention(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"@channel", "＠channel"},
		{"hi @Here and @EVERYONE", "hi ＠Here and ＠EVERYONE"},
		{"jane@example.com", "jane@example.com"},
		{"@channelx", "＠channelx"},
		{"@chan", "@chan"},
		{"@", "@"},
		{"", ""},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := Unmention(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPathEscape(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"prod-eu_1.x~y", "prod-eu_1.x~y"},
		{"<!channel>", "%3C%21channel%3E"},
		{"a|b", "a%7Cb"},
		{"a&b=c+d@e:f$g", "a%26b%3Dc%2Bd%40e%3Af%24g"},
		{"*`_~", "%2A%60_~"},
		{"a b/c?d#e", "a%20b%2Fc%3Fd%23e"},
		{"é", "%C3%A9"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := PathEscape(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
