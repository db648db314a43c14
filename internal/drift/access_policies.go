package drift

import (
	"strings"
)

// What each AWS access policy grants, and the severity eksdrift gives its
// association. An access policy is the EKS way into a cluster that leaves no
// Kubernetes object behind, so its weight comes from its Kubernetes rules,
// never from its name.
//
// How a row is rated (its rules at cluster scope):
//   - critical: `*` verbs on `*` resources, or the verbs escalate, bind or
//     impersonate, or any write on RBAC objects (roles, rolebindings,
//     clusterroles, clusterrolebindings), or writes that take over every pod
//     (mutating webhook configurations): each lets the holder give itself
//     anything else.
//   - high: read access to Secrets across the cluster (a Secret holds
//     service-account tokens and credentials), or writes that can take down or
//     re-home any workload or its data (nodes, pods, persistent volumes).
//   - medium: writes on ordinary workload objects, or the creation of CRDs.
//   - low: read-only access without Secrets, or writes limited to named
//     leases and events.
//
// Scope: with a namespace scope, EKS authorizes only requests inside those
// namespaces; every cluster-scoped resource (nodes, persistent volumes, CRDs,
// cluster roles, webhook configurations) and every other namespace stays out
// of reach. So each row also says what its rules are worth in a namespace
// (Namespaced): one step lower where the dangerous rules are namespaced
// (Secrets, impersonating a namespace's service accounts, its Roles), and down
// to low where they are all cluster-scoped. A namespace scope that reaches
// kube-system (by name, or by a pattern such as "kube-*" or "*") is judged as
// the cluster: that namespace's service accounts and Secrets are the
// controllers'. So is a scope type EKS does not define, or a namespace scope
// that names no namespace: only what is known to narrow lowers a rating. A row whose rules are not
// published keeps high in both scopes: nothing is known that would lower it.
//
// An ARN not in the table is rated high with the reason "unknown access
// policy", never silently medium: AWS adds policies (about thirty now), and a
// new one is as likely to grant much as little. The table is checked by
// TestAccessPolicyTable (every row has a rating, rules and a source; every
// policy named in events/ has a row).

// accessPolicySource is the page that lists each access policy's Kubernetes
// rules; its source is latest/ug/manage-access/k8s-access/access-policy-reference.adoc
// in github.com/awsdocs/amazon-eks-user-guide (read at commit 145543a96a20).
const accessPolicySource = "https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html"

// accessPolicyListed is the source of the policies that page does not
// describe: their names come from `aws eks list-access-policies`, their rules
// are not published there.
const accessPolicyListed = "aws eks list-access-policies (name only: the user guide's page publishes no rules for it)"

// AccessPolicyRating is what eksdrift knows of one AWS access policy.
type AccessPolicyRating struct {
	Name string
	// Grants is the short wording of what it gives, used in severity reasons.
	Grants string
	// Rules summarises its Kubernetes rules, as the source lists them.
	Rules string
	// Cluster and Namespaced are the severities at cluster scope and at
	// namespace scope.
	Cluster, Namespaced Severity
	// Why gives the reason for the rating.
	Why string
	// Source says where the rules were read.
	Source string
}

// ARN is the policy's ARN in the aws partition.
func (p AccessPolicyRating) ARN() string { return accessPolicyPrefix + p.Name }

const accessPolicyPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// unpublished is the row of a policy whose rules are not published.
func unpublished(name, grants string) AccessPolicyRating {
	return AccessPolicyRating{Name: name, Grants: grants, Rules: "not published", Cluster: SeverityHigh, Namespaced: SeverityHigh,
		Why: "its rules are not published: rated as an unknown access policy", Source: accessPolicyListed}
}

