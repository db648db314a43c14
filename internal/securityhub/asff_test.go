package securityhub_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/drift/drifttest"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

var update = flag.Bool("update", false, "rewrite testdata/samples.asff.jsonl")

var product = securityhub.Product{Account: "111122223333", Region: "us-west-2"}

// samples are the findings of every sample in events/, as the replay
// goldens hold them (replay's own test keeps those up to date).
func samples(t *testing.T) []drift.Finding {
	t.Helper()
	paths, err := filepath.Glob("../replay/testdata/golden/*.json")
	if err != nil || len(paths) < 25 {
		t.Fatalf("got %d replay goldens (%v), want at least 25", len(paths), err)
	}
	var out []drift.Finding
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var g struct{ Findings []drift.Finding }
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, g.Findings...)
	}
	return out
}

var (
	idPattern     = regexp.MustCompile(`^eksdrift/drift/[0-9a-f]{64}$`)
	consoleURL    = regexp.MustCompile(`^https://([a-z0-9-]+\.)?console\.(aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)/[^\s]*$`)
	accountDigits = regexp.MustCompile(`^\d{12}$`)
)

// check asserts what Security Hub requires of an imported finding, and
// what eksdrift promises: nothing of a person's is set, every string is one
// printable line within its limit, links go to the console only.
func check(t *testing.T, f types.AwsSecurityFinding) {
	t.Helper()
	req := map[string]*string{"SchemaVersion": f.SchemaVersion, "Id": f.Id, "ProductArn": f.ProductArn, "GeneratorId": f.GeneratorId,
		"AwsAccountId": f.AwsAccountId, "CreatedAt": f.CreatedAt, "UpdatedAt": f.UpdatedAt, "Title": f.Title, "Description": f.Description}
	for name, v := range req {
		if aws.ToString(v) == "" {
			t.Errorf("%s: got empty, want set", name)
		}
	}
	if len(f.Resources) == 0 || f.Compliance == nil || f.FindingProviderFields == nil || len(f.FindingProviderFields.Types) == 0 ||
		f.FindingProviderFields.Severity == nil || f.FindingProviderFields.Severity.Label == "" {
		t.Errorf("got Resources %d Compliance %v FindingProviderFields %v, want all set, with Types and Severity", len(f.Resources), f.Compliance, f.FindingProviderFields)
	}
	if f.Severity != nil || f.Types != nil || f.Confidence != nil || f.Criticality != nil || f.RelatedFindings != nil {
		t.Errorf("got top-level Severity %v Types %v Confidence, Criticality or RelatedFindings, want them only in FindingProviderFields (a person's BatchUpdateFindings must stand)", f.Severity, f.Types)
	}
	//lint:ignore SA1019 WorkflowState is deprecated, and eksdrift must not set it either
	if f.Workflow != nil || f.WorkflowState != "" || f.Note != nil || f.UserDefinedFields != nil || f.VerificationState != "" {
		t.Errorf("got Workflow %v Note %v UserDefinedFields %v VerificationState %q, want none: they belong to people", f.Workflow, f.Note, f.UserDefinedFields, f.VerificationState)
	}
	if !idPattern.MatchString(aws.ToString(f.Id)) {
		t.Errorf("Id: got %q, want %v", aws.ToString(f.Id), idPattern)
	}
	if !accountDigits.MatchString(aws.ToString(f.AwsAccountId)) {
		t.Errorf("AwsAccountId: got %q, want 12 digits", aws.ToString(f.AwsAccountId))
	}
	for _, ts := range []*string{f.CreatedAt, f.UpdatedAt, f.FirstObservedAt, f.LastObservedAt} {
		if _, err := time.Parse(time.RFC3339, aws.ToString(ts)); err != nil {
			t.Errorf("timestamp: got %q, want RFC 3339: %v", aws.ToString(ts), err)
		}
	}
	if u := aws.ToString(f.SourceUrl); u != "" && !consoleURL.MatchString(u) {
		t.Errorf("SourceUrl: got %q, want the AWS console", u)
	}
	limit := func(name, s string, n int) {
		if len(s) > n {
			t.Errorf("%s: got %d bytes, want at most %d", name, len(s), n)
		}
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
				t.Errorf("%s: got %q, want no control or format characters", name, s)
				break
			}
		}
	}
	limit("Id", aws.ToString(f.Id), 512)
	limit("Title", aws.ToString(f.Title), 256)
	limit("Description", aws.ToString(f.Description), 1024)
	limit("GeneratorId", aws.ToString(f.GeneratorId), 512)
	limit("SourceUrl", aws.ToString(f.SourceUrl), 2048)
	for _, r := range f.Resources {
		limit("Resources.Id", aws.ToString(r.Id), 512)
		if r.Details != nil {
			for k, v := range r.Details.Other {
				limit("Resources.Details.Other."+k, v, 1024)
			}
		}
	}
	if len(f.ProductFields) > 50 {
		t.Errorf("ProductFields: got %d, want at most 50", len(f.ProductFields))
	}
	for k, v := range f.ProductFields {
		limit("ProductFields."+k, v, 1024)
	}
}

