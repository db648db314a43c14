package drift

import (
	"strings"
	"testing"
)

// TestDiffBaselinesUsers: a version that lets an IAM user hold more (a
// new access key, a console password, a group, an admin policy) is a grant,
// as for roles; before, DiffBaselines ignored iamUsers, and such a write was
// "compliant: grants exactly what the previous version granted".
func TestDiffBaselinesUsers(t *testing.T) {
	const bot = "arn:aws:iam::111122223333:user/release-bot"
	base := func() *Baseline {
		return &Baseline{Version: 1, IAMUsers: []UserBaseline{{ARN: bot, AccessKeys: []string{"AKIAOLD"}, Groups: []string{"release"}, ManagedPolicies: []string{}}}}
	}
	tests := []struct {
		name string
		edit func(b *Baseline)
		sev  Severity
		op   Op
		what string
	}{
		{"access key", func(b *Baseline) { b.IAMUsers[0].AccessKeys = append(b.IAMUsers[0].AccessKeys, "AKIANEW") }, SeverityHigh, OpAdded, "access key AKIANEW may exist"},
		{"console password", func(b *Baseline) { b.IAMUsers[0].ConsoleAccess = true }, SeverityMedium, OpAdded, "console password"},
		{"group", func(b *Baseline) { b.IAMUsers[0].Groups = append(b.IAMUsers[0].Groups, "admins") }, SeverityMedium, OpAdded, "group admins"},
		{"admin policy", func(b *Baseline) {
			b.IAMUsers[0].ManagedPolicies = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
		}, SeverityCritical, OpAdded, "AdministratorAccess is attached"},
		{"key removed", func(b *Baseline) { b.IAMUsers[0].AccessKeys = nil }, SeverityLow, OpRemoved, "AKIAOLD may no longer exist"},
		{"user dropped", func(b *Baseline) { b.IAMUsers = []UserBaseline{} }, SeverityHigh, OpRemoved, "no longer declared"},
		{"users unmanaged", func(b *Baseline) { b.IAMUsers = nil }, SeverityHigh, OpRemoved, "IAM users are no longer managed"},
		{"user declared", func(b *Baseline) {
			b.IAMUsers = append(b.IAMUsers, UserBaseline{ARN: "arn:aws:iam::111122223333:user/new"})
		}, SeverityMedium, OpAdded, "user is newly declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := base()
			tt.edit(next)
			ds := DiffBaselines(base(), next)
			if len(ds) == 0 {
				t.Fatalf("got no delta, want %s %s %q", tt.sev, tt.op, tt.what)
			}
			if ds[0].Severity != tt.sev || ds[0].Change != tt.op || !strings.Contains(ds[0].What, tt.what) {
				t.Errorf("got %+v, want %s %s %q", ds[0], tt.sev, tt.op, tt.what)
			}
		})
	}
	if ds := DiffBaselines(base(), base()); len(ds) != 0 {
		t.Errorf("got %v for the same users, want none", ds)
	}
}