// accessPolicies is the table, in the order `aws eks list-access-policies`
// lists them.
var accessPolicies = []AccessPolicyRating{
	unpublished("AIDevOpsAgentAccessPolicy", "AWS DevOps Agent access"),
	unpublished("AmazonAIOpsAssistantPolicy", "AIOps assistant access"),
	unpublished("AmazonARCRegionSwitchScalingPolicy", "ARC Region switch scaling"),
	unpublished("AmazonEKSACKPolicy", "ACK capability access"),
	{Name: "AmazonEKSAdminPolicy", Grants: "admin",
		Rules:   "create/update/delete on workloads, Secrets, ConfigMaps, pods/exec; create/update/delete on rbac roles and rolebindings; impersonate serviceaccounts; get/list/watch on Secrets",
		Cluster: SeverityCritical, Namespaced: SeverityHigh,
		Why:    "writes Roles and RoleBindings and impersonates service accounts: it can grant itself more",
		Source: accessPolicySource + "#access-policy-permissions-amazoneksadminpolicy"},
	{Name: "AmazonEKSAdminViewPolicy", Grants: "admin view, Secrets included",
		Rules:   "get/list/watch on * in every API group, Secrets included",
		Cluster: SeverityHigh, Namespaced: SeverityMedium,
		Why:    "reads every Secret it can reach",
		Source: accessPolicySource + "#access-policy-permissions-amazoneksadminviewpolicy"},
	unpublished("AmazonEKSArgoCDClusterPolicy", "Argo CD capability, cluster part"),
	unpublished("AmazonEKSArgoCDPolicy", "Argo CD capability"),
	{Name: "AmazonEKSAutoNodePolicy", Grants: "Auto Mode node access",
		Rules:   "per node component (kube-proxy, ipamd, coredns, ebs-csi-driver, neuron, node-monitoring-agent): read endpoints, services, nodes and pods, manage events and storage objects, each through its own service account",
		Cluster: SeverityMedium, Namespaced: SeverityLow,
		Why:    "a node's rights across the cluster: reads pods, nodes and services and writes events and storage objects",
		Source: accessPolicySource + " (section AmazonEKSAutoNodePolicy)"},
	{Name: "AmazonEKSBlockStorageClusterPolicy", Grants: "Auto Mode block storage",
		Rules:   "create/update/delete CSI drivers, persistent volumes, volume attachments and snapshots; update persistent volume claims; read nodes, pods, storage classes",
		Cluster: SeverityHigh, Namespaced: SeverityLow,
		Why:    "creates, deletes and re-attaches persistent volumes: any workload's data",
		Source: accessPolicySource + " (section AmazonEKSBlockStorageClusterPolicy)"},
	{Name: "AmazonEKSBlockStoragePolicy", Grants: "Auto Mode block storage leases",
		Rules:   "create/update named coordination.k8s.io leases for leader election",
		Cluster: SeverityLow, Namespaced: SeverityLow,
		Why:    "writes only its own leader-election leases",
		Source: accessPolicySource + " (section AmazonEKSBlockStoragePolicy)"},
	{Name: "AmazonEKSClusterAdminPolicy", Grants: "cluster-admin",
		Rules:   "* verbs on * resources in * API groups, and * on nonResourceURLs",
		Cluster: SeverityCritical, Namespaced: SeverityHigh,
		Why:    "* verbs on * resources",
		Source: accessPolicySource + "#access-policy-permissions-amazoneksclusteradminpolicy"},
	{Name: "AmazonEKSClusterInsightsPolicy", Grants: "Cluster Insights read access",
		Rules:   "list/get nodes and their status; read the kube-proxy DaemonSet",
		Cluster: SeverityLow, Namespaced: SeverityLow,
		Why:    "read-only, no Secrets",
		Source: accessPolicySource + "#access-policy-permissions-AmazonEKSClusterInsightsPolicy"},
	{Name: "AmazonEKSComputeClusterPolicy", Grants: "Auto Mode compute",
		Rules:   "manage NodePools, NodeClaims, NodeClasses; create CRDs; update/patch/delete nodes; create pod evictions, delete pods; read pods, nodes, volumes, workloads",
		Cluster: SeverityHigh, Namespaced: SeverityMedium,
		Why:    "deletes nodes and pods and creates CRDs across the cluster",
		Source: accessPolicySource + " (section AmazonEKSComputeClusterPolicy)"},
	{Name: "AmazonEKSComputePolicy", Grants: "Auto Mode compute leases",
		Rules:   "create/update named coordination.k8s.io leases; get/watch all leases",
		Cluster: SeverityLow, Namespaced: SeverityLow,
		Why:    "writes only its own leader-election leases",
		Source: accessPolicySource + " (section AmazonEKSComputePolicy)"},
	{Name: "AmazonEKSEditPolicy", Grants: "edit",
		Rules:   "create/update/delete on workloads, Secrets, ConfigMaps, pods/exec; get/list/watch on Secrets; impersonate serviceaccounts",
		Cluster: SeverityCritical, Namespaced: SeverityHigh,
		Why:    "impersonates service accounts (kube-system's among them at cluster scope) and reads and writes Secrets",
		Source: accessPolicySource + "#access-policy-permissions-amazonekseditpolicy"},
	unpublished("AmazonEKSEventPolicy", "EKS events access"),
	{Name: "AmazonEKSHybridPolicy", Grants: "hybrid nodes access",
		Rules:   "list nodes",
		Cluster: SeverityLow, Namespaced: SeverityLow,
		Why:    "lists nodes only",
		Source: accessPolicySource + "#access-policy-permissions-amazonekshybridpolicy"},
	unpublished("AmazonEKSKROPolicy", "kro capability access"),
	{Name: "AmazonEKSLoadBalancingClusterPolicy", Grants: "Auto Mode load balancing",
		Rules:   "manage services, ingresses, target group bindings and their status; create CRDs; create and read mutating and validating webhook configurations; update pod status; create/patch events",
		Cluster: SeverityCritical, Namespaced: SeverityMedium,
		Why:    "creates mutating webhook configurations: it can rewrite every pod the cluster admits",
		Source: accessPolicySource + " (section AmazonEKSLoadBalancingClusterPolicy)"},
	{Name: "AmazonEKSLoadBalancingPolicy", Grants: "Auto Mode load balancing leases",
		Rules:   "create/update named coordination.k8s.io leases for leader election",
		Cluster: SeverityLow, Namespaced: SeverityLow,
		Why:    "writes only its own leader-election leases",
		Source: accessPolicySource + " (section AmazonEKSLoadBalancingPolicy)"},
	{Name: "AmazonEKSNetworkingClusterPolicy", Grants: "Auto Mode networking",
		Rules:   "manage CNINodes; create and read CRDs, update the cninodes CRD; read NodeClasses, NodeClaims and pods; create/patch events",
		Cluster: SeverityMedium, Namespaced: SeverityLow,
		Why:    "creates CRDs and writes node networking objects",
		Source: accessPolicySource + " (section AmazonEKSNetworkingClusterPolicy)"},
	{Name: "AmazonEKSNetworkingPolicy", Grants: "Auto Mode networking leases",
		Rules:   "create/update named coordination.k8s.io leases for leader election",
		Cluster: SeverityLow, Namespaced: SeverityLow,
		Why:    "writes only its own leader-election leases",
		Source: accessPolicySource + " (section AmazonEKSNetworkingPolicy)"},
	unpublished("AmazonEKSPodIdentityPolicy", "pod identity access"),
	unpublished("AmazonEKSSecretAdminPolicy", "Secrets admin"),
	{Name: "AmazonEKSSecretReaderPolicy", Grants: "Secrets read",
		Rules:   "get/list/watch on Secrets",
		Cluster: SeverityHigh, Namespaced: SeverityMedium,
		Why:    "reads every Secret it can reach",
		Source: accessPolicySource + " (section AmazonEKSSecretReaderPolicy)"},
	{Name: "AmazonEKSViewPolicy", Grants: "read-only view",
		Rules:   "get/list/watch on workloads, ConfigMaps, services, events, namespaces; no Secrets",
		Cluster: SeverityLow, Namespaced: SeverityLow,
		Why:    "read-only, no Secrets",
		Source: accessPolicySource + "#access-policy-permissions-amazoneksviewpolicy.json"},
	unpublished("AmazonEMRJobPolicy", "EMR on EKS jobs"),
	unpublished("AmazonSagemakerHyperpodClusterPolicy", "SageMaker HyperPod cluster"),
	unpublished("AmazonSagemakerHyperpodControllerPolicy", "SageMaker HyperPod controller"),
	unpublished("AmazonSagemakerHyperpodSpacePolicy", "SageMaker HyperPod spaces"),
	unpublished("AmazonSagemakerHyperpodSpaceTemplatePolicy", "SageMaker HyperPod space templates"),
	unpublished("AmazonSagemakerHyperpodSystemNamespacePolicy", "SageMaker HyperPod system namespace"),
	unpublished("AmazonSagemakerHyperpodUserClusterPolicy", "SageMaker HyperPod user cluster"),
}

