// Package orgtest is the organization deployment's end-to-end test: one
// MiniStack with IAM enforced holds a security (home) account and member
// accounts, kept apart by their 12-digit access keys; the member roles are
// made as the spoke stack makes them (eksdrift-read and eksdrift-revert,
// trusting the home account's function roles with an external ID), and the
// real detect and revert bootstraps run under the Lambda runtime emulator
// with the home function roles' credentials. It holds only tests.
package orgtest
