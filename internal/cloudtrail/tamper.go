package cloudtrail

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Tamper calls are the calls that can blind eksdrift: against the trail
// that feeds it, its EventBridge rules and bus, its functions, bucket,
// topics, queues, table, key and stacks. Each becomes a change of kind
// tamper (drift.TamperTarget) naming the resource as the request does; the
// caller decides, from the deployment, whether it is eksdrift's own
// (drift.JudgeTamper). Role changes on eksdrift's own roles are IAM
// changes (changes.go), judged as tamper by the same function.

// Event sources of the tamper calls.
const (
	SourceCloudTrail     = "cloudtrail.amazonaws.com"
	SourceEvents         = "events.amazonaws.com"
	SourceLambda         = "lambda.amazonaws.com"
	SourceSNS            = "sns.amazonaws.com"
	SourceSQS            = "sqs.amazonaws.com"
	SourceDynamoDB       = "dynamodb.amazonaws.com"
	SourceKMS            = "kms.amazonaws.com"
	SourceCloudFormation = "cloudformation.amazonaws.com"
)

// tamperCall says which resource a call names: its type, the request
// fields that may name it (the first present wins), a response field that
// gives its ARN, and what the call does to it.
type tamperCall struct {
	typ    string
	fields []string
	arn    string
	op     drift.Op
}

