// Package e2e tests eksdrift as it is deployed: the stacks `cdk synth`
// writes, deployed by the CDK CLI on MiniStack over HTTPS with IAM enforced,
// driven through EventBridge with the samples of events/, and checked in the
// history, on the topics, in what Slack received and in the live state.
//
// Run it with `make e2e`; without EKSDRIFT_E2E=1 (which make e2e sets) its
// tests skip, because a deployment costs minutes and needs the CDK CLI.
//
// What the emulator lacks has a stand-in, each said where it is used:
// launcher.py (checked in next to this file) registers a provisioner for
// AWS::CloudTrail::Trail and lets PutEvents carry the aws.* sources the
// stack's rules match (standing in for CloudTrail's delivery to
// EventBridge); the arm64 bootstraps are swapped for host-architecture
// builds of the same functions in a copy of the cloud assembly, so the
// synthesized templates are deployed unchanged. EventBridge retry policies,
// target dead-letter queues and cross-region bus targets are not modelled
// by MiniStack: those are checked on the templates (infra's tests).
package e2e
