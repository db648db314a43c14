package reconcile

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/scan"
)

// The sweep of the IAM users the baseline declares (events/baseline.yaml:
// release-bot, in revert mode, and auditor), on the stand-in scanners of
// reconcile_test.go.

const (
	releaseBot = "arn:aws:iam::111122223333:user/release-bot"
	auditor    = "arn:aws:iam::111122223333:user/auditor"
)

func userFindings(all []drift.Finding) []drift.Finding {
	var out []drift.Finding
	for _, f := range all {
		if f.Kind == drift.KindUser && f.Cluster == "" {
			out = append(out, f)
		}
	}
	return out
}

// An access key made while the detector was down: no event judged it, so
// the sweep must.
func TestSweepFindsUserDriftTheEventsMissed(t *testing.T) {
	f := setup(t)
	f.w.edit(func(w *world) {
		u := w.users[releaseBot]
		u.AccessKeys = append(u.AccessKeys, drift.Credential{ID: "AKIAUNDECLAREDKEY01", Status: "Active"})
		w.users[releaseBot] = u
	})
	rep := f.sweep(t, t0)
	if rep.Users != 2 || rep.Drift != 1 || rep.Recorded != 1 {
		t.Fatalf("first sweep: got %+v, want 2 users read and 1 drift recorded", rep)
	}
	got := userFindings(f.history(t))
	if len(got) != 1 || len(f.out.sent) != 1 {
		t.Fatalf("got %d user findings and %d messages, want 1 and 1", len(got), len(f.out.sent))
	}
	x := got[0]
	if x.DetectedBy != drift.DetectedBySweep || !x.Drift || x.Principal != releaseBot || !strings.Contains(x.Resource, "AKIAUNDECLAREDKEY01") {
		t.Errorf("got %+v, want sweep drift of release-bot's new key", x)
	}
	// release-bot is in revert mode, but the sweep is the first to see the
	// key: it is held for the grace period, as a role's drift is.
	if x.Decision != drift.DecisionAlert || !strings.Contains(x.Reason, "first seen by this sweep") {
		t.Errorf("got %s (%s), want alert, held for the grace period", x.Decision, x.Reason)
	}
	if rep := f.sweep(t, t0); rep.Recorded != 0 || rep.AlreadyOpen != 1 {
		t.Errorf("sweep again at t0: got %+v, want the drift already open", rep)
	}
	if rep := f.sweep(t, t0.Add(time.Hour)); rep.Rejudged != 1 || rep.AlreadyOpen != 1 {
		t.Errorf("sweep after the grace period: got %+v, want the drift re-judged", rep)
	}
	last := userFindings(f.history(t))
	if n := len(last); n != 2 || last[len(last)-1].Decision != drift.DecisionRevert && last[0].Decision != drift.DecisionRevert {
		t.Errorf("got %d user findings, want 2, the newer offered to the reverter", n)
	}

	// Deleted outside eksdrift: the next sweep closes the finding.
	f.w.edit(func(w *world) {
		u := w.users[releaseBot]
		u.AccessKeys = u.AccessKeys[:1]
		w.users[releaseBot] = u
	})
	if rep := f.sweep(t, t0.Add(2*time.Hour)); rep.Resolved != 1 || rep.Drift != 0 {
		t.Errorf("sweep after the key is deleted: got %+v, want the drift resolved", rep)
	}
}

// What the baseline declares that a user lacks is drift; a user deleted is
// not (it takes every access with it), and it is read all the same.
func TestSweepOfDeclaredUsersMissing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(w *world)
		drift []string // change and resource of each user drift recorded
	}{
		{name: "declared group gone", edit: func(w *world) {
			u := w.users[releaseBot]
			u.Groups = nil
			w.users[releaseBot] = u
		}, drift: []string{"removed release-bot|group|release"}},
		{name: "declared console access gone", edit: func(w *world) {
			u := w.users[auditor]
			u.ConsoleAccess = false
			w.users[auditor] = u
		}, drift: []string{"removed auditor|login-profile"}},
		{name: "user deleted", edit: func(w *world) { delete(w.users, auditor) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.w.edit(tc.edit)
			rep := f.sweep(t, t0)
			var got []string
			for _, x := range userFindings(f.history(t)) {
				got = append(got, string(x.Change)+" "+x.Resource)
			}
			if rep.Users != 2 || rep.Recorded != len(tc.drift) || strings.Join(got, ",") != strings.Join(tc.drift, ",") {
				t.Errorf("got %d users read and drift %q, want 2 and %q", rep.Users, got, tc.drift)
			}
		})
	}
}

// One user that cannot be read is reported; the clusters, roles and the
// other user are swept all the same.
func TestSweepOfAnUnreadableUserSweepsTheRest(t *testing.T) {
	f := setup(t)
	f.w.edit(func(w *world) {
		w.userFail = map[string]error{auditor: errors.New("iam GetUser auditor: AccessDenied")}
		u := w.users[releaseBot]
		u.Groups = append(u.Groups, "admins")
		w.users[releaseBot] = u
	})
	rep, err := f.r.Sweep(context.Background(), t0)
	var re *scan.ReadError
	if !errors.As(err, &re) || re.What != "user "+auditor || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("got error %v, want the read of auditor reported", err)
	}
	if rep.Clusters != 3 || rep.Roles != 4 || rep.Users != 1 || rep.Errors != 1 || rep.Recorded != 1 {
		t.Errorf("got %+v, want 3 clusters, 4 roles and 1 user read, 1 error, release-bot's group recorded", rep)
	}
	if got := userFindings(f.history(t)); len(got) != 1 || !strings.Contains(got[0].Resource, "admins") {
		t.Errorf("got %+v, want release-bot's group only", got)
	}
}
