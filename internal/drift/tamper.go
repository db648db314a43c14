package drift

import (
	"fmt"
	"slices"
	"strings"
)

// The first thing an attacker with account access does before granting
// themselves cluster-admin is switch off what would see it. A call against
// eksdrift's own deployment (its rules, functions, bucket, topics, queues,
// table, key, roles and stacks) or against the trail it depends on is
// therefore a finding of KindTamper: critical unless the call is known to
// be milder, alerted and never reverted (the reverter may itself be what
// was tampered with). A redeploy is not tamper: CloudFormation acting
// through one of the deployment's Deployers is recorded as compliant.

// KindTamper is a call against eksdrift's own deployment or its trail.
const KindTamper Kind = "tamper"

// The types of eksdrift's own resources a tamper call can name. They are
// part of a tamper finding's resource ("type:name").
const (
	TamperTrail       = "trail"
	TamperRule        = "rule"
	TamperBus         = "event-bus"
	TamperFunction    = "function"
	TamperMapping     = "event-source-mapping"
	TamperBucket      = "bucket"
	TamperTopic       = "topic"
	TamperQueue       = "queue"
	TamperTable       = "table"
	TamperKey         = "key"
	TamperRole        = "role"
	TamperStack       = "stack"
	InvokedByCFN      = "cloudformation.amazonaws.com"
	defaultEventBus   = "default"
	tamperSeverityWhy = "a call against eksdrift's own deployment: it may blind the detector"
)

// RoleDescriptionOnly is the Detail of a role call that changed only the
// role's description (UpdateRoleDescription, UpdateRole without
// maxSessionDuration): no permission changes, so it is rated low.
const RoleDescriptionOnly = "description only"

// The Detail of UpdateTerminationProtection: only switching it off is
// tamper.
const (
	TerminationProtectionOn  = "termination protection enabled"
	TerminationProtectionOff = "termination protection disabled"
)

// changeSetARN marks a change set's ARN (arn:...:changeSet/NAME/ID), which
// ExecuteChangeSet may name alone: it does not carry the stack's name.
const changeSetARN = ":changeSet/"

// TamperTarget is the resource a tamper call names, as the event names it
// (a name, an ARN, an ID or a queue URL), and what the call set when that
// decides how bad it is.
type TamperTarget struct {
	Type string `json:"type"`
	// Name is the resource as the request names it.
	Name string `json:"name"`
	// ARN is the resource's ARN when the event also gives it (a response,
	// the record's resources), "" otherwise.
	ARN string `json:"arn,omitempty"`
	// Detail is what the call set, for people: "versioning Suspended",
	// "reservedConcurrentExecutions 0", "state DISABLED".
	Detail string `json:"detail,omitempty"`
	// Concurrency is PutFunctionConcurrency's reserved concurrency.
	Concurrency *int `json:"reservedConcurrentExecutions,omitempty"`
	// Versioning is PutBucketVersioning's new status.
	Versioning string `json:"versioning,omitempty"`
	// Own names the deployment's resource it is (a stack output key, such
	// as DetectorFunction), filled in when it is judged.
	Own string `json:"own,omitempty"`
}

func (t *TamperTarget) Kind() Kind        { return KindTamper }
func (t *TamperTarget) Principal() string { return "" }

// Key names the resource by its type and short name (a function's name, not
// its ARN; a queue's, not its URL), so that every event about one resource
// has one key whatever form it names it by.
func (t *TamperTarget) Key() string {
	return t.Type + ":" + shortName(t.Type, firstNonEmpty(t.Name, t.ARN))
}

// Deployment is what eksdrift knows of its own resources: the deployed
// functions from their environment, `eksdrift replay` from the outputs
// file `cdk deploy --outputs-file` writes. Each value is a name, an ARN or
// an ID; matching accepts any of them.
type Deployment struct {
	StackName string
	// Trail is the trail that feeds eksdrift (the stack's, or the one
	// named by existingTrailArn); "" means any trail in the account.
	Trail string
	// Resources maps an output key (EksRule, DetectorFunction, ...) to the
	// resource it names.
	Resources map[string]string
	// Deployers are the principals whose redeploys through CloudFormation
	// are not tamper; UpdateStack and DeleteStack by anyone else are.
	Deployers []string
	// Spoke is the member accounts' spoke, in an organization deployment
	// (spoke.go); nil in one account.
	Spoke *Spoke
}

// SpokeOutputKeys are the outputs an organization deployment adds, which
// give the Deployment its Spoke: the StackSet's name, the spoke's roles
// (comma-separated) and the StackSet's execution role.
var SpokeOutputKeys = []string{"SpokeStackSet", "SpokeRoles", "SpokeExecutionRole"}

