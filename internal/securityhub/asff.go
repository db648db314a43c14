package securityhub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// SchemaVersion is the ASFF version the findings follow.
const SchemaVersion = "2018-10-08"

// Limits of Security Hub on the fields eksdrift sets, in bytes here (a
// string within them in bytes is within them in characters).
const (
	maxID          = 512
	maxTitle       = 256
	maxDescription = 1024
	maxResourceID  = 512
	maxFieldValue  = 1024
	maxURL         = 2048
)

// Product is the Security Hub product that imports eksdrift's findings: the
// account's own custom integration, in one partition and region.
type Product struct {
	Partition string // "" is "aws"
	Account   string
	Region    string
}

var (
	accountPattern   = regexp.MustCompile(`^\d{12}$`)
	partitionPattern = regexp.MustCompile(`^aws(-[a-z]+){0,2}$`)
)

// ARN is the product's ARN, arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default.
func (p Product) ARN() string {
	return "arn:" + p.partition() + ":securityhub:" + p.Region + ":" + p.Account + ":product/" + p.Account + "/default"
}

func (p Product) partition() string {
	if p.Partition == "" {
		return "aws"
	}
	return p.Partition
}

// Validate reports a product whose ARN Security Hub would refuse.
func (p Product) Validate() error {
	switch {
	case !accountPattern.MatchString(p.Account):
		return fmt.Errorf("securityhub: product account %q is not 12 digits", p.Account)
	case !notice.ValidRegion(p.Region):
		return fmt.Errorf("securityhub: product region %q is not a region", p.Region)
	case !partitionPattern.MatchString(p.partition()):
		return fmt.Errorf("securityhub: product partition %q is not a partition", p.Partition)
	}
	return nil
}

// ParseProductARN reads a custom integration's product ARN, as the stack
// gives it to the forwarder.
func ParseProductARN(s string) (Product, error) {
	a, ok := drift.ParseARN(s)
	if !ok || a.Service != "securityhub" || a.Resource != "product/"+a.Account+"/default" {
		return Product{}, fmt.Errorf("securityhub: %q is not a custom integration's product ARN (arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default)", s)
	}
	p := Product{Partition: a.Partition, Account: a.Account, Region: a.Region}
	if err := p.Validate(); err != nil {
		return Product{}, err
	}
	return p, nil
}

// ProductOf is the product of f's own account and region, for output that
// is not imported by a deployed forwarder (`history --output asff`). An
// account or region that does not have AWS's shape is left empty, never
// copied into the ARN: the ARN is then invalid, and Validate says so.
func ProductOf(f drift.Finding) Product {
	p := Product{Partition: notice.Partition(f)}
	if accountPattern.MatchString(f.Account) {
		p.Account = f.Account
	}
	if notice.ValidRegion(f.Region) {
		p.Region = f.Region
	}
	return p
}

// ID is the Security Hub Id of every finding about f's resource: a hash of
// its drift key, so that it is stable, short and made of safe characters
// whatever the key holds.
func ID(f drift.Finding) string {
	sum := sha256.Sum256([]byte(drift.DriftKey(f)))
	return "eksdrift/drift/" + hex.EncodeToString(sum[:])
}

// GeneratorID names the rule that judged f: its kind and what the change
// did ("eksdrift/access-policy/added").
func GeneratorID(f drift.Finding) string {
	return "eksdrift/" + knownKind(f.Kind) + "/" + knownOp(f.Change)
}

func knownKind(k drift.Kind) string {
	for _, c := range drift.Kinds {
		if c == k {
			return string(k)
		}
	}
	return "unknown"
}

func knownOp(o drift.Op) string {
	switch o {
	case drift.OpAdded, drift.OpRemoved, drift.OpModified:
		return string(o)
	}
	return "unknown"
}

// Label maps eksdrift's severity to Security Hub's. A drift whose severity
// is not one eksdrift knows is rated HIGH rather than hidden.
func Label(f drift.Finding) types.SeverityLabel {
	switch f.Severity {
	case drift.SeverityCritical:
		return types.SeverityLabelCritical
	case drift.SeverityHigh:
		return types.SeverityLabelHigh
	case drift.SeverityMedium:
		return types.SeverityLabelMedium
	case drift.SeverityLow:
		return types.SeverityLabelLow
	case drift.SeverityInfo:
		return types.SeverityLabelInformational
	}
	if f.Drift {
		return types.SeverityLabelHigh
	}
	return types.SeverityLabelInformational
}

// The finding types: every drift is a configuration check; a change that
// grants access (added or modified, rated high or critical) is also a
// privilege escalation.
const (
	TypeDrift      = "Software and Configuration Checks/AWS Security Best Practices/Access Configuration Drift"
	TypeEscalation = "TTPs/Privilege Escalation"
)

