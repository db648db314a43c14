package baseline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// The break-glass expiry rule is relative to validation time: every test
// injects its clock and computes its dates from it, so none goes stale.
func TestBreakGlassExpiryLimit(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	const head = "version: 1\nbreakGlass:\n  - principal: arn:aws:iam::111122223333:role/break-glass\n"
	tests := []struct {
		name  string
		entry string // the lines after the principal
		// line and field of the error; 0 for a valid baseline.
		line  int
		field string
		says  string
		long  string // the override's reason the baseline carries
	}{
		{"ten days", "    expires: \"" + at(10*24*time.Hour) + "\"\n", 0, "", "", ""},
		{"exactly thirty days", "    expires: \"" + at(drift.MaxBreakGlass) + "\"\n", 0, "", "", ""},
		{"already expired", "    expires: \"" + at(-24*time.Hour) + "\"\n", 0, "", "", ""},
		{"thirty days and a second", "    expires: \"" + at(drift.MaxBreakGlass+time.Second) + "\"\n", 4, "breakGlass[0].expires", "more than 30 days after validation", ""},
		{"a year", "    expires: \"" + at(365*24*time.Hour) + "\"\n    reason: on-call\n", 4, "breakGlass[0].expires", "allowLongExpiry", ""},
		{"no expiry", "    reason: on-call\n", 3, "breakGlass[0]", "needs expires", ""},
		{"no expiry with an override", "    allowLongExpiry: {reason: \"standing SRE role, reviewed quarterly\"}\n", 0, "", "", "standing SRE role, reviewed quarterly"},
		{"a year with an override", "    expires: \"" + at(365*24*time.Hour) + "\"\n    allowLongExpiry:\n      reason: vendor contract\n", 0, "", "", "vendor contract"},
		{"override without a reason", "    allowLongExpiry: {}\n", 4, "breakGlass[0].allowLongExpiry", "reason", ""},
		{"override with an empty reason", "    allowLongExpiry: {reason: \"\"}\n", 4, "breakGlass[0].allowLongExpiry.reason", "", ""},
		{"override that is not an object", "    allowLongExpiry: true\n", 4, "breakGlass[0].allowLongExpiry", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseAt(now, "b.yaml", []byte(head+tt.entry))
			if tt.line == 0 {
				if err != nil {
					t.Fatalf("got %v, want a valid baseline", err)
				}
				if got := b.BreakGlass[0].LongExpiry; got != tt.long {
					t.Errorf("override reason: got %q, want %q", got, tt.long)
				}
				return
			}
			var ie *drift.InvalidBaselineError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an InvalidBaselineError", err)
			}
			if ie.Line != tt.line || ie.Field != tt.field {
				t.Errorf("got %s:%d:%d field %q, want line %d field %q (%v)", ie.Source, ie.Line, ie.Column, ie.Field, tt.line, tt.field, err)
			}
			if ie.Column == 0 {
				t.Errorf("got column 0, want the field's column (%v)", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %q, want it to mention %q", err, tt.says)
			}
		})
	}
}

// The limit moves with the clock: the same file is valid on one day and
// not thirty-one days before.
func TestBreakGlassExpiryIsRelativeToValidation(t *testing.T) {
	now := time.Now()
	doc := []byte("version: 1\nbreakGlass:\n  - principal: arn:aws:iam::111122223333:role/break-glass\n    expires: \"" +
		now.Add(20*24*time.Hour).UTC().Format(time.RFC3339) + "\"\n")
	if _, err := Parser(func() time.Time { return now })("b.yaml", doc); err != nil {
		t.Errorf("validated now: got %v, want valid", err)
	}
	if _, err := Parser(func() time.Time { return now.Add(-15 * 24 * time.Hour) })("b.yaml", doc); err == nil {
		t.Error("validated 15 days earlier (35 days before expiry): got valid, want an error")
	}
	if _, err := Parse("b.yaml", doc); err != nil {
		t.Errorf("Parse (the real clock): got %v, want valid", err)
	}
	// A zero time checks no rule relative to time: a version read only to
	// compare with.
	noExpiry := []byte("version: 1\nbreakGlass:\n  - principal: arn:aws:iam::111122223333:role/break-glass\n")
	if _, err := ParseAt(time.Time{}, "b.yaml", noExpiry); err != nil {
		t.Errorf("ParseAt(zero): got %v, want valid", err)
	}
	if _, err := Parse("b.yaml", noExpiry); err == nil {
		t.Error("Parse: got valid, want an entry without expires refused")
	}
}

func TestMarshalKeepsTheExpiryOverride(t *testing.T) {
	b := &drift.Baseline{Version: 1, BreakGlass: []drift.BreakGlass{{Principal: "arn:aws:iam::111122223333:role/break-glass", LongExpiry: "standing role"}}}
	out, err := Marshal(b, Notes{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("captured.yaml", out)
	if err != nil {
		t.Fatalf("got %v reading back\n%s", err, out)
	}
	if got := back.BreakGlass[0].LongExpiry; got != "standing role" {
		t.Errorf("got %q, want the override kept", got)
	}
}