// TestSamples converts the findings of every sample in events/ and
// compares them with testdata/samples.asff.jsonl (refresh with -update).
func TestSamples(t *testing.T) {
	fs := samples(t)
	var buf bytes.Buffer
	drifted := 0
	for _, f := range fs {
		a := securityhub.Finding(product, f, f.EventTime)
		check(t, a)
		b, err := securityhub.JSON(a)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
		if f.Drift {
			drifted++
		}
	}
	t.Logf("converted %d sample findings (%d drift) to ASFF", len(fs), drifted)
	path := filepath.Join("testdata", "samples.asff.jsonl")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file (run go test ./internal/securityhub -run TestSamples -update): %v", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("ASFF differs from %s (rerun with -update if the change is intended)\ngot:\n%s", path, buf.Bytes())
	}
}

// TestJSONHasNoPersonsFields checks the encoded form, which is what
// `history --output asff` prints and a SIEM reads.
func TestJSONHasNoPersonsFields(t *testing.T) {
	b, err := securityhub.JSON(securityhub.Finding(product, drifttest.SampleFinding(0), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Workflow", "WorkflowState", "Note", "UserDefinedFields", "VerificationState"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s: got present, want absent", k)
		}
	}
	if bytes.Contains(b, []byte("null")) {
		t.Errorf("got nulls in %s, want unset fields left out", b)
	}
	if m["SchemaVersion"] != securityhub.SchemaVersion || m["ProductArn"] != "arn:aws:securityhub:us-west-2:111122223333:product/111122223333/default" {
		t.Errorf("got SchemaVersion %v ProductArn %v", m["SchemaVersion"], m["ProductArn"])
	}
}

func drifting() drift.Finding {
	return drift.Finding{
		EventID: "ev-1", EventTime: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), EventName: "AssociateAccessPolicy",
		EventSource: "eks.amazonaws.com", Account: "111122223333", Region: "us-west-2", Cluster: "prod",
		Kind: drift.KindAccessPolicy, Change: drift.OpAdded,
		Resource:  "arn:aws:iam::111122223333:role/contractor|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
		Principal: "arn:aws:iam::111122223333:role/contractor", Drift: true, Severity: drift.SeverityCritical,
		SeverityReason: "grants cluster-admin", Decision: drift.DecisionRevert, Actor: "arn:aws:iam::111122223333:role/admin",
		DetectedBy: drift.DetectedByEvent,
	}
}

// TestLifecycle: the finding, its revert's outcome and a later sweep of the
// same resource share one Id, and the state follows the drift.
func TestLifecycle(t *testing.T) {
	f := drifting()
	at := f.EventTime.Add(3 * time.Second)
	sweep := f
	sweep.EventID, sweep.DetectedBy, sweep.EventTime = "sweep-1", drift.DetectedBySweep, f.EventTime.Add(time.Hour)
	compliant := f
	compliant.EventID, compliant.Drift, compliant.Severity, compliant.Decision = "ev-2", false, drift.SeverityInfo, drift.DecisionNone
	tests := []struct {
		name      string
		got       types.AwsSecurityFinding
		status    types.ComplianceStatus
		state     types.RecordState
		updatedAt time.Time
	}{
		{"open drift", securityhub.Finding(product, f, f.EventTime), types.ComplianceStatusFailed, types.RecordStateActive, f.EventTime},
		{"reverted", securityhub.Outcome(product, drift.Outcome{FindingID: f.ID(), Finding: f, Result: drift.RevertOutcome{Result: drift.ResultReverted}, At: at}), types.ComplianceStatusPassed, types.RecordStateArchived, at},
		{"already compliant", securityhub.Outcome(product, drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultAlreadyCompliant}, At: at}), types.ComplianceStatusPassed, types.RecordStateArchived, at},
		{"revert failed", securityhub.Outcome(product, drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultRevertFailed}, At: at}), types.ComplianceStatusFailed, types.RecordStateActive, at},
		{"dry run", securityhub.Outcome(product, drift.Outcome{Finding: f, Result: drift.RevertOutcome{Result: drift.ResultDryRun}, At: at}), types.ComplianceStatusFailed, types.RecordStateActive, at},
		{"found again by a sweep", securityhub.Finding(product, sweep, sweep.EventTime), types.ComplianceStatusFailed, types.RecordStateActive, sweep.EventTime},
		{"compliant change", securityhub.Finding(product, compliant, compliant.EventTime), types.ComplianceStatusPassed, types.RecordStateArchived, compliant.EventTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.got)
			if got, want := aws.ToString(tt.got.Id), securityhub.ID(f); got != want {
				t.Errorf("Id: got %v, want %v", got, want)
			}
			if got := tt.got.Compliance.Status; got != tt.status {
				t.Errorf("Compliance.Status: got %v, want %v", got, tt.status)
			}
			if got := tt.got.RecordState; got != tt.state {
				t.Errorf("RecordState: got %v, want %v", got, tt.state)
			}
			if got, want := aws.ToString(tt.got.UpdatedAt), tt.updatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"); got != want {
				t.Errorf("UpdatedAt: got %v, want %v", got, want)
			}
		})
	}
}

