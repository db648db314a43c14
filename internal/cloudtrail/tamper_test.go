package cloudtrail

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// tamperRecord is a bare CloudTrail record of a call by bob.
func tamperRecord(source, name, req, resp string) []byte {
	if resp == "" {
		resp = "null"
	}
	return []byte(fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333"},
		"eventTime":"2026-10-30T08:00:00Z","eventSource":%q,"eventName":%q,"awsRegion":"us-west-2","sourceIPAddress":"192.0.2.118",
		"requestParameters":%s,"responseElements":%s,"eventID":"e-1","readOnly":false,"recipientAccountId":"111122223333"}`, source, name, req, resp))
}

// TestTamperCalls reads one record of every tamper call the issue lists,
// as CloudTrail writes it, and checks the resource it names. A tamper call
// without a case here fails the test.
func TestTamperCalls(t *testing.T) {
	const fn = "arn:aws:lambda:us-west-2:111122223333:function:eksdrift-Detector"
	tests := []struct {
		source, name, req, resp string
		typ, target, detail     string
		op                      drift.Op
	}{
		{SourceCloudTrail, "StopLogging", `{"name":"eksdrift-trail"}`, "", drift.TamperTrail, "eksdrift-trail", "", drift.OpModified},
		{SourceCloudTrail, "DeleteTrail", `{"name":"arn:aws:cloudtrail:us-west-2:111122223333:trail/eksdrift-trail"}`, "", drift.TamperTrail, "arn:aws:cloudtrail:us-west-2:111122223333:trail/eksdrift-trail", "", drift.OpRemoved},
		{SourceCloudTrail, "UpdateTrail", `{"name":"eksdrift-trail","isMultiRegionTrail":false}`, `{"trailARN":"arn:aws:cloudtrail:us-west-2:111122223333:trail/eksdrift-trail"}`, drift.TamperTrail, "eksdrift-trail", "", drift.OpModified},
		{SourceCloudTrail, "PutEventSelectors", `{"trailName":"eksdrift-trail","eventSelectors":[]}`, "", drift.TamperTrail, "eksdrift-trail", "", drift.OpModified},
		{SourceCloudTrail, "PutInsightSelectors", `{"trailName":"eksdrift-trail","insightSelectors":[]}`, "", drift.TamperTrail, "eksdrift-trail", "", drift.OpModified},
		{SourceEvents, "DisableRule", `{"name":"eksdrift-eks"}`, "", drift.TamperRule, "eksdrift-eks", "", drift.OpModified},
		{SourceEvents, "DeleteRule", `{"name":"eksdrift-eks","force":true}`, "", drift.TamperRule, "eksdrift-eks", "", drift.OpRemoved},
		{SourceEvents, "PutRule", `{"name":"eksdrift-eks","state":"DISABLED"}`, `{"ruleArn":"arn:aws:events:us-west-2:111122223333:rule/eksdrift-eks"}`, drift.TamperRule, "eksdrift-eks", "state DISABLED", drift.OpModified},
		{SourceEvents, "RemoveTargets", `{"rule":"eksdrift-eks","ids":["Target0"]}`, "", drift.TamperRule, "eksdrift-eks", "", drift.OpModified},
		{SourceEvents, "PutTargets", `{"rule":"eksdrift-eks","targets":[]}`, "", drift.TamperRule, "eksdrift-eks", "", drift.OpModified},
		{SourceEvents, "PutPermission", `{"action":"events:PutEvents","principal":"444455556666"}`, "", drift.TamperBus, "default", "", drift.OpModified},
		{SourceEvents, "RemovePermission", `{"statementId":"x","eventBusName":"eksdrift-bus"}`, "", drift.TamperBus, "eksdrift-bus", "", drift.OpModified},
		{SourceLambda, "UpdateFunctionCode20150331v2", `{"functionName":"` + fn + `"}`, "", drift.TamperFunction, fn, "", drift.OpModified},
		{SourceLambda, "UpdateFunctionConfiguration20150331v2", `{"functionName":"eksdrift-Detector"}`, "", drift.TamperFunction, "eksdrift-Detector", "", drift.OpModified},
		{SourceLambda, "DeleteFunction20150331", `{"functionName":"eksdrift-Detector"}`, "", drift.TamperFunction, "eksdrift-Detector", "", drift.OpRemoved},
		{SourceLambda, "PutFunctionConcurrency20171031", `{"functionName":"eksdrift-Detector","reservedConcurrentExecutions":0}`, "", drift.TamperFunction, "eksdrift-Detector", "reservedConcurrentExecutions 0", drift.OpModified},
		{SourceLambda, "DeleteFunctionConcurrency20171031", `{"functionName":"eksdrift-Detector"}`, "", drift.TamperFunction, "eksdrift-Detector", "", drift.OpModified},
		{SourceLambda, "RemovePermission20150331v2", `{"functionName":"eksdrift-Detector","statementId":"events"}`, "", drift.TamperFunction, "eksdrift-Detector", "", drift.OpModified},
		{SourceLambda, "PutFunctionEventInvokeConfig", `{"functionName":"eksdrift-Detector","maximumRetryAttempts":0}`, "", drift.TamperFunction, "eksdrift-Detector", "", drift.OpModified},
		{SourceLambda, "DeleteEventSourceMapping20150331", `{"uUID":"u-1"}`, `{"uUID":"u-1","functionArn":"` + fn + `"}`, drift.TamperFunction, fn, "event source mapping u-1", drift.OpModified},
		{SourceLambda, "UpdateEventSourceMapping20150331", `{"uUID":"u-1","enabled":false}`, `{"uUID":"u-1","functionArn":"` + fn + `"}`, drift.TamperFunction, fn, "event source mapping u-1", drift.OpModified},
		{SourceS3, "PutBucketPolicy", `{"bucketName":"eksdrift-baselines","policy":"{}"}`, "", drift.TamperBucket, "eksdrift-baselines", "", drift.OpModified},
		{SourceS3, "DeleteBucketPolicy", `{"bucketName":"eksdrift-baselines"}`, "", drift.TamperBucket, "eksdrift-baselines", "", drift.OpModified},
		{SourceS3, "PutBucketVersioning", `{"bucketName":"eksdrift-baselines","VersioningConfiguration":{"Status":"Suspended"}}`, "", drift.TamperBucket, "eksdrift-baselines", "versioning Suspended", drift.OpModified},
		{SourceS3, "PutBucketNotificationConfiguration", `{"bucketName":"eksdrift-baselines"}`, "", drift.TamperBucket, "eksdrift-baselines", "", drift.OpModified},
		{SourceS3, "PutBucketNotification", `{"bucketName":"eksdrift-baselines"}`, "", drift.TamperBucket, "eksdrift-baselines", "", drift.OpModified},
		{SourceS3, "DeleteBucket", `{"bucketName":"eksdrift-baselines"}`, "", drift.TamperBucket, "eksdrift-baselines", "", drift.OpRemoved},
		{SourceSNS, "Unsubscribe", `{"subscriptionArn":"arn:aws:sns:us-west-2:111122223333:eksdrift-alarms:0b1c"}`, "", drift.TamperTopic, "arn:aws:sns:us-west-2:111122223333:eksdrift-alarms:0b1c", "subscription arn:aws:sns:us-west-2:111122223333:eksdrift-alarms:0b1c", drift.OpModified},
		{SourceSNS, "DeleteTopic", `{"topicArn":"arn:aws:sns:us-west-2:111122223333:eksdrift-alarms"}`, "", drift.TamperTopic, "arn:aws:sns:us-west-2:111122223333:eksdrift-alarms", "", drift.OpRemoved},
		{SourceSNS, "SetTopicAttributes", `{"topicArn":"arn:aws:sns:us-west-2:111122223333:eksdrift-alarms","attributeName":"Policy"}`, "", drift.TamperTopic, "arn:aws:sns:us-west-2:111122223333:eksdrift-alarms", "", drift.OpModified},
		{SourceSNS, "RemovePermission", `{"topicArn":"arn:aws:sns:us-west-2:111122223333:eksdrift-alarms","label":"x"}`, "", drift.TamperTopic, "arn:aws:sns:us-west-2:111122223333:eksdrift-alarms", "", drift.OpModified},
		{SourceSQS, "SetQueueAttributes", `{"queueUrl":"https://sqs.us-west-2.amazonaws.com/111122223333/eksdrift-inbox"}`, "", drift.TamperQueue, "https://sqs.us-west-2.amazonaws.com/111122223333/eksdrift-inbox", "", drift.OpModified},
		{SourceSQS, "PurgeQueue", `{"queueUrl":"https://sqs.us-west-2.amazonaws.com/111122223333/eksdrift-inbox"}`, "", drift.TamperQueue, "https://sqs.us-west-2.amazonaws.com/111122223333/eksdrift-inbox", "", drift.OpModified},
		{SourceSQS, "DeleteQueue", `{"queueUrl":"https://sqs.us-west-2.amazonaws.com/111122223333/eksdrift-inbox"}`, "", drift.TamperQueue, "https://sqs.us-west-2.amazonaws.com/111122223333/eksdrift-inbox", "", drift.OpRemoved},
		{SourceDynamoDB, "DeleteTable", `{"tableName":"eksdrift-history"}`, "", drift.TamperTable, "eksdrift-history", "", drift.OpRemoved},
		{SourceDynamoDB, "UpdateTable", `{"tableName":"arn:aws:dynamodb:us-west-2:111122223333:table/eksdrift-history"}`, "", drift.TamperTable, "arn:aws:dynamodb:us-west-2:111122223333:table/eksdrift-history", "", drift.OpModified},
		{SourceDynamoDB, "UpdateTimeToLive", `{"tableName":"eksdrift-history"}`, "", drift.TamperTable, "eksdrift-history", "", drift.OpModified},
		{SourceDynamoDB, "UpdateContinuousBackups", `{"tableName":"eksdrift-history"}`, "", drift.TamperTable, "eksdrift-history", "", drift.OpModified},
		{SourceKMS, "DisableKey", `{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}`, "", drift.TamperKey, "1234abcd-12ab-34cd-56ef-1234567890ab", "", drift.OpModified},
		{SourceKMS, "ScheduleKeyDeletion", `{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","pendingWindowInDays":7}`, "", drift.TamperKey, "1234abcd-12ab-34cd-56ef-1234567890ab", "", drift.OpRemoved},
		{SourceKMS, "PutKeyPolicy", `{"keyId":"arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","policyName":"default"}`, "", drift.TamperKey, "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "", drift.OpModified},
		{SourceKMS, "CreateGrant", `{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab","granteePrincipal":"arn:aws:iam::444455556666:root"}`, "", drift.TamperKey, "1234abcd-12ab-34cd-56ef-1234567890ab", "grant to arn:aws:iam::444455556666:root", drift.OpModified},
		{SourceKMS, "CreateAlias", `{"aliasName":"alias/quiet","targetKeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}`, "", drift.TamperKey, "1234abcd-12ab-34cd-56ef-1234567890ab", "", drift.OpModified},
		{SourceKMS, "UpdateAlias", `{"aliasName":"alias/quiet","targetKeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}`, "", drift.TamperKey, "1234abcd-12ab-34cd-56ef-1234567890ab", "", drift.OpModified},
		{SourceCloudFormation, "UpdateStack", `{"stackName":"eksdrift"}`, `{"stackId":"arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c"}`, drift.TamperStack, "eksdrift", "", drift.OpModified},
		{SourceCloudFormation, "DeleteStack", `{"stackName":"eksdrift"}`, "", drift.TamperStack, "eksdrift", "", drift.OpRemoved},
		{SourceCloudFormation, "CreateChangeSet", `{"stackName":"eksdrift","changeSetName":"quiet","changeSetType":"UPDATE","templateURL":"https://example.invalid/t.json"}`,
			`{"id":"arn:aws:cloudformation:us-west-2:111122223333:changeSet/quiet/0c1d","stackId":"arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c"}`, drift.TamperStack, "eksdrift", "change set quiet (UPDATE)", drift.OpModified},
		{SourceCloudFormation, "ExecuteChangeSet", `{"stackName":"eksdrift","changeSetName":"quiet"}`, "", drift.TamperStack, "eksdrift", "change set quiet", drift.OpModified},
		// By the change set's ARN alone: the record names no stack.
		{SourceCloudFormation, "ExecuteChangeSet", `{"changeSetName":"arn:aws:cloudformation:us-west-2:111122223333:changeSet/quiet/0c1d"}`, "", drift.TamperStack,
			"arn:aws:cloudformation:us-west-2:111122223333:changeSet/quiet/0c1d", "change set arn:aws:cloudformation:us-west-2:111122223333:changeSet/quiet/0c1d", drift.OpModified},
		{SourceCloudFormation, "SetStackPolicy", `{"stackName":"eksdrift","stackPolicyBody":"{}"}`, "", drift.TamperStack, "eksdrift", "", drift.OpModified},
		{SourceCloudFormation, "UpdateTerminationProtection", `{"stackName":"eksdrift","enableTerminationProtection":false}`, `{"stackId":"arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c"}`, drift.TamperStack, "eksdrift", drift.TerminationProtectionOff, drift.OpModified},
		{SourceCloudFormation, "UpdateTerminationProtection", `{"stackName":"eksdrift","enableTerminationProtection":true}`, "", drift.TamperStack, "eksdrift", drift.TerminationProtectionOn, drift.OpModified},
		{SourceCloudFormation, "ContinueUpdateRollback", `{"stackName":"eksdrift","resourcesToSkip":["DetectorFunction"]}`, "", drift.TamperStack, "eksdrift", "resources skipped: DetectorFunction", drift.OpModified},
		{SourceCloudFormation, "CancelUpdateStack", `{"stackName":"eksdrift"}`, "", drift.TamperStack, "eksdrift", "", drift.OpModified},
		{SourceCloudFormation, "RollbackStack", `{"stackName":"eksdrift"}`, `{"stackId":"arn:aws:cloudformation:us-west-2:111122223333:stack/eksdrift/5b6c"}`, drift.TamperStack, "eksdrift", "", drift.OpModified},
		// Role calls the baseline declares nothing of: tamper calls on a
		// role (the judge keeps those on eksdrift's own roles).
		{SourceIAM, "UpdateRole", `{"roleName":"eksdrift-DetectorRole-1","maxSessionDuration":43200}`, "", drift.TamperRole, "eksdrift-DetectorRole-1", "maxSessionDuration 43200", drift.OpModified},
		{SourceIAM, "UpdateRole", `{"roleName":"eksdrift-DetectorRole-1","description":"x"}`, "", drift.TamperRole, "eksdrift-DetectorRole-1", drift.RoleDescriptionOnly, drift.OpModified},
		{SourceIAM, "UpdateRoleDescription", `{"roleName":"eksdrift-DetectorRole-1","description":"x"}`, "", drift.TamperRole, "eksdrift-DetectorRole-1", drift.RoleDescriptionOnly, drift.OpModified},
		{SourceIAM, "TagRole", `{"roleName":"eksdrift-DetectorRole-1","tags":[{"key":"team","value":"x"},{"key":"exempt","value":"yes"}]}`, "", drift.TamperRole, "eksdrift-DetectorRole-1", "tags set: team, exempt", drift.OpModified},
		{SourceIAM, "UntagRole", `{"roleName":"eksdrift-DetectorRole-1","tagKeys":["team"]}`, "", drift.TamperRole, "eksdrift-DetectorRole-1", "tags removed: team", drift.OpModified},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.source+" "+TamperCallName(tt.source, tt.name)] = true
		t.Run(tt.source+"/"+tt.name, func(t *testing.T) {
			b, err := Decode(tamperRecord(tt.source, tt.name, tt.req, tt.resp))
			if err != nil {
				t.Fatal(err)
			}
			changes, ignored, err := Changes(&b.Records[0])
			if err != nil || ignored != "" {
				t.Fatalf("got ignored %q, error %v, want a change", ignored, err)
			}
			if len(changes) != 1 {
				t.Fatalf("got %d changes, want 1", len(changes))
			}
			c := changes[0]
			tgt, ok := c.Resource.(*drift.TamperTarget)
			if !ok {
				t.Fatalf("got resource %T, want *drift.TamperTarget", c.Resource)
			}
			if tgt.Type != tt.typ || tgt.Name != tt.target || tgt.Detail != tt.detail || c.Op != tt.op {
				t.Errorf("got %s %q detail %q op %s, want %s %q detail %q op %s", tgt.Type, tgt.Name, tgt.Detail, c.Op, tt.typ, tt.target, tt.detail, tt.op)
			}
			if c.Kind() != drift.KindTamper {
				t.Errorf("got kind %s, want %s", c.Kind(), drift.KindTamper)
			}
		})
	}
	for src, calls := range tamperCalls {
		for n := range calls {
			if !covered[src+" "+n] {
				t.Errorf("tamper call %s %s has no case in this test", src, n)
			}
		}
	}
	for _, n := range []string{"UpdateRole", "UpdateRoleDescription", "TagRole", "UntagRole"} {
		if !IsWatched(SourceIAM, n) {
			t.Errorf("iam %s is not watched: the IAM rule and the catch-up would miss it", n)
		}
	}
}

