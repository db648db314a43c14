package detect

import (
	"context"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// Deliver records a finding once and publishes it once, the way Handle
// does for the findings of an event. The reconcile sweep delivers the
// findings it makes from the live state through it, so that a sweep run
// again (a retried invocation) neither records nor announces anything twice.
func (d *Detector) Deliver(ctx context.Context, f drift.Finding) error {
	return d.deliver(ctx, f)
}
