package revert

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// A finding from a region outside the deployment's (a forged event, or a
// spoke deployed outside the set) is never reverted and no client is made
// for it (Accounts counts the asks: it would assume the member's role); the
// watched regions, the home region and IAM's us-east-1 are reverted as
// before. The env's cluster is in us-west-2 (region), IAM's findings in
// us-east-1.
func TestFindingFromOutsideTheRegionsIsNeverReverted(t *testing.T) {
	e := newEnv(t, options{})
	own := Clients{EKS: e.rev.EKS, IAM: e.rev.IAM, EKSWriter: e.rev.EKSWriter, IAMWriter: e.rev.IAMWriter, Admins: e.rev.Admins}
	asked := 0
	e.rev.Accounts = func(context.Context, string) (Clients, error) { asked++; return own, nil }
	t.Cleanup(func() { e.rev.Regions = drift.RegionSet{} })
	tests := []struct {
		name    string
		regions drift.RegionSet
		result  string
		why     string
	}{
		{name: "a watched region", regions: drift.RegionSet{Regions: []string{"eu-west-1", region}, Home: "eu-west-1", Global: "us-east-1"}, result: drift.ResultReverted},
		{name: "the home region", regions: drift.RegionSet{Regions: []string{"eu-west-1"}, Home: region, Global: "us-east-1"}, result: drift.ResultReverted},
		{name: "a region outside the deployment's", regions: drift.RegionSet{Regions: []string{"eu-west-1"}, Home: "eu-west-1", Global: "us-east-1"},
			result: drift.ResultSkipped, why: `region "us-west-2" is outside the deployment's regions (eu-west-1): never reverted`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.rev.Regions = tt.regions
			asked = 0
			e.createEntry(intruder, []string{"viewers"})
			f := e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{"viewers"}})
			e.record(f)
			if err := e.rev.Handle(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			o := e.out.outcomes[len(e.out.outcomes)-1].Result
			if o.Result != tt.result || !strings.Contains(o.Reason, tt.why) {
				t.Errorf("got %s (%s%s), want %s saying %q", o.Result, o.Reason, o.Error, tt.result, tt.why)
			}
			if tt.result == drift.ResultSkipped {
				if !o.Critical || asked != 0 {
					t.Errorf("got critical %v, %d clients made, want a critical skip and none", o.Critical, asked)
				}
				// Clean up the drift for the next case.
				e.rev.Regions = drift.RegionSet{}
				must(t, e.rev.Handle(context.Background(), e.finding(person, drift.OpAdded, &drift.AccessEntry{PrincipalARN: intruder, Type: "STANDARD", KubernetesGroups: []string{"viewers"}})))
			}
		})
	}
	t.Run("IAM's us-east-1, outside the regions given", func(t *testing.T) {
		e.rev.Regions = drift.RegionSet{Regions: []string{"eu-west-1"}, Home: "eu-west-1", Global: "us-east-1"}
		asked = 0
		_, err := e.iamc.AttachRolePolicy(context.Background(), &awsiam.AttachRolePolicyInput{RoleName: aws.String(e.role), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
		must(t, err)
		f := e.finding(person, drift.OpAdded, &drift.ManagedPolicy{RoleName: e.role, PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
		e.record(f)
		must(t, e.rev.Handle(context.Background(), f))
		if o := e.out.outcomes[len(e.out.outcomes)-1].Result; o.Result != drift.ResultReverted || asked == 0 {
			t.Errorf("got %s (%s%s), %d clients made, want reverted through the account's clients", o.Result, o.Reason, o.Error, asked)
		}
	})
}
