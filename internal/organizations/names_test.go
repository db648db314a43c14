package organizations

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
)

// TestNamerOnMiniStack names accounts of a real (emulated) organization,
// among them one whose name an attacker chose, and one that is not the
// organization's.
func TestNamerOnMiniStack(t *testing.T) {
	cfg, _, accounts := world(t)
	api := organizations.NewFromConfig(cfg)
	hostile := "evil\n\u202eFAKE <b>x</b>" + strings.Repeat("y", 200)
	ca, err := api.CreateAccount(t.Context(), &organizations.CreateAccountInput{AccountName: aws.String(hostile), Email: aws.String("evil@example.com")})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	evil := aws.ToString(ca.CreateAccountStatus.AccountId)
	const stranger = "999988887777"
	n := &Namer{Client: New(cfg)}
	got := n.Names(t.Context(), []string{accounts[0], evil, stranger, accounts[0]})
	if len(got) != 4 {
		t.Fatalf("answers: got %d, want 4", len(got))
	}
	if g := got[0]; g.ID != accounts[0] || !strings.HasPrefix(g.Name, "team-a-") || g.Reason != "" {
		t.Errorf("member: got %+v, want its name", g)
	}
	// The adapter gives the organization's text as it is: cleaning it is
	// the caller's (drift.CleanAlias), so that every name goes through one
	// rule.
	if g := got[1]; g.Name != hostile || g.Reason != "" {
		t.Errorf("hostile name: got %+v, want it as given", g)
	}
	if g := got[2]; g.Name != "" || !strings.Contains(g.Reason, "AccountNotFoundException") {
		t.Errorf("stranger: got %+v, want no name and the reason", g)
	}
	if got[3] != got[0] {
		t.Errorf("duplicate: got %+v, want %+v", got[3], got[0])
	}
	if c := n.Calls(); c != 3 {
		t.Errorf("calls: got %d, want 3 (one per account)", c)
	}
	n.Names(t.Context(), []string{evil, stranger})
	if c := n.Calls(); c != 3 {
		t.Errorf("calls after asking again: got %d, want 3 (answers and failures kept)", c)
	}
}

// namerAPI stands in for Organizations where MiniStack cannot: it answers
// AccessDenied only with IAM enforced, is always in an organization, and
// never answers for another account. It counts calls under way.
type namerAPI struct {
	fakeAPI
	answer  func(id string) (*organizations.DescribeAccountOutput, error)
	running atomic.Int32
	most    atomic.Int32
	calls   atomic.Int32
}

func (f *namerAPI) DescribeAccount(_ context.Context, in *organizations.DescribeAccountInput, _ ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	f.calls.Add(1)
	now := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		most := f.most.Load()
		if now <= most || f.most.CompareAndSwap(most, now) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond)
	return f.answer(aws.ToString(in.AccountId))
}

func named(id, name string) (*organizations.DescribeAccountOutput, error) {
	return &organizations.DescribeAccountOutput{Account: &types.Account{Id: aws.String(id), Name: aws.String(name), Status: types.AccountStatusActive}}, nil
}

func TestNamerReasons(t *testing.T) {
	const id = "222222222222"
	for _, tt := range []struct {
		name   string
		answer func(string) (*organizations.DescribeAccountOutput, error)
		want   string
	}{
		{"AccessDenied", func(string) (*organizations.DescribeAccountOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized\nFAKE: fine"}
		}, "access denied (AccessDeniedException)"},
		{"NotInAnOrganization", func(string) (*organizations.DescribeAccountOutput, error) {
			return nil, &types.AWSOrganizationsNotInUseException{Message: aws.String("no")}
		}, "not in an organization (AWSOrganizationsNotInUseException)"},
		{"NotAMember", func(string) (*organizations.DescribeAccountOutput, error) {
			return nil, &types.AccountNotFoundException{Message: aws.String("no")}
		}, "not an account of the caller's organization"},
		{"AnotherAccountsAnswer", func(string) (*organizations.DescribeAccountOutput, error) {
			return named("333333333333", "payments")
		}, `answered for account "333333333333"`},
		{"OtherCode", func(string) (*organizations.DescribeAccountOutput, error) {
			return nil, &smithy.GenericAPIError{Code: "Weird\u202eCode\n"}
		}, "DescribeAccount failed (Weird Code )"},
		{"NoAPIError", func(string) (*organizations.DescribeAccountOutput, error) {
			return nil, fmt.Errorf("dial tcp: refused\nFAKE")
		}, "refused FAKE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := &Namer{Client: &Client{api: &namerAPI{answer: tt.answer}}}
			got := n.Names(t.Context(), []string{id})[0]
			if got.Name != "" || !strings.Contains(got.Reason, tt.want) {
				t.Errorf("got %+v, want no name and a reason with %q", got, tt.want)
			}
			if strings.ContainsAny(got.Reason, "\n\u202e") || strings.Contains(got.Reason, "not authorized") {
				t.Errorf("reason: got %q, want one line without the service's text", got.Reason)
			}
		})
	}
}

func TestNamerIsBoundedAndStopsWhenNotInAnOrganization(t *testing.T) {
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("%012d", 100000000000+i)
	}
	t.Run("Bounded", func(t *testing.T) {
		f := &namerAPI{answer: func(id string) (*organizations.DescribeAccountOutput, error) { return named(id, "n"+id) }}
		n := &Namer{Client: &Client{api: f}, Workers: 3}
		var wg sync.WaitGroup
		for range 2 { // two callers at once still share the bound and the answers
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i, g := range n.Names(t.Context(), ids) {
					if g.Name != "n"+ids[i] {
						t.Errorf("%s: got %+v, want its name", ids[i], g)
					}
				}
			}()
		}
		wg.Wait()
		if most := f.most.Load(); most > 3 || most < 2 {
			t.Errorf("calls at once: got %d, want 2 to 3", most)
		}
		if c := f.calls.Load(); c != int32(len(ids)) {
			t.Errorf("calls: got %d, want %d", c, len(ids))
		}
	})
	t.Run("NotInUse", func(t *testing.T) {
		f := &namerAPI{answer: func(string) (*organizations.DescribeAccountOutput, error) {
			return nil, &types.AWSOrganizationsNotInUseException{Message: aws.String("no")}
		}}
		n := &Namer{Client: &Client{api: f}, Workers: 1}
		for _, g := range n.Names(t.Context(), ids) {
			if !strings.Contains(g.Reason, "AWSOrganizationsNotInUseException") {
				t.Errorf("%s: got %+v, want the reason", g.ID, g)
			}
		}
		if c := f.calls.Load(); c != 1 {
			t.Errorf("calls: got %d, want 1 (the caller is in no organization for every account)", c)
		}
	})
	t.Run("AtMostMaxNamed", func(t *testing.T) {
		f := &namerAPI{answer: func(id string) (*organizations.DescribeAccountOutput, error) { return named(id, "x") }}
		n := &Namer{Client: &Client{api: f}, Workers: 64}
		many := make([]string, MaxNamed+5)
		for i := range many {
			many[i] = fmt.Sprintf("%012d", 200000000000+i)
		}
		got := n.Names(t.Context(), many)
		if c := f.calls.Load(); c != MaxNamed {
			t.Errorf("calls: got %d, want %d", c, MaxNamed)
		}
		if last := got[len(got)-1]; last.Name != "" || !strings.Contains(last.Reason, "more than") {
			t.Errorf("past the bound: got %+v, want no name and the reason", last)
		}
	})
}
