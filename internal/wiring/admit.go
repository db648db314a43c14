package wiring

import "context"

// Admit says whether account is the home account or an admitted member
// (listed, or verified as one of the organization's), without assuming
// any role: nil, or a *drift.AccountError with Refused. The detector asks
// it before counting a tamper call on a member's spoke, which names an
// account that may be forged.
func (a *Accounts) Admit(ctx context.Context, account string) error {
	if account == a.Home {
		return nil
	}
	return a.admit(ctx, account)
}