// Types classifies f.
func Types(f drift.Finding) []string {
	t := []string{TypeDrift}
	if f.Drift && f.Change != drift.OpRemoved && f.Severity.Rank() >= drift.SeverityHigh.Rank() {
		t = append(t, TypeEscalation)
	}
	return t
}

// timeFormat is ASFF's: RFC 3339 in UTC with milliseconds.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func stamp(t time.Time) *string { return aws.String(t.UTC().Format(timeFormat)) }

// Finding converts f. Its AwsAccountId is the product's account, as
// BatchImportFindings requires of a custom integration (the caller's
// account); the finding's own account is in its resources' ARNs and in
// ProductFields. Severity and Types are given as FindingProviderFields,
// as AWS asks of finding providers, so that a person's change to the
// top-level ones (BatchUpdateFindings) stands; Security Hub copies them
// to the top level of a new finding. updatedAt is when this version of the finding is
// imported (the forwarder's clock); the history's output passes the time
// of the finding's last event, so that it is reproducible. A finding that
// is no longer open (compliant, or its drift reverted or found already
// compliant) is PASSED and ARCHIVED.
func Finding(p Product, f drift.Finding, updatedAt time.Time) types.AwsSecurityFinding {
	n := notice.Of(f)
	open := drift.IsOpen(f)
	created := f.EventTime
	if created.IsZero() {
		created = updatedAt
	}
	if updatedAt.Before(created) {
		updatedAt = created
	}
	status, state := types.ComplianceStatusFailed, types.RecordStateActive
	if !open {
		status, state = types.ComplianceStatusPassed, types.RecordStateArchived
	}
	out := types.AwsSecurityFinding{
		SchemaVersion:   aws.String(SchemaVersion),
		Id:              aws.String(ID(f)),
		ProductArn:      aws.String(p.ARN()),
		ProductName:     aws.String("eksdrift"),
		CompanyName:     aws.String("eksdrift"),
		GeneratorId:     aws.String(GeneratorID(f)),
		AwsAccountId:    aws.String(p.Account),
		Region:          aws.String(p.Region),
		CreatedAt:       stamp(created),
		UpdatedAt:       stamp(updatedAt),
		FirstObservedAt: stamp(created),
		LastObservedAt:  stamp(created),
		Title:           aws.String(clip(notice.Line(n.Title), maxTitle)),
		Description:     aws.String(clip(description(f, n), maxDescription)),
		Compliance:      &types.Compliance{Status: status},
		RecordState:     state,
		Resources:       resources(p, f),
		ProductFields:   productFields(f),
		FindingProviderFields: &types.FindingProviderFields{
			Severity: &types.FindingProviderSeverity{Label: Label(f), Original: aws.String(clip(notice.Line(string(f.Severity)), 64))},
			Types:    Types(f),
		},
	}
	if u := SourceURL(f); u != "" {
		out.SourceUrl = aws.String(u)
	}
	return out
}

// Outcome converts the outcome of a revert: the same Id as its finding,
// updated at o.At, PASSED and ARCHIVED when the drift is gone.
func Outcome(p Product, o drift.Outcome) types.AwsSecurityFinding {
	f := o.Finding
	r := o.Result
	f.Outcome = &r
	return Finding(p, f, o.At)
}

func account(p Product, f drift.Finding) string {
	if accountPattern.MatchString(f.Account) {
		return f.Account
	}
	return p.Account
}

func description(f drift.Finding, n notice.Notice) string {
	d := n.Summary + ". " + n.Why + "."
	if r := strings.TrimSuffix(f.Reason, "."); r != "" {
		d += " " + r + "."
	}
	d += " Decision: " + string(f.Decision)
	if n.Decision != "" {
		d += " (" + n.Decision + ")"
	}
	d += "."
	if o := f.Outcome; o != nil {
		d += " Revert: " + notice.ResultLabel(*o) + "."
	}
	return notice.Line(d)
}

// SourceURL opens what f is about in the console: the cluster's Access tab,
// else the IAM role, else the CloudTrail event; "" when none can be built
// from valid values.
// A link longer than maxURL (a hostile name, escaped) is left out.
func SourceURL(f drift.Finding) string {
	candidates := []string{notice.ClusterAccessURL(f)}
	if name, ok := roleOf(f); ok {
		candidates = append(candidates, notice.ConsoleOf(f).Role(name))
	}
	for _, u := range append(candidates, notice.CloudTrailURL(f)) {
		if u != "" && len(u) <= maxURL {
			return u
		}
	}
	return ""
}

