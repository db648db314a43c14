package drift

import (
	"fmt"
	"slices"
	"strings"
)

// RegionSet is where one deployment watches (EKSDRIFT_REGIONS): an event
// from any other region is forged, or comes from a spoke deployed outside
// the set, and eksdrift never acts there: it does not assume a role or
// read or write anything on the event's word. Its zero value (no regions
// given) checks nothing: a single-account deployment hears its own
// region's rules alone.
type RegionSet struct {
	// Regions are the regions watched; empty: nothing is checked.
	Regions []string
	// Home is the functions' own region, always in the set.
	Home string
	// Global is the region a global service's events are delivered in
	// (routing.IAMRegion), in the set for IAM's changes alone.
	Global string
}

// Outside says why c's region is outside the set, "" when it is inside or
// nothing is checked. Identity Center's changes, which nothing reads or
// reverts in a member account, are not checked.
func (s RegionSet) Outside(c Change) string {
	if len(s.Regions) == 0 {
		return ""
	}
	svc := c.Kind().Service()
	region := c.Event.Region
	switch {
	case svc != ServiceEKS && svc != ServiceIAM:
		return ""
	case region != "" && (region == s.Home || slices.Contains(s.Regions, region)):
		return ""
	case svc == ServiceIAM && region != "" && region == s.Global:
		return ""
	}
	return fmt.Sprintf("region %q is outside the deployment's regions (%s)", region, strings.Join(s.Regions, ", "))
}
