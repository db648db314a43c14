package wiring_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/reconcile"
	"github.com/eksdrift/eksdrift/internal/sqlite"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// TestSweepFansOutOverTheHomeAccountToo runs the fan-out as
// functions/reconcile wires it, on MiniStack: the home (security) account's
// own cluster and user are swept with the members', with the function's own
// credentials (no role assumed in it: the one AssumeRole is the member's),
// whether or not a forged setting lists the home account as a member too,
// and each once.
func TestSweepFansOutOverTheHomeAccountToo(t *testing.T) {
	base := awstest.Config(t)
	base.Region = "us-west-2"
	role := awstest.Name(t, "eksdrift-read")
	const home, member = "230000000001", "230000000002"
	sweptMember(t, base, home, role, true, true) // no read role in the home account: none is needed
	sweptMember(t, base, member, role, false, true)
	homeCfg := asAccount(base, home)

	var doc strings.Builder
	doc.WriteString("version: 1\nmode: alert\nclusters:\n")
	for _, acct := range []string{home, member} {
		fmt.Fprintf(&doc, "  - {name: prod, account: %q, region: us-west-2, authenticationMode: API, accessEntries: [{principalArn: \"arn:aws:iam::%s:role/admin\"}]}\n", acct, acct)
	}
	doc.WriteString("iamUsers:\n")
	for _, acct := range []string{home, member} {
		fmt.Fprintf(&doc, "  - {arn: \"arn:aws:iam::%s:user/ghost\"}\n", acct)
	}
	ix, err := baseline.Index("org.yaml", []byte(doc.String()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		members []string
	}{
		{name: "members listed", members: []string{member}},
		{name: "the home account listed as a member too", members: []string{home, member, home}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			accounts := wiring.NewAccounts(homeCfg, home, config.Org{Members: tt.members, ExternalID: "xid-1"}, "reconcile")
			baselineOf := func(context.Context) (*drift.Index, error) { return ix, nil }
			r := &reconcile.Reconciler{
				Baseline:   baselineOf,
				Account:    home,
				History:    store,
				Detector:   &detect.Detector{Baseline: baselineOf, History: store, Publisher: nopPublisher{}, Metrics: &metrics.Set{}, Log: slog.New(slog.DiscardHandler)},
				Grace:      -1,
				Members:    tt.members,
				ScannerFor: wiring.MemberScanners(wiring.MemberConfigs(accounts, role, 50), 4),
			}
			rep, err := r.Sweep(t.Context(), time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatalf("got %v (unread %+v), want every target read", err, rep.Unread)
			}
			if rep.Accounts != 2 || rep.Targets != 4 || rep.Clusters != 2 || rep.Users != 2 || rep.ElsewhereClusters != 0 || rep.ElsewhereUsers != 0 {
				t.Errorf("got %d accounts, %d targets, %d clusters, %d users, %d and %d elsewhere; want 2, 4, 2, 2, 0 and 0",
					rep.Accounts, rep.Targets, rep.Clusters, rep.Users, rep.ElsewhereClusters, rep.ElsewhereUsers)
			}
			if got := accounts.Assumes(); got != 1 {
				t.Errorf("got %d AssumeRole calls, want 1: the member's read role, none for the home account", got)
			}
			all, err := store.Query(t.Context(), drift.HistoryQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range all {
				got = append(got, f.Account+" "+f.Resource)
			}
			slices.Sort(got)
			want := []string{home + " arn:aws:iam::" + home + ":role/intruder", member + " arn:aws:iam::" + member + ":role/intruder"}
			if !slices.Equal(got, want) {
				t.Errorf("got findings %q, want %q: each account's intruder, once", got, want)
			}
		})
	}
}

// TestMemberConfigsOfTheHomeAccount: the sweep's configuration of the home
// account is the function's own (no role assumed, the caller is the home
// account) and has a call budget of its own: at 2 calls a second, six of
// the home account's calls take at least two seconds, and a member's call
// made right after is not slowed by them.
func TestMemberConfigsOfTheHomeAccount(t *testing.T) {
	const home, member = "230000000011", "230000000012"
	accounts := wiring.NewAccounts(asAccount(awstest.Config(t), home), home, config.Org{Members: []string{member}, ExternalID: "xid-1"}, "reconcile")
	configFor := wiring.MemberConfigs(accounts, awstest.Name(t, "eksdrift-read"), 2)
	cfg, err := configFor(t.Context(), home, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	client := sts.NewFromConfig(cfg)
	start := time.Now()
	for range 6 {
		id, err := client.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(id.Account); got != home {
			t.Fatalf("caller: got account %s, want the home account %s", got, home)
		}
	}
	if got := time.Since(start); got < 2*time.Second {
		t.Errorf("got six of the home account's calls in %v, want at least 2s at 2 a second", got)
	}
	if got := accounts.Assumes(); got != 0 {
		t.Errorf("got %d AssumeRole calls for the home account, want none", got)
	}
	mcfg, err := configFor(t.Context(), member, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := sts.NewFromConfig(mcfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got >= 400*time.Millisecond {
		t.Errorf("got the member's first call in %v, want it unslowed by the home account's budget", got)
	}
}

// TestAccountBaselinesOfTheHomeAccount: the home account's own file,
// baselines/<home>.yaml, is merged into its baseline like a member's, with
// no question to Organizations (here failing, a fake: MiniStack does not
// fail on demand) and without the home account being listed, so that a
// sweep judging each account by its own baseline judges the home
// account's targets by its file too.
func TestAccountBaselinesOfTheHomeAccount(t *testing.T) {
	const home = "230000000021"
	base := awstest.Config(t)
	bucket, key := object(t, base, "version: 1\nmode: alert\n")
	if _, err := awss3.NewFromConfig(base).PutObject(t.Context(), &awss3.PutObjectInput{Bucket: &bucket, Key: aws.String(wiring.AccountKey(key, home)),
		Body: strings.NewReader("version: 1\nclusters:\n  - {name: prod, account: \"" + home + "\", region: us-west-2}\n")}); err != nil {
		t.Fatal(err)
	}
	accounts := wiring.NewAccounts(base, home, config.Org{ExternalID: "xid-1", OrganizationID: "o-abcdefghij", Members: []string{"230000000022"}}, "reconcile")
	accounts.OrgMember = func(context.Context, string) (bool, error) {
		return false, errors.New("ThrottlingException: rate exceeded")
	}
	shared := wiring.Baseline(wiring.BaselineSource(base, bucket, key, 0, 0), nil, discard())
	b := wiring.NewAccountBaselines(base, bucket, key, 0, 0, shared, accounts.Manages, nil, discard())
	ix, err := b.For(t.Context(), home)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.Cluster(home, "us-west-2", "prod"); !ok {
		t.Errorf("the home account's baseline: got no cluster prod, want the one its file %s declares", wiring.AccountKey(key, home))
	}
}
