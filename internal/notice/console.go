package notice

import (
	"regexp"
	"strings"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Console is the AWS console of one partition and region: where a person
// goes from a message to see for themselves.
type Console struct {
	Partition string // "aws", "aws-cn", "aws-us-gov" ...; "" is "aws"
	Region    string // "" for the global console, where IAM lives
}

// ConsoleOf gives the console of f's partition, read from its ARNs (see
// Partition), and of its region.
func ConsoleOf(f drift.Finding) Console {
	return Console{Partition: Partition(f), Region: f.Region}
}

// partitionPattern is what an AWS partition looks like: "aws", "aws-cn",
// "aws-us-gov", "aws-iso-b" ...
var partitionPattern = regexp.MustCompile(`^aws(-[a-z]+){0,2}$`)

// Partition gives the partition of the first of f's principal, actor and
// resource that is an ARN naming one that looks like a partition, and
// "aws" when none does.
func Partition(f drift.Finding) string {
	for _, s := range []string{f.Principal, f.Actor, f.Resource} {
		if a, ok := drift.ParseARN(strings.SplitN(s, "|", 2)[0]); ok && partitionPattern.MatchString(a.Partition) {
			return a.Partition
		}
	}
	return "aws"
}

// Base gives the console's address: the region's when the region is a
// valid one (see ValidRegion), else the global console's.
func (c Console) Base() string {
	domain := "console.aws.amazon.com"
	switch c.Partition {
	case "aws-cn":
		domain = "console.amazonaws.cn"
	case "aws-us-gov":
		domain = "console.amazonaws-us-gov.com"
	}
	if !ValidRegion(c.Region) {
		return "https://" + domain
	}
	return "https://" + c.Region + "." + domain
}

// Event opens a CloudTrail event in the event history, or gives "" without
// an event ID or a valid region. CloudTrail takes a few minutes to show an event,
// about as long as it took to reach eksdrift.
func (c Console) Event(id string) string {
	if id == "" || !ValidRegion(c.Region) {
		return ""
	}
	return c.Base() + "/cloudtrailv2/home?region=" + c.Region + "#/events/" + PathEscape(id)
}

// ClusterAccess opens a cluster's Access tab (its access entries and
// policies, and its authentication mode), or gives "" without a cluster or
// a valid region.
func (c Console) ClusterAccess(cluster string) string {
	if cluster == "" || !ValidRegion(c.Region) {
		return ""
	}
	return c.Base() + "/eks/clusters/" + PathEscape(cluster) + "?region=" + c.Region + "&selectedTab=cluster-access-tab"
}

// Role opens an IAM role, by its name without its path, in the global
// console whatever the region.
func (c Console) Role(name string) string {
	return Console{Partition: c.Partition}.Base() + "/iam/home#/roles/details/" + PathEscape(name)
}

// CloudTrailURL opens f's event in CloudTrail, or gives "" when f has no
// event ID or no valid region, or its event is not CloudTrail's: an
// aws-auth write comes from the cluster's Kubernetes audit log, and its ID
// is the audit ID, which CloudTrail would not find.
func CloudTrailURL(f drift.Finding) string {
	if f.Kind == drift.KindAwsAuth {
		return ""
	}
	return ConsoleOf(f).Event(f.EventID)
}

// ClusterAccessURL opens the Access tab of f's cluster, or gives "" for a
// finding without a cluster (IAM) or a valid region.
func ClusterAccessURL(f drift.Finding) string { return ConsoleOf(f).ClusterAccess(f.Cluster) }

// RoleURL opens the IAM role f's principal is, or gives "" when the
// principal is not a role.
func RoleURL(f drift.Finding) string {
	name, ok := drift.RoleName(f.Principal)
	if !ok {
		return ""
	}
	return ConsoleOf(f).Role(name)
}
