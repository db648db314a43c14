// Package drift is eksdrift's domain: the access changes that CloudTrail
// reports, the baseline that says who may reach each EKS cluster, and the
// findings that come from judging one against the other.
//
// It imports nothing from AWS. Adapters (the CloudTrail parser, the baseline
// loader, the history stores, the AWS clients) translate at the edge into the
// types declared here, so the rules can be tested and benchmarked on plain data.
package drift
