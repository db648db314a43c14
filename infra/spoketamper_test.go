package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/routing"
)

// renderAll renders every Ref and Fn::Join of v as ${...} text
// (renderToken), so that a synthesized pattern compares with routing's.
func renderAll(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if r := renderToken(x); !reflect.DeepEqual(r, v) {
			return r
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = renderAll(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = renderAll(e)
		}
		return out
	}
	return v
}

// TestSpokeForwardsTamperCalls: each member's spoke has the rules of
// routing.SpokeTamperRules, pinned to its own stack and account, named
// drift.SpokePrefix-..., forwarding to the security account's bus with a
// dead-letter queue; the roles' rule only in IAM's region. The spoke's
// forwarding rules, queues and forwarding role carry the names the
// patterns pin.
func TestSpokeForwardsTamperCalls(t *testing.T) {
	for _, c := range []synthCase{caseOrg, caseMembers} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			tpl := spokeOf(t, c)
			rules := resources(tpl, "AWS::Events::Rule")
			scope := routing.SpokeScope{Account: "${AWS::AccountId}", StackName: "${AWS::StackName}", Roles: spokeRoles(s.settings)}
			want := routing.SpokeTamperRules(scope, false)
			if got, forwarded := len(rules), 2; got != forwarded+len(want) {
				t.Errorf("rules: got %d, want %d (the two forwarding rules and %d tamper rules)", got, forwarded+len(want), len(want))
			}
			for _, rule := range want {
				var found map[string]any
				for _, r := range rules {
					if props(r)["Name"] == drift.SpokePrefix+rule.Name {
						found = r
					}
				}
				if found == nil {
					t.Errorf("%s: no spoke rule named %s", rule.Name, drift.SpokePrefix+rule.Name)
					continue
				}
				if got, want := renderAll(props(found)["EventPattern"]), roundTrip(t, rule.Pattern); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: pattern\n got %v\nwant %v", rule.Name, got, want)
				}
				wantCond := any(nil)
				if rule.Region == routing.IAMRegion {
					wantCond = "IsIAMRegion"
				}
				if got := found["Condition"]; got != wantCond {
					t.Errorf("%s: condition got %v, want %v", rule.Name, got, wantCond)
				}
				targets := asList(props(found)["Targets"])
				if len(targets) != 1 || targets[0].(map[string]any)["DeadLetterConfig"] == nil ||
					!strings.Contains(fmt_(renderToken(targets[0].(map[string]any)["Arn"])), ":event-bus/default") {
					t.Errorf("%s: targets %v, want the security account's bus with a dead-letter queue", rule.Name, targets)
				}
			}
			for _, r := range rules {
				if name, _ := props(r)["Name"].(string); !strings.HasPrefix(name, drift.SpokePrefix) {
					t.Errorf("rule %v: not named %s...: the tamper rules would not see it", props(r)["Name"], drift.SpokePrefix)
				}
			}
			for id, q := range resources(tpl, "AWS::SQS::Queue") {
				if name, _ := props(q)["QueueName"].(string); !strings.HasPrefix(name, drift.SpokePrefix) {
					t.Errorf("queue %s: got name %v, want %s...", id, props(q)["QueueName"], drift.SpokePrefix)
				}
			}
			forwarder := props(resources(tpl, "AWS::IAM::Role")[logicalIDIn(t, tpl, "ForwarderRole")])
			if got := fmt_(renderToken(forwarder["RoleName"])); got != drift.SpokePrefix+"forwarder-${AWS::Region}" {
				t.Errorf("forwarder role: got name %v, want %sforwarder-${AWS::Region}", got, drift.SpokePrefix)
			}
		})
	}
}

func fmt_(v any) string { s, _ := v.(string); return s }

