package routing

import (
	"sort"
	"strings"

	"github.com/eksdrift/eksdrift/internal/cloudtrail"
)

// Names of the tamper rules, for construct IDs, outputs and docs.
const (
	// RuleTamperCalls sends every tamper call to the detector, which
	// decides from its deployment whether it touched eksdrift.
	RuleTamperCalls = "tamper-calls"
	// RuleTamperAlarm starts the names of the rules that send the tamper
	// calls on eksdrift's own resources straight to the alarm topic,
	// through an input transformer: a path that does not go through the
	// detector, in case the detector is what was tampered with.
	RuleTamperAlarm = "tamper-alarm"
)

// awsSource is EventBridge's source of a CloudTrail event source
// ("aws.lambda" for "lambda.amazonaws.com").
func awsSource(eventSource string) string {
	return "aws." + strings.TrimSuffix(eventSource, ".amazonaws.com")
}

// tamperNames matches a source's tamper calls: Lambda's by prefix, since
// CloudTrail names them with an API version (UpdateFunctionCode20150331v2).
func tamperNames(source string, only ...string) []any {
	names := cloudtrail.TamperEventNames(source)
	if len(only) > 0 {
		names = only
	}
	out := make([]any, len(names))
	for i, n := range names {
		if source == cloudtrail.SourceLambda {
			out[i] = map[string]string{"prefix": n}
		} else {
			out[i] = n
		}
	}
	return out
}

// TamperRules are the rules that send tamper calls to the detector: one
// rule, every tamper call of every source but IAM (the IAM rule already
// sends role changes, which the detector judges as tamper on its own
// roles). A call of one source's name from another source matches too;
// the detector ignores what is not a tamper call.
func TamperRules() []Rule {
	var sources, eventSources []string
	var names []any
	seen := map[string]bool{}
	for _, s := range cloudtrail.TamperSources() {
		sources = append(sources, awsSource(s))
		eventSources = append(eventSources, s)
		for _, n := range tamperNames(s) {
			key := toKey(n)
			if !seen[key] {
				seen[key] = true
				names = append(names, n)
			}
		}
	}
	sort.SliceStable(names, func(i, j int) bool { return toKey(names[i]) < toKey(names[j]) })
	return []Rule{{Name: RuleTamperCalls, Pattern: Pattern{
		"source":      sources,
		"detail-type": []string{cloudtrail.DetailTypeAPICall},
		"detail": map[string]any{
			"eventSource": eventSources,
			"eventName":   names,
			"errorCode":   []map[string]bool{{"exists": false}},
		},
	}}}
}

func toKey(n any) string {
	if m, ok := n.(map[string]string); ok {
		return m["prefix"] + "*"
	}
	return n.(string)
}

// TamperScope is what the alarm rule pins: eksdrift's own resources. The
// values may be CloudFormation tokens (the stack passes its resources').
type TamperScope struct {
	// StackName starts the name of everything CloudFormation names for
	// the stack ("eksdrift-DetectorFunction1A2B-...").
	StackName string
	// Partition, Region and Account make the ARN prefixes.
	Partition, Region, Account string
	Bucket                     string
	Topics                     []string // ARNs
	Table, TableARN            string
	KeyID, KeyARN              string
}

// MaxPatternSize is EventBridge's default quota on an event pattern's
// size, in characters.
const MaxPatternSize = 2048

// TamperAlarmRules are the rules whose target is the alarm topic: the
// tamper calls on s's resources only, so that the alarm list is not mailed
// for every function deployed in the account; one rule per service and
// field, each within MaxPatternSize. Trail calls match on any trail (they
// are rare, and an existing trail may have any name), the bus's
// permissions on any bus; calls CloudFormation makes (a redeploy) do not
// match, and neither do calls that failed.
func TamperAlarmRules(s TamperScope) []Rule {
	prefix := s.StackName + "-"
	arn := func(service, resource string) string {
		return "arn:" + s.Partition + ":" + service + ":" + s.Region + ":" + s.Account + ":" + resource
	}
	lambda := cloudtrail.SourceLambda
	var subs []any
	for _, t := range s.Topics {
		subs = append(subs, map[string]string{"prefix": t + ":"})
	}
	calls := []call{
		{"trail", cloudtrail.SourceCloudTrail, tamperNames(cloudtrail.SourceCloudTrail), nil},
	}
	calls = append(calls, ruleCalls(pre(prefix))...)
	calls = append(calls,
		call{"bus", cloudtrail.SourceEvents, tamperNames(cloudtrail.SourceEvents, "PutPermission", "RemovePermission"), nil},
		call{"function", lambda, tamperNames(lambda, "DeleteFunction", "DeleteFunctionConcurrency", "PutFunctionConcurrency", "PutFunctionEventInvokeConfig",
			"RemovePermission", "UpdateFunctionCode", "UpdateFunctionConfiguration"), req("functionName", pre(prefix, arn("lambda", "function:"+prefix), s.Account+":function:"+prefix))},
		call{"event-source-mapping", lambda, tamperNames(lambda, "DeleteEventSourceMapping", "UpdateEventSourceMapping"),
			map[string]any{"responseElements": map[string]any{"functionArn": pre(arn("lambda", "function:"+prefix))}}},
		call{"bucket", cloudtrail.SourceS3, tamperNames(cloudtrail.SourceS3), req("bucketName", []string{s.Bucket})},
		call{"topic", cloudtrail.SourceSNS, tamperNames(cloudtrail.SourceSNS, "DeleteTopic", "RemovePermission", "SetTopicAttributes"), req("topicArn", s.Topics)},
		call{"subscription", cloudtrail.SourceSNS, tamperNames(cloudtrail.SourceSNS, "Unsubscribe"), req("subscriptionArn", subs)},
		queueCall(s.Account, prefix),
		call{"table", cloudtrail.SourceDynamoDB, tamperNames(cloudtrail.SourceDynamoDB), req("tableName", []string{s.Table, s.TableARN})},
		call{"key", cloudtrail.SourceKMS, tamperNames(cloudtrail.SourceKMS, "CreateGrant", "DisableKey", "PutKeyPolicy", "ScheduleKeyDeletion"), req("keyId", []string{s.KeyID, s.KeyARN})},
		call{"key-alias", cloudtrail.SourceKMS, tamperNames(cloudtrail.SourceKMS, "CreateAlias", "UpdateAlias"), req("targetKeyId", []string{s.KeyID, s.KeyARN})},
		stackCall(append([]any{s.StackName}, pre(prefix, arn("cloudformation", "stack/"+s.StackName+"/"))...)),
		// ExecuteChangeSet may name the change set by its ARN alone, which
		// does not carry the stack: any such call is mailed.
		call{"change-set", cloudtrail.SourceCloudFormation, tamperNames(cloudtrail.SourceCloudFormation, "ExecuteChangeSet"),
			map[string]any{"requestParameters": map[string]any{"stackName": []map[string]bool{{"exists": false}}, "changeSetName": pre(arn("cloudformation", "changeSet/"))}}},
		roleCall(pre(prefix)),
	)
	out := make([]Rule, len(calls))
	for i, c := range calls {
		out[i] = c.rule(RuleTamperAlarm, true, s.Account)
	}
	return out
}

