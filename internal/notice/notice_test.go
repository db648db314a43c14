package notice

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// finding is a drifted access policy as the evaluator writes one; tests
// change what they look at.
func finding(change func(f *drift.Finding)) drift.Finding {
	f := drift.Finding{
		EventID:        "49199637-7e5e-4394-aab3-5fa36ceb542f",
		EventTime:      time.Date(2026, 11, 28, 9, 41, 7, 0, time.UTC),
		Account:        "111122223333",
		Region:         "us-west-2",
		Cluster:        "prod",
		Kind:           drift.KindAccessPolicy,
		Resource:       "arn:aws:iam::111122223333:role/contractors/contractor|" + drift.PolicyClusterAdmin,
		Principal:      "arn:aws:iam::111122223333:role/contractors/contractor",
		Change:         drift.OpAdded,
		Drift:          true,
		Severity:       drift.SeverityCritical,
		SeverityReason: "AmazonEKSClusterAdminPolicy on the whole cluster is cluster-admin",
		Decision:       drift.DecisionRevert,
		Actor:          "arn:aws:iam::111122223333:role/Admin",
		ActorSession:   "jane@example.com",
	}
	if change != nil {
		change(&f)
	}
	return f
}

func TestShortARN(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"role without its path", "arn:aws:iam::111122223333:role/contractors/contractor", "contractor"},
		{"managed policy", "arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess"},
		{"EKS access policy", drift.PolicyClusterAdmin, "AmazonEKSClusterAdminPolicy"},
		{"OIDC provider by its issuer", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC", "oidc.eks.us-west-2.amazonaws.com/id/ABC"},
		{"account root", "arn:aws:iam::999999999999:root", "999999999999:root"},
		{"assumed-role session", "arn:aws:sts::111122223333:assumed-role/Admin/jane", "jane"},
		{"other partition", "arn:aws-cn:iam::111122223333:role/deploy", "deploy"},
		{"trailing slash", "arn:aws:iam::111122223333:role/", "role/"},
		{"not an ARN", "kube-system/aws-node", "kube-system/aws-node"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShortARN(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShortResource(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    drift.Finding
		sep  string
		want string
	}{
		{"pair with an arrow", finding(nil), " → ", "contractor → AmazonEKSClusterAdminPolicy"},
		{"pair as two words", finding(nil), " ", "contractor AmazonEKSClusterAdminPolicy"},
		{"role and inline policy", finding(func(f *drift.Finding) {
			f.Kind, f.Resource = drift.KindInlinePolicy, "deploy|eks-read"
		}), " → ", "deploy → eks-read"},
		{"service account", finding(func(f *drift.Finding) {
			f.Kind, f.Resource = drift.KindPodIdentity, "kube-system/aws-node"
		}), " → ", "kube-system/aws-node"},
		{"authentication mode by its mode", finding(func(f *drift.Finding) {
			f.Kind, f.Resource = drift.KindAuthenticationMode, "authenticationMode"
			f.After = json.RawMessage(`{"authenticationMode":"API_AND_CONFIG_MAP"}`)
		}), " → ", "API_AND_CONFIG_MAP"},
		{"authentication mode not known", finding(func(f *drift.Finding) {
			f.Kind, f.Resource, f.After = drift.KindAuthenticationMode, "authenticationMode", json.RawMessage("null")
		}), " → ", "authenticationMode"},
		{"a mode is only read for its kind", finding(func(f *drift.Finding) {
			f.After = json.RawMessage(`{"authenticationMode":"API"}`)
		}), " ", "contractor AmazonEKSClusterAdminPolicy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShortResource(tt.f, tt.sep); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOf(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    drift.Finding
		want Notice
	}{
		{"drift", finding(nil), Notice{
			Label: "CRITICAL", Emoji: ":red_circle:", What: "access-policy added", Where: "prod",
			Resource: "contractor → AmazonEKSClusterAdminPolicy", Actor: "jane@example.com",
			Why:      "AmazonEKSClusterAdminPolicy on the whole cluster is cluster-admin",
			Title:    "CRITICAL · access-policy added · prod",
			Heading:  ":red_circle: CRITICAL · access-policy added · prod",
			Summary:  "CRITICAL drift on prod: access-policy added contractor → AmazonEKSClusterAdminPolicy by jane@example.com",
			Decision: "eksdrift is undoing it; the outcome follows",
		}},
		{"compliant", finding(func(f *drift.Finding) {
			f.Drift, f.Severity, f.Decision, f.SeverityReason = false, drift.SeverityInfo, drift.DecisionNone, "compliant"
			f.Kind, f.Resource = drift.KindAccessEntry, "arn:aws:iam::111122223333:role/developers"
		}), Notice{
			Label: "info", Emoji: ":white_circle:", What: "access-entry added", Where: "prod",
			Resource: "developers", Actor: "jane@example.com", Why: "compliant",
			Title:    "info · access-entry added · prod (compliant)",
			Heading:  ":white_circle: info · access-entry added · prod (compliant)",
			Summary:  "info on prod: access-entry added developers by jane@example.com",
			Decision: "compliant, nothing to do",
		}},
		{"IAM, by the actor's name, not rated", finding(func(f *drift.Finding) {
			f.Cluster, f.Kind, f.Change, f.Resource = "", drift.KindTrustPolicy, drift.OpModified, "developers"
			f.Severity, f.SeverityReason, f.Decision, f.ActorSession = "", "", drift.DecisionAlert, ""
		}), Notice{
			Label: "UNRATED", Emoji: ":grey_question:", What: "iam-trust-policy modified", Where: "account 111122223333",
			Resource: "developers", Actor: "Admin", Why: "-",
			Title:    "UNRATED · iam-trust-policy modified · account 111122223333",
			Heading:  ":grey_question: UNRATED · iam-trust-policy modified · account 111122223333",
			Summary:  "UNRATED drift on account 111122223333: iam-trust-policy modified developers by Admin",
			Decision: "reported only; nothing is undone",
		}},
		{"nowhere, by no one, a decision without a meaning", finding(func(f *drift.Finding) {
			f.Cluster, f.Account, f.Actor, f.ActorSession = "", "", "", ""
			f.Severity, f.Decision = drift.SeverityHigh, drift.DecisionRemediation
		}), Notice{
			Label: "HIGH", Emoji: ":large_orange_circle:", What: "access-policy added", Where: "unknown cluster",
			Resource: "contractor → AmazonEKSClusterAdminPolicy",
			Why:      "AmazonEKSClusterAdminPolicy on the whole cluster is cluster-admin",
			Title:    "HIGH · access-policy added · unknown cluster",
			Heading:  ":large_orange_circle: HIGH · access-policy added · unknown cluster",
			Summary:  "HIGH drift on unknown cluster: access-policy added contractor → AmazonEKSClusterAdminPolicy",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.f); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecisionMeanings(t *testing.T) {
	for _, tt := range []struct {
		d    drift.Decision
		want string
	}{
		{drift.DecisionAlert, "reported only; nothing is undone"},
		{drift.DecisionDryRun, "nothing is undone; what a revert would do follows"},
		{drift.DecisionRevert, "eksdrift is undoing it; the outcome follows"},
		{drift.DecisionBreakGlass, "made by an emergency actor of the baseline; reported, never undone"},
		{drift.DecisionNone, "compliant, nothing to do"},
		{drift.DecisionRemediation, ""},
		{"", ""},
	} {
		t.Run(string(tt.d), func(t *testing.T) {
			if got := Of(finding(func(f *drift.Finding) { f.Decision = tt.d })).Decision; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSeverityEmoji(t *testing.T) {
	for _, tt := range []struct {
		s    drift.Severity
		want string
	}{
		{drift.SeverityCritical, ":red_circle:"},
		{drift.SeverityHigh, ":large_orange_circle:"},
		{drift.SeverityMedium, ":large_yellow_circle:"},
		{drift.SeverityLow, ":large_blue_circle:"},
		{drift.SeverityInfo, ":white_circle:"},
		{"urgent", ":grey_question:"},
		{"", ":grey_question:"},
	} {
		t.Run(string(tt.s), func(t *testing.T) {
			if got := SeverityEmoji(tt.s); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWhen(t *testing.T) {
	for _, tt := range []struct {
		name string
		t    time.Time
		want string
	}{
		{"in UTC", time.Date(2026, 11, 28, 10, 41, 7, 500, time.FixedZone("CET", 3600)), "2026-11-28 09:41:07 UTC"},
		{"unknown", time.Time{}, "unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := When(tt.t); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, "0 access changes"},
		{1, "1 access change"},
		{2, "2 access changes"},
	} {
		if got := Plural(tt.n, "access change"); got != tt.want {
			t.Errorf("Plural(%d): got %q, want %q", tt.n, got, tt.want)
		}
	}
}
