// Package orgtest is the organization deployment's end-to-end test: one
// MiniStack with IAM enforced holds a security (home) account and member
// accounts, kept apart by their 12-digit access keys; the member roles are
// made as the spoke stack makes them (eksdrift-read and eksdrift-revert,
// trusting the home account's function roles with an external ID), and the
// real detect, revert and reconcile bootstraps run under the Lambda runtime
// emulator with the home function roles' credentials (reconcile_test.go:
// the sweep and the catch-up fanned out, LookupEvents a stand-in per
// account). It holds only tests.
package orgtest