// tamperCalls maps each event source to its tamper calls, by event name
// without the version suffix Lambda adds (UpdateFunctionCode20150331v2).
var tamperCalls = map[string]map[string]tamperCall{
	SourceCloudTrail: {
		"StopLogging":         {drift.TamperTrail, []string{"name"}, "", drift.OpModified},
		"DeleteTrail":         {drift.TamperTrail, []string{"name"}, "", drift.OpRemoved},
		"UpdateTrail":         {drift.TamperTrail, []string{"name"}, "trailARN", drift.OpModified},
		"PutEventSelectors":   {drift.TamperTrail, []string{"trailName"}, "trailARN", drift.OpModified},
		"PutInsightSelectors": {drift.TamperTrail, []string{"trailName"}, "trailARN", drift.OpModified},
	},
	SourceEvents: {
		"DisableRule":      {drift.TamperRule, []string{"name"}, "", drift.OpModified},
		"DeleteRule":       {drift.TamperRule, []string{"name"}, "", drift.OpRemoved},
		"PutRule":          {drift.TamperRule, []string{"name"}, "ruleArn", drift.OpModified},
		"RemoveTargets":    {drift.TamperRule, []string{"rule"}, "", drift.OpModified},
		"PutTargets":       {drift.TamperRule, []string{"rule"}, "", drift.OpModified},
		"PutPermission":    {drift.TamperBus, []string{"eventBusName"}, "", drift.OpModified},
		"RemovePermission": {drift.TamperBus, []string{"eventBusName"}, "", drift.OpModified},
	},
	SourceLambda: {
		"UpdateFunctionCode":           {drift.TamperFunction, []string{"functionName"}, "functionArn", drift.OpModified},
		"UpdateFunctionConfiguration":  {drift.TamperFunction, []string{"functionName"}, "functionArn", drift.OpModified},
		"DeleteFunction":               {drift.TamperFunction, []string{"functionName"}, "", drift.OpRemoved},
		"PutFunctionConcurrency":       {drift.TamperFunction, []string{"functionName"}, "", drift.OpModified},
		"DeleteFunctionConcurrency":    {drift.TamperFunction, []string{"functionName"}, "", drift.OpModified},
		"RemovePermission":             {drift.TamperFunction, []string{"functionName"}, "", drift.OpModified},
		"PutFunctionEventInvokeConfig": {drift.TamperFunction, []string{"functionName"}, "functionArn", drift.OpModified},
		// An event source mapping is named by its UUID; the response
		// says which function it feeds, and that is what is matched.
		"DeleteEventSourceMapping": {drift.TamperFunction, []string{"functionName"}, "functionArn", drift.OpModified},
		"UpdateEventSourceMapping": {drift.TamperFunction, []string{"functionName"}, "functionArn", drift.OpModified},
	},
	SourceS3: {
		"PutBucketPolicy":                    {drift.TamperBucket, []string{"bucketName"}, "", drift.OpModified},
		"DeleteBucketPolicy":                 {drift.TamperBucket, []string{"bucketName"}, "", drift.OpModified},
		"PutBucketVersioning":                {drift.TamperBucket, []string{"bucketName"}, "", drift.OpModified},
		"PutBucketNotificationConfiguration": {drift.TamperBucket, []string{"bucketName"}, "", drift.OpModified},
		// CloudTrail records PutBucketNotificationConfiguration as
		// PutBucketNotification.
		"PutBucketNotification": {drift.TamperBucket, []string{"bucketName"}, "", drift.OpModified},
		"DeleteBucket":          {drift.TamperBucket, []string{"bucketName"}, "", drift.OpRemoved},
	},
	SourceSNS: {
		"Unsubscribe":        {drift.TamperTopic, []string{"subscriptionArn"}, "", drift.OpModified},
		"DeleteTopic":        {drift.TamperTopic, []string{"topicArn"}, "", drift.OpRemoved},
		"SetTopicAttributes": {drift.TamperTopic, []string{"topicArn"}, "", drift.OpModified},
		"RemovePermission":   {drift.TamperTopic, []string{"topicArn"}, "", drift.OpModified},
	},
	SourceSQS: {
		"SetQueueAttributes": {drift.TamperQueue, []string{"queueUrl"}, "", drift.OpModified},
		"PurgeQueue":         {drift.TamperQueue, []string{"queueUrl"}, "", drift.OpModified},
		"DeleteQueue":        {drift.TamperQueue, []string{"queueUrl"}, "", drift.OpRemoved},
	},
	SourceDynamoDB: {
		"DeleteTable":             {drift.TamperTable, []string{"tableName"}, "", drift.OpRemoved},
		"UpdateTable":             {drift.TamperTable, []string{"tableName"}, "", drift.OpModified},
		"UpdateTimeToLive":        {drift.TamperTable, []string{"tableName"}, "", drift.OpModified},
		"UpdateContinuousBackups": {drift.TamperTable, []string{"tableName"}, "", drift.OpModified},
	},
	SourceKMS: {
		"DisableKey":          {drift.TamperKey, []string{"keyId"}, "", drift.OpModified},
		"ScheduleKeyDeletion": {drift.TamperKey, []string{"keyId"}, "", drift.OpRemoved},
		"PutKeyPolicy":        {drift.TamperKey, []string{"keyId"}, "", drift.OpModified},
		"CreateGrant":         {drift.TamperKey, []string{"keyId"}, "", drift.OpModified},
		// An alias pointed at the key would let the calls above name it
		// by an alias eksdrift does not know.
		"CreateAlias": {drift.TamperKey, []string{"targetKeyId"}, "", drift.OpModified},
		"UpdateAlias": {drift.TamperKey, []string{"targetKeyId"}, "", drift.OpModified},
	},
	// cdk deploy changes the stack through a change set, not UpdateStack.
	// A change set named by its ARN alone names no stack (its ARN is
	// changeSet/NAME/ID): the request's stackName, or that ARN, is the
	// target, and drift.Deployment.Owns takes the ARN as the stack's.
	// DeleteChangeSet is not watched: it drops a proposal, and changes
	// nothing. Neither is ImportStacksToStackSet: it changes no stack, and
	// what a stack set then does to the stack is UpdateStack, through
	// CloudFormation, by its own role (docs/tamper.md).
	SourceCloudFormation: {
		"UpdateStack":                 {drift.TamperStack, []string{"stackName"}, "stackId", drift.OpModified},
		"DeleteStack":                 {drift.TamperStack, []string{"stackName"}, "", drift.OpRemoved},
		"CreateChangeSet":             {drift.TamperStack, []string{"stackName"}, "stackId", drift.OpModified},
		"ExecuteChangeSet":            {drift.TamperStack, []string{"stackName", "changeSetName"}, "", drift.OpModified},
		"SetStackPolicy":              {drift.TamperStack, []string{"stackName"}, "", drift.OpModified},
		"UpdateTerminationProtection": {drift.TamperStack, []string{"stackName"}, "stackId", drift.OpModified},
		"ContinueUpdateRollback":      {drift.TamperStack, []string{"stackName"}, "", drift.OpModified},
		"CancelUpdateStack":           {drift.TamperStack, []string{"stackName"}, "", drift.OpModified},
		"RollbackStack":               {drift.TamperStack, []string{"stackName"}, "stackId", drift.OpModified},
	},
}

