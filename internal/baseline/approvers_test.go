package baseline

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// withApprovers puts an approvers list on the valid baseline's cluster,
// on line 11.
func withApprovers(list string) string {
	return strings.Replace(valid, "    mode: revert\n", "    mode: revert\n    approvers: "+list+"\n", 1)
}

func TestApprovers(t *testing.T) {
	b, err := Parse("b.yaml", []byte(withApprovers("[U012ABCDEF, W0ENTERPRISE, S0SECURITY]")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Clusters[0].Approvers, []string{"U012ABCDEF", "W0ENTERPRISE", "S0SECURITY"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// They survive a write and a read back.
	out, err := Marshal(b, Notes{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got, want := back.Clusters[0].Approvers, b.Clusters[0].Approvers; !reflect.DeepEqual(got, want) {
		t.Errorf("after Marshal: got %v, want %v", got, want)
	}
}

func TestApproversRefused(t *testing.T) {
	tests := []struct{ name, list, field string }{
		{"a user name, not an ID", "[alice]", "clusters[0].approvers[0]"},
		{"a channel", "[C0123ABCD]", "clusters[0].approvers[0]"},
		{"a mention", `["<@U012ABCDEF>"]`, "clusters[0].approvers[0]"},
		{"lower case", "[u012abcdef]", "clusters[0].approvers[0]"},
		{"twice", "[U012ABCDEF, U012ABCDEF]", "clusters[0].approvers"},
		{"not a list", "U012ABCDEF", "clusters[0].approvers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("b.yaml", []byte(withApprovers(tt.list)))
			var ie *drift.InvalidBaselineError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want an InvalidBaselineError", err)
			}
			if ie.Line != 11 || ie.Field != tt.field {
				t.Errorf("got line %d field %q, want line 11 field %q (%v)", ie.Line, ie.Field, tt.field, err)
			}
		})
	}
}
