package infra

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
)

// caseSecurityHub deploys the Security Hub forwarder beside the reverter.
var caseSecurityHub = synthCase{name: "securityhub", overrides: map[string]any{
	CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxMode: ModeRevert, CtxSecurityHub: "true",
	CtxClusters: []any{"prod"}, CtxRoles: []any{"developers"},
}}

var productSub = map[string]any{"Fn::Sub": securityHubProductARN}

// TestSecurityHubForwarder: -c securityHub=true adds the forwarder, fed
// by its own queue on the findings topic (findings and outcomes), with a
// dead-letter queue, and allowed BatchImportFindings on the account's own
// product ARN and nothing else; without it, nothing of Security Hub's is
// deployed.
func TestSecurityHubForwarder(t *testing.T) {
	for _, c := range allCases {
		if s := synth(t, c); s.stacks.SecurityHub != nil {
			t.Errorf("%s: got a Security Hub forwarder, want none without %s", c.name, CtxSecurityHub)
		}
	}
	s := synth(t, caseSecurityHub)
	f := s.stacks.SecurityHub
	if f == nil {
		t.Fatalf("got no forwarder with %s=true", CtxSecurityHub)
	}
	b, err := json.Marshal(SecurityHubFilterPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"messageType":["finding","outcome"]}`; string(b) != want {
		t.Errorf("filter policy: got %s, want %s", b, want)
	}
	inboxOf(t, s, f.Function, f.Inbox, string(b), 10, 0, 2)

	env, _ := props(resource(t, s, f.Fn))["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	if got := vars[config.EnvSecurityHubProductARN]; !reflect.DeepEqual(got, productSub) {
		t.Errorf("%s: got %v, want %v", config.EnvSecurityHubProductARN, got, productSub)
	}

	var imports bool
	inbox := map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, f.Inbox.Queue), "Arn"}}
	for _, st := range roleStatements(t, s, f.Role) {
		for _, a := range st.actions {
			if strings.HasPrefix(a, "sqs:") {
				// The event source mapping reads and deletes its messages.
				if len(st.resources) != 1 || !reflect.DeepEqual(st.resources[0], inbox) {
					t.Errorf("%s: %s on %v, want the inbox alone", st.where, a, st.resources)
				}
				continue
			}
			if !strings.HasPrefix(a, "securityhub:") {
				if !strings.HasPrefix(a, "logs:") {
					t.Errorf("%s: forwarder may %s, which it does not call", st.where, a)
				}
				continue
			}
			if a != "securityhub:BatchImportFindings" {
				t.Errorf("%s: forwarder may %s: it needs BatchImportFindings alone (BatchUpdateFindings is for people)", st.where, a)
			}
			if len(st.resources) != 1 || !reflect.DeepEqual(st.resources[0], productSub) {
				t.Errorf("%s: %s on %v, want the product ARN alone (%v)", st.where, a, st.resources, productSub)
			}
			if st.raw["Effect"] == "Allow" {
				imports = true
			}
		}
	}
	if !imports {
		t.Error("forwarder may not call securityhub:BatchImportFindings")
	}
	// The forwarder's queue and dead-letter queue are watched like every
	// function's.
	for _, what := range []string{"Errors", "DeadLetters"} {
		if _, ok := s.stacks.Operations.Alarms[f.Name+what]; !ok {
			t.Errorf("no %s alarm for the forwarder", what)
		}
	}
	errs := assertions.Annotations_FromStack(s.stacks.Main).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*")))
	for _, e := range *errs {
		//lint:ignore SA1019 FindError returns cxapi.SynthesisMessage, and the CDK's Go binding has no other type for it yet
		t.Errorf("cdk-nag: %s: %v", *e.Id, e.Entry.Data)
	}
}
