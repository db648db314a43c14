package drift

import (
	"strings"
	"testing"
)

func TestRegionSetOutside(t *testing.T) {
	set := RegionSet{Regions: []string{"eu-west-1", "eu-central-1"}, Home: "eu-west-1", Global: "us-east-1"}
	eks := func(region string) Change {
		return Change{Event: Event{Region: region}, Resource: &AccessEntry{PrincipalARN: "arn:aws:iam::111122223333:role/x"}}
	}
	iam := func(region string) Change {
		return Change{Event: Event{Region: region}, Resource: &Role{ARN: "arn:aws:iam::111122223333:role/x"}}
	}
	tests := []struct {
		name    string
		set     RegionSet
		c       Change
		outside bool
	}{
		{name: "an EKS change in a watched region", set: set, c: eks("eu-central-1")},
		{name: "an EKS change in the home region", set: RegionSet{Regions: []string{"eu-central-1"}, Home: "eu-west-1", Global: "us-east-1"}, c: eks("eu-west-1")},
		{name: "an IAM change in us-east-1, IAM's region", set: set, c: iam("us-east-1")},
		{name: "an EKS change in a region outside the set", set: set, c: eks("ap-southeast-7"), outside: true},
		{name: "an EKS change in us-east-1 when it is not watched", set: set, c: eks("us-east-1"), outside: true},
		{name: "an IAM change from another region", set: set, c: iam("ap-southeast-7"), outside: true},
		{name: "no region at all", set: set, c: eks(""), outside: true},
		{name: "a region of the same prefix", set: set, c: eks("eu-west-10"), outside: true},
		{name: "no regions given: nothing checked", set: RegionSet{Home: "eu-west-1"}, c: eks("ap-southeast-7")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why := tt.set.Outside(tt.c)
			if got := why != ""; got != tt.outside {
				t.Fatalf("outside: got %v (%q), want %v", got, why, tt.outside)
			}
			if tt.outside && !strings.Contains(why, "is outside the deployment's regions (eu-west-1, eu-central-1)") {
				t.Errorf("got %q, want it to say the region is outside the deployment's", why)
			}
		})
	}
}