// The keys of the deployment's outputs, by the type of resource they name.
// The stack outputs each of them (infra) and `replay --deployment` reads
// them back.
var deploymentKeys = map[string][]string{
	TamperRule:     {"EksRule", "IamRule", "ReconcileSchedule", "HeartbeatSchedule", "TamperRule"},
	TamperFunction: {"DetectorFunction", "NotifyFunction", "RevertFunction", "ReconcileFunction"},
	TamperBucket:   {"BaselineBucket"},
	TamperTopic:    {"FindingsTopic", "AlarmTopic", "ChatbotTopic"},
	TamperTable:    {"HistoryTable"},
	TamperKey:      {"Key"},
	TamperRole:     {"DetectorRole", "NotifyRole", "RevertRole", "ReconcileRole"},
	TamperStack:    {"StackName"},
}

// DeploymentOutputKeys lists every output key a Deployment reads, sorted:
// the stack's outputs are checked against it.
func DeploymentOutputKeys() []string {
	out := []string{"Trail", "Deployers"}
	for _, ks := range deploymentKeys {
		out = append(out, ks...)
	}
	slices.Sort(out)
	return out
}

// DeploymentFromOutputs builds a Deployment from a stack's outputs (the
// keys of DeploymentOutputKeys; others are ignored). It needs StackName:
// without it nothing would be protected and nobody would notice.
func DeploymentFromOutputs(outputs map[string]string) (*Deployment, error) {
	d := &Deployment{StackName: strings.TrimSpace(outputs["StackName"]), Trail: strings.TrimSpace(outputs["Trail"]), Resources: map[string]string{}}
	if d.Trail == "*" {
		d.Trail = "" // the stack's word for any trail
	}
	if d.StackName == "" {
		return nil, fmt.Errorf("deployment: no StackName output: is this the outputs of an eksdrift stack?")
	}
	for _, ks := range deploymentKeys {
		for _, k := range ks {
			if v := strings.TrimSpace(outputs[k]); v != "" {
				d.Resources[k] = v
			}
		}
	}
	for _, p := range strings.Split(outputs["Deployers"], ",") {
		if p = strings.TrimSpace(p); p != "" {
			d.Deployers = append(d.Deployers, p)
		}
	}
	if set := strings.TrimSpace(outputs["SpokeStackSet"]); set != "" {
		d.Spoke = &Spoke{StackSet: set, ExecutionRole: strings.TrimSpace(outputs["SpokeExecutionRole"])}
		for _, r := range strings.Split(outputs["SpokeRoles"], ",") {
			if r = strings.TrimSpace(r); r != "" {
				d.Spoke.Roles = append(d.Spoke.Roles, r)
			}
		}
	}
	return d, nil
}

// IsDeployer reports whether a (canonical) principal ARN is one of the
// deployment's Deployers. IAM compares role names without case, and an
// event's role ARN may lack the path a declared ARN has, or the reverse.
func (d *Deployment) IsDeployer(arn string) bool {
	if arn == "" {
		return false
	}
	for _, p := range d.Deployers {
		if strings.EqualFold(p, arn) {
			return true
		}
		pa, ok1 := ParseARN(p)
		aa, ok2 := ParseARN(arn)
		pn, okp := RoleName(p)
		an, oka := RoleName(arn)
		if ok1 && ok2 && okp && oka && pa.Account == aa.Account && strings.EqualFold(pn, an) {
			return true
		}
	}
	return false
}

// Owns says which of the deployment's resources t names (an output key),
// and false when it is none of them. A trail matches the deployment's
// trail, or any trail when it has none. Rules, functions, queues, roles,
// topics, tables and stacks also match when their name starts with the
// stack's name and a dash: CloudFormation names what it creates so, which
// covers what no output names (a queue, a forwarder stack).
func (d *Deployment) Owns(t *TamperTarget) (string, bool) {
	if d == nil {
		return "", false
	}
	names := identities(t.Type, t.Name, t.ARN)
	if t.Type == TamperTrail {
		if d.Trail == "" {
			return "Trail (any trail: the deployment names none)", true
		}
		return "Trail", overlaps(names, identities(TamperTrail, d.Trail, ""))
	}
	if t.Type == TamperBus {
		bus := firstNonEmpty(d.Resources["EventBus"], defaultEventBus)
		return "EventBus", overlaps(identities(TamperBus, firstNonEmpty(t.Name, defaultEventBus), t.ARN), identities(TamperBus, bus, ""))
	}
	if t.Type == TamperStack && strings.Contains(t.Name, changeSetARN) {
		// ExecuteChangeSet by the change set's ARN alone: the record does
		// not say which stack it changes, so it may be this one. Taken
		// as the stack's: only a deployer's is then compliant.
		return "StackName (a change set named by its ARN alone: the record names no stack)", true
	}
	for _, k := range deploymentKeys[t.Type] {
		v := d.Resources[k]
		if k == "StackName" {
			v = d.StackName
		}
		if v != "" && overlaps(names, identities(t.Type, v, "")) {
			return k, true
		}
	}
	if d.StackName != "" {
		prefix := strings.ToLower(d.StackName) + "-"
		for _, n := range names {
			if strings.HasPrefix(strings.ToLower(n), prefix) {
				return "StackName (named " + d.StackName + "-...)", true
			}
		}
	}
	return "", false
}

