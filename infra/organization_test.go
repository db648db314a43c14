package infra

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/organizations"
	"github.com/eksdrift/eksdrift/internal/routing"
)

var update = flag.Bool("update", false, "rewrite testdata/spoke.template.json from the code")

// spokeTemplateName is the spoke's key in synthesized.templates.
const spokeTemplateName = "spoke"

const testExternalID = "0123456789abcdef-eksdrift"

// The organization cases.
var (
	// caseOrg watches an organization's OUs (and its root) in two
	// regions, in alert mode, from a delegated administrator in eu-west-1.
	caseOrg = synthCase{name: "organization", overrides: map[string]any{
		CtxAccount: "111122223333", CtxRegion: "eu-west-1",
		CtxOrganizationID: "o-abcdefghij", CtxOrganizationalUnits: "ou-ab12-cdefgh34,r-ab12",
		CtxRegions: "eu-west-1,eu-central-1", CtxMemberExternalID: testExternalID,
	}}
	// caseOrgRevert is caseOrg in revert mode, narrowed to one account of
	// the OUs.
	caseOrgRevert = synthCase{name: "organization-revert", overrides: map[string]any{
		CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxMode: ModeRevert,
		CtxClusters: []any{"prod"}, CtxRoles: []any{"developers"}, CtxUsers: []any{"release-bot"},
		CtxOrganizationID: "o-abcdefghij", CtxOrganizationalUnits: []any{"ou-ab12-cdefgh34"},
		CtxMemberAccounts: []any{"444455556666"}, CtxMemberExternalID: testExternalID,
	}}
	// caseOrgSlack is caseOrg with the Slack endpoint, which checks a
	// press against the approvers of the finding's own account.
	caseOrgSlack = synthCase{name: "organization-slack", overrides: map[string]any{
		CtxAccount: "111122223333", CtxRegion: "eu-west-1",
		CtxOrganizationID: "o-abcdefghij", CtxOrganizationalUnits: []any{"ou-ab12-cdefgh34"}, CtxMemberExternalID: testExternalID,
		CtxSlackSecretARN:        "arn:aws:secretsmanager:eu-west-1:111122223333:secret:eksdrift/slack-AbCdEf",
		CtxSlackSigningSecretARN: testSigningSecret,
	}}
	// caseMembers lists two accounts outside any organization (a
	// self-managed StackSet), in revert mode, from us-east-1: its spoke
	// is testdata/spoke.template.json, which internal/stacktest deploys
	// on MiniStack.
	caseMembers = synthCase{name: "members", overrides: map[string]any{
		CtxAccount: "111122223333", CtxRegion: "us-east-1", CtxMode: ModeRevert,
		CtxClusters: []any{"prod"}, CtxRoles: []any{"developers"}, CtxUsers: []any{"release-bot"},
		CtxMemberAccounts: "444455556666,777788889999,444455556666", CtxRegions: []any{"us-east-1", "us-west-2"},
		CtxMemberExternalID: testExternalID,
	}}
)