func TestTamperCallsIgnored(t *testing.T) {
	tests := []struct {
		name   string
		record []byte
		want   string
	}{
		{"failed", []byte(strings.Replace(string(tamperRecord(SourceEvents, "DisableRule", `{"name":"x"}`, "")), `"eventID"`, `"errorCode":"AccessDenied","eventID"`, 1)), IgnoredFailed},
		{"same name from another source", tamperRecord(SourceEKS, "DisableRule", `{"name":"x"}`, ""), IgnoredUnwatched},
		{"a Lambda call that is not tamper", tamperRecord(SourceLambda, "Invoke20150331", `{"functionName":"x"}`, ""), IgnoredUnwatched},
		{"a Lambda-like suffix on another source", tamperRecord(SourceEvents, "DisableRule20150331", `{"name":"x"}`, ""), IgnoredUnwatched},
		{"a change set dropped", tamperRecord(SourceCloudFormation, "DeleteChangeSet", `{"stackName":"eksdrift","changeSetName":"quiet"}`, ""), IgnoredUnwatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode(tt.record)
			if err != nil {
				t.Fatal(err)
			}
			_, ignored, err := Changes(&b.Records[0])
			if err != nil || ignored != tt.want {
				t.Errorf("got ignored %q, error %v, want %q", ignored, err, tt.want)
			}
		})
	}
}

