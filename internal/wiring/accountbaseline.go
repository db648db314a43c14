package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/s3"
)

// AccountKey is where an account's own baseline file lives: in a folder
// baselines/ beside the shared baseline object (key), named after the
// account: baseline.yaml and baselines/111122223333.yaml.
func AccountKey(key, account string) string {
	return path.Join(path.Dir(key), "baselines", account+".yaml")
}

// AccountBaselines gives each account the baseline its changes are judged
// against: the shared object (breakGlass, the default mode, and whatever
// it declares itself) merged with the account's own file at AccountKey
// (drift.MergeAccount's rules). A missing account file leaves the shared
// baseline alone in force for that account (its clusters are out of scope
// unless the shared file declares them); an account file that cannot be
// read or is invalid makes the account's baseline unusable, as an
// unusable shared baseline does: changes are recorded unjudged and nothing
// is reverted there. Only accounts that managed says yes to (a 12-digit ID
// first: Accounts.Manages, the home account, a listed member, or one
// Organizations says is the organization's) have a file read; the others
// get the shared baseline alone, so that an event naming any account cannot
// make eksdrift read keys of its choosing. When managed cannot answer, the
// account's baseline is unusable: an account file might have declared
// users or providers the shared baseline alone would call drift.
type AccountBaselines struct {
	shared  func(context.Context) (*drift.Index, error)
	managed func(ctx context.Context, account string) (bool, error)
	newSrc  func(key string) *s3.BaselineSource
	newPrev func(key string) *s3.Previous
	key     string
	set     *metrics.Set
	log     *slog.Logger

	mu      sync.Mutex
	sources map[string]*s3.BaselineSource
	merged  map[string]mergedIndex
	// byIndex finds the parts of a merged index, for Versions.
	byIndex map[*drift.Index]mergedIndex
	prevs   map[string]*s3.Previous // by key
}

type mergedIndex struct {
	account            string
	shared, member, ix *drift.Index
}

// NewAccountBaselines reads the account files of s3://bucket/key's folder
// with the functions' cache settings; shared is the function's shared
// baseline (Baseline's result), managed the accounts that may have a file
// (Accounts.Manages in the functions).
func NewAccountBaselines(cfg aws.Config, bucket, key string, revalidate, maxStale time.Duration,
	shared func(context.Context) (*drift.Index, error), managed func(context.Context, string) (bool, error), set *metrics.Set, log *slog.Logger) *AccountBaselines {
	client := awss3.NewFromConfig(cfg)
	return &AccountBaselines{
		shared: shared, managed: managed, key: key, set: set, log: log,
		newSrc: func(k string) *s3.BaselineSource {
			src := s3.NewBaselineSource(baseline.Index, client, bucket, k, revalidate, nil)
			src.MaxStale = maxStale
			return src
		},
		newPrev: func(k string) *s3.Previous { return s3.NewPrevious(client, lenient, bucket, k) },
		sources: map[string]*s3.BaselineSource{}, merged: map[string]mergedIndex{},
		byIndex: map[*drift.Index]mergedIndex{}, prevs: map[string]*s3.Previous{},
	}
}

// For gives account's baseline. The merge is made once per pair of
// versions, so the detector's evaluator cache keeps working.
func (b *AccountBaselines) For(ctx context.Context, account string) (*drift.Index, error) {
	shared, err := b.shared(ctx)
	if err != nil || !isAccountID(account) {
		return shared, err
	}
	switch ok, err := b.managed(ctx, account); {
	case err != nil:
		return nil, fmt.Errorf("account %s's baseline: cannot tell whether its file %s may be read: %w", account, AccountKey(b.key, account), err)
	case !ok:
		return shared, nil
	}
	b.mu.Lock()
	src, ok := b.sources[account]
	if !ok {
		src = b.newSrc(AccountKey(b.key, account))
		b.sources[account] = src
	}
	b.mu.Unlock()
	member, err := Baseline(src, b.set, b.log)(ctx)
	switch {
	case errors.Is(err, s3.ErrNotFound):
		return shared, nil
	case err != nil:
		return nil, fmt.Errorf("account %s's baseline: %w", account, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if m, ok := b.merged[account]; ok && m.shared == shared && m.member == member {
		return m.ix, nil
	}
	ix, err := drift.MergeAccount(shared.Baseline, member.Baseline, account)
	if err != nil {
		return nil, fmt.Errorf("account %s's baseline %s: %w", account, src.URI(), err)
	}
	if old, ok := b.merged[account]; ok {
		delete(b.byIndex, old.ix)
	}
	m := mergedIndex{account: account, shared: shared, member: member, ix: ix}
	b.merged[account], b.byIndex[ix] = m, m
	return ix, nil
}

// Manages reports whether account's own baseline file may be read: it is
// the home account, a listed member, or (with an organization set) one
// Organizations says is the organization's: Admit's answer as a yes or
// no. A refusal is false with no error; an error
// says the question could not be answered (Organizations unavailable), and
// is not a refusal.
func (a *Accounts) Manages(ctx context.Context, account string) (bool, error) {
	err := a.Admit(ctx, account)
	var ae *drift.AccountError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ae) && ae.Refused:
		return false, nil
	}
	return false, err
}

func (b *AccountBaselines) previous(key string) *s3.Previous {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.prevs[key]
	if !ok {
		p = b.newPrev(key)
		b.prevs[key] = p
	}
	return p
}

// Versions is the reverter's revert.Versions for merged baselines, so
// that the hold-down holds for an account file as for the shared one:
// since is when the younger of the two files came into force, and the
// previous baseline replaces each file younger than holdDown with its
// previous version (a file with none, with nothing), so that a grant
// written into either file within the hold-down is never restored early,
// whichever file changed last. A baseline that is the shared one alone is
// the shared object's versions.
func (b *AccountBaselines) Versions(holdDown time.Duration) func(ctx context.Context, current *drift.Index) (time.Time, *drift.Index, error) {
	return func(ctx context.Context, current *drift.Index) (time.Time, *drift.Index, error) {
		b.mu.Lock()
		m, ok := b.byIndex[current]
		b.mu.Unlock()
		sharedPrev := b.previous(b.key)
		if !ok {
			return sharedPrev.Of(ctx, current)
		}
		sSince, sPrev, err := sharedPrev.Of(ctx, m.shared)
		if err != nil {
			return time.Time{}, nil, err
		}
		mSince, mPrev, err := b.previous(AccountKey(b.key, m.account)).Of(ctx, m.member)
		if err != nil {
			return time.Time{}, nil, err
		}
		now := time.Now()
		shared, member := m.shared, m.member
		if now.Sub(sSince) < holdDown {
			shared = sPrev
		}
		if now.Sub(mSince) < holdDown {
			member = mPrev
		}
		since := sSince
		if mSince.After(since) {
			since = mSince
		}
		if shared == nil {
			return since, nil, nil // no earlier shared version: it granted nothing
		}
		var mb *drift.Baseline
		if member != nil {
			mb = member.Baseline
		}
		prev, err := drift.MergeAccount(shared.Baseline, mb, m.account)
		if err != nil {
			return since, nil, nil // an unusable earlier baseline granted nothing
		}
		return since, prev, nil
	}
}