// identities gives the forms a resource may be named by: the value itself,
// and the name or ID an ARN or URL ends with.
func identities(typ string, vs ...string) []string {
	var out []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		out = append(out, v)
		if s := shortName(typ, v); s != "" && s != v {
			out = append(out, s)
		}
	}
	return out
}

// shortName gives the name or ID at the end of an ARN or URL.
func shortName(typ, v string) string {
	if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
		// An SQS queue URL: https://sqs.region.amazonaws.com/account/name.
		return v[strings.LastIndexByte(strings.TrimRight(v, "/"), '/')+1:]
	}
	if typ == TamperFunction {
		// Lambda takes a name, an ARN, or a partial ARN
		// (ACCOUNT:function:name), each with an optional :qualifier.
		if i := strings.Index(v, ":function:"); i >= 0 {
			v = v[i+len(":function:"):]
		}
		name, _, _ := strings.Cut(v, ":")
		return name
	}
	a, ok := ParseARN(v)
	if !ok {
		return v
	}
	r := a.Resource
	switch typ {
	case TamperTopic:
		// An SNS topic ARN ends with the name; a subscription's adds
		// ":id" after it, and Unsubscribe names only the subscription.
		if a.Service == "sns" {
			return strings.SplitN(r, ":", 2)[0]
		}
	case TamperStack:
		// stack/name/id.
		parts := strings.Split(r, "/")
		if len(parts) >= 2 {
			return parts[1]
		}
	}
	return r[strings.LastIndexAny(r, "/:")+1:]
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// ownRoleKinds are the IAM kinds that change a role: on one of the
// deployment's own roles, any of them is tamper.
var ownRoleKinds = map[Kind]bool{
	KindRole: true, KindTrustPolicy: true, KindManagedPolicy: true, KindInlinePolicy: true, KindPermissionsBoundary: true,
}

// JudgeTamper judges a change as tamper when it concerns the deployment:
// a TamperTarget it owns, or an IAM change to one of its own roles. ok is
// false when the change is not about the deployment (a tamper call on
// another account's rule, say), and the caller then ignores it (or judges
// it as an IAM change). It needs no baseline: an attacker who broke the
// baseline must still be seen.
func JudgeTamper(c Change, d *Deployment) (f Finding, ok bool) {
	if d == nil {
		return f, false
	}
	t, ok := tamperTargetOf(c)
	if !ok {
		return f, false
	}
	cp := *t
	// The spoke's first: its names start with eksdrift-, as the hub's
	// do when the hub's stack is named eksdrift.
	if own, owned := d.Spoke.Owns(&cp); owned {
		cp.Own = own
		c.Resource = &cp
		return newFinding(subjectOf(c), judgeSpokeTamper(c, &cp, d.Spoke)), true
	}
	own, owned := d.Owns(&cp)
	if !owned {
		return f, false
	}
	cp.Own = own
	c.Resource = &cp
	return newFinding(subjectOf(c), judgeTamper(c, &cp, d)), true
}

// tamperTargetOf is the resource a change names that may be the
// deployment's: a TamperTarget, or the role of an IAM change to a role.
func tamperTargetOf(c Change) (*TamperTarget, bool) {
	if t, ok := c.Resource.(*TamperTarget); ok {
		return t, true
	}
	if !ownRoleKinds[c.Kind()] {
		return nil, false
	}
	name := roleNameOf(c.Resource)
	if name == "" {
		return nil, false
	}
	return &TamperTarget{Type: TamperRole, Name: name, ARN: c.Resource.Principal(), Detail: string(c.Kind()) + " " + string(c.Op)}, true
}

// judgeTamper concludes about a tamper call on the deployment's resource t.
func judgeTamper(c Change, t *TamperTarget, d *Deployment) judgement {
	sev, why := tamperSeverity(c.Event.Name, t)
	what := fmt.Sprintf("%s on eksdrift's %s %s (%s)", c.Event.Name, t.Type, t.Name, t.Own)
	if t.Detail != "" {
		what += ": " + t.Detail
	}
	actor := c.Event.Actor
	j := judgement{Severity: SeverityInfo, SeverityReason: "compliant", Decision: DecisionNone, DetectedBy: DetectedByEvent}
	isStackCall := t.Type == TamperStack
	switch {
	case sev == SeverityInfo:
		j.Reason = what + "; " + why
	case !isStackCall && actor.InvokedBy == InvokedByCFN && d.IsDeployer(actor.ARN):
		j.Reason = what + "; a redeploy: made by CloudFormation through the deployer " + actor.ARN
	case isStackCall && d.IsDeployer(actor.ARN):
		j.Reason = what + "; made by the deployer " + actor.ARN
	default:
		j.Drift, j.Decision = true, DecisionAlert
		j.Severity, j.SeverityReason = sev, why
		j.Reason = what + "; made by " + firstNonEmpty(actor.ARN, "an unknown caller")
		if actor.InvokedBy == InvokedByCFN {
			j.Reason += " through CloudFormation, but not as one of the deployment's Deployers"
		} else if isStackCall {
			j.Reason += ", who is not one of the deployment's Deployers"
		}
		j.Reason += "; tamper is alerted, never reverted"
	}
	return j
}

