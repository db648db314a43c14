package notice

import (
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func TestConsoleLinks(t *testing.T) {
	iam := finding(func(f *drift.Finding) {
		f.Cluster, f.Region, f.Kind, f.Resource = "", "us-east-1", drift.KindTrustPolicy, "developers"
		f.Principal = "arn:aws:iam::111122223333:role/developers"
	})
	for _, tt := range []struct {
		name                            string
		f                               drift.Finding
		cloudTrail, clusterAccess, role string
	}{
		{"cluster finding", finding(nil),
			"https://us-west-2.console.aws.amazon.com/cloudtrailv2/home?region=us-west-2#/events/49199637-7e5e-4394-aab3-5fa36ceb542f",
			"https://us-west-2.console.aws.amazon.com/eks/clusters/prod?region=us-west-2&selectedTab=cluster-access-tab",
			"https://console.aws.amazon.com/iam/home#/roles/details/contractor"},
		{"IAM finding: no cluster", iam,
			"https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/49199637-7e5e-4394-aab3-5fa36ceb542f",
			"",
			"https://console.aws.amazon.com/iam/home#/roles/details/developers"},
		{"China", finding(func(f *drift.Finding) {
			f.Principal, f.Actor, f.Region = "arn:aws-cn:iam::111122223333:role/contractor", "", "cn-north-1"
		}),
			"https://cn-north-1.console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/49199637-7e5e-4394-aab3-5fa36ceb542f",
			"https://cn-north-1.console.amazonaws.cn/eks/clusters/prod?region=cn-north-1&selectedTab=cluster-access-tab",
			"https://console.amazonaws.cn/iam/home#/roles/details/contractor"},
		{"GovCloud, from the actor", finding(func(f *drift.Finding) {
			f.Principal, f.Actor, f.Region = "", "arn:aws-us-gov:iam::111122223333:role/Admin", "us-gov-west-1"
		}),
			"https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events/49199637-7e5e-4394-aab3-5fa36ceb542f",
			"https://us-gov-west-1.console.amazonaws-us-gov.com/eks/clusters/prod?region=us-gov-west-1&selectedTab=cluster-access-tab",
			""},
		{"escaped", finding(func(f *drift.Finding) {
			f.EventID, f.Cluster, f.Region = "a/b#c", "a b&c", "eu-west-1"
		}),
			"https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/a%2Fb%23c",
			"https://eu-west-1.console.aws.amazon.com/eks/clusters/a%20b%26c?region=eu-west-1&selectedTab=cluster-access-tab",
			"https://console.aws.amazon.com/iam/home#/roles/details/contractor"},
		{"mrkdwn in the names is percent-encoded", finding(func(f *drift.Finding) {
			f.EventID, f.Cluster, f.Principal = "<!channel>|x", "<https://evil.example|click>", "arn:aws:iam::111122223333:role/a@b=c+d:*`"
		}),
			"https://us-west-2.console.aws.amazon.com/cloudtrailv2/home?region=us-west-2#/events/%3C%21channel%3E%7Cx",
			"https://us-west-2.console.aws.amazon.com/eks/clusters/%3Chttps%3A%2F%2Fevil.example%7Cclick%3E?region=us-west-2&selectedTab=cluster-access-tab",
			"https://console.aws.amazon.com/iam/home#/roles/details/a%40b%3Dc%2Bd%3A%2A%60"},
		{"a hostile region: no link but the role", finding(func(f *drift.Finding) { f.Region = "us-west-2<!channel> <https://evil.example|click>" }),
			"", "", "https://console.aws.amazon.com/iam/home#/roles/details/contractor"},
		{"a region that names another host: no link but the role", finding(func(f *drift.Finding) { f.Region = "evil.example/#" }),
			"", "", "https://console.aws.amazon.com/iam/home#/roles/details/contractor"},
		{"a hostile partition is passed over", finding(func(f *drift.Finding) {
			f.Principal, f.Actor = "arn:evil.example/<x>:iam::111122223333:role/contractor", ""
		}),
			"https://us-west-2.console.aws.amazon.com/cloudtrailv2/home?region=us-west-2#/events/49199637-7e5e-4394-aab3-5fa36ceb542f",
			"https://us-west-2.console.aws.amazon.com/eks/clusters/prod?region=us-west-2&selectedTab=cluster-access-tab",
			"https://console.aws.amazon.com/iam/home#/roles/details/contractor"},
		{"no region: only the role", finding(func(f *drift.Finding) { f.Region = "" }),
			"", "", "https://console.aws.amazon.com/iam/home#/roles/details/contractor"},
		{"no event", finding(func(f *drift.Finding) { f.EventID = "" }),
			"",
			"https://us-west-2.console.aws.amazon.com/eks/clusters/prod?region=us-west-2&selectedTab=cluster-access-tab",
			"https://console.aws.amazon.com/iam/home#/roles/details/contractor"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := CloudTrailURL(tt.f); got != tt.cloudTrail {
				t.Errorf("CloudTrail: got %q, want %q", got, tt.cloudTrail)
			}
			if got := ClusterAccessURL(tt.f); got != tt.clusterAccess {
				t.Errorf("cluster access: got %q, want %q", got, tt.clusterAccess)
			}
			if got := RoleURL(tt.f); got != tt.role {
				t.Errorf("role: got %q, want %q", got, tt.role)
			}
		})
	}
}

