package detect

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// A change from a region outside the deployment's (a forged event, or a
// spoke deployed outside the set) is recorded as such, an alert, and no
// role is assumed for it; the watched and home regions, and IAM's
// us-east-1, are confirmed as before. Accounts is a stand-in for
// internal/wiring's (see accounts_test.go).
func TestChangeFromOutsideTheRegionsIsNeverActedOn(t *testing.T) {
	entry := &drift.AccessEntry{PrincipalARN: contractor, Type: "STANDARD", KubernetesGroups: []string{"viewers"}}
	live := states{contractor: {Present: true, Resource: entry, ReadAt: time.Now()}}
	// The sample's cluster, declared in the baseline, is in us-west-2: the
	// deployment's regions vary around it (a spoke deployed outside them
	// forwards such events, and a forged event can name any region).
	const region = "us-west-2"
	tests := []struct {
		name     string
		regions  drift.RegionSet
		decision drift.Decision
		reason   string
		asked    int
	}{
		{name: "a watched region", regions: drift.RegionSet{Regions: []string{"eu-west-1", region}, Home: "eu-west-1", Global: "us-east-1"},
			decision: drift.DecisionRevert, asked: 1},
		{name: "the home region", regions: drift.RegionSet{Regions: []string{"eu-central-1"}, Home: region, Global: "us-east-1"},
			decision: drift.DecisionRevert, asked: 1},
		{name: "a region outside the deployment's", regions: drift.RegionSet{Regions: []string{"eu-west-1", "eu-central-1"}, Home: "eu-west-1", Global: "us-east-1"},
			decision: drift.DecisionAlert, reason: `region "us-west-2" is outside the deployment's regions (eu-west-1, eu-central-1): not confirmed, not reverted`},
		{name: "IAM's region does not admit an EKS change", regions: drift.RegionSet{Regions: []string{"eu-west-1"}, Home: "eu-west-1", Global: region},
			decision: drift.DecisionAlert, reason: `region "us-west-2" is outside the deployment's regions (eu-west-1)`},
		{name: "no regions given: nothing checked", regions: drift.RegionSet{Home: "eu-west-1"}, decision: drift.DecisionRevert, asked: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, _ := newDetector(t, states{}, out)
			asked := 0
			d.Accounts = func(context.Context, string) (Readers, error) {
				asked++
				return Readers{EKS: live, IAM: states{}}, nil
			}
			d.Regions = tt.regions
			if err := d.Handle(context.Background(), sample(t, "eks-create-access-entry-undeclared-role.json")); err != nil {
				t.Fatal(err)
			}
			if len(out.sent) != 1 {
				t.Fatalf("got %d findings, want 1", len(out.sent))
			}
			f := out.sent[0]
			if f.Decision != tt.decision || !f.Drift || !strings.Contains(f.Reason, tt.reason) || f.Region != region {
				t.Errorf("got decision %s, reason %q, region %s, want %s saying %q in %s", f.Decision, f.Reason, f.Region, tt.decision, tt.reason, region)
			}
			if asked != tt.asked {
				t.Errorf("accounts asked: got %d, want %d", asked, tt.asked)
			}
		})
	}
}

// IAM's changes come from us-east-1 whatever the deployment's regions.
func TestIAMChangeFromUSEast1IsConfirmed(t *testing.T) {
	out := &outbox{}
	d, _ := newDetector(t, states{}, out)
	asked := 0
	d.Accounts = func(context.Context, string) (Readers, error) {
		asked++
		return Readers{}, errors.New("sts: throttled")
	}
	d.Regions = drift.RegionSet{Regions: []string{"eu-west-1"}, Home: "eu-west-1", Global: "us-east-1"}
	err := d.Handle(context.Background(), sample(t, "iam-attach-role-policy-administrator-access.json"))
	// The stand-in's error proves the live state was asked for.
	if asked != 1 || err == nil {
		t.Errorf("got %d asks, %v, want the account's readers asked once", asked, err)
	}
}