// call is one tamper rule's calls: the calls of one source on one kind of
// resource, and the field that pins the resource. The hub's alarm rules
// and the spoke's forwarding rules are built from the same calls.
type call struct {
	name   string
	source string
	names  []any
	field  map[string]any
}

// rule is c's rule, named prefix-c.name, on the events of account ("*":
// any account's). Calls that failed never match; with notCloudFormation
// neither do the calls CloudFormation makes (a redeploy, a StackSet
// update): the alarm rules mail nobody for them, while the spoke forwards
// them, for the detector to record. The account matters on the security
// account's bus, which also receives the members' events: the hub's names
// (eksdrift-...) would otherwise match the spoke's in every member.
func (c call) rule(prefix string, notCloudFormation bool, account string) Rule {
	detail := map[string]any{
		"eventSource": []string{c.source},
		"eventName":   c.names,
		"errorCode":   []map[string]bool{{"exists": false}},
	}
	if notCloudFormation {
		// A redeploy is CloudFormation's calls: not mailed (the
		// detector records them, compliant only when through a
		// deployer).
		detail["userIdentity"] = map[string]any{"invokedBy": []any{
			map[string]bool{"exists": false}, map[string]any{"anything-but": []string{cloudFormationService}},
		}}
	}
	for k, v := range c.field {
		detail[k] = v
	}
	p := Pattern{
		"source":      []string{awsSource(c.source)},
		"detail-type": []string{cloudtrail.DetailTypeAPICall},
		"detail":      detail,
	}
	if account != "*" {
		p["account"] = []string{account}
	}
	return Rule{Name: prefix + "-" + c.name, Pattern: p}
}

// cloudFormationService is CloudFormation's userIdentity.invokedBy.
const cloudFormationService = "cloudformation.amazonaws.com"

func req(k string, v any) map[string]any {
	return map[string]any{"requestParameters": map[string]any{k: v}}
}

func pre(vs ...string) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = map[string]string{"prefix": v}
	}
	return out
}

// ruleCalls are the calls on EventBridge rules whose names match names:
// the rule itself, and its targets.
func ruleCalls(names []any) []call {
	return []call{
		{"rule", cloudtrail.SourceEvents, tamperNames(cloudtrail.SourceEvents, "DeleteRule", "DisableRule", "PutRule"), req("name", names)},
		{"rule-targets", cloudtrail.SourceEvents, tamperNames(cloudtrail.SourceEvents, "PutTargets", "RemoveTargets"), req("rule", names)},
	}
}

// queueCall is the calls on the queues of account ("*": any) whose names
// start with prefix, by their URL.
func queueCall(account, prefix string) call {
	return call{"queue", cloudtrail.SourceSQS, tamperNames(cloudtrail.SourceSQS), req("queueUrl", []any{map[string]string{"wildcard": "*/" + account + "/" + prefix + "*"}})}
}

// stackCall is the calls on the stacks whose stackName matches names.
func stackCall(names []any) call {
	return call{"stack", cloudtrail.SourceCloudFormation, tamperNames(cloudtrail.SourceCloudFormation), req("stackName", names)}
}

// roleCall is the role calls on the roles whose names match names.
func roleCall(names []any) call {
	return call{"role", cloudtrail.SourceIAM, roleCalls(), req("roleName", names)}
}

// roleCalls are the IAM calls that change a role, watched for the detector
// already: on eksdrift's own roles they are tamper.
func roleCalls() []any {
	var out []any
	for _, n := range cloudtrail.WatchedEventNames(cloudtrail.SourceIAM) {
		if strings.Contains(n, "Role") {
			out = append(out, n)
		}
	}
	return out
}