func TestPartition(t *testing.T) {
	for _, tt := range []struct {
		name                       string
		principal, actor, resource string
		want                       string
	}{
		{"the principal's", "arn:aws-cn:iam::1:role/a", "arn:aws:iam::1:role/b", "", "aws-cn"},
		{"else the actor's", "", "arn:aws-us-gov:iam::1:role/b", "", "aws-us-gov"},
		{"else the resource's first part", "", "eks.amazonaws.com", "arn:aws-cn:iam::1:role/r|arn:aws:eks::aws:cluster-access-policy/X", "aws-cn"},
		{"an ARN without a partition is passed over", "arn::iam::1:role/a", "arn:aws-cn:iam::1:role/b", "", "aws-cn"},
		{"aws when none is an ARN", "", "", "kube-system/aws-node", "aws"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := drift.Finding{Principal: tt.principal, Actor: tt.actor, Resource: tt.resource}
			if got := Partition(f); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConsoleBase(t *testing.T) {
	for _, tt := range []struct {
		c    Console
		want string
	}{
		{Console{Partition: "aws", Region: "eu-west-1"}, "https://eu-west-1.console.aws.amazon.com"},
		{Console{Partition: "aws"}, "https://console.aws.amazon.com"},
		{Console{Region: "eu-west-1"}, "https://eu-west-1.console.aws.amazon.com"},
		{Console{Partition: "aws-cn", Region: "cn-northwest-1"}, "https://cn-northwest-1.console.amazonaws.cn"},
		{Console{Partition: "aws-us-gov"}, "https://console.amazonaws-us-gov.com"},
		{Console{Partition: "aws-iso", Region: "us-iso-east-1"}, "https://us-iso-east-1.console.aws.amazon.com"},
		{Console{Partition: "aws", Region: "evil.example/#"}, "https://console.aws.amazon.com"},
		{Console{Partition: "aws", Region: "us-west-2<!channel>"}, "https://console.aws.amazon.com"},
	} {
		t.Run(tt.c.Partition+"/"+tt.c.Region, func(t *testing.T) {
			if got := tt.c.Base(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNoCloudTrailLinkForAuditEvents(t *testing.T) {
	f := drift.Finding{EventID: "a1f0c6de-0b4e-4a59-9d31-7c9a4f2e1b01", Region: "us-west-2", Kind: drift.KindAwsAuth, Cluster: "staging"}
	if got := CloudTrailURL(f); got != "" {
		t.Errorf("got %q, want no CloudTrail link: an aws-auth write's ID is a Kubernetes audit ID", got)
	}
	f.Kind = drift.KindAccessEntry
	if got := CloudTrailURL(f); got == "" {
		t.Errorf("got no link, want CloudTrail's for a CloudTrail event")
	}
}