func TestOrganizationSettings(t *testing.T) {
	base := map[string]any{
		CtxAccount: "111122223333", CtxRegion: "eu-west-1", CtxBaselineWriters: testWriter,
		CtxOrganizationID: "o-abcdefghij", CtxOrganizationalUnits: "ou-ab12-cdefgh34", CtxMemberExternalID: testExternalID,
	}
	read := func(edit map[string]any) (Settings, error) {
		ctx := map[string]any{}
		for k, v := range base {
			ctx[k] = v
		}
		for k, v := range edit {
			if v == nil {
				delete(ctx, k)
			} else {
				ctx[k] = v
			}
		}
		return ReadSettings(func(k string) any { return ctx[k] }, Env{}, "build")
	}
	t.Run("defaults", func(t *testing.T) {
		s, err := read(nil)
		if err != nil {
			t.Fatal(err)
		}
		o := s.Organization
		if !o.Enabled() || !o.ServiceManaged() || o.CallAs != callAsDelegated {
			t.Errorf("got %+v, want a service-managed organization called as a delegated administrator", o)
		}
		if got, want := o.Regions, []string{"eu-west-1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("regions: got %v, want %v (the stack's)", got, want)
		}
		if got, want := o.SpokeRegions(), []string{"eu-west-1", routing.IAMRegion}; !reflect.DeepEqual(got, want) {
			t.Errorf("spoke regions: got %v, want %v", got, want)
		}
	})
	t.Run("accounts deduplicated", func(t *testing.T) {
		s, err := read(map[string]any{CtxOrganizationID: nil, CtxOrganizationalUnits: nil, CtxMemberAccounts: "444455556666, 777788889999,444455556666"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Organization.Accounts, []string{"444455556666", "777788889999"}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if s.Organization.ServiceManaged() {
			t.Error("a list of accounts without an organization: got service-managed, want self-managed")
		}
	})
	t.Run("no organization", func(t *testing.T) {
		s, err := read(map[string]any{CtxOrganizationID: nil, CtxOrganizationalUnits: nil, CtxMemberExternalID: nil})
		if err != nil {
			t.Fatal(err)
		}
		if s.Organization.Enabled() {
			t.Errorf("got %+v, want no member account", s.Organization)
		}
	})
	tests := []struct {
		name string
		edit map[string]any
		says string
	}{
		{"organization ID malformed", map[string]any{CtxOrganizationID: "o-ABC"}, `organizationId="o-ABC" is not an organization ID`},
		{"organization ID with a quote", map[string]any{CtxOrganizationID: `o-abcdefghij"}`}, `is not an organization ID`},
		{"OU malformed", map[string]any{CtxOrganizationalUnits: "ou-ab12-cdefgh34,ou-*"}, `"ou-*" is not an organizational unit ID`},
		{"organization without OUs", map[string]any{CtxOrganizationalUnits: nil}, "organizationId=o-abcdefghij needs organizationalUnits"},
		{"OUs without organization", map[string]any{CtxOrganizationID: nil, CtxMemberAccounts: "444455556666"}, "organizationalUnits needs organizationId"},
		{"account not 12 digits", map[string]any{CtxMemberAccounts: "44445555666"}, `"44445555666" is not a 12-digit account ID`},
		{"the stack's own account", map[string]any{CtxMemberAccounts: "111122223333"}, `"111122223333" is the stack's own account`},
		{"region malformed", map[string]any{CtxRegions: "eu-west-1,*"}, `regions: "*" is not a region`},
		{"regions empty", map[string]any{CtxRegions: "[]"}, "regions is empty"},
		{"no external ID", map[string]any{CtxMemberExternalID: nil}, "memberExternalId is not set"},
		{"external ID short", map[string]any{CtxMemberExternalID: "0123456789abcde"}, "memberExternalId: the value given is not 16 to 1224"},
		{"external ID with a space", map[string]any{CtxMemberExternalID: "0123456789abcdef xyz"}, "memberExternalId: the value given is not"},
		{"external ID alone", map[string]any{CtxOrganizationID: nil, CtxOrganizationalUnits: nil}, "memberExternalId is set but neither organizationId nor memberAccounts is"},
		{"not pinned", map[string]any{CtxAccount: nil, CtxRegion: nil}, "need the stack pinned"},
		{"call as", map[string]any{CtxStackSetCallAs: "ADMIN"}, `stackSetCallAs="ADMIN" is not one of`},
		{"admin role with an organization", map[string]any{CtxStackSetAdminRole: "arn:aws:iam::111122223333:role/admin"}, "stackSetAdministrationRoleArn is for a self-managed StackSet"},
		{"admin role a user", map[string]any{CtxOrganizationID: nil, CtxOrganizationalUnits: nil, CtxMemberAccounts: "444455556666",
			CtxStackSetAdminRole: "arn:aws:iam::111122223333:user/admin"}, "is not the ARN of an IAM role"},
		{"execution role name", map[string]any{CtxStackSetExecutionRole: "a/b"}, `stackSetExecutionRoleName="a/b" is not an IAM role name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := read(tt.edit)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %v, want an error saying %q", err, tt.says)
			}
		})
	}
}

// spokeOf gives the spoke template of a case.
func spokeOf(t *testing.T, c synthCase) map[string]any {
	t.Helper()
	s := synth(t, c)
	tpl, ok := s.templates[spokeTemplateName]
	if !ok {
		t.Fatalf("%s: no spoke template", c.name)
	}
	return tpl
}

// spokeRole gives the spoke's role named name, its logical ID, and the
// statements of the policies attached to it.
func spokeRole(t *testing.T, tpl map[string]any, name string) (string, map[string]any, []statement) {
	t.Helper()
	for id, res := range resources(tpl, "AWS::IAM::Role") {
		if props(res)["RoleName"] != name {
			continue
		}
		var stmts []statement
		for pid, pol := range resources(tpl, "AWS::IAM::Policy") {
			for _, r := range asList(props(pol)["Roles"]) {
				if ref, _ := r.(map[string]any)["Ref"].(string); ref == id {
					stmts = append(stmts, statementsOf(pid, props(pol)["PolicyDocument"])...)
				}
			}
		}
		return id, res, stmts
	}
	return "", nil, nil
}

func TestSpokeRolesTrustOnlyTheFunctions(t *testing.T) {
	ref := func(p string) any { return map[string]any{"Ref": p} }
	tests := []struct {
		c       synthCase
		role    string
		trusted []any
		orgID   string
	}{
		{caseOrg, config.DefaultMemberReadRole, []any{ref(SpokeParamDetectorRole), ref(SpokeParamReconcileRole)}, "o-abcdefghij"},
		{caseOrgRevert, config.DefaultMemberReadRole, []any{ref(SpokeParamDetectorRole), ref(SpokeParamReconcileRole)}, "o-abcdefghij"},
		{caseOrgRevert, config.DefaultMemberRevertRole, []any{ref(SpokeParamReverterRole)}, "o-abcdefghij"},
		{caseMembers, config.DefaultMemberReadRole, []any{ref(SpokeParamDetectorRole), ref(SpokeParamReconcileRole)}, ""},
		{caseMembers, config.DefaultMemberRevertRole, []any{ref(SpokeParamReverterRole)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.c.name+"/"+tt.role, func(t *testing.T) {
			_, res, _ := spokeRole(t, spokeOf(t, tt.c), tt.role)
			if res == nil {
				t.Fatalf("no role %s", tt.role)
			}
			if got, want := res["Condition"], "IsIAMRegion"; got != want {
				t.Errorf("condition: got %v, want %v (IAM roles are global: one region makes them)", got, want)
			}
			doc := props(res)["AssumeRolePolicyDocument"]
			want := map[string]any{"sts:ExternalId": ref(SpokeParamExternalID)}
			if tt.orgID != "" {
				want["aws:PrincipalOrgID"] = tt.orgID
			}
			// CDK writes one statement per trusted role, each with the
			// conditions.
			var trusted []any
			for _, st := range statementsOf(tt.role, doc) {
				if got, want := st.raw["Effect"], "Allow"; got != want {
					t.Errorf("effect: got %v, want %v", got, want)
				}
				if got, want := st.actions, []string{"sts:AssumeRole"}; !reflect.DeepEqual(got, want) {
					t.Errorf("actions: got %v, want %v", got, want)
				}
				principal, _ := st.raw["Principal"].(map[string]any)
				if len(principal) != 1 || principal["AWS"] == nil {
					t.Errorf("principal: got %v, want the security account's function roles alone", st.raw["Principal"])
				}
				trusted = append(trusted, asList(principal["AWS"])...)
				if got := st.raw["Condition"]; !reflect.DeepEqual(got, map[string]any{"StringEquals": want}) {
					t.Errorf("condition: got %v, want StringEquals %v", got, want)
				}
			}
			if !reflect.DeepEqual(trusted, tt.trusted) {
				t.Errorf("trusted: got %v, want %v", trusted, tt.trusted)
			}
		})
	}
	t.Run("no revert role in alert mode", func(t *testing.T) {
		if _, res, _ := spokeRole(t, spokeOf(t, caseOrg), config.DefaultMemberRevertRole); res != nil {
			t.Errorf("got a revert role %v, want none in alert mode", props(res))
		}
		if _, ok := spokeOf(t, caseOrg)["Parameters"].(map[string]any)[SpokeParamReverterRole]; ok {
			t.Errorf("got a %s parameter, want none in alert mode", SpokeParamReverterRole)
		}
	})
	t.Run("external ID hidden", func(t *testing.T) {
		p := spokeOf(t, caseOrg)["Parameters"].(map[string]any)[SpokeParamExternalID].(map[string]any)
		if p["NoEcho"] != true || p["MinLength"] != float64(16) {
			t.Errorf("got %v, want NoEcho and MinLength 16", p)
		}
	})
}

// spokeMayWrite is what a spoke in alert mode may change: the forwarder
// puts events on the security account's bus, and nothing else. The DLQ's
// resource policy lets EventBridge send to it.
var spokeMayWrite = map[string]bool{"events:PutEvents": true, "sqs:SendMessage": true}

// TestSpokeWritesNothingUnlessRevert walks every statement of every policy
// of the spoke: in alert mode no action but reads (and the forwarding),
// and in revert mode the writes are the revert role's alone.
func TestSpokeWritesNothingUnlessRevert(t *testing.T) {
	for _, c := range []synthCase{caseOrg, caseOrgRevert, caseMembers} {
		t.Run(c.name, func(t *testing.T) {
			tpl := spokeOf(t, c)
			revertMode := synth(t, c).settings.Mode == ModeRevert
			revertID, _, _ := spokeRole(t, tpl, config.DefaultMemberRevertRole)
			var revertPolicies []string
			for pid, pol := range resources(tpl, "AWS::IAM::Policy") {
				for _, r := range asList(props(pol)["Roles"]) {
					if ref, _ := r.(map[string]any)["Ref"].(string); ref == revertID && revertID != "" {
						revertPolicies = append(revertPolicies, pid)
					}
				}
			}
			for _, res := range resources(tpl, "AWS::IAM::Role") {
				if m := props(res)["ManagedPolicyArns"]; m != nil {
					t.Errorf("role %v: managed policies %v, want none (every grant is written out)", props(res)["RoleName"], m)
				}
				if p := props(res)["Policies"]; p != nil {
					t.Errorf("role %v: inline policies %v, want none", props(res)["RoleName"], p)
				}
			}
			statements := allStatements(tpl)
			if len(statements) == 0 {
				t.Fatal("no statement in the spoke")
			}
			for _, st := range statements {
				if st.raw["Effect"] == "Deny" {
					continue
				}
				for _, a := range st.actions {
					if !isWriteAction(a) || spokeMayWrite[a] {
						continue
					}
					if revertMode && slices.Contains(revertPolicies, st.where) {
						continue
					}
					t.Errorf("%s: %s may %s, want no write outside the revert role", c.name, st.where, a)
				}
				if slices.Contains(st.actions, "events:PutEvents") {
					want := []any{fmt.Sprintf("arn:${AWS::Partition}:events:%s:111122223333:event-bus/default", synth(t, c).settings.Region)}
					if got := normalizeTokens(t, st.resources); !reflect.DeepEqual(got, want) {
						t.Errorf("events:PutEvents on: got %v, want %v (the security account's bus alone)", got, want)
					}
				}
			}
			if revertMode && len(revertPolicies) == 0 {
				t.Error("revert mode: the revert role has no policy")
			}
		})
	}
}

// isWriteAction reports whether a call changes anything: any verb but
// Describe, List and Get, in any service.
func isWriteAction(action string) bool {
	_, verb, _ := strings.Cut(action, ":")
	// cloudtrail:LookupEvents is a read (IAM's access level "Read").
	return !strings.HasPrefix(verb, "Describe") && !strings.HasPrefix(verb, "List") && !strings.HasPrefix(verb, "Get") &&
		action != "cloudtrail:LookupEvents"
}

// normalizeTokens renders {"Fn::Join": ["", [...]]} with {"Ref": X} parts
// as "${X}", so tests can compare ARNs built from pseudo parameters.
func normalizeTokens(t *testing.T, vs []any) []any {
	t.Helper()
	var out []any
	for _, v := range vs {
		out = append(out, renderToken(v))
	}
	return out
}

func renderToken(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if ref, ok := m["Ref"].(string); ok {
		return "${" + ref + "}"
	}
	join, ok := m["Fn::Join"].([]any)
	if !ok || len(join) != 2 || join[0] != "" {
		return v
	}
	var b strings.Builder
	for _, part := range join[1].([]any) {
		r := renderToken(part)
		s, ok := r.(string)
		if !ok {
			return v
		}
		b.WriteString(s)
	}
	return b.String()
}

// TestSpokeRevertRoleDeniesLikeTheHub: the revert role carries the hub
// reverter's explicit denies, statement for statement (the resources in
// the member's own account).
func TestSpokeRevertRoleDeniesLikeTheHub(t *testing.T) {
	s := synth(t, caseOrgRevert)
	hubDenies := map[string]any{}
	for _, st := range roleStatements(t, s, s.stacks.Reverter.Role) {
		if st.raw["Effect"] == "Deny" {
			hubDenies[st.raw["Sid"].(string)] = st.raw
		}
	}
	if len(hubDenies) == 0 {
		t.Fatal("the hub's reverter has no deny")
	}
	_, _, stmts := spokeRole(t, spokeOf(t, caseOrgRevert), config.DefaultMemberRevertRole)
	spokeDenies := map[string]any{}
	for _, st := range stmts {
		if st.raw["Effect"] == "Deny" {
			spokeDenies[st.raw["Sid"].(string)] = st.raw
		}
	}
	for sid, hub := range hubDenies {
		spoke, ok := spokeDenies[sid]
		if !ok {
			t.Errorf("deny %s: the hub's reverter has it, the spoke's revert role does not", sid)
			continue
		}
		h, sp := hub.(map[string]any), spoke.(map[string]any)
		for _, k := range []string{"Action", "Condition"} {
			if !reflect.DeepEqual(h[k], sp[k]) {
				t.Errorf("deny %s %s: got %v, want the hub's %v", sid, k, sp[k], h[k])
			}
		}
		// The hub names its own account's roles; the spoke the member's.
		for _, k := range []string{"Resource", "NotResource"} {
			if got, want := canonARNs(asList(sp[k]), ""), canonARNs(asList(h[k]), "111122223333"); !reflect.DeepEqual(got, want) {
				t.Errorf("deny %s %s: got %v, want the hub's %v", sid, k, got, want)
			}
		}
	}
	if len(spokeDenies) != len(hubDenies) {
		t.Errorf("denies: got %d, want the hub's %d", len(spokeDenies), len(hubDenies))
	}
}

// canonARNs renders ARNs with the account as ${AWS::AccountId} (account
// when given is the literal to replace) and the partition as aws.
func canonARNs(vs []any, account string) []string {
	var out []string
	for _, v := range vs {
		s := fmt.Sprint(renderToken(v))
		s = strings.ReplaceAll(s, "${AWS::Partition}", "aws")
		if account != "" {
			s = strings.ReplaceAll(s, ":"+account+":", ":${AWS::AccountId}:")
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// l1 gives the resource of an L1 construct.
func l1(t *testing.T, s *synthesized, el awscdk.CfnElement) map[string]any {
	t.Helper()
	id := *s.stacks.Main.GetLogicalId(el)
	r, ok := mainTemplate(s)["Resources"].(map[string]any)[id]
	if !ok {
		t.Fatalf("no resource %s in the template", id)
	}
	return r.(map[string]any)
}

// TestSpokeRulesAreRoutingPatterns: the spoke forwards exactly what the
// hub's rules match (routing.Rules), EKS's in the watched regions, IAM's
// in us-east-1, to the security account's bus.
func TestSpokeRulesAreRoutingPatterns(t *testing.T) {
	tpl := spokeOf(t, caseOrg)
	rules := resources(tpl, "AWS::Events::Rule")
	want := map[string]string{"eks-access-changes": "IsWatchedRegion", "iam-access-changes": "IsIAMRegion"}
	// Beside the spoke's tamper rules (TestSpokeForwardsTamperCalls).
	if tamper := len(routing.SpokeTamperRules(routing.SpokeScope{}, false)); len(rules) != len(want)+tamper {
		t.Errorf("rules: got %d, want %d", len(rules), len(want)+tamper)
	}
	for _, rule := range routing.Rules() {
		cond, forwarded := want[rule.Name]
		var found map[string]any
		for _, r := range rules {
			if reflect.DeepEqual(props(r)["EventPattern"], roundTrip(t, rule.Pattern)) {
				found = r
			}
		}
		if !forwarded {
			if found != nil {
				t.Errorf("%s: forwarded, want not (it is not a member account's)", rule.Name)
			}
			continue
		}
		if found == nil {
			t.Errorf("%s: no spoke rule has its pattern", rule.Name)
			continue
		}
		if got := found["Condition"]; got != cond {
			t.Errorf("%s: condition got %v, want %v", rule.Name, got, cond)
		}
		targets := asList(props(found)["Targets"])
		if len(targets) != 1 {
			t.Fatalf("%s: got %d targets, want 1", rule.Name, len(targets))
		}
		tg := targets[0].(map[string]any)
		if got, want := renderToken(tg["Arn"]), "arn:${AWS::Partition}:events:eu-west-1:111122223333:event-bus/default"; got != want {
			t.Errorf("%s: target got %v, want %v", rule.Name, got, want)
		}
		if tg["RoleArn"] == nil || tg["DeadLetterConfig"] == nil {
			t.Errorf("%s: target %v, want a role and a dead-letter queue", rule.Name, tg)
		}
	}
	conds := tpl["Conditions"].(map[string]any)
	watched := fmt.Sprint(conds["IsWatchedRegion"])
	for _, r := range []string{"eu-west-1", "eu-central-1"} {
		if !strings.Contains(watched, r) {
			t.Errorf("IsWatchedRegion %s: got no %s", watched, r)
		}
	}
	if strings.Contains(watched, routing.IAMRegion) {
		t.Errorf("IsWatchedRegion %s: got %s, which the settings do not watch", watched, routing.IAMRegion)
	}
}

func TestRegionInNestsPastTen(t *testing.T) {
	var regions []string
	for i := 1; i <= 23; i++ {
		regions = append(regions, fmt.Sprintf("xx-test-%d", i))
	}
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Conditions"), nil)
	cond := awscdk.NewCfnCondition(stack, jsii.String("In"), &awscdk.CfnConditionProps{Expression: regionIn(regions)})
	awscdk.NewCfnWaitConditionHandle(stack, jsii.String("Handle"), nil).CfnOptions().SetCondition(cond)
	tpl := *assertions.Template_FromStack(stack, nil).ToJSON()
	b, _ := json.Marshal(tpl["Conditions"])
	var check func(v any)
	count := 0
	check = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if or, ok := x["Fn::Or"].([]any); ok && (len(or) < 2 || len(or) > 10) {
				t.Errorf("Fn::Or with %d conditions, want 2 to 10", len(or))
			}
			if _, ok := x["Fn::Equals"]; ok {
				count++
			}
			for _, c := range x {
				check(c)
			}
		case []any:
			for _, c := range x {
				check(c)
			}
		}
	}
	check(tpl["Conditions"])
	if count != len(regions) {
		t.Errorf("got %d regions in %s, want %d", count, b, len(regions))
	}
}

func TestStackSet(t *testing.T) {
	t.Run("organization", func(t *testing.T) {
		s := synth(t, caseOrg)
		p := props(l1(t, s, s.stacks.Members.StackSet))
		if p["PermissionModel"] != permissionsService || p["CallAs"] != callAsDelegated {
			t.Errorf("got %v/%v, want %s/%s", p["PermissionModel"], p["CallAs"], permissionsService, callAsDelegated)
		}
		if got, want := p["AutoDeployment"], map[string]any{"Enabled": true, "RetainStacksOnAccountRemoval": false}; !reflect.DeepEqual(got, want) {
			t.Errorf("auto-deployment: got %v, want %v", got, want)
		}
		group := asList(p["StackInstancesGroup"])
		if len(group) != 1 {
			t.Fatalf("stack instances: got %v, want one group", group)
		}
		g := group[0].(map[string]any)
		if got, want := g["DeploymentTargets"], map[string]any{"OrganizationalUnitIds": []any{"ou-ab12-cdefgh34", "r-ab12"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("targets: got %v, want %v", got, want)
		}
		if got, want := g["Regions"], []any{"eu-west-1", "eu-central-1", "us-east-1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("regions: got %v, want %v", got, want)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(p["TemplateBody"].(string)), &body); err != nil {
			t.Fatalf("template body: %v", err)
		}
		if !reflect.DeepEqual(body, s.templates[spokeTemplateName]) {
			t.Error("template body: got another template than the spoke's")
		}
		params := map[string]any{}
		for _, pp := range asList(p["Parameters"]) {
			m := pp.(map[string]any)
			params[m["ParameterKey"].(string)] = m["ParameterValue"]
		}
		wantParams := map[string]any{
			SpokeParamDetectorRole:  map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, s.stacks.Detector.Role), "Arn"}},
			SpokeParamReconcileRole: map[string]any{"Fn::GetAtt": []any{logicalID(s.stacks.Main, s.stacks.Reconciler.Role), "Arn"}},
			SpokeParamExternalID:    testExternalID,
		}
		if !reflect.DeepEqual(params, wantParams) {
			t.Errorf("parameters: got %v, want %v", params, wantParams)
		}
		for name := range body["Parameters"].(map[string]any) {
			if _, ok := params[name]; !ok {
				t.Errorf("spoke parameter %s: the StackSet does not pass it", name)
			}
		}
	})
	t.Run("organization narrowed to accounts", func(t *testing.T) {
		s := synth(t, caseOrgRevert)
		p := props(l1(t, s, s.stacks.Members.StackSet))
		g := asList(p["StackInstancesGroup"])[0].(map[string]any)
		want := map[string]any{"OrganizationalUnitIds": []any{"ou-ab12-cdefgh34"}, "Accounts": []any{"444455556666"}, "AccountFilterType": "INTERSECTION"}
		if !reflect.DeepEqual(g["DeploymentTargets"], want) {
			t.Errorf("targets: got %v, want %v", g["DeploymentTargets"], want)
		}
		found := false
		for _, pp := range asList(p["Parameters"]) {
			if pp.(map[string]any)["ParameterKey"] == SpokeParamReverterRole {
				found = true
			}
		}
		if !found {
			t.Errorf("revert mode: no %s parameter", SpokeParamReverterRole)
		}
	})
	t.Run("self-managed", func(t *testing.T) {
		s := synth(t, caseMembers)
		p := props(l1(t, s, s.stacks.Members.StackSet))
		if p["PermissionModel"] != permissionsSelf || p["AutoDeployment"] != nil || p["CallAs"] != nil {
			t.Errorf("got %v, auto-deployment %v, call as %v; want %s without either", p["PermissionModel"], p["AutoDeployment"], p["CallAs"], permissionsSelf)
		}
		if got, want := renderToken(p["AdministrationRoleARN"]), "arn:aws:iam::111122223333:role/"+defaultAdminRole; got != want {
			t.Errorf("administration role: got %v, want %v", got, want)
		}
		if p["ExecutionRoleName"] != defaultExecutionRle {
			t.Errorf("execution role: got %v, want %v", p["ExecutionRoleName"], defaultExecutionRle)
		}
		g := asList(p["StackInstancesGroup"])[0].(map[string]any)
		if got, want := g["DeploymentTargets"], map[string]any{"Accounts": []any{"444455556666", "777788889999"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("targets: got %v, want %v", got, want)
		}
		if got, want := g["Regions"], []any{"us-east-1", "us-west-2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("regions: got %v, want %v", got, want)
		}
	})
	t.Run("none without members", func(t *testing.T) {
		for _, c := range []synthCase{caseDefault, casePinned, caseRevert} {
			s := synth(t, c)
			if s.stacks.Members != nil || len(resources(mainTemplate(s), "AWS::CloudFormation::StackSet")) != 0 || len(resources(mainTemplate(s), "AWS::Events::EventBusPolicy")) != 0 {
				t.Errorf("%s: got a StackSet or a bus policy, want neither", c.name)
			}
		}
	})
}

func TestBusAcceptsOnlyMembers(t *testing.T) {
	tests := []struct {
		c         synthCase
		principal any
		condition any
	}{
		{caseOrg, "*", map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-abcdefghij"}}},
		{caseOrgRevert, map[string]any{"AWS": []any{"arn:aws:iam::444455556666:root"}},
			map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-abcdefghij"}}},
		{caseMembers, map[string]any{"AWS": []any{"arn:aws:iam::444455556666:root", "arn:aws:iam::777788889999:root"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			p := props(l1(t, s, s.stacks.Members.BusPolicy))
			if p["EventBusName"] != "default" {
				t.Errorf("bus: got %v, want default", p["EventBusName"])
			}
			st := p["Statement"].(map[string]any)
			if st["Effect"] != "Allow" || st["Action"] != "events:PutEvents" {
				t.Errorf("statement: got %v %v, want Allow events:PutEvents", st["Effect"], st["Action"])
			}
			if got := roundTrip(t, st["Principal"]); !reflect.DeepEqual(got, tt.principal) {
				t.Errorf("principal: got %v, want %v", got, tt.principal)
			}
			if got := st["Condition"]; !reflect.DeepEqual(roundTrip(t, got), roundTrip(t, tt.condition)) {
				t.Errorf("condition: got %v, want %v", got, tt.condition)
			}
			if st["Principal"] == "*" && st["Condition"] == nil {
				t.Error("principal * with no condition: any account could put events on the bus")
			}
			want := fmt.Sprintf("arn:aws:events:%s:111122223333:event-bus/default", s.settings.Region)
			if got := renderToken(st["Resource"]); got != want {
				t.Errorf("resource: got %v, want %v", got, want)
			}
		})
	}
}

func TestFunctionsAssumeOnlyTheirMemberRole(t *testing.T) {
	type want struct {
		resources []any
		condition any
	}
	orgCond := map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": "o-abcdefghij"}}
	tests := []struct {
		c        synthCase
		function func(*Stacks) *Function
		want     *want // nil: may assume nothing
	}{
		{caseOrg, func(s *Stacks) *Function { return s.Detector.Function }, &want{[]any{"arn:aws:iam::*:role/eksdrift-read"}, orgCond}},
		{caseOrg, func(s *Stacks) *Function { return s.Reconciler.Function }, &want{[]any{"arn:aws:iam::*:role/eksdrift-read"}, orgCond}},
		{caseOrg, func(s *Stacks) *Function { return s.Notifier.Function }, nil},
		{caseOrgSlack, func(s *Stacks) *Function { return s.Interact.Function }, nil},
		{caseOrgRevert, func(s *Stacks) *Function { return s.Detector.Function }, &want{[]any{"arn:aws:iam::444455556666:role/eksdrift-read"}, orgCond}},
		{caseOrgRevert, func(s *Stacks) *Function { return s.Reverter.Function }, &want{[]any{"arn:aws:iam::444455556666:role/eksdrift-revert"}, orgCond}},
		{caseMembers, func(s *Stacks) *Function { return s.Reconciler.Function }, &want{[]any{
			"arn:aws:iam::444455556666:role/eksdrift-read", "arn:aws:iam::777788889999:role/eksdrift-read"}, nil}},
		{caseMembers, func(s *Stacks) *Function { return s.Reverter.Function }, &want{[]any{
			"arn:aws:iam::444455556666:role/eksdrift-revert", "arn:aws:iam::777788889999:role/eksdrift-revert"}, nil}},
		{caseRevert, func(s *Stacks) *Function { return s.Reverter.Function }, nil},
	}
	for _, tt := range tests {
		s := synth(t, tt.c)
		f := tt.function(s.stacks)
		t.Run(tt.c.name+"/"+f.Name, func(t *testing.T) {
			var assume []statement
			for _, st := range roleStatements(t, s, f.Role) {
				if slices.Contains(st.actions, "sts:AssumeRole") {
					assume = append(assume, st)
				}
			}
			if tt.want == nil {
				if len(assume) != 0 {
					t.Errorf("got sts:AssumeRole %v, want none", assume[0].raw)
				}
				return
			}
			if len(assume) != 1 {
				t.Fatalf("got %d sts:AssumeRole statements, want 1", len(assume))
			}
			st := assume[0]
			if got := normalizeTokens(t, st.resources); !reflect.DeepEqual(got, tt.want.resources) {
				t.Errorf("on: got %v, want %v", got, tt.want.resources)
			}
			if got := roundTrip(t, st.raw["Condition"]); !reflect.DeepEqual(got, roundTrip(t, tt.want.condition)) {
				t.Errorf("condition: got %v, want %v", got, tt.want.condition)
			}
			if len(st.actions) != 1 {
				t.Errorf("actions: got %v, want sts:AssumeRole alone", st.actions)
			}
			env := props(resource(t, s, f.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			o := s.settings.Organization
			for k, v := range map[string]string{
				config.EnvMemberReadRole: config.DefaultMemberReadRole, config.EnvMemberRevertRole: config.DefaultMemberRevertRole,
				config.EnvMemberExternalID: testExternalID, config.EnvOrganizationID: o.ID,
				config.EnvMemberAccounts: strings.Join(o.Accounts, ","), config.EnvRegions: strings.Join(o.Regions, ","),
			} {
				if env[k] != v {
					t.Errorf("%s: got %v, want %q", k, env[k], v)
				}
			}
		})
	}
}

// TestFunctionsDescribeOnlyTheirOrgAccounts: with an organization, the
// functions that admit members ask Organizations about an unlisted account
// (wiring.OrgMembership), on that organization's accounts only; without
// one they may not ask at all.
func TestFunctionsDescribeOnlyTheirOrgAccounts(t *testing.T) {
	orgAccounts := []any{"arn:aws:organizations::*:account/o-abcdefghij/*"}
	tests := []struct {
		c        synthCase
		function func(*Stacks) *Function
		want     []any // nil: no organizations call
	}{
		{caseOrg, func(s *Stacks) *Function { return s.Detector.Function }, orgAccounts},
		{caseOrgRevert, func(s *Stacks) *Function { return s.Reverter.Function }, orgAccounts},
		{caseOrgSlack, func(s *Stacks) *Function { return s.Interact.Function }, orgAccounts},
		{caseOrg, func(s *Stacks) *Function { return s.Notifier.Function }, nil},
		{caseMembers, func(s *Stacks) *Function { return s.Detector.Function }, nil},
	}
	for _, tt := range tests {
		s := synth(t, tt.c)
		f := tt.function(s.stacks)
		t.Run(tt.c.name+"/"+f.Name, func(t *testing.T) {
			var got []statement
			for _, st := range roleStatements(t, s, f.Role) {
				if slices.ContainsFunc(st.actions, func(a string) bool { return strings.HasPrefix(a, "organizations:") }) {
					got = append(got, st)
				}
			}
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("got %v, want no organizations call", got[0].raw)
				}
				return
			}
			if len(got) != 1 || !slices.Equal(got[0].actions, []string{"organizations:DescribeAccount"}) {
				t.Fatalf("got %v, want one statement of organizations:DescribeAccount", got)
			}
			if r := normalizeTokens(t, got[0].resources); !reflect.DeepEqual(r, tt.want) {
				t.Errorf("on: got %v, want %v", r, tt.want)
			}
		})
	}
}

// TestSpokeNag runs cdk-nag's AWS Solutions rules on the spoke of each
// case (SynthSpoke also refuses an error, as `cdk synth` would).
func TestSpokeNag(t *testing.T) {
	for _, c := range []synthCase{caseOrg, caseOrgRevert, caseMembers} {
		t.Run(c.name, func(t *testing.T) {
			settings := synth(t, c).settings
			app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(outRoot, c.name+"-spoke-nag"))})
			sp := NewSpoke(app, SpokeStackName, settings)
			CheckNag(app)
			errs := assertions.Annotations_FromStack(sp.Stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*")))
			for _, e := range *errs {
				//lint:ignore SA1019 FindError returns cxapi.SynthesisMessage, and the CDK's Go binding has no other type for it yet
				t.Errorf("%s: %v", *e.Id, e.Entry.Data)
			}
			warns := assertions.Annotations_FromStack(sp.Stack).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, w := range *warns {
				//lint:ignore SA1019 as above
				t.Errorf("warning %s: %v", *w.Id, w.Entry.Data)
			}
		})
	}
}

// TestSpokeGolden keeps testdata/spoke.template.json, caseMembers's spoke,
// which internal/stacktest deploys into member accounts on MiniStack;
// refresh it with -update and review the diff.
func TestSpokeGolden(t *testing.T) {
	tpl := spokeOf(t, caseMembers)
	got, err := json.MarshalIndent(tpl, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "spoke.template.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test ./infra -run TestSpokeGolden -update", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is out of date: run go test ./infra -run TestSpokeGolden -update and review the diff", path)
	}
}

// TestSweepListsOnlyItsOrganizationsOUs: the sweep of an OU-only
// deployment lists the accounts under the OUs (wiring.OrgAccounts), on
// that organization's OUs and the roots given alone, and is told which; a
// deployment that lists its members, and every other function, may not.
func TestSweepListsOnlyItsOrganizationsOUs(t *testing.T) {
	tests := []struct {
		c        synthCase
		function func(*Stacks) *Function
		want     []any // nil: no listing
	}{
		{caseOrg, func(s *Stacks) *Function { return s.Reconciler.Function },
			[]any{"arn:aws:organizations::*:ou/o-abcdefghij/*", "arn:aws:organizations::*:root/o-abcdefghij/r-ab12"}},
		{caseOrg, func(s *Stacks) *Function { return s.Detector.Function }, nil},
		{caseOrgRevert, func(s *Stacks) *Function { return s.Reconciler.Function }, nil},
		{caseOrgRevert, func(s *Stacks) *Function { return s.Reverter.Function }, nil},
		{caseMembers, func(s *Stacks) *Function { return s.Reconciler.Function }, nil},
	}
	for _, tt := range tests {
		s := synth(t, tt.c)
		f := tt.function(s.stacks)
		t.Run(tt.c.name+"/"+f.Name, func(t *testing.T) {
			var got []statement
			for _, st := range roleStatements(t, s, f.Role) {
				if slices.ContainsFunc(st.actions, func(a string) bool { return slices.Contains(organizations.TreeActions, a) }) {
					got = append(got, st)
				}
			}
			env := props(resource(t, s, f.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("got %v, want no listing of the organization", got[0].raw)
				}
				if v, ok := env[config.EnvOrganizationalUnits]; ok {
					t.Errorf("%s: got %v, want unset", config.EnvOrganizationalUnits, v)
				}
				return
			}
			if len(got) != 1 || !slices.Equal(got[0].actions, organizations.TreeActions) {
				t.Fatalf("got %v, want one statement of %v", got, organizations.TreeActions)
			}
			if r := normalizeTokens(t, got[0].resources); !reflect.DeepEqual(r, tt.want) {
				t.Errorf("on: got %v, want %v", r, tt.want)
			}
			if got[0].raw["Condition"] != nil {
				t.Errorf("condition: got %v, want none (no condition key narrows these calls)", got[0].raw["Condition"])
			}
			if got, want := env[config.EnvOrganizationalUnits], "ou-ab12-cdefgh34,r-ab12"; got != want {
				t.Errorf("%s: got %v, want %v", config.EnvOrganizationalUnits, got, want)
			}
		})
	}
}

// TestInteractGetsTheOrganization: in an organization deployment the
// Slack endpoint checks a press against the approvers of the finding's
// own account (functions/interact wires interact.Handler.BaselineFor from
// these settings); without them it read the shared file alone, where a
// member cluster declared in its account's file has no approvers. It
// assumes no member role (TestFunctionsAssumeOnlyTheirMemberRole), and
// cdk-nag still finds nothing unsuppressed.
func TestInteractGetsTheOrganization(t *testing.T) {
	for _, c := range []synthCase{caseOrgSlack, caseInteract} {
		s := synth(t, c)
		t.Run(c.name, func(t *testing.T) {
			env := props(resource(t, s, s.stacks.Interact.Fn))["Environment"].(map[string]any)["Variables"].(map[string]any)
			o := s.settings.Organization
			for k, v := range memberEnvironment(o) {
				switch got, ok := env[k]; {
				case o.Enabled() && got != v:
					t.Errorf("%s: got %v, want %q", k, got, v)
				case !o.Enabled() && ok:
					t.Errorf("%s: got %v, want it unset outside an organization", k, got)
				}
			}
			errs := assertions.Annotations_FromStack(s.stacks.Main).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String(".*")))
			for _, e := range *errs {
				//lint:ignore SA1019 FindError returns cxapi.SynthesisMessage, and the CDK's Go binding has no other type for it yet
				t.Errorf("cdk-nag: %s: %v", *e.Id, e.Entry.Data)
			}
		})
	}
}
