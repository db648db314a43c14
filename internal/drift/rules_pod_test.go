package drift

import (
	"strings"
	"testing"
	"time"
)

// The session fields of pod identity associations (targetRoleArn, policy,
// disableSessionTags): their rule, their plan, and Narrows.

const (
	podRole    = "arn:aws:iam::111122223333:role/app-api"
	podTarget  = "arn:aws:iam::444455556666:role/data-reader"
	podOutside = "arn:aws:iam::999988887777:role/attacker"
	podSameAcc = "arn:aws:iam::444455556666:role/data-writer"
	podPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::data/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
)

func podEvaluator(t *testing.T) *Evaluator {
	t.Helper()
	on := true
	ix, err := NewIndex(&Baseline{Version: 1, Mode: ModeRevert, Clusters: []ClusterBaseline{{
		Name: "prod", Account: acct, Region: "us-west-2",
		PodIdentityAssociations: []PodIdentityAssociation{
			{Namespace: "app", ServiceAccount: "api", RoleARN: podRole, TargetRoleARN: podTarget, Policy: doc(t, podPolicy), DisableSessionTags: &on},
			{Namespace: "app", ServiceAccount: "plain", RoleARN: podRole},
		},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return NewEvaluator(ix)
}

func TestPodIdentitySessionFieldRules(t *testing.T) {
	e := podEvaluator(t)
	prod := func(op Op, r Resource) Change {
		return Change{Event: Event{ID: "e", Account: acct, Region: "us-west-2", Actor: Actor{ARN: "arn:aws:iam::111122223333:role/x"}}, Cluster: "prod", Op: op, Resource: r}
	}
	on, off := true, false
	pol := func(s string) *PolicyDocument { return doc(t, s) }
	reordered := `{"Version":"2012-10-17","Statement":[{"Sid":"KeepDeletes","Effect":"Deny","Action":"s3:deleteobject","Resource":["*"]},{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::data/*"]}]}`
	wider := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	narrower := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	whole := func(mod func(p *PodIdentityAssociation)) *PodIdentityAssociation {
		p := &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: podRole, TargetRoleARN: podTarget, Policy: pol(podPolicy), DisableSessionTags: &on}
		mod(p)
		return p
	}
	runRules(t, e, []ruleCase{
		{name: "matches, policy reordered with a Sid", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.Policy = pol(reordered) })),
			severity: SeverityInfo, has: "matches the baseline"},
		{name: "target role in an outside account", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.TargetRoleARN = podOutside })),
			drift: true, severity: SeverityCritical, has: "target role " + podOutside},
		{name: "another target role in the declared account", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.TargetRoleARN = podSameAcc })),
			drift: true, severity: SeverityHigh, has: "want " + podTarget},
		{name: "target role removed", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.TargetRoleARN = "" })),
			drift: true, severity: SeverityHigh, has: "target role none"},
		{name: "session policy removed", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.Policy = nil })),
			drift: true, severity: SeverityHigh, has: "no session policy"},
		{name: "session policy widened", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.Policy = pol(wider) })),
			drift: true, severity: SeverityHigh, has: "grants more"},
		{name: "session policy loses its deny", change: prod(OpModified, whole(func(p *PodIdentityAssociation) {
			p.Policy = pol(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)
		})), drift: true, severity: SeverityHigh, has: "grants more"},
		{name: "session policy narrowed", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.Policy = pol(narrower) })),
			drift: true, severity: SeverityLow, has: "narrower session policy"},
		{name: "session tags turned back on", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.DisableSessionTags = &off })),
			drift: true, severity: SeverityMedium, has: "disableSessionTags false, want true"},
		{name: "nil session tags is false", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.DisableSessionTags = nil })),
			drift: true, severity: SeverityMedium, has: "disableSessionTags false"},
		{name: "outside target and removed policy: the worst wins, both named", change: prod(OpModified, whole(func(p *PodIdentityAssociation) { p.TargetRoleARN, p.Policy = podOutside, nil })),
			drift: true, severity: SeverityCritical, has: "no session policy"},
		{name: "target role added where none is declared", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "plain", RoleARN: podRole, TargetRoleARN: podOutside}),
			drift: true, severity: SeverityCritical, has: "target role " + podOutside + ", want none"},
		{name: "target role in the cluster's account added where none is declared", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "plain", RoleARN: podRole, TargetRoleARN: "arn:aws:iam::111122223333:role/other"}),
			drift: true, severity: SeverityHigh},
		{name: "session policy added where none is declared", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "plain", RoleARN: podRole, Policy: pol(narrower)}),
			drift: true, severity: SeverityLow, has: "a session policy, want none"},
		{name: "partial update naming only the role is judged on it", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: podRole, Unknown: []string{PodTargetRole, PodPolicy, PodSessionTags}}),
			severity: SeverityInfo, has: "matches the baseline"},
		{name: "partial update naming an outside target role", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", TargetRoleARN: podOutside, Unknown: []string{PodPolicy, PodSessionTags}}),
			drift: true, severity: SeverityCritical},
		{name: "partial update removing the target role", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", Unknown: []string{PodPolicy, PodSessionTags}}),
			drift: true, severity: SeverityHigh, has: "target role none"},
		{name: "partial update turning session tags on", change: prod(OpModified, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", DisableSessionTags: &off, Unknown: []string{PodTargetRole, PodPolicy}}),
			drift: true, severity: SeverityMedium},
		{name: "undeclared with a target role in another account", change: prod(OpAdded, &PodIdentityAssociation{Namespace: "app", ServiceAccount: "new", RoleARN: podRole, TargetRoleARN: podOutside}),
			drift: true, severity: SeverityCritical, has: "(target role " + podOutside + ")"},
	})
}