// TestTamperCallsPassThePrefilter: in a log file, where most records are
// passed over by name, every tamper call is read, the versioned Lambda
// names too.
func TestTamperCallsPassThePrefilter(t *testing.T) {
	recs := []json.RawMessage{
		tamperRecord(SourceCloudTrail, "StopLogging", `{"name":"t"}`, ""),
		tamperRecord(SourceLambda, "PutFunctionConcurrency20171031", `{"functionName":"f","reservedConcurrentExecutions":0}`, ""),
		tamperRecord(SourceKMS, "ScheduleKeyDeletion", `{"keyId":"k"}`, ""),
		tamperRecord("ec2.amazonaws.com", "RunInstances", `{}`, ""),
	}
	file, _ := json.Marshal(map[string]any{"Records": recs})
	b, err := Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 3 {
		t.Fatalf("got %d records read, want 3 (the tamper calls); ignored %v", len(b.Records), b.Ignored)
	}
}

func TestTamperCallName(t *testing.T) {
	tests := []struct{ source, name, want string }{
		{SourceLambda, "UpdateFunctionCode20150331v2", "UpdateFunctionCode"},
		{SourceLambda, "DeleteFunction20150331", "DeleteFunction"},
		{SourceLambda, "PutFunctionEventInvokeConfig", "PutFunctionEventInvokeConfig"},
		{SourceEvents, "DisableRule20150331", "DisableRule20150331"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TamperCallName(tt.source, tt.name); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTamperLookupNames: the catch-up's names are those CloudTrail
// records, each read back as its tamper call, and every tamper call has
// one (LookupEvents matches the exact name).
func TestTamperLookupNames(t *testing.T) {
	names := TamperLookupNames()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("got %v, want sorted names, once each", names)
	}
	for _, n := range names {
		found := false
		for _, src := range TamperSources() {
			found = found || IsTamperCall(src, n)
		}
		if !found {
			t.Errorf("lookup name %s is no tamper call", n)
		}
	}
	for src, calls := range tamperCalls {
		for n := range calls {
			want := n
			if r := recordedAs[src][n]; r != "" {
				want = r
			}
			if !slices.Contains(names, want) {
				t.Errorf("tamper call %s %s is not looked up as %s", src, n, want)
			}
		}
	}
	for _, n := range []string{"UpdateFunctionCode20150331v2", "DeleteFunction20150331", "PutFunctionConcurrency20171031", "PutFunctionEventInvokeConfig", "PutBucketNotification",
		"CreateChangeSet", "ExecuteChangeSet", "SetStackPolicy", "UpdateTerminationProtection", "ContinueUpdateRollback", "CancelUpdateStack", "RollbackStack"} {
		if !slices.Contains(names, n) {
			t.Errorf("%s, as CloudTrail records it, is not looked up", n)
		}
	}
	for _, n := range []string{"UpdateFunctionCode", "PutBucketNotificationConfiguration"} {
		if slices.Contains(names, n) {
			t.Errorf("%s is looked up, a name CloudTrail never records", n)
		}
	}
}
