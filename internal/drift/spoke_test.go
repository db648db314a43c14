package drift

import (
	"strings"
	"testing"
)

const member = "444455556666"

func spokeDeployment(exec string) *Deployment {
	d := testDeployment()
	d.Spoke = &Spoke{StackSet: "eksdrift-spoke", Roles: []string{"eksdrift-read", "eksdrift-revert"}, ExecutionRole: exec}
	return d
}

func memberChange(name string, actor Actor, r Resource) Change {
	c := tamperChange(name, actor, r)
	c.Event.Account = member
	return c
}

// TestJudgeSpokeTamper: a call on the spoke's resources in a member
// account is critical tamper naming the account, unless the StackSet's
// execution role made it through CloudFormation; the role assumed
// directly, one of another account, or one named like it but not it is
// tamper too.
func TestJudgeSpokeTamper(t *testing.T) {
	selfExec := Actor{ARN: "arn:aws:iam::" + member + ":role/AWSCloudFormationStackSetExecutionRole", Type: "AssumedRole", InvokedBy: InvokedByCFN}
	svcExec := Actor{ARN: "arn:aws:iam::" + member + ":role/stacksets-exec-8f1e2d3c4b5a69788796a5b4c3d2e1f0", Type: "AssumedRole", InvokedBy: InvokedByCFN}
	memberAdmin := Actor{ARN: "arn:aws:iam::" + member + ":role/Admin", Type: "AssumedRole"}
	rule := &TamperTarget{Type: TamperRule, Name: SpokePrefix + "eks-access-changes"}
	self, svc := spokeDeployment("AWSCloudFormationStackSetExecutionRole"), spokeDeployment(ServiceManagedExecutionRolePrefix+"*")
	tests := []struct {
		name     string
		dep      *Deployment
		change   Change
		ok       bool
		drift    bool
		severity Severity
		own      string
	}{
		{"forwarding rule disabled by the member's admin", self, memberChange("DisableRule", memberAdmin, rule), true, true, SeverityCritical, "SpokeRule"},
		{"forwarding rule by ARN", self, memberChange("DeleteRule", memberAdmin, &TamperTarget{Type: TamperRule, Name: "arn:aws:events:us-west-2:" + member + ":rule/" + SpokePrefix + "eks-access-changes"}), true, true, SeverityCritical, "SpokeRule"},
		{"its target removed", self, memberChange("RemoveTargets", memberAdmin, &TamperTarget{Type: TamperRule, Name: SpokePrefix + "iam-access-changes", Detail: "targets removed"}), true, true, SeverityCritical, "SpokeRule"},
		{"the forwarding role changed", self, memberChange("PutRolePolicy", memberAdmin, &InlinePolicy{RoleName: SpokePrefix + "forwarder-us-west-2", PolicyName: "deny"}), true, true, SeverityCritical, "SpokeRole (the forwarder)"},
		{"the read role's trust edited", self, memberChange("UpdateAssumeRolePolicy", memberAdmin, &TrustPolicy{RoleName: "eksdrift-read"}), true, true, SeverityCritical, "SpokeRole"},
		{"the revert role's policy detached", self, memberChange("DetachRolePolicy", memberAdmin, &ManagedPolicy{RoleName: "eksdrift-revert", PolicyARN: "arn:aws:iam::aws:policy/x"}), true, true, SeverityCritical, "SpokeRole"},
		{"a dead-letter queue deleted", self, memberChange("DeleteQueue", memberAdmin, &TamperTarget{Type: TamperQueue, Name: "https://sqs.us-west-2.amazonaws.com/" + member + "/" + SpokePrefix + "eks-access-changes-dead-letters"}), true, true, SeverityCritical, "SpokeQueue"},
		{"the spoke stack deleted", self, memberChange("DeleteStack", memberAdmin, &TamperTarget{Type: TamperStack, Name: "StackSet-eksdrift-spoke-3c2b1a09-aaaa-bbbb-cccc-0123456789ab"}), true, true, SeverityCritical, "SpokeStack"},
		{"the spoke stack by its ID", self, memberChange("DeleteStack", memberAdmin, &TamperTarget{Type: TamperStack, Name: "arn:aws:cloudformation:us-west-2:" + member + ":stack/StackSet-eksdrift-spoke-3c2b/0a1b"}), true, true, SeverityCritical, "SpokeStack"},
		{"a StackSet update (self-managed)", self, memberChange("PutRule", selfExec, rule), true, false, SeverityInfo, "SpokeRule"},
		{"the stack deleted by the StackSet", self, memberChange("DeleteStack", selfExec, &TamperTarget{Type: TamperStack, Name: "StackSet-eksdrift-spoke-3c2b"}), true, false, SeverityInfo, "SpokeStack"},
		{"a StackSet update (service-managed)", svc, memberChange("DeleteRule", svcExec, rule), true, false, SeverityInfo, "SpokeRule"},
		{"the execution role assumed directly", self, memberChange("DisableRule", Actor{ARN: selfExec.ARN, Type: "AssumedRole"}, rule), true, true, SeverityCritical, "SpokeRule"},
		{"another account's execution role", self, memberChange("DisableRule", Actor{ARN: "arn:aws:iam::777788889999:role/AWSCloudFormationStackSetExecutionRole", InvokedBy: InvokedByCFN}, rule), true, true, SeverityCritical, "SpokeRule"},
		{"the service-managed role where the StackSet is self-managed", self, memberChange("DisableRule", svcExec, rule), true, true, SeverityCritical, "SpokeRule"},
		{"a role named after the execution role", self, memberChange("DisableRule", Actor{ARN: "arn:aws:iam::" + member + ":role/AWSCloudFormationStackSetExecutionRole-x", InvokedBy: InvokedByCFN}, rule), true, true, SeverityCritical, "SpokeRule"},
		{"the hub's deployers are no StackSet", self, memberChange("DisableRule", cfnRun, rule), true, true, SeverityCritical, "SpokeRule"},
		{"a description of the read role is low", self, memberChange("UpdateRoleDescription", memberAdmin, &TamperTarget{Type: TamperRole, Name: "eksdrift-read", Detail: RoleDescriptionOnly}), true, true, SeverityLow, "SpokeRole"},
		{"another team's rule", self, memberChange("DisableRule", memberAdmin, &TamperTarget{Type: TamperRule, Name: "orders-nightly"}), false, false, "", ""},
		{"another stack set's stack", self, memberChange("DeleteStack", memberAdmin, &TamperTarget{Type: TamperStack, Name: "StackSet-other-3c2b"}), false, false, "", ""},
		{"another role", self, memberChange("PutRolePolicy", memberAdmin, &InlinePolicy{RoleName: "developers", PolicyName: "x"}), false, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := JudgeTamper(tt.change, tt.dep)
			if ok != tt.ok {
				t.Fatalf("got ok %v, want %v (reason %q)", ok, tt.ok, f.Reason)
			}
			if !ok {
				return
			}
			if f.Drift != tt.drift || f.Severity != tt.severity || f.Kind != KindTamper {
				t.Errorf("got drift %v severity %s kind %s, want drift %v severity %s kind tamper (reason %q)", f.Drift, f.Severity, f.Kind, tt.drift, tt.severity, f.Reason)
			}
			if f.Account != member || !strings.Contains(f.Reason, "member account "+member) {
				t.Errorf("got account %q reason %q, want the member account %s in both", f.Account, f.Reason, member)
			}
			if !strings.Contains(string(f.After)+string(f.Before), `"own":"`+tt.own+`"`) {
				t.Errorf("got before %s after %s, want own %q", f.Before, f.After, tt.own)
			}
		})
	}
}

// TestDeploymentFromOutputsReadsTheSpoke: the organization's outputs give
// the Deployment its spoke; a stack without them has none.
func TestDeploymentFromOutputsReadsTheSpoke(t *testing.T) {
	d, err := DeploymentFromOutputs(map[string]string{
		"StackName": "eksdrift", "SpokeStackSet": "eksdrift-spoke", "SpokeRoles": "eksdrift-read, eksdrift-revert", "SpokeExecutionRole": "stacksets-exec-*",
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Spoke == nil || d.Spoke.StackSet != "eksdrift-spoke" || strings.Join(d.Spoke.Roles, ",") != "eksdrift-read,eksdrift-revert" || d.Spoke.ExecutionRole != "stacksets-exec-*" {
		t.Errorf("got spoke %+v, want eksdrift-spoke, its two roles, stacksets-exec-*", d.Spoke)
	}
	if d := testDeployment(); d.Spoke != nil {
		t.Errorf("got spoke %+v, want none", d.Spoke)
	}
}