// accessPolicyByName indexes the table.
var accessPolicyByName = func() map[string]*AccessPolicyRating {
	m := make(map[string]*AccessPolicyRating, len(accessPolicies))
	for i := range accessPolicies {
		m[accessPolicies[i].Name] = &accessPolicies[i]
	}
	return m
}()

// AccessPolicies returns the table (a copy), for documentation and tests.
func AccessPolicies() []AccessPolicyRating {
	return append([]AccessPolicyRating(nil), accessPolicies...)
}

// awsPartitions are the partitions whose access policy ARNs the table rates.
var awsPartitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// lookupAccessPolicy finds the row of an access policy ARN. The ARN must be
// exactly an AWS access policy's (any partition, the name as AWS spells it):
// a lookalike, another case or a path is not one, and is left to the unknown
// rating, which never lowers a severity.
func lookupAccessPolicy(arn string) (*AccessPolicyRating, bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return nil, false
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || !contains(awsPartitions, partition) {
		return nil, false
	}
	name, ok := strings.CutPrefix(rest, "eks::aws:cluster-access-policy/")
	if !ok {
		return nil, false
	}
	p, ok := accessPolicyByName[name]
	return p, ok
}

// reachesKubeSystem reports whether namespaces name kube-system, as itself
// or through a pattern EKS accepts (a name ending in *).
func reachesKubeSystem(namespaces []string) bool {
	const ks = "kube-system"
	for _, n := range namespaces {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == ks {
			return true
		}
		if prefix, ok := strings.CutSuffix(n, "*"); ok && strings.HasPrefix(ks, prefix) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// policySeverity rates what an access policy grants in a scope.
func policySeverity(policyARN string, scope AccessScope) (Severity, string) {
	// Only a namespace scope that names namespaces lowers a rating: any other
	// type (cluster, or one EKS does not define) is judged as the cluster.
	clusterWide := !strings.EqualFold(scope.Type, ScopeNamespace) || len(scope.Namespaces) == 0
	where := "in namespaces " + strings.Join(scope.Namespaces, ", ")
	if clusterWide {
		where = "on the whole cluster"
	} else if reachesKubeSystem(scope.Namespaces) {
		// kube-system's service accounts and Secrets belong to the
		// controllers that run the cluster: namespaced rules there reach
		// cluster-wide rights.
		clusterWide = true
		where += " (kube-system among them, judged as the whole cluster)"
	}
	p, ok := lookupAccessPolicy(policyARN)
	if !ok {
		name := policyARN[strings.LastIndexByte(policyARN, '/')+1:]
		return SeverityHigh, "unknown access policy " + name + " " + where + ": eksdrift does not know what it grants"
	}
	sev := p.Namespaced
	if clusterWide {
		sev = p.Cluster
	}
	return sev, "grants " + p.Grants + " (" + p.Name + ") " + where + ": " + p.Why
}