// roleNamePattern is what IAM allows in a role name.
var roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// clusterNamePattern is what EKS allows in a cluster name.
var clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$`)

// roleOf gives the role an IAM finding is about, from its resource
// ("roleName" or "roleName|policy").
func roleOf(f drift.Finding) (string, bool) {
	switch f.Kind {
	case drift.KindRole, drift.KindTrustPolicy, drift.KindManagedPolicy, drift.KindInlinePolicy, drift.KindPermissionsBoundary:
	default:
		return "", false
	}
	name := strings.SplitN(f.Resource, "|", 2)[0]
	return name, roleNamePattern.MatchString(name)
}

func resources(p Product, f drift.Finding) []types.Resource {
	part := notice.Partition(f)
	acct := account(p, f)
	var rs []types.Resource
	var partition types.Partition
	for _, v := range partition.Values() {
		if string(v) == part {
			partition = v
		}
	}
	region := p.Region
	if notice.ValidRegion(f.Region) {
		region = f.Region
	}
	add := func(typ, id string, d *types.ResourceDetails) {
		rs = append(rs, types.Resource{Type: aws.String(typ), Id: aws.String(clip(id, maxResourceID)), Partition: partition, Region: aws.String(region), Details: d})
	}
	switch {
	case f.Cluster != "":
		if clusterNamePattern.MatchString(f.Cluster) && notice.ValidRegion(f.Region) {
			arn := "arn:" + part + ":eks:" + f.Region + ":" + acct + ":cluster/" + f.Cluster
			add("AwsEksCluster", arn, &types.ResourceDetails{AwsEksCluster: &types.AwsEksClusterDetails{Name: aws.String(f.Cluster), Arn: aws.String(arn)}})
		} else {
			add("Other", "eks-cluster/"+notice.Line(f.Cluster), &types.ResourceDetails{Other: map[string]string{"cluster": clip(notice.Line(f.Cluster), maxFieldValue)}})
		}
		if name, ok := drift.RoleName(f.Principal); ok && roleNamePattern.MatchString(name) && len(f.Principal) <= maxResourceID && notice.Line(f.Principal) == f.Principal {
			add("AwsIamRole", f.Principal, &types.ResourceDetails{AwsIamRole: &types.AwsIamRoleDetails{RoleName: aws.String(name)}})
		}
	default:
		if name, ok := roleOf(f); ok {
			arn := "arn:" + part + ":iam::" + acct + ":role/" + name
			add("AwsIamRole", arn, &types.ResourceDetails{AwsIamRole: &types.AwsIamRoleDetails{RoleName: aws.String(name)}})
		}
	}
	if len(rs) == 0 {
		// An OIDC provider, the baseline object, or a resource whose name
		// has no valid shape: named as text, for a person to read.
		add("Other", string(knownKind(f.Kind))+"/"+notice.Line(f.Resource), &types.ResourceDetails{Other: map[string]string{"resource": clip(notice.Line(f.Resource), maxFieldValue)}})
	}
	return rs
}

// productFields are what a person filters on in Security Hub beyond the
// standard fields. Keys under "aws/" are Security Hub's own.
func productFields(f drift.Finding) map[string]string {
	m := map[string]string{
		"eksdrift/kind":       knownKind(f.Kind),
		"eksdrift/change":     knownOp(f.Change),
		"eksdrift/decision":   string(f.Decision),
		"eksdrift/findingId":  f.ID(),
		"eksdrift/driftKey":   drift.DriftKey(f),
		"eksdrift/eventId":    f.EventID,
		"eksdrift/account":    f.Account,
		"eksdrift/eventName":  f.EventName,
		"eksdrift/actor":      f.Actor,
		"eksdrift/detectedBy": f.DetectedBy,
	}
	if f.BaselineVersion != "" {
		m["eksdrift/baselineVersion"] = f.BaselineVersion
	}
	if o := f.Outcome; o != nil {
		m["eksdrift/revertResult"] = o.Result
	}
	for k, v := range m {
		v = clip(notice.Line(v), maxFieldValue)
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// clip cuts s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// JSON gives a finding as one compact JSON object in ASFF's field names,
// without the fields it leaves unset (the SDK's types carry no JSON tags,
// so encoding/json writes every nil one as null).
func JSON(f types.AwsSecurityFinding) ([]byte, error) {
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("securityhub: cannot encode finding %s: %w", aws.ToString(f.Id), err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("securityhub: cannot re-read finding %s: %w", aws.ToString(f.Id), err)
	}
	return json.Marshal(prune(v))
}

// prune drops nulls, empty strings, empty lists and empty objects.
func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e = prune(e); isEmpty(e) {
				delete(t, k)
			} else {
				t[k] = e
			}
		}
		return t
	case []any:
		out := t[:0]
		for _, e := range t {
			if e = prune(e); !isEmpty(e) {
				out = append(out, e)
			}
		}
		return out
	}
	return v
}

func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}