// tamperSeverity rates a tamper call: critical unless the call is known to
// be milder.
func tamperSeverity(event string, t *TamperTarget) (Severity, string) {
	switch {
	case t.Concurrency != nil && *t.Concurrency == 0:
		return SeverityCritical, "reserved concurrency 0: the function never runs again"
	case t.Concurrency != nil:
		return SeverityHigh, "reserved concurrency limits how many events the function handles at once: a burst is throttled"
	case t.Type == TamperBucket && event == "PutBucketVersioning" && !strings.EqualFold(t.Versioning, "Suspended"):
		return SeverityInfo, "versioning stays on: the baseline's versions are kept"
	case t.Type == TamperTrail:
		return SeverityCritical, "the trail feeds eksdrift: changing it can stop every event from reaching the detector"
	case t.Type == TamperRole && t.Detail == RoleDescriptionOnly:
		return SeverityLow, "a role's description changes no permission; no one but a redeploy should change eksdrift's roles"
	case t.Type == TamperRole && (event == "TagRole" || event == "UntagRole"):
		return SeverityCritical, "the tags of one of eksdrift's roles: a policy, boundary or SCP whose condition reads aws:PrincipalTag can then deny eksdrift what it needs, or a trust policy that reads them let others in"
	case t.Type == TamperRole:
		return SeverityCritical, "the role of one of eksdrift's functions: changing it changes what eksdrift can see and do"
	case t.Type == TamperStack:
		return stackSeverity(event, t)
	}
	return SeverityCritical, tamperSeverityWhy
}

// WithDeployment returns an evaluator that knows eksdrift's own deployment:
// changes to it are judged as tamper (JudgeTamper) before anything else.
func (e *Evaluator) WithDeployment(d *Deployment) *Evaluator {
	c := *e
	c.dep = d
	return &c
}

// tamper judges a change as tamper when it is one. A tamper call on a
// resource that is not the deployment's is compliant: it is not eksdrift's
// to watch.
func (e *Evaluator) tamper(c Change) (f Finding, ok bool) {
	f, ok = JudgeTamper(c, e.dep)
	if !ok {
		t, isTamper := c.Resource.(*TamperTarget)
		if !isTamper {
			return f, false
		}
		v := compliant(fmt.Sprintf("%s %s is not one of eksdrift's own resources", t.Type, t.Name), nil)
		if e.dep == nil {
			v.reason += " (no deployment given: replay with --deployment FILE to judge tamper)"
		}
		return e.finding(c, v), true
	}
	f.BaselineSource, f.BaselineVersion = e.ix.Baseline.Source, e.ix.Baseline.VersionID
	return f, true
}

// stackSeverity rates a call on one of eksdrift's stacks: critical when it
// changes or deletes the stack, high when it prepares or steers a change
// (a change set made, a stack policy, a rollback), compliant when it
// switches termination protection on.
func stackSeverity(event string, t *TamperTarget) (Severity, string) {
	switch event {
	case "CreateChangeSet":
		return SeverityHigh, "a change set on eksdrift's own stack, made by someone who does not deploy it: executed, it changes eksdrift through the stack's role, and the changes look like a redeploy"
	case "SetStackPolicy":
		return SeverityHigh, "a stack policy on eksdrift's own stack: it can deny the next redeploy the resources it must fix, or allow what the last one forbade"
	case "UpdateTerminationProtection":
		if t.Detail == TerminationProtectionOn {
			return SeverityInfo, "termination protection switched on: the stack is harder to delete"
		}
		return SeverityHigh, "termination protection switched off: one DeleteStack then removes eksdrift"
	case "ContinueUpdateRollback":
		return SeverityHigh, "a rollback of eksdrift's own stack continued outside a deploy: resources it skips are left as they are, out of the template"
	case "CancelUpdateStack", "RollbackStack":
		return SeverityHigh, "a change of eksdrift's own stack stopped or rolled back outside a deploy: a fix being deployed is undone"
	}
	return SeverityCritical, "eksdrift's own stack, changed by someone who does not deploy it"
}
