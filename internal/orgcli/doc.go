// Package orgcli is the test of `eksdrift baseline capture` and `eksdrift
// plan` across accounts: one MiniStack with IAM enforced holds a security
// account that manages an organization, two member accounts with a read
// role trusting it with an external ID, and one member whose role was never
// made; the command runs as it does on a workstation, with the security
// account's credentials. It holds only tests.
package orgcli
