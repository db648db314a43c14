package organizations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/aws/smithy-go"
)

// Named is one account's name as DescribeAccount gives it, or why it has
// none. The name is the organization's text, untrusted: whoever may rename
// an account chooses it, so the caller cleans it before showing it.
type Named struct {
	ID   string
	Name string
	// Reason says, on one line, why the account could not be named; it is
	// "" when Name is the answer (which may itself be "").
	Reason string
}

// DefaultNameWorkers is how many DescribeAccount calls a Namer makes at a
// time: Organizations' request quota is small and shared with everything
// else the account runs, and a report names at most a few hundred accounts.
const DefaultNameWorkers = 4

// MaxNamed bounds the accounts one Namer looks up: a history can hold
// findings of accounts an attacker made up, and naming is no reason to make
// thousands of calls. The accounts past it are shown by ID alone.
const MaxNamed = 1000

// Namer names accounts through DescribeAccount for one run of a command:
// each account is asked about once (its name and its failure alike are
// kept), at most Workers calls at a time, at most MaxNamed accounts. It is
// safe for concurrent use.
type Namer struct {
	Client *Client
	// Workers bounds the calls under way; DefaultNameWorkers when 0.
	Workers int

	mu    sync.Mutex
	sem   chan struct{}
	done  map[string]*lookup
	calls int
	// notInUse is set once Organizations said the caller's account is in
	// no organization: every other answer would say the same.
	notInUse string
}

type lookup struct {
	once  sync.Once
	named Named
}

// Calls counts the DescribeAccount calls made.
func (n *Namer) Calls() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.calls
}

// Names gives each of ids its name or the reason it has none, in the order
// of ids (duplicates answered from the first).
func (n *Namer) Names(ctx context.Context, ids []string) []Named {
	out := make([]Named, len(ids))
	sem := n.slots()
	var wg sync.WaitGroup
	for i, id := range ids {
		l, ok := n.entry(id)
		if !ok {
			out[i] = Named{ID: id, Reason: fmt.Sprintf("not looked up: more than %d accounts to name in one run", MaxNamed)}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.once.Do(func() {
				select {
				case sem <- struct{}{}:
					defer func() { <-sem }()
					l.named = n.describe(ctx, id)
				case <-ctx.Done():
					l.named = Named{ID: id, Reason: "not looked up: " + ctx.Err().Error()}
				}
			})
			out[i] = l.named
		}()
	}
	wg.Wait()
	return out
}

// slots is the Namer's bound on calls under way, shared by every caller.
func (n *Namer) slots() chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sem == nil {
		workers := n.Workers
		if workers <= 0 {
			workers = DefaultNameWorkers
		}
		n.sem = make(chan struct{}, workers)
	}
	return n.sem
}

// entry is id's lookup, new or done; ok is false past MaxNamed.
func (n *Namer) entry(id string) (*lookup, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if l, ok := n.done[id]; ok {
		return l, true
	}
	if len(n.done) >= MaxNamed {
		return nil, false
	}
	if n.done == nil {
		n.done = map[string]*lookup{}
	}
	l := &lookup{}
	n.done[id] = l
	return l, true
}

func (n *Namer) describe(ctx context.Context, id string) Named {
	n.mu.Lock()
	if r := n.notInUse; r != "" {
		n.mu.Unlock()
		return Named{ID: id, Reason: r}
	}
	n.calls++
	n.mu.Unlock()
	acc, found, err := n.Client.DescribeAccount(ctx, id)
	switch {
	case err != nil:
		reason := failure(err)
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "AWSOrganizationsNotInUseException" {
			n.mu.Lock()
			n.notInUse = reason
			n.mu.Unlock()
		}
		return Named{ID: id, Reason: reason}
	case !found:
		return Named{ID: id, Reason: "not an account of the caller's organization (AccountNotFoundException)"}
	case acc.ID != id:
		// A name given for another account must not be shown beside this one.
		return Named{ID: id, Reason: fmt.Sprintf("Organizations answered for account %q", oneLine(acc.ID))}
	}
	return Named{ID: id, Name: acc.Name}
}

// failure says on one line why DescribeAccount failed: what the error code
// means for a person, then the code, never the service's free text.
func failure(err error) string {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return oneLine(err.Error())
	}
	code := api.ErrorCode()
	switch code {
	case "AccessDeniedException":
		return "access denied (AccessDeniedException): naming accounts needs organizations:DescribeAccount, from the management or a delegated administrator account"
	case "AWSOrganizationsNotInUseException":
		return "the caller's account is not in an organization (AWSOrganizationsNotInUseException)"
	case "AccountNotFoundException":
		return "not an account of the caller's organization (AccountNotFoundException)"
	case "TooManyRequestsException":
		return "throttled by Organizations (TooManyRequestsException)"
	}
	return "DescribeAccount failed (" + oneLine(code) + ")"
}

// oneLine keeps an error's text to one short line of printable characters.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}