// recordedAs names the tamper calls that CloudTrail records under another
// name: Lambda's carry their API version (the names the Lambda Developer
// Guide lists for CloudTrail), and S3's PutBucketNotificationConfiguration
// is recorded as PutBucketNotification. LookupEvents filters on the exact
// name recorded.
var recordedAs = map[string]map[string]string{
	SourceLambda: {
		"UpdateFunctionCode":          "UpdateFunctionCode20150331v2",
		"UpdateFunctionConfiguration": "UpdateFunctionConfiguration20150331v2",
		"DeleteFunction":              "DeleteFunction20150331",
		"PutFunctionConcurrency":      "PutFunctionConcurrency20171031",
		"DeleteFunctionConcurrency":   "DeleteFunctionConcurrency20171031",
		"RemovePermission":            "RemovePermission20150331v2",
		"DeleteEventSourceMapping":    "DeleteEventSourceMapping20150331",
		"UpdateEventSourceMapping":    "UpdateEventSourceMapping20150331",
	},
	SourceS3: {"PutBucketNotificationConfiguration": "PutBucketNotification"},
}

// TamperLookupNames lists, sorted and once each, the event names the tamper
// calls of every source are recorded by: what the CloudTrail catch-up looks
// up (LookupEvents takes one attribute, an exact event name, so a name
// several sources share, such as RemovePermission, is looked up once and
// read by its eventSource). IAM's role calls are watched calls and are
// looked up with them.
func TamperLookupNames() []string {
	set := map[string]bool{}
	for src, calls := range tamperCalls {
		for n := range calls {
			if r := recordedAs[src][n]; r != "" {
				n = r
			}
			set[n] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// lambdaVersion is the API version Lambda appends to its event names.
var lambdaVersion = regexp.MustCompile(`^([A-Za-z]+?)(\d{8}(v\d+)?)$`)

// TamperCallName gives an event name without Lambda's version suffix.
func TamperCallName(source, name string) string {
	if source == SourceLambda {
		if m := lambdaVersion.FindStringSubmatch(name); m != nil {
			return m[1]
		}
	}
	return name
}

// IsTamperCall reports whether an event source and name is a tamper call.
func IsTamperCall(source, name string) bool {
	_, ok := tamperCalls[source][TamperCallName(source, name)]
	return ok
}

// tamperNames holds every tamper call's name, for the prefilter.
var tamperNames = func() map[string]bool {
	m := map[string]bool{}
	for _, calls := range tamperCalls {
		for n := range calls {
			m[n] = true
		}
	}
	return m
}()

// isTamperName reports whether some source has a tamper call of this name,
// for the prefilter, which reads only the name: it must stay cheap, so the
// version suffix is looked for only when the name ends with a digit.
func isTamperName(name string) bool {
	if tamperNames[name] {
		return true
	}
	if n := len(name); n > 0 && name[n-1] >= '0' && name[n-1] <= '9' {
		return tamperNames[TamperCallName(SourceLambda, name)]
	}
	return false
}

// TamperSources lists the event sources of the tamper calls, sorted.
func TamperSources() []string {
	out := make([]string, 0, len(tamperCalls))
	for s := range tamperCalls {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TamperEventNames lists a source's tamper calls, sorted, as their names
// start: Lambda's carry a version suffix, so a rule matches them by prefix.
func TamperEventNames(source string) []string {
	out := make([]string, 0, len(tamperCalls[source]))
	for n := range tamperCalls[source] {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func translateTamper(r *Record, ev drift.Event) ([]drift.Change, string, error) {
	call := tamperCalls[r.EventSource][TamperCallName(r.EventSource, r.EventName)]
	var req, resp map[string]json.RawMessage
	if err := decodeInto(r.RequestParameters, "requestParameters", &req); err != nil {
		return nil, "", err
	}
	if err := decodeInto(r.ResponseElements, "responseElements", &resp); err != nil {
		return nil, "", err
	}
	t := &drift.TamperTarget{Type: call.typ}
	for _, f := range call.fields {
		if t.Name = rawString(req[f]); t.Name != "" {
			break
		}
	}
	if call.arn != "" {
		t.ARN = rawString(resp[call.arn])
	}
	if t.Name == "" && t.ARN != "" {
		t.Name = t.ARN
	}
	switch {
	case call.typ == drift.TamperBus && t.Name == "":
		// The default bus, when the request names none.
		t.Name = "default"
	case t.Name == "":
		return nil, "", fmt.Errorf("requestParameters names no %s (%s)", call.typ, strings.Join(call.fields, ", "))
	}
	switch TamperCallName(r.EventSource, r.EventName) {
	case "PutFunctionConcurrency":
		var n int
		if err := json.Unmarshal(req["reservedConcurrentExecutions"], &n); err != nil {
			return nil, "", fmt.Errorf("requestParameters.reservedConcurrentExecutions: %w", err)
		}
		t.Concurrency = &n
		t.Detail = fmt.Sprintf("reservedConcurrentExecutions %d", n)
	case "PutBucketVersioning":
		var vc struct {
			Status string `json:"Status"`
		}
		_ = json.Unmarshal(req["VersioningConfiguration"], &vc)
		t.Versioning = vc.Status
		t.Detail = "versioning " + firstNonEmpty(vc.Status, "not stated")
	case "PutRule":
		if s := rawString(req["state"]); s != "" {
			t.Detail = "state " + s
		}
	case "DeleteEventSourceMapping", "UpdateEventSourceMapping":
		t.Detail = "event source mapping " + firstNonEmpty(rawString(req["uUID"]), rawString(req["UUID"]), rawString(resp["uUID"]), "with no UUID")
	case "CreateGrant":
		t.Detail = "grant to " + firstNonEmpty(rawString(req["granteePrincipal"]), "an unnamed principal")
	case "Unsubscribe":
		t.Detail = "subscription " + t.Name
	case "CreateChangeSet":
		t.Detail = "change set " + firstNonEmpty(rawString(req["changeSetName"]), "with no name")
		if typ := rawString(req["changeSetType"]); typ != "" {
			t.Detail += " (" + typ + ")"
		}
	case "ExecuteChangeSet":
		t.Detail = "change set " + firstNonEmpty(rawString(req["changeSetName"]), "with no name")
	case "UpdateTerminationProtection":
		var on bool
		if err := json.Unmarshal(req["enableTerminationProtection"], &on); err != nil {
			return nil, "", fmt.Errorf("requestParameters.enableTerminationProtection: %w", err)
		}
		t.Detail = drift.TerminationProtectionOff
		if on {
			t.Detail = drift.TerminationProtectionOn
		}
	case "ContinueUpdateRollback":
		var skip []string
		_ = json.Unmarshal(req["resourcesToSkip"], &skip)
		if len(skip) > 0 {
			t.Detail = "resources skipped: " + strings.Join(skip, ", ")
		}
	}
	return []drift.Change{{Event: ev, Op: call.op, Resource: t}}, "", nil
}

// rawString reads a JSON string, "" for anything else.
func rawString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
