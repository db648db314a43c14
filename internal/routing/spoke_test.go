package routing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/drift"
)

const (
	hubAccount    = "111122223333"
	memberAccount = "444455556666"
	spokeStack    = "StackSet-eksdrift-spoke-3c2b1a09-aaaa-bbbb-cccc-0123456789ab"
)

var (
	// memberScope is what a member's spoke template pins (its own name
	// and account, tokens in the template); hubSpokeScope what the
	// security account's alarm rules pin: any member's spoke stack.
	memberScope   = SpokeScope{Account: memberAccount, StackName: spokeStack, Roles: []string{"eksdrift-read", "eksdrift-revert"}}
	hubSpokeScope = SpokeScope{Account: "*", StackName: drift.SpokeStackPrefix("eksdrift-spoke"), StackPrefix: true, Roles: []string{"eksdrift-read", "eksdrift-revert"}}
)

// inMember is a sample moved to the member account, with from replaced by
// to.
func inMember(t *testing.T, sample, from, to string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", sample))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(from)) {
		t.Fatalf("%s has no %s", sample, from)
	}
	b = bytes.Replace(b, []byte(from), []byte(to), 1)
	return bytes.ReplaceAll(b, []byte(hubAccount), []byte(memberAccount))
}

// TestSpokeTamperRules asks EventBridge's matcher (MiniStack's
// TestEventPattern) about calls on a member's spoke: its forwarding
// rules, their targets, its dead-letter queues, its stack and its roles
// are forwarded by the spoke's rules and, once on the security account's
// bus, reach the detector (the tamper rule, or the IAM rule for roles)
// and the alarm topic; a StackSet update (CloudFormation's calls) is
// forwarded but mailed to nobody; other resources, failed calls and
// forged sources match nothing. The hub's own alarm rules, whose names
// (eksdrift-...) the spoke's would match, take none of a member's.
func TestSpokeTamperRules(t *testing.T) {
	client := eventbridge.NewFromConfig(awstest.Config(t))
	forward, alarms := SpokeTamperRules(memberScope, false), SpokeTamperRules(hubSpokeScope, true)
	const rule, targets = "events-disable-rule-detector.json", "events-remove-targets-iam-rule.json"
	const queue, stack, role = "sqs-purge-queue-detector-dead-letters.json", "cloudformation-delete-stack-not-deployer.json", "iam-put-role-policy-detector-role.json"
	ruleName := `"name": "eksdrift-RoutingeksaccesschangesD1C2B3A4-1A2B3C4D5E6F"`
	viaCFN := `"accountId": "111122223333",`
	tests := []struct {
		name, sample, from, to string
		forwarded, mailed      bool
	}{
		{"a forwarding rule disabled", rule, ruleName, `"name": "eksdrift-spoke-eks-access-changes"`, true, true},
		{"its target removed", targets, `"rule": "eksdrift-RoutingiamaccesschangesE5F6A7B8-2B3C4D5E6F7G"`, `"rule": "eksdrift-spoke-iam-access-changes"`, true, true},
		{"a dead-letter queue purged", queue, `eksdrift-DetectorDeadLetters4E5F6A7B-Gh8jK9lZ0xC1`, `eksdrift-spoke-eks-access-changes-dead-letters`, true, true},
		{"the spoke stack deleted by its ID", stack, `stack/eksdrift/`, `stack/` + spokeStack + `/`, true, true},
		{"the spoke stack deleted by its name", stack, `"stackName": "arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c7d80-b5f1-11f0-9a3e-0a1b2c3d4e5f"`, `"stackName": "` + spokeStack + `"`, true, true},
		{"the read role's policy", role, `"roleName": "eksdrift-DetectorFunctionServiceRole3A4B5C6D-ZX12CV34BN56"`, `"roleName": "eksdrift-read"`, true, true},
		{"the forwarding role's policy", role, `"roleName": "eksdrift-DetectorFunctionServiceRole3A4B5C6D-ZX12CV34BN56"`, `"roleName": "eksdrift-spoke-forwarder-us-west-2"`, true, true},
		{"a StackSet update", rule, viaCFN, viaCFN + ` "invokedBy": "cloudformation.amazonaws.com",`, true, false},
		{"another team's rule", rule, ruleName, `"name": "orders-nightly"`, false, false},
		{"another stack set's stack", stack, `stack/eksdrift/`, `stack/StackSet-orders-3c2b/`, false, false},
		{"another role", role, `"roleName": "eksdrift-DetectorFunctionServiceRole3A4B5C6D-ZX12CV34BN56"`, `"roleName": "eksdrift-reader"`, false, false},
		{"a failed call", rule, `"eventName": "DisableRule",`, `"eventName": "DisableRule", "errorCode": "AccessDenied",`, false, false},
		{"a custom source", rule, `"source": "aws.events"`, `"source": "custom.events"`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := inMember(t, tt.sample, tt.from, tt.to)
			if tt.sample == rule && tt.from != ruleName {
				// Edits of the call on the spoke's forwarding rule.
				ev = bytes.Replace(ev, []byte(`eksdrift-RoutingeksaccesschangesD1C2B3A4-1A2B3C4D5E6F`), []byte(`eksdrift-spoke-eks-access-changes`), 1)
			}
			if got := matchesAny(t, client, forward, ev); got != tt.forwarded {
				t.Errorf("rules %s-*: got match %v, want %v", RuleSpokeTamper, got, tt.forwarded)
			}
			if got := matchesAny(t, client, alarms, ev); got != tt.mailed {
				t.Errorf("rules %s-*: got match %v, want %v", RuleSpokeTamperAlarm, got, tt.mailed)
			}
			if got := matchesAny(t, client, TamperAlarmRules(sampleScope), ev); got {
				t.Errorf("rules %s-*: got match %v, want false: a member's call is not on the hub's resources", RuleTamperAlarm, got)
			}
			if !tt.forwarded {
				return
			}
			// On the security account's bus: the detector's rules.
			detector := append(TamperRules(), Rules()...)
			if got := matchesAny(t, client, detector, ev); !got {
				t.Errorf("the detector's rules: got match %v, want true", got)
			}
		})
	}
}

// TestSpokeTamperRulesShape: the roles' rule lives in IAM's region, the
// others in every region of the StackSet; each pattern fits EventBridge's
// quota with a StackSet's longest names.
func TestSpokeTamperRulesShape(t *testing.T) {
	long := SpokeScope{Account: "111122223333", StackName: "StackSet-" + strings.Repeat("x", 128) + "-" + strings.Repeat("y", 36),
		Roles: []string{strings.Repeat("r", 64), strings.Repeat("v", 64)}}
	for _, mail := range []bool{false, true} {
		rules := SpokeTamperRules(long, mail)
		if len(rules) != 5 {
			t.Errorf("got %d rules, want 5 (rule, rule-targets, queue, stack, role)", len(rules))
		}
		for _, r := range rules {
			if n := len(r.Pattern.JSON()); n > MaxPatternSize {
				t.Errorf("rule %s: pattern of %d characters, want at most %d", r.Name, n, MaxPatternSize)
			}
			wantRegion := ""
			if strings.HasSuffix(r.Name, "-role") {
				wantRegion = IAMRegion
			}
			if r.Region != wantRegion {
				t.Errorf("rule %s: got region %q, want %q", r.Name, r.Region, wantRegion)
			}
		}
	}
}
