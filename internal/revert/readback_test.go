package revert

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// lagging answers the first reads after a write with the state from before
// it, as IAM's eventually consistent reads can: a stand-in for a delay
// MiniStack does not have (its reads are always consistent).
type lagging struct {
	drift.StateReader
	stale  *drift.Observation
	lag    int // reads to answer stale after the first
	reads  int
	staled int
}

func (l *lagging) Observe(ctx context.Context, c drift.Change) (drift.Observation, error) {
	l.reads++
	if l.reads == 1 {
		obs, err := l.StateReader.Observe(ctx, c)
		l.stale = &obs
		return obs, err
	}
	if l.staled < l.lag {
		l.staled++
		return *l.stale, nil
	}
	return l.StateReader.Observe(ctx, c)
}

func TestReadBackWaitsForEventualConsistency(t *testing.T) {
	e := newEnv(t, options{})
	e.createEntry(intruder, nil)
	e.rev.EKS = &lagging{StateReader: e.rev.EKS, lag: 2}
	if o := e.handle(e.finding(person, drift.OpAdded, intruderEntry())); o.Result != drift.ResultReverted {
		t.Errorf("two stale reads after the write: got %+v, want reverted once the read shows it", o)
	}
	e.createEntry(intruder, nil)
	e.rev.EKS = &lagging{StateReader: e.rev.EKS.(*lagging).StateReader, lag: 100}
	f := e.finding(person, drift.OpAdded, intruderEntry())
	e.record(f)
	// The message comes back: the write may yet show.
	if err := e.rev.Handle(context.Background(), f); !errors.Is(err, ErrRetry) {
		t.Errorf("got %v, want ErrRetry", err)
	}
	o := e.out.outcomes[len(e.out.outcomes)-1].Result
	if o.Result != drift.ResultRevertFailed || !strings.Contains(o.Error, "still departs") {
		t.Errorf("the write never shows: got %+v, want revert-failed after the read-back tries", o)
	}
}