func TestPodIdentitySessionFieldPlan(t *testing.T) {
	e := podEvaluator(t)
	on := true
	change := Change{Event: Event{ID: "e", Account: acct, Region: "us-west-2"}, Cluster: "prod", Resource: &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api"}}
	declared := "eks:UpdatePodIdentityAssociation prod app/api role=" + podRole + " targetRole=" + podTarget + " policy=" + doc(t, podPolicy).String() + " disableSessionTags=true"
	tests := []struct {
		name string
		live *PodIdentityAssociation
		want string
	}{
		{"matches: nothing to do", &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: podRole, TargetRoleARN: podTarget, Policy: doc(t, podPolicy), DisableSessionTags: &on, AssociationID: "a-1"}, ""},
		{"outside target role set back", &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: podRole, TargetRoleARN: podOutside, Policy: doc(t, podPolicy), DisableSessionTags: &on, AssociationID: "a-1"}, declared},
		{"removed session policy set back", &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: podRole, TargetRoleARN: podTarget, DisableSessionTags: &on, AssociationID: "a-1"}, declared},
		{"session tags turned off again", &PodIdentityAssociation{Namespace: "app", ServiceAccount: "api", RoleARN: podRole, TargetRoleARN: podTarget, Policy: doc(t, podPolicy), AssociationID: "a-1"}, declared},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, cannot := e.Plan(change, Observation{Present: true, Resource: tt.live})
			if got := opStrings(ops); got != tt.want || cannot != "" {
				t.Errorf("got %q (cannot %q), want %q", got, cannot, tt.want)
			}
			if len(ops) == 1 && ops[0].Resource.(*PodIdentityAssociation).AssociationID != "a-1" {
				t.Errorf("got association id %q, want a-1", ops[0].Resource.(*PodIdentityAssociation).AssociationID)
			}
		})
	}
	t.Run("a target role or policy the baseline does not declare cannot be updated away", func(t *testing.T) {
		plain := Change{Event: change.Event, Cluster: "prod", Resource: &PodIdentityAssociation{Namespace: "app", ServiceAccount: "plain"}}
		for _, live := range []*PodIdentityAssociation{
			{Namespace: "app", ServiceAccount: "plain", RoleARN: podRole, TargetRoleARN: podOutside, AssociationID: "a-2"},
			{Namespace: "app", ServiceAccount: "plain", RoleARN: podRole, Policy: doc(t, podPolicy), DisableSessionTags: &on, AssociationID: "a-2"},
		} {
			ops, cannot := e.Plan(plain, Observation{Present: true, Resource: live})
			if len(ops) != 0 || !strings.Contains(cannot, "delete the association and create it from the baseline") {
				t.Errorf("got %q (cannot %q), want no operation and the reason", opStrings(ops), cannot)
			}
		}
	})
	t.Run("deleted association is created whole", func(t *testing.T) {
		ops, _ := e.Plan(change, Observation{})
		if got, want := opStrings(ops), strings.Replace(declared, "Update", "Create", 1); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestNarrows(t *testing.T) {
	base := doc(t, podPolicy)
	tests := []struct {
		name string
		p    string
		want bool
	}{
		{"the same policy", podPolicy, true},
		{"drops an allow", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, true},
		{"adds a deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`, true},
		{"drops a deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`, false},
		{"adds an allow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`, false},
		{"widens an allow's resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := doc(t, tt.p).Narrows(base); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCaptureKeepsPodSessionFields: a captured baseline declares what the
// sweep read, so that the capture judges compliant.
func TestCaptureKeepsPodSessionFields(t *testing.T) {
	on := true
	live := PodIdentityAssociation{Namespace: "data", ServiceAccount: "reader", RoleARN: podRole, TargetRoleARN: podTarget, Policy: doc(t, podPolicy), DisableSessionTags: &on, AssociationID: "a-1"}
	cs := ClusterState{Name: "prod", Account: acct, Region: "us-west-2", Found: true, PodIdentityAssociations: []PodIdentityAssociation{live}}
	b := Capture([]ClusterState{cs}, nil, nil)
	got := b.Clusters[0].PodIdentityAssociations[0]
	if got.TargetRoleARN != podTarget || !got.Policy.Equal(live.Policy) || !got.SessionTagsDisabled() || got.AssociationID != "" {
		t.Fatalf("got %+v, want the live association without its id", got)
	}
	ix, err := NewIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	judged := NewEvaluator(ix).SweepCluster(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), cs)
	if len(judged) != 1 {
		t.Fatalf("got %d judgements, want 1", len(judged))
	}
	if f := judged[0].Finding; f.Drift {
		t.Errorf("got drift on the captured state: %s", f.Reason)
	}
	// The sweep judges the live session fields: an outside target role is
	// critical there too.
	attacked := cs
	attacked.PodIdentityAssociations = []PodIdentityAssociation{live}
	attacked.PodIdentityAssociations[0].TargetRoleARN = podOutside
	if f := NewEvaluator(ix).SweepCluster(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), attacked)[0].Finding; !f.Drift || f.Severity != SeverityCritical {
		t.Errorf("got drift %v %s, want critical drift from the sweep", f.Drift, f.Severity)
	}
}

// TestDiffBaselinesPodSessionFields: a baseline write that moves a target
// role or loosens a session policy is itself drift to look at.
func TestDiffBaselinesPodSessionFields(t *testing.T) {
	on := true
	with := func(mod func(p *PodIdentityAssociation)) *Baseline {
		p := PodIdentityAssociation{Namespace: "data", ServiceAccount: "reader", RoleARN: podRole, TargetRoleARN: podTarget, Policy: doc(t, podPolicy), DisableSessionTags: &on}
		mod(&p)
		return &Baseline{Version: 1, Clusters: []ClusterBaseline{{Name: "prod", Account: acct, Region: "us-west-2", PodIdentityAssociations: []PodIdentityAssociation{p}}}}
	}
	prev := with(func(*PodIdentityAssociation) {})
	tests := []struct {
		name     string
		next     *Baseline
		severity Severity
		has      string
	}{
		{"target role moved", with(func(p *PodIdentityAssociation) { p.TargetRoleARN = podOutside }), SeverityCritical, "target role " + podOutside},
		{"session policy dropped", with(func(p *PodIdentityAssociation) { p.Policy = nil }), SeverityHigh, "loses or widens its session policy"},
		{"session policy widened", with(func(p *PodIdentityAssociation) {
			p.Policy = doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
		}), SeverityHigh, "loses or widens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := DiffBaselines(prev, tt.next)
			if len(ds) != 1 || ds[0].Severity != tt.severity || !strings.Contains(ds[0].What, tt.has) {
				t.Errorf("got %+v, want one %s delta saying %q", ds, tt.severity, tt.has)
			}
		})
	}
	t.Run("session policy narrowed", func(t *testing.T) {
		narrower := with(func(p *PodIdentityAssociation) {
			p.Policy = doc(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)
		})
		if ds := DiffBaselines(prev, narrower); len(ds) != 0 {
			t.Errorf("got %+v, want no delta", ds)
		}
	})
}
