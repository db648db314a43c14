package wiring_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksdrift/eksdrift/internal/awstest"
	"github.com/eksdrift/eksdrift/internal/config"
	"github.com/eksdrift/eksdrift/internal/detect"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/reconcile"
	"github.com/eksdrift/eksdrift/internal/sqlite"
	"github.com/eksdrift/eksdrift/internal/wiring"
)

// TestSweepJudgesMembersByTheirFiles runs the fan-out as functions/reconcile
// wires it (BaselineFor from NewAccountBaselines with Accounts.Manages) on
// MiniStack: a member whose cluster only its own baselines/<account>.yaml
// declares is swept and its intruder found; a member whose file is invalid
// is reported unread (what: baseline) and never read, even though the
// shared file declares its cluster, so nothing there is judged against the
// shared file alone.
func TestSweepJudgesMembersByTheirFiles(t *testing.T) {
	s3cfg := awstest.Config(t) // the bucket in the emulator's default region
	base := s3cfg.Copy()
	base.Region = "us-west-2"
	role := awstest.Name(t, "eksdrift-read")
	own, broken := "220000000001", "220000000002"
	sweptMember(t, base, own, role, false, true)
	sweptMember(t, base, broken, role, false, true)
	entry := func(acct string) string {
		return fmt.Sprintf("  - {name: prod, account: %q, region: us-west-2, authenticationMode: API, accessEntries: [{principalArn: \"arn:aws:iam::%s:role/admin\"}]}\n", acct, acct)
	}
	// The shared file declares only the broken member's cluster.
	bucket, key := object(t, s3cfg, "version: 1\nmode: alert\nclusters:\n"+entry(broken))
	s3c := awss3.NewFromConfig(s3cfg)
	for acct, body := range map[string]string{
		own:    "version: 1\nclusters:\n" + entry(own),
		broken: "version: 1\nclusters:\n" + entry(own), // speaks for another account: invalid
	} {
		if _, err := s3c.PutObject(t.Context(), &awss3.PutObjectInput{Bucket: &bucket, Key: aws.String(wiring.AccountKey(key, acct)), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	set := &metrics.Set{}
	log := slog.New(slog.DiscardHandler)
	baselineOf := wiring.Baseline(wiring.BaselineSource(s3cfg, bucket, key, 0, 0), set, log)
	accounts := wiring.NewAccounts(base, "000000000000", config.Org{Members: []string{own, broken}}, "reconcile")
	r := &reconcile.Reconciler{
		Baseline:    baselineOf,
		BaselineFor: wiring.NewAccountBaselines(s3cfg, bucket, key, 0, 0, baselineOf, accounts.Manages, set, log).For,
		History:     store,
		Detector:    &detect.Detector{Baseline: baselineOf, History: store, Publisher: nopPublisher{}, Metrics: set, Log: log},
		Grace:       -1,
		Members:     []string{own, broken},
		ScannerFor:  wiring.MemberScanners(wiring.MemberConfigs(accounts, role, 50), 4),
		Metrics:     set,
	}
	rep, err := r.Sweep(context.Background(), time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC))
	t.Logf("report: %+v, error: %v", rep, err)
	if err == nil {
		t.Error("got no error, want the member with an invalid file reported")
	}
	if rep.Clusters != 1 || rep.Recorded != 1 {
		t.Errorf("got %d clusters read, %d recorded; want the one member's cluster its own file declares, and its intruder", rep.Clusters, rep.Recorded)
	}
	if len(rep.Unread) != 1 || rep.Unread[0].Account != broken || rep.Unread[0].What != "baseline" || !strings.Contains(rep.Unread[0].Why, "is in account "+own) {
		t.Errorf("got unread %+v, want account %s's baseline, saying why", rep.Unread, broken)
	}
	all, err := store.Query(t.Context(), drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Account != own || all[0].Resource != "arn:aws:iam::"+own+":role/intruder" {
		t.Errorf("got findings %+v, want one: the intruder in account %s", all, own)
	}
}
