package infra

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/eks"
	"github.com/eksdrift/eksdrift/internal/iam"
	"github.com/eksdrift/eksdrift/internal/lookup"
	"github.com/eksdrift/eksdrift/internal/organizations"
)

func TestReconcilerSchedule(t *testing.T) {
	ctx, err := cdkContext()
	if err != nil {
		t.Fatal(err)
	}
	if got := ctx[CtxReconcileSchedule]; got != config.DefaultReconcileSchedule {
		t.Errorf("cdk.json %s: got %v, want %s (config.DefaultReconcileSchedule)", CtxReconcileSchedule, got, config.DefaultReconcileSchedule)
	}
	tests := []struct {
		c    synthCase
		want string
	}{
		{caseDefault, config.DefaultReconcileSchedule},
		{casePinned, "cron(15 * * * ? *)"},
	}
	for _, tt := range tests {
		t.Run(tt.c.name, func(t *testing.T) {
			s := synth(t, tt.c)
			r := s.stacks.Reconciler
			stack := s.stacks.Main
			fnARN := map[string]any{"Fn::GetAtt": []any{logicalID(stack, r.Fn), "Arn"}}
			rule := props(resource(t, s, r.Schedule))
			if got := rule["ScheduleExpression"]; got != tt.want {
				t.Errorf("schedule: got %v, want %s", got, tt.want)
			}
			if got := rule["State"]; got != "ENABLED" {
				t.Errorf("state: got %v, want ENABLED", got)
			}
			targets := asList(rule["Targets"])
			if len(targets) != 1 {
				t.Fatalf("targets: got %v, want the reconcile function alone", targets)
			}
			target := targets[0].(map[string]any)
			if !reflect.DeepEqual(target["Arn"], fnARN) {
				t.Errorf("target: got %v, want the reconcile function", target["Arn"])
			}
			dlq := map[string]any{"Fn::GetAtt": []any{logicalID(stack, r.DLQ), "Arn"}}
			if got := target["DeadLetterConfig"]; !reflect.DeepEqual(got, map[string]any{"Arn": dlq}) {
				t.Errorf("target dead letters: got %v, want the function's queue", got)
			}

			// EventBridge may invoke the function, from this rule only.
			invoke := false
			for _, p := range resources(mainTemplate(s), "AWS::Lambda::Permission") {
				pp := props(p)
				if reflect.DeepEqual(pp["FunctionName"], fnARN) {
					invoke = true
					ruleARN := map[string]any{"Fn::GetAtt": []any{logicalID(stack, r.Schedule), "Arn"}}
					if pp["Principal"] != "events.amazonaws.com" || pp["Action"] != "lambda:InvokeFunction" || !reflect.DeepEqual(pp["SourceArn"], ruleARN) {
						t.Errorf("invoke permission: got %v, want events.amazonaws.com from the schedule rule", pp)
					}
				}
			}
			if !invoke {
				t.Error("EventBridge may not invoke the reconcile function")
			}

			// The scheduled invocation is asynchronous: one retry, then the
			// dead-letter queue.
			found := false
			for _, c := range resources(mainTemplate(s), "AWS::Lambda::EventInvokeConfig") {
				p := props(c)
				if !reflect.DeepEqual(p["FunctionName"], map[string]any{"Ref": logicalID(stack, r.Fn)}) {
					continue
				}
				found = true
				if p["MaximumRetryAttempts"] != 1.0 {
					t.Errorf("async retries: got %v, want 1", p["MaximumRetryAttempts"])
				}
			}
			if !found {
				t.Error("no asynchronous invocation configuration for the reconcile function")
			}
			fp := props(resource(t, s, r.Fn))
			if got := fp["DeadLetterConfig"]; !reflect.DeepEqual(got, map[string]any{"TargetArn": dlq}) {
				t.Errorf("function dead letters: got %v, want its own queue", got)
			}
		})
	}
}

// reconcilerMay is everything but EKS and IAM reads the reconciler's role
// may do: the detector's (it feeds the detector's path), the history's two
// indexes, and LookupEvents.
var reconcilerMay = func() map[string]bool {
	// sts:AssumeRole: the member accounts' read role, in an organization
	// deployment (TestFunctionsAssumeOnlyTheirMemberRole checks on what).
	// organizations:DescribeAccount: the member check of an account not
	// listed, on the organization's accounts only
	// (TestFunctionsDescribeOnlyTheirOrgAccounts checks on what).
	// organizations.TreeActions: the sweep of an OU-only deployment lists
	// the OUs' accounts (TestSweepListsOnlyItsOrganizationsOUs).
	m := map[string]bool{"dynamodb:Query": true, "sts:AssumeRole": true, "organizations:DescribeAccount": true}
	for _, a := range organizations.TreeActions {
		m[a] = true
	}
	for a := range detectorMay {
		m[a] = true
	}
	for _, a := range lookup.Actions {
		m[a] = true
	}
	return m
}()

func TestReconcilerCannotChangeAccess(t *testing.T) {
	for _, c := range allCases {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			for _, st := range roleStatements(t, s, s.stacks.Reconciler.Role) {
				star := slices.ContainsFunc(st.resources, func(r any) bool { return r == "*" })
				for _, a := range st.actions {
					service, _, _ := strings.Cut(a, ":")
					switch {
					case isWrite(a):
						t.Errorf("reconciler may %s: it should only read EKS and IAM", a)
					case a == "eks:ListClusters":
						t.Errorf("reconciler may %s, which the sweep does not call (it reads the clusters the baseline names)", a)
					case service != "eks" && service != "iam" && !reconcilerMay[a]:
						t.Errorf("reconciler may %s, which it does not need", a)
					}
					if star && !slices.Contains(lookup.Actions, a) {
						t.Errorf("reconciler may %s on *: only %v need it", a, lookup.Actions)
					}
				}
			}
		})
	}
}

