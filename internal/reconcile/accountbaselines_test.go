package reconcile

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// TestFanOutJudgesEachMemberByItsOwnBaseline: the sweep judges each member
// against its own baseline (BaselineFor: the shared file merged with the
// account's file), as the detector does. A cluster and a role only an
// account file declares are swept, and their drift found; an account
// whose file cannot be used is reported unread and not read at all (never
// judged against the shared file alone), and the others go on. The sweep
// used to judge every member against the shared file: clusters declared
// only in an account file were never swept.
func TestFanOutJudgesEachMemberByItsOwnBaseline(t *testing.T) {
	const shared, ownFile, badFile = "111111111111", "222222222222", "333333333333"
	o := setupOrg(t, []string{shared, ownFile, badFile}, nil)
	sharedIx := orgBaseline(t, shared) // the shared file declares only the first account
	merged, err := drift.MergeAccount(sharedIx.Baseline, orgBaseline(t, ownFile).Baseline, ownFile)
	if err != nil {
		t.Fatal(err)
	}
	invalid := errors.New("account 333333333333's baseline s3://b/baselines/333333333333.yaml: invalid baseline: breakGlass: an account file may not declare breakGlass")
	var asked []string
	o.r.Baseline = func(context.Context) (*drift.Index, error) { return sharedIx, nil }
	o.r.BaselineFor = func(_ context.Context, account string) (*drift.Index, error) {
		asked = append(asked, account)
		switch account {
		case ownFile:
			return merged, nil
		case badFile:
			return nil, invalid
		}
		return sharedIx, nil
	}
	o.r.AccountParallel = 3
	rep, err := o.r.Sweep(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "could not be read") {
		t.Errorf("got error %v, want one saying what could not be read", err)
	}
	if !slices.Equal(asked, []string{shared, ownFile, badFile}) {
		t.Errorf("baselines asked for: got %v, want each member's once", asked)
	}
	for _, a := range []string{shared, ownFile} {
		m := o.members[a]
		for _, what := range []string{"eu-west-1/prod", "us-west-2/prod", "arn:aws:iam::" + a + ":role/admin"} {
			if m.reads[what] != 1 {
				t.Errorf("account %s: %s read %d times, want once: its own baseline declares it", a, what, m.reads[what])
			}
		}
	}
	if n := len(o.members[badFile].reads); n != 0 {
		t.Errorf("account %s: got %d reads (%v), want none: its baseline is unusable", badFile, n, o.members[badFile].reads)
	}
	want := []Unread{{Account: badFile, What: "baseline", Why: invalid.Error()}}
	if !slices.Equal(rep.Unread, want) {
		t.Errorf("got unread %+v, want %+v", rep.Unread, want)
	}
	if rep.Clusters != 4 || rep.Roles != 2 || rep.Recorded != 4 {
		t.Errorf("got %d clusters, %d roles, %d drift recorded; want 4, 2, 4 (the intruders of both readable members)", rep.Clusters, rep.Roles, rep.Recorded)
	}
	if doc := string(o.records.doc[SweepRecordName]); !strings.Contains(doc, `"what":"baseline"`) {
		t.Errorf("got sweep record %s, want it to name the unusable baseline", doc)
	}
	if got := o.r.Metrics.Get(metrics.BaselineErrors); got != 1 {
		t.Errorf("BaselineErrors: got %v, want 1", got)
	}
	open, err := o.store.Query(context.Background(), drift.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var accounts []string
	for _, f := range open {
		if f.Drift && !slices.Contains(accounts, f.Cluster+"@"+accountOf(f.Resource)) {
			accounts = append(accounts, f.Cluster+"@"+accountOf(f.Resource))
		}
		if strings.Contains(f.Resource, badFile) {
			t.Errorf("got finding %s in account %s, want none: it was not judged", f.ID(), badFile)
		}
	}
	if !slices.Contains(accounts, "prod@"+ownFile) {
		t.Errorf("got drift in %v, want some in account %s, whose clusters only its file declares", accounts, ownFile)
	}
}

// accountOf is the account of an ARN inside a resource key.
func accountOf(resource string) string {
	if i := strings.Index(resource, "arn:aws:iam::"); i >= 0 && len(resource) >= i+25 {
		return resource[i+13 : i+25]
	}
	return ""
}
