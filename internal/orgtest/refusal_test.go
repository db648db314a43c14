package orgtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// TestRefusedRoleCostsOneAssumeRole: a member whose read role is not
// deployed yet is refused by STS (AccessDenied, IAM enforced). A burst of
// 64 concurrent events, and the ones after it within wiring.RefusalTTL,
// cost one AssumeRole, and each still says why; once the role exists and
// the refusal has expired (an injected clock), the role is assumed.
func TestRefusedRoleCostsOneAssumeRole(t *testing.T) {
	const late = "600000000006" // its spoke is deployed during the test
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	a := wiring.NewAccounts(account(t, home), home, config.Org{ReadRole: config.DefaultMemberReadRole, ExternalID: externalID, Members: []string{late}}, "detect")
	a.Now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	ctx := context.Background()
	refused := func(err error) {
		t.Helper()
		var ae *drift.AccountError
		if !errors.As(err, &ae) || ae.Refused || !strings.Contains(err.Error(), "cannot assume eksdrift-read in account "+late) || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("got %v, want cannot assume, with STS's AccessDenied", err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.Config(ctx, late, config.DefaultMemberReadRole)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		refused(err)
	}
	if n := a.Assumes(); n != 1 {
		t.Fatalf("assumes after 64 concurrent calls: got %d, want 1", n)
	}

	role(t, account(t, late), config.DefaultMemberReadRole, trustOf("arn:aws:iam::"+home+":root"), policy("eks:ListClusters"))
	clock.Lock()
	now = now.Add(wiring.RefusalTTL - time.Second)
	clock.Unlock()
	_, err := a.Config(ctx, late, config.DefaultMemberReadRole)
	refused(err)
	if n := a.Assumes(); n != 1 {
		t.Errorf("assumes within the refusal's time: got %d, want 1", n)
	}

	clock.Lock()
	now = now.Add(2 * time.Second)
	clock.Unlock()
	if _, err := a.Config(ctx, late, config.DefaultMemberReadRole); err != nil {
		t.Fatalf("after the refusal expired, with the role deployed: got %v, want assumed", err)
	}
	if n := a.Assumes(); n != 2 {
		t.Errorf("assumes: got %d, want 2", n)
	}
}