// TestReconcilerGrantsWhatItCalls: every call of the sweep (the scanners'
// lists but ListClusters), of the detector's path that the catch-up feeds,
// and of the catch-up itself, on the scope and nothing wider.
func TestReconcilerGrantsWhatItCalls(t *testing.T) {
	s := synth(t, casePinned)
	on := map[string][]string{}
	for _, st := range roleStatements(t, s, s.stacks.Reconciler.Role) {
		for _, a := range st.actions {
			for _, r := range st.resources {
				on[a] = append(on[a], fmt.Sprint(r))
			}
		}
	}
	var need []string
	for _, a := range slices.Concat(eks.ScanActions, iam.ScanActions, eksReadActions, iamRoleReadActions, iamOIDCReadActions,
		lookup.Actions, historyWriteActions, []string{"dynamodb:Query", "s3:GetObject", "sns:Publish"}) {
		if a != "eks:ListClusters" && !slices.Contains(need, a) {
			need = append(need, a)
		}
	}
	for _, a := range need {
		if len(on[a]) == 0 {
			t.Errorf("reconciler may not %s, which it calls", a)
		}
	}

	clusters := []string{
		"arn:aws:eks:eu-west-1:111122223333:cluster/prod", "arn:aws:eks:eu-west-1:111122223333:cluster/staging",
	}
	for _, c := range []string{"prod", "staging"} {
		for _, kind := range clusterChildren {
			clusters = append(clusters, "arn:aws:eks:eu-west-1:111122223333:"+kind+"/"+c+"/*")
		}
	}
	want := map[string][]string{
		"eks:ListAccessEntries":           clusters,
		"eks:ListIdentityProviderConfigs": clusters,
		"iam:ListRolePolicies":            {"arn:aws:iam::111122223333:role/developers", "arn:aws:iam::111122223333:role/team/app-api"},
		"iam:GetOpenIDConnectProvider":    {"arn:aws:iam::111122223333:oidc-provider/*"},
		"cloudtrail:LookupEvents":         {"*"},
	}
	for action, resources := range want {
		got := slices.Sorted(slices.Values(on[action]))
		slices.Sort(resources)
		if !reflect.DeepEqual(got, resources) {
			t.Errorf("%s on: got %v, want %v", action, got, resources)
		}
	}
	query := on["dynamodb:Query"]
	if len(query) != 2 || !strings.Contains(query[0]+query[1], "/index/byCluster") || !strings.Contains(query[0]+query[1], "/index/byPrincipal") {
		t.Errorf("dynamodb:Query on: got %v, want the history's byCluster and byPrincipal indexes", query)
	}
}

// TestOnlyLookupEventsOnStar: of every identity policy the stacks make,
// the reconciler's LookupEvents (and, in the members, the spoke read
// role's, for the catch-up there) is the one allowed on Resource "*", and
// its cdk-nag suppression, the only one of Resource::*, says why.
func TestOnlyLookupEventsOnStar(t *testing.T) {
	for _, c := range allCases {
		t.Run(c.name, func(t *testing.T) {
			s := synth(t, c)
			mine := map[string]bool{}
			for _, st := range roleStatements(t, s, s.stacks.Reconciler.Role) {
				mine[st.where] = true
			}
			if tpl, ok := s.templates[spokeTemplateName]; ok {
				_, _, stmts := spokeRole(t, tpl, config.DefaultMemberReadRole)
				for _, st := range stmts {
					if slices.Contains(st.resources, any("*")) {
						mine[st.where] = true
					}
				}
			}
			for name, tpl := range s.templates {
				for id, r := range tpl["Resources"].(map[string]any) {
					res := r.(map[string]any)
					if res["Type"] != "AWS::IAM::Policy" && res["Type"] != "AWS::IAM::ManagedPolicy" {
						continue
					}
					for _, st := range statementsOf(id, props(res)["PolicyDocument"]) {
						if st.raw["Effect"] == "Deny" || !slices.Contains(st.resources, any("*")) {
							continue
						}
						if !mine[id] || !reflect.DeepEqual(st.actions, lookup.Actions) {
							t.Errorf("%s %s: %v on *: only the reconciler's %v need it", name, id, st.actions, lookup.Actions)
						}
					}
					md, _ := res["Metadata"].(map[string]any)
					nag, _ := md["cdk_nag"].(map[string]any)
					for _, sup := range asList(nag["rules_to_suppress"]) {
						m := sup.(map[string]any)
						if !slices.Contains(asList(m["applies_to"]), any("Resource::*")) {
							continue
						}
						reason, _ := m["reason"].(string)
						if !mine[id] || m["id"] != "AwsSolutions-IAM5" || !strings.Contains(reason, "cloudtrail:LookupEvents") {
							t.Errorf("%s %s: suppression of Resource::* (%v): %q; want the reconciler's, for LookupEvents", name, id, m["id"], reason)
						}
						delete(mine, id)
					}
				}
			}
			if len(mine) > 0 {
				t.Errorf("the reconciler's policy %v has no suppression of Resource::* with a reason", mine)
			}
		})
	}
}
