package drift

import (
	"strings"
	"testing"
)

func awsAuthEvaluator(t *testing.T, declared *AwsAuthBaseline) *Evaluator {
	t.Helper()
	ix, err := NewIndex(&Baseline{Version: 1, Mode: ModeRevert, Clusters: []ClusterBaseline{
		{Name: "prod", Account: acct, Region: "us-west-2", AwsAuth: declared},
		{Name: "lab", Account: acct, Region: "us-west-2"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return NewEvaluator(ix)
}

func TestAwsAuthRule(t *testing.T) {
	const (
		nodes = "arn:aws:iam::111122223333:role/nodes"
		ops   = "arn:aws:iam::111122223333:role/ops"
		evil  = "arn:aws:iam::444455556666:role/evil"
		alice = "arn:aws:iam::111122223333:user/alice"
	)
	nodeMap := AwsAuthRole{RoleARN: nodes, Username: "system:node:{{EC2PrivateDNSName}}", Groups: []string{"system:bootstrappers", "system:nodes"}}
	declared := &AwsAuthBaseline{
		MapRoles:    []AwsAuthRole{nodeMap, {RoleARN: ops, Username: "ops", Groups: []string{"view"}}},
		MapUsers:    []AwsAuthUser{{UserARN: alice, Username: "alice", Groups: []string{"dev"}}},
		MapAccounts: []string{},
	}
	e := awsAuthEvaluator(t, declared)
	same := &AwsAuth{MapRoles: []AwsAuthRole{{RoleARN: ops, Username: "ops", Groups: []string{"view"}}, {RoleARN: nodes, Username: nodeMap.Username, Groups: []string{"system:nodes", "system:bootstrappers"}}},
		MapUsers: []AwsAuthUser{{UserARN: alice, Username: "alice", Groups: []string{"dev"}}}}
	with := func(extra ...AwsAuthRole) *AwsAuth {
		a := *same
		a.MapRoles = append(append([]AwsAuthRole{}, same.MapRoles...), extra...)
		return &a
	}
	tests := []struct {
		name      string
		cluster   string
		op        Op
		res       *AwsAuth
		drift     bool
		severity  Severity
		reasonHas string
	}{
		{"matching ConfigMap is compliant (groups as a set)", "prod", OpModified, same, false, SeverityInfo, "matches the baseline"},
		{"cluster that does not manage aws-auth", "lab", OpModified, with(AwsAuthRole{RoleARN: evil, Groups: []string{GroupMasters}}), false, SeverityInfo, "does not manage the aws-auth ConfigMap"},
		{"undeclared cluster is out of scope", "other", OpModified, same, false, SeverityInfo, "out of scope"},
		{"undeclared role to system:masters is critical", "prod", OpModified, with(AwsAuthRole{RoleARN: evil, Username: "evil", Groups: []string{GroupMasters}}), true, SeverityCritical, "undeclared role " + evil + " as evil in system:masters"},
		{"undeclared role without masters is high", "prod", OpModified, with(AwsAuthRole{RoleARN: evil, Username: "evil", Groups: []string{"view"}}), true, SeverityHigh, "undeclared role " + evil},
		{"declared role moved into system:masters is critical", "prod", OpModified,
			&AwsAuth{MapRoles: []AwsAuthRole{nodeMap, {RoleARN: ops, Username: "ops", Groups: []string{"view", GroupMasters}}}, MapUsers: same.MapUsers},
			true, SeverityCritical, "changed role " + ops + " as ops in view,system:masters, want " + ops + " as ops in view"},
		{"undeclared user", "prod", OpModified, &AwsAuth{MapRoles: same.MapRoles, MapUsers: append([]AwsAuthUser{{UserARN: "arn:aws:iam::111122223333:user/mallory", Groups: []string{GroupMasters}}}, same.MapUsers...)},
			true, SeverityCritical, "undeclared user arn:aws:iam::111122223333:user/mallory"},
		{"undeclared account", "prod", OpModified, &AwsAuth{MapRoles: same.MapRoles, MapUsers: same.MapUsers, MapAccounts: []string{"444455556666"}}, true, SeverityHigh, "undeclared account 444455556666"},
		{"declared mapping removed is medium", "prod", OpModified, &AwsAuth{MapRoles: []AwsAuthRole{nodeMap}, MapUsers: same.MapUsers}, true, SeverityMedium, "missing role " + ops},
		{"created with undeclared mapping", "prod", OpAdded, with(AwsAuthRole{RoleARN: evil}), true, SeverityHigh, "undeclared role " + evil},
		{"deleted while the baseline maps principals", "prod", OpRemoved, &AwsAuth{}, true, SeverityHigh, "aws-auth was deleted"},
		{"unresolved patch naming system:masters", "prod", OpModified, &AwsAuth{Unresolved: true, Patch: `{"data":{"mapRoles":"- groups: [system:masters]"}}`}, true, SeverityCritical, "unconfirmed: patch without result"},
		{"unresolved patch", "prod", OpModified, &AwsAuth{Unresolved: true, Patch: `[{"op":"replace","path":"/data/mapUsers","value":""}]`}, true, SeverityHigh, "unconfirmed: patch without result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := e.Evaluate(Change{Event: ev("arn:aws:iam::111122223333:role/person"), Op: tt.op, Cluster: tt.cluster, Resource: tt.res})
			if f.Drift != tt.drift || f.Severity != tt.severity {
				t.Errorf("got drift %v severity %s, want %v %s (%s)", f.Drift, f.Severity, tt.drift, tt.severity, f.Reason)
			}
			if !strings.Contains(f.Reason, tt.reasonHas) {
				t.Errorf("got reason %q, want it to contain %q", f.Reason, tt.reasonHas)
			}
			if f.Drift && (f.Decision != DecisionAlert || !strings.Contains(f.Reason, "never reverted")) {
				t.Errorf("got decision %s (%s), want alert: aws-auth is never reverted, whatever the mode", f.Decision, f.Reason)
			}
		})
	}
}

func TestAwsAuthDeletedWithNothingDeclared(t *testing.T) {
	e := awsAuthEvaluator(t, &AwsAuthBaseline{})
	f := e.Evaluate(Change{Event: ev("arn:aws:iam::111122223333:role/person"), Op: OpRemoved, Cluster: "prod", Resource: &AwsAuth{}})
	if f.Drift {
		t.Errorf("got drift (%s), want compliant: nothing is declared", f.Reason)
	}
}

func TestDiffBaselinesAwsAuth(t *testing.T) {
	const ops = "arn:aws:iam::111122223333:role/ops"
	base := func(a *AwsAuthBaseline) *Baseline {
		return &Baseline{Version: 1, Clusters: []ClusterBaseline{{Name: "prod", Account: acct, Region: "us-west-2", AwsAuth: a}}}
	}
	declared := &AwsAuthBaseline{MapRoles: []AwsAuthRole{{RoleARN: ops, Username: "ops", Groups: []string{"view"}}}}
	tests := []struct {
		name       string
		prev, next *AwsAuthBaseline
		want       Severity
		what       string
	}{
		{"same", declared, declared, "", ""},
		{"a new mapping into system:masters", declared, &AwsAuthBaseline{MapRoles: append(slicesClone(declared.MapRoles), AwsAuthRole{RoleARN: "arn:aws:iam::444455556666:role/x", Groups: []string{GroupMasters}})},
			SeverityCritical, "aws-auth may map role arn:aws:iam::444455556666:role/x in system:masters"},
		{"a mapping widened into system:masters", declared, &AwsAuthBaseline{MapRoles: []AwsAuthRole{{RoleARN: ops, Username: "ops", Groups: []string{"view", GroupMasters}}}},
			SeverityCritical, "want " + ops + " as ops in view"},
		{"a new account", declared, &AwsAuthBaseline{MapRoles: declared.MapRoles, MapAccounts: []string{"444455556666"}}, SeverityHigh, "account 444455556666"},
		{"no longer managed", declared, nil, SeverityHigh, "aws-auth mappings are no longer managed"},
		{"a mapping removed", declared, &AwsAuthBaseline{}, SeverityLow, "no longer maps role " + ops},
		{"managed for the first time", nil, declared, SeverityHigh, "aws-auth may map role " + ops},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := DiffBaselines(base(tt.prev), base(tt.next))
			if tt.want == "" {
				if len(ds) != 0 {
					t.Errorf("got %v, want no delta", ds)
				}
				return
			}
			if len(ds) == 0 || ds[0].Severity != tt.want || !strings.Contains(ds[0].What, tt.what) {
				t.Errorf("got %v, want first a %s delta with %q", ds, tt.want, tt.what)
			}
		})
	}
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }
