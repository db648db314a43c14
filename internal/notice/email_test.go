package notice

import (
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestEmailOf(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    drift.Finding
		want Email
	}{
		{
			name: "drift on a cluster",
			f:    finding(func(f *drift.Finding) { f.Reason = "contractor has no access policy declared" }),
			want: Email{
				Headline: "CRITICAL drift on cluster prod, account 111122223333, us-west-2",
				Change:   "access-policy added: contractor -> AmazonEKSClusterAdminPolicy",
				Why:      "Why critical: AmazonEKSClusterAdminPolicy on the whole cluster is cluster-admin",
				Reason:   "contractor has no access policy declared",
				Action:   "What eksdrift does: revert. eksdrift is undoing it; a second message reports the outcome.",
				Footer:   []string{"Finding 49199637-7e5e-4394-aab3-5fa36ceb542f#access-policy#prod#arn:aws:iam::111122223333:role/contractors/contractor|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "Detected by none. Every other kind of subscriber receives this finding as JSON."},
			},
		},
		{
			name: "compliant IAM change with its baseline",
			f: finding(func(f *drift.Finding) {
				f.Cluster, f.Kind, f.Resource, f.Drift, f.Severity, f.Decision = "", drift.KindRole, "developers", false, drift.SeverityInfo, drift.DecisionNone
				f.BaselineSource, f.BaselineVersion, f.DetectedBy = "s3://b/baseline.yaml", "v7", "event"
			}),
			want: Email{
				Headline: "Compliant change (info) on IAM (account-wide), account 111122223333, us-west-2",
				Change:   "iam-role added: developers",
				Action:   "What eksdrift does: nothing: the change is compliant.",
				Footer:   []string{"Finding 49199637-7e5e-4394-aab3-5fa36ceb542f#iam-role##developers", "Baseline s3://b/baseline.yaml v7", "Detected by event. Every other kind of subscriber receives this finding as JSON."},
			},
		},
		{
			name: "hostile values stay on their line",
			f: finding(func(f *drift.Finding) {
				f.Region, f.Severity, f.Reason = "us-west-2\r\nBcc: evil@example.com", "", "x\n\u202eLinks"
			}),
			want: Email{
				Headline: "NONE drift on cluster prod, account 111122223333, us-west-2 Bcc: evil@example.com",
				Change:   "access-policy added: contractor -> AmazonEKSClusterAdminPolicy",
				Why:      "Why none: AmazonEKSClusterAdminPolicy on the whole cluster is cluster-admin",
				Reason:   "x Links",
				Action:   "What eksdrift does: revert. eksdrift is undoing it; a second message reports the outcome.",
				Footer:   []string{"Finding 49199637-7e5e-4394-aab3-5fa36ceb542f#access-policy#prod#arn:aws:iam::111122223333:role/contractors/contractor|arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "Detected by none. Every other kind of subscriber receives this finding as JSON."},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := EmailOf(tt.f)
			tt.want.BaselineChanges = "What the new baseline version changes (+ grants, - removes):"
			tt.want.DocumentsLeftOut = "(The documents are too large for this e-mail: they are in the finding's JSON and the history.)"
			if got.Headline != tt.want.Headline || got.Change != tt.want.Change || got.Why != tt.want.Why || got.Reason != tt.want.Reason ||
				got.Action != tt.want.Action || got.BaselineChanges != tt.want.BaselineChanges || got.DocumentsLeftOut != tt.want.DocumentsLeftOut ||
				strings.Join(got.Footer, "\n") != strings.Join(tt.want.Footer, "\n") {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// TestEmailActions: every decision is worded, in whole sentences, after its
// name; a decision this package does not know is shown by its name alone.
func TestEmailActions(t *testing.T) {
	for _, tt := range []struct {
		d    drift.Decision
		want string
	}{
		{drift.DecisionAlert, "alert. It is reported only; nothing is undone. If the change was not planned, undo it by hand."},
		{drift.DecisionDryRun, "dry-run. Nothing is undone; a second message says what a revert would do."},
		{drift.DecisionRevert, "revert. eksdrift is undoing it; a second message reports the outcome."},
		{drift.DecisionBreakGlass, "break-glass. The change was made by an emergency actor of the baseline: it is reported, never undone."},
		{drift.DecisionNone, "nothing: the change is compliant."},
		{"", "nothing: the change is compliant."},
		{drift.DecisionRemediation, "remediation"},
		{"x\nBcc: y", "x Bcc: y"},
	} {
		t.Run(string(tt.d), func(t *testing.T) {
			if got := EmailOf(finding(func(f *drift.Finding) { f.Decision = tt.d })).Action; got != "What eksdrift does: "+tt.want {
				t.Errorf("got %q, want %q", got, "What eksdrift does: "+tt.want)
			}
		})
	}
}
