package detect

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// The versions are read by a stand-in here; internal/s3's
// TestVersionsAround reads them from MiniStack's versioned S3.
type versions struct {
	around BaselineAround
	err    error
	asked  []string
}

func (v *versions) read(_ context.Context, id string) (BaselineAround, error) {
	v.asked = append(v.asked, id)
	return v.around, v.err
}

const sampleBucket, sampleKey = "eksdrift-baselines-111122223333", "baseline.yaml"

func loadSampleBaseline(t *testing.T, edit func(string) string) *drift.Baseline {
	t.Helper()
	data := string(sample(t, "baseline.yaml"))
	if edit != nil {
		data = edit(data)
	}
	b, err := baseline.ParseAt(time.Time{}, "s3://"+sampleBucket+"/"+sampleKey, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBaselineWrites(t *testing.T) {
	prev := loadSampleBaseline(t, nil)
	escalated := loadSampleBaseline(t, func(s string) string {
		return strings.Replace(s, "kubernetesGroups: [dev]", "kubernetesGroups: [dev, system:masters]", 1)
	})
	tests := []struct {
		name     string
		event    string
		bucket   string
		versions *versions
		// want is the finding's severity, "" for no finding at all.
		want   drift.Severity
		drift  bool
		why    string
		actor  string
		asked  string
		errSay string
	}{
		{"notification: system:masters granted", "s3-object-created-baseline.json", sampleBucket,
			&versions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: prev, Next: escalated}, VersionID: "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", PreviousID: "v1"}},
			drift.SeverityCritical, true, "system:masters", "111122223333", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", ""},
		{"data event: the writer's role", "s3-put-object-baseline-data-event.json", sampleBucket,
			&versions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: prev, Next: escalated}, VersionID: "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", PreviousID: "v1"}},
			drift.SeverityCritical, true, "system:masters", "arn:aws:iam::111122223333:role/ci/ci-deployer", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", ""},
		{"identical version", "s3-object-created-baseline.json", sampleBucket,
			&versions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: prev, Next: prev}, VersionID: "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", PreviousID: "v1"}},
			drift.SeverityInfo, false, "compliant", "111122223333", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", ""},
		{"invalid new version", "s3-object-created-baseline.json", sampleBucket,
			&versions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: prev, NextErr: errors.New("invalid baseline: breakGlass[0]: a break-glass entry needs expires")}}},
			drift.SeverityCritical, true, drift.BaselineUnreadable, "111122223333", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", ""},
		{"deleted from another account", "s3-object-deleted-baseline.json", sampleBucket, &versions{},
			drift.SeverityCritical, true, drift.BaselineUnreadable, "444455556666", "", ""},
		{"another bucket", "s3-object-created-baseline.json", "some-other-bucket", &versions{}, "", false, "", "", "", ""},
		{"S3 does not answer", "s3-object-created-baseline.json", sampleBucket, &versions{err: errors.New("unreachable: timeout")}, "", false, "", "", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g", "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, store := newDetector(t, states{}, out)
			d.BaselineBucket, d.BaselineKey, d.BaselineVersions = tt.bucket, sampleKey, tt.versions.read
			// The baseline in force is not what judges its own write.
			d.Baseline = func(context.Context) (*drift.Index, error) { return nil, errors.New("must not be asked") }
			err := d.Handle(context.Background(), sample(t, tt.event))
			if tt.errSay != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSay) {
					t.Fatalf("got %v, want an error saying %q, for the event to be delivered again", err, tt.errSay)
				}
				if len(out.sent) != 0 {
					t.Errorf("got %d published, want none", len(out.sent))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(tt.versions.asked, ","); got != tt.asked {
				t.Errorf("versions asked for: got %q, want %q", got, tt.asked)
			}
			if tt.want == "" {
				if len(out.sent) != 0 {
					t.Errorf("got %d published, want none: not the baseline object", len(out.sent))
				}
				if d.Metrics.Get(metrics.EventsIgnored) != 1 {
					t.Errorf("got %v ignored, want 1", d.Metrics.Get(metrics.EventsIgnored))
				}
				return
			}
			if len(out.sent) != 1 {
				t.Fatalf("got %d published, want 1", len(out.sent))
			}
			f := out.sent[0]
			if f.Kind != drift.KindBaseline || f.Severity != tt.want || f.Drift != tt.drift || !strings.Contains(f.SeverityReason, tt.why) {
				t.Errorf("got %v %v drift %v %q, want baseline %v drift %v %q", f.Kind, f.Severity, f.Drift, f.SeverityReason, tt.want, tt.drift, tt.why)
			}
			if f.Drift && f.Decision != drift.DecisionAlert {
				t.Errorf("got decision %v, want alert: a baseline write is never reverted", f.Decision)
			}
			if f.Actor != tt.actor {
				t.Errorf("got actor %v, want %v", f.Actor, tt.actor)
			}
			stored, found, err := store.Get(context.Background(), f.ID())
			if err != nil || !found || stored.NotifiedAt == nil {
				t.Errorf("got stored %v notified %v (%v), want recorded and notified", found, stored.NotifiedAt, err)
			}
			if tt.want == drift.SeverityCritical && tt.drift && tt.why == "system:masters" {
				var o drift.BaselineObject
				if err := json.Unmarshal(f.After, &o); err != nil {
					t.Fatal(err)
				}
				if o.PreviousVersionID != "v1" || len(o.Diff) == 0 {
					t.Errorf("got %+v, want the previous version and the diff recorded", o)
				}
			}
			// Redelivered: nothing more.
			if err := d.Handle(context.Background(), sample(t, tt.event)); err != nil {
				t.Fatal(err)
			}
			if len(out.sent) != 1 {
				t.Errorf("after redelivery: got %d published, want 1", len(out.sent))
			}
		})
	}
}

// The baseline bucket is the home account's, and a member can put events
// on the hub's bus: an S3 notification about the baseline object that
// came from a member is that member's claim. It must not make the
// detector read the baseline's versions or report a write (or a deletion)
// of the baseline as if S3 had said so.
func TestBaselineWriteFromAnotherAccountIsNotBelieved(t *testing.T) {
	const home, member = "111122223333", "222233334444"
	for _, name := range []string{"s3-object-created-baseline.json", "s3-object-deleted-baseline.json"} {
		t.Run(name, func(t *testing.T) {
			out := &outbox{}
			d, _ := newDetector(t, states{}, out)
			v := &versions{}
			d.Home, d.BaselineBucket, d.BaselineKey, d.BaselineVersions = home, sampleBucket, sampleKey, v.read
			event := strings.Replace(string(sample(t, name)), `"account": "`+home+`"`, `"account": "`+member+`"`, 1)
			if err := d.Handle(context.Background(), []byte(event)); err != nil {
				t.Fatal(err)
			}
			if len(v.asked) != 0 {
				t.Errorf("versions asked for: got %q, want none", v.asked)
			}
			if len(out.sent) != 1 {
				t.Fatalf("got %d findings, want 1", len(out.sent))
			}
			f := out.sent[0]
			want := "not judged: " + drift.ReasonAccountsDisagree + ": an S3 event about the baseline object s3://" + sampleBucket + "/" + sampleKey + ", which is in account " + home + ", came from account " + member
			if f.Account != member || f.Decision != drift.DecisionAlert || !strings.Contains(f.Reason, want) {
				t.Errorf("got account %s decision %s reason %q, want %s, alert, saying %q", f.Account, f.Decision, f.Reason, member, want)
			}
		})
	}
}