// logicalIDIn is the logical ID of the role in tpl that starts with
// prefix.
func logicalIDIn(t *testing.T, tpl map[string]any, prefix string) string {
	t.Helper()
	for id := range resources(tpl, "AWS::IAM::Role") {
		if strings.HasPrefix(id, prefix) {
			return id
		}
	}
	t.Fatalf("no resource %s...", prefix)
	return ""
}

// TestHubMailsSpokeTamper: in an organization deployment the security
// account's alarm rules also take the members' calls on the spoke
// (routing.SpokeTamperRules, any member, the StackSet's stacks by their
// prefix), and the detector and `replay --deployment` know the spoke; a
// single-account stack has neither.
func TestHubMailsSpokeTamper(t *testing.T) {
	for _, c := range []synthCase{caseOrg, caseOrgRevert, caseDefault} {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			main, w := s.stacks.Main, s.stacks.Tamper
			var want []routing.Rule
			if s.settings.Organization.Enabled() {
				want = routing.SpokeTamperRules(hubSpokeScope(s.settings), true)
			}
			if got := len(w.Alarms) - len(routing.TamperAlarmRules(routing.TamperScope{})); got != len(want) {
				t.Fatalf("got %d spoke alarm rules, want %d", got, len(want))
			}
			rules := resources(mainTemplate(s), "AWS::Events::Rule")
			for i, rule := range want {
				alarm := props(rules[*main.GetLogicalId(w.Alarms[len(w.Alarms)-len(want)+i])])
				if got, want := alarm["EventPattern"], roundTrip(t, rule.Pattern); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: pattern\n got %v\nwant %v", rule.Name, got, want)
				}
			}
			env := props(resource(t, s, s.stacks.Detector.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			depJSON, _ := json.Marshal(env[config.EnvDeployment])
			outputs, _ := mainTemplate(s)["Outputs"].(map[string]any)
			for _, k := range drift.SpokeOutputKeys {
				inEnv := strings.Contains(string(depJSON), k)
				_, inOutputs := outputs[k]
				if org := s.settings.Organization.Enabled(); inEnv != org || inOutputs != org {
					t.Errorf("%s: got in %s %v, in outputs %v, want %v", k, config.EnvDeployment, inEnv, inOutputs, org)
				}
			}
		})
	}
}

// TestSpokeReadRoleLooksUpEvents: the catch-up reads each member's
// CloudTrail through the read role, which may LookupEvents (on "*", its
// only resource); the revert role may not.
func TestSpokeReadRoleLooksUpEvents(t *testing.T) {
	tpl := spokeOf(t, caseOrgRevert)
	has := func(role string) bool {
		_, _, stmts := spokeRole(t, tpl, role)
		for _, st := range stmts {
			if st.raw["Effect"] == "Allow" && slices.Contains(st.actions, "cloudtrail:LookupEvents") {
				return slices.Contains(st.resources, any("*"))
			}
		}
		return false
	}
	if !has(config.DefaultMemberReadRole) {
		t.Errorf("%s: got no cloudtrail:LookupEvents on *, want it", config.DefaultMemberReadRole)
	}
	if has(config.DefaultMemberRevertRole) {
		t.Errorf("%s: got cloudtrail:LookupEvents, want none", config.DefaultMemberRevertRole)
	}
}

// TestSpokeTemplateFitsTemplateBody: the StackSet inlines the spoke as its
// TemplateBody, which CloudFormation takes up to 51,200 bytes; the tamper
// rules made it larger.
func TestSpokeTemplateFitsTemplateBody(t *testing.T) {
	const maxTemplateBody = 51200
	for _, c := range []synthCase{caseOrg, caseOrgRevert, caseMembers} {
		t.Run(c.name, func(t *testing.T) {
			body, err := jsonString(spokeOf(t, c))
			if err != nil {
				t.Fatal(err)
			}
			if len(body) > maxTemplateBody {
				t.Errorf("got a TemplateBody of %d bytes, want at most %d", len(body), maxTemplateBody)
			}
			t.Logf("TemplateBody: %d bytes", len(body))
		})
	}
}
