package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestShortActor(t *testing.T) {
	tests := []struct {
		actor, session, want string
	}{
		{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_AdministratorAccess_0123456789abcdef", "alice@example.com", "alice@example.com (sso AdministratorAccess)"},
		{"arn:aws:iam::111122223333:role/ci/ci-deployer", "github-actions-1234", "github-actions-1234 (ci-deployer)"},
		{"arn:aws:iam::111122223333:user/bob", "", "user/bob"},
		{"arn:aws:iam::444455556666:role/vendor", "", "444455556666:role/vendor"},
		{"eks.amazonaws.com", "", "eks.amazonaws.com"},
	}
	for _, tt := range tests {
		f := &drift.Finding{Actor: tt.actor, ActorSession: tt.session, Account: "111122223333"}
		if got := shortActor(f); got != tt.want {
			t.Errorf("shortActor(%s, %s): got %q, want %q", tt.actor, tt.session, got, tt.want)
		}
	}
}

func TestShortResource(t *testing.T) {
	f := &drift.Finding{Account: "111122223333", Resource: "arn:aws:iam::111122223333:role/contractor|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}
	if got := shortResource(f); got != "role/contractor AmazonEKSClusterAdminPolicy" {
		t.Errorf("got %q", got)
	}
}

// TestCSVNeutralisesFormulas writes findings whose fields each begin with a
// character a spreadsheet reads as the start of a formula, and checks that
// every cell of every column is neutralised with a leading quote. The
// fields are found by reflection, so a column fed by a new field is tested
// too; only eventTime and drift, which eksdrift formats itself, cannot be
// reached.
func TestCSVNeutralisesFormulas(t *testing.T) {
	triggers := []string{"=1+1", "+SUM(1+1)*cmd|x", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1"}
	unreachable := map[string]bool{"eventTime": true, "drift": true}
	for _, payload := range triggers {
		t.Run(strconv.Quote(payload), func(t *testing.T) {
			hit := map[string]bool{}
			ft := reflect.TypeOf(drift.Finding{})
			for i := range ft.NumField() {
				var f drift.Finding
				v := reflect.ValueOf(&f).Elem().Field(i)
				switch {
				case v.Kind() == reflect.String:
					v.SetString(payload)
				case v.Type() == reflect.TypeOf(json.RawMessage(nil)):
					v.SetBytes([]byte(payload)) // a history row is not always JSON
				case v.Type() == reflect.TypeOf((*drift.RevertOutcome)(nil)):
					v.Set(reflect.ValueOf(&drift.RevertOutcome{Result: payload}))
				default:
					continue
				}
				t.Run(ft.Field(i).Name, func(t *testing.T) {
					var buf bytes.Buffer
					cw := csv.NewWriter(&buf)
					if err := (&csvWriter{w: cw}).write(&f); err != nil {
						t.Fatal(err)
					}
					cw.Flush()
					rows, err := csv.NewReader(&buf).ReadAll()
					if err != nil {
						t.Fatal(err)
					}
					if len(rows) != 2 || len(rows[1]) != len(csvColumns) {
						t.Fatalf("got %d rows, want a header and one row of %d cells", len(rows), len(csvColumns))
					}
					for c, cell := range rows[1] {
						if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
							t.Errorf("column %s: got %q, which a spreadsheet reads as a formula", csvColumns[c], cell)
						}
						if cell == "'"+payload {
							hit[csvColumns[c]] = true
						}
					}
				})
			}
			for _, c := range csvColumns {
				if !hit[c] && !unreachable[c] {
					t.Errorf("column %s: got no cell holding the payload, want it tested", c)
				}
			}
		})
	}
}

func TestCSVCell(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+SUM(1+1)*cmd|x", "'+SUM(1+1)*cmd|x"},
		{"-1", "'-1"},
		{"@x", "'@x"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"jane@example.com", "jane@example.com"},
		{"a=b", "a=b"},
		{"", ""},
		{`{"a":1}`, `{"a":1}`},
	} {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			if got := csvCell(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
