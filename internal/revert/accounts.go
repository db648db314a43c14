package revert

import (
	"context"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Clients are what the reverter reads and calls in one account: in an
// organization deployment, built from the credentials of the member's
// revert role.
type Clients struct {
	EKS, IAM             drift.StateReader
	EKSWriter, IAMWriter Applier
	Admins               Admins
}

func (c Clients) reader(k drift.Kind) drift.StateReader {
	if isEKS(k) {
		return c.EKS
	}
	return c.IAM
}

// clientsIn gives the clients of account: the reverter's own when it has
// no Accounts (one account), else those Accounts gives, or a
// *drift.AccountError when the account is refused or its revert role
// cannot be assumed.
func (r *Reverter) clientsIn(ctx context.Context, account string) (Clients, error) {
	if r.Accounts == nil {
		return Clients{EKS: r.EKS, IAM: r.IAM, EKSWriter: r.EKSWriter, IAMWriter: r.IAMWriter, Admins: r.Admins}, nil
	}
	return r.Accounts(ctx, account)
}

// baselineOf is the baseline a finding in account is re-judged against.
func (r *Reverter) baselineOf(ctx context.Context, account string) (*drift.Index, error) {
	if r.BaselineFor != nil {
		return r.BaselineFor(ctx, account)
	}
	return r.Baseline(ctx)
}