// TestIDFollowsDriftKey: IAM compares role names without case, so findings
// about "Developers" and "developers" are about one resource; two
// resources never share an Id.
func TestIDFollowsDriftKey(t *testing.T) {
	a := drift.Finding{Account: "111122223333", Kind: drift.KindTrustPolicy, Resource: "Developers"}
	b := a
	b.Resource = "developers"
	c := a
	c.Resource = "developers2"
	if securityhub.ID(a) != securityhub.ID(b) {
		t.Errorf("got different Ids for %q and %q, want one", a.Resource, b.Resource)
	}
	if securityhub.ID(a) == securityhub.ID(c) {
		t.Errorf("got one Id for %q and %q, want two", a.Resource, c.Resource)
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		sev   drift.Severity
		drift bool
		want  types.SeverityLabel
	}{
		{drift.SeverityCritical, true, types.SeverityLabelCritical},
		{drift.SeverityHigh, true, types.SeverityLabelHigh},
		{drift.SeverityMedium, true, types.SeverityLabelMedium},
		{drift.SeverityLow, true, types.SeverityLabelLow},
		{drift.SeverityInfo, false, types.SeverityLabelInformational},
		{"catastrophic", true, types.SeverityLabelHigh},
		{"", false, types.SeverityLabelInformational},
	}
	for _, tt := range tests {
		t.Run(string(tt.sev)+"/"+map[bool]string{true: "drift", false: "compliant"}[tt.drift], func(t *testing.T) {
			f := drifting()
			f.Severity, f.Drift = tt.sev, tt.drift
			a := securityhub.Finding(product, f, f.EventTime)
			if got := a.FindingProviderFields.Severity.Label; got != tt.want {
				t.Errorf("FindingProviderFields.Severity.Label: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTypesAndResources(t *testing.T) {
	escalation := drifting()
	removal := drifting()
	removal.Change, removal.Severity = drift.OpRemoved, drift.SeverityHigh
	role := drift.Finding{Account: "111122223333", Region: "us-east-1", Kind: drift.KindManagedPolicy, Change: drift.OpAdded,
		Resource: "developers|arn:aws:iam::aws:policy/AdministratorAccess", Drift: true, Severity: drift.SeverityCritical, EventID: "e"}
	tests := []struct {
		name      string
		f         drift.Finding
		types     []string
		resources []string
		url       string
	}{
		{"cluster-admin granted", escalation, []string{securityhub.TypeDrift, securityhub.TypeEscalation},
			[]string{"AwsEksCluster arn:aws:eks:us-west-2:111122223333:cluster/prod", "AwsIamRole arn:aws:iam::111122223333:role/contractor"},
			"https://us-west-2.console.aws.amazon.com/eks/clusters/prod?region=us-west-2&selectedTab=cluster-access-tab"},
		{"access removed", removal, []string{securityhub.TypeDrift},
			[]string{"AwsEksCluster arn:aws:eks:us-west-2:111122223333:cluster/prod", "AwsIamRole arn:aws:iam::111122223333:role/contractor"},
			"https://us-west-2.console.aws.amazon.com/eks/clusters/prod?region=us-west-2&selectedTab=cluster-access-tab"},
		{"admin policy on a role", role, []string{securityhub.TypeDrift, securityhub.TypeEscalation},
			[]string{"AwsIamRole arn:aws:iam::111122223333:role/developers"},
			"https://console.aws.amazon.com/iam/home#/roles/details/developers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := securityhub.Finding(product, tt.f, time.Now())
			if got := strings.Join(a.FindingProviderFields.Types, ","); got != strings.Join(tt.types, ",") {
				t.Errorf("Types: got %v, want %v", got, tt.types)
			}
			var rs []string
			for _, r := range a.Resources {
				rs = append(rs, aws.ToString(r.Type)+" "+aws.ToString(r.Id))
			}
			if got := strings.Join(rs, ","); got != strings.Join(tt.resources, ",") {
				t.Errorf("Resources: got %v, want %v", got, tt.resources)
			}
			if got := aws.ToString(a.SourceUrl); got != tt.url {
				t.Errorf("SourceUrl: got %v, want %v", got, tt.url)
			}
		})
	}
}

// TestHostile sets each string field of a finding, and all at once, to an
// attacker's payloads, long ones too: the conversion must stay importable
// (Id, account, limits), inert (one printable line) and point nowhere but
// the console.
func TestHostile(t *testing.T) {
	payloads := append([]string{}, drifttest.HostilePayloads...)
	payloads = append(payloads, strings.Repeat("é", 5000), "../../x?y#z "+strings.Repeat("a", 300), "evil.example/", "https://evil.example")
	for _, base := range []drift.Finding{drifting(), drifttest.SampleFinding(7), drifttest.SampleFinding(12)} {
		for pi, p := range payloads {
			for _, c := range drifttest.Hostile(base, p) {
				t.Run(string(base.Kind)+"/"+c.Field+"/"+string(rune('a'+pi)), func(t *testing.T) {
					a := securityhub.Finding(product, c.Finding, time.Now())
					check(t, a)
					if got := aws.ToString(a.AwsAccountId); got != product.Account {
						t.Errorf("AwsAccountId: got %v, want the product's %v", got, product.Account)
					}
					if _, err := securityhub.JSON(a); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestHostileProductOf: `history --output asff` takes the product from
// each finding; a hostile account or region must not reach the ARN.
func TestHostileProductOf(t *testing.T) {
	for pi, p := range drifttest.HostilePayloads {
		for _, c := range drifttest.Hostile(drifting(), p) {
			t.Run(c.Field+"/"+string(rune('a'+pi)), func(t *testing.T) {
				prod := securityhub.ProductOf(c.Finding)
				a := securityhub.Finding(prod, c.Finding, time.Now())
				arn := aws.ToString(a.ProductArn)
				if strings.ContainsAny(arn, " <>@|\r\n\x1b") {
					t.Errorf("ProductArn: got %q, want no text of the finding's but an account and a region", arn)
				}
				if (c.Field == "account" || c.Field == "region" || c.Field == "all") && prod.Validate() == nil {
					t.Errorf("got a valid product %v from a hostile %s", prod, c.Field)
				}
				b, err := securityhub.JSON(a)
				if err != nil {
					t.Fatal(err)
				}
				if strings.ContainsAny(string(b), "\r\n\x1b\u202e") || strings.Contains(string(b), `\r`) || strings.Contains(string(b), `\n`) || strings.Contains(string(b), `\u001b`) {
					t.Errorf("got control characters in %s", b)
				}
			})
		}
	}
}

func TestParseProductARN(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want securityhub.Product
	}{
		{"arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default", true, securityhub.Product{Partition: "aws", Account: "111122223333", Region: "eu-west-1"}},
		{"arn:aws:securityhub:eu-west-1:111122223333:product/444455556666/default", false, securityhub.Product{}},
		{"arn:aws:securityhub:eu-west-1::product//default", false, securityhub.Product{}},
		{"arn:aws:securityhub:evil:111122223333:product/111122223333/default", false, securityhub.Product{}},
		{"arn:aws:securityhub:eu-west-1:111122223333:product/aws/guardduty", false, securityhub.Product{}},
		{"arn:aws:sns:eu-west-1:111122223333:product/111122223333/default", false, securityhub.Product{}},
		{"", false, securityhub.Product{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := securityhub.ParseProductARN(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %v, %v, want %v, ok %v", got, err, tt.want, tt.ok)
			}
			if err == nil && got.ARN() != tt.in {
				t.Errorf("ARN: got %v, want %v", got.ARN(), tt.in)
			}
		})
	}
}
