package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
)

// accountVersions stands in for wiring.AccountBaselineVersions (whose
// merge wiring's TestMergeAround checks, and internal/s3's
// TestVersionsAround the reads from MiniStack's versioned S3).
type accountVersions struct {
	around BaselineAround
	err    error
	asked  []string
}

func (v *accountVersions) read(_ context.Context, account, id string, deleted bool) (BaselineAround, error) {
	v.asked = append(v.asked, fmt.Sprintf("%s@%s deleted=%v", account, id, deleted))
	return v.around, v.err
}

// TestAccountBaselineWrites: a write to baselines/<account>.yaml is judged
// like one to the shared baseline, by the merged baselines around it, and
// names the file and the account; any other object in that folder is
// reported as unexpected, never ignored. Writes to account files used to
// be ignored as "not the baseline object": an attacker with s3:PutObject
// on the bucket could add themselves to an account file silently.
func TestAccountBaselineWrites(t *testing.T) {
	shared := loadSampleBaseline(t, nil)
	escalated := loadSampleBaseline(t, func(s string) string {
		return strings.Replace(s, "kubernetesGroups: [dev]", "kubernetesGroups: [dev, system:masters]", 1)
	})
	const file, version = "baselines/111122223333.yaml", "Yq7bX2k9pLmN4vR8sT1uW3zA6cD0eF5g"
	tests := []struct {
		name     string
		event    string
		key      string
		versions *accountVersions
		noFiles  bool // a single-account deployment: no AccountBaselineVersions
		// want is the finding's severity, "" for no finding at all.
		want    drift.Severity
		drift   bool
		why     string
		change  drift.Op
		account string // the account the finding's object names
		asked   string
		errSay  string
	}{
		{"notification: system:masters granted", "s3-object-created-baseline.json", file,
			&accountVersions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: shared, Next: escalated}, VersionID: version, PreviousID: "v1"}},
			false, drift.SeverityCritical, true, "system:masters", drift.OpModified, "111122223333", "111122223333@" + version + " deleted=false", ""},
		{"data event: system:masters granted", "s3-put-object-baseline-data-event.json", file,
			&accountVersions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: shared, Next: escalated}, VersionID: version, PreviousID: "v1"}},
			false, drift.SeverityCritical, true, "system:masters", drift.OpModified, "111122223333", "111122223333@" + version + " deleted=false", ""},
		{"identical merged baseline", "s3-object-created-baseline.json", file,
			&accountVersions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: shared, Next: shared}, VersionID: version, PreviousID: "v1"}},
			false, drift.SeverityInfo, false, "compliant", drift.OpModified, "111122223333", "111122223333@" + version + " deleted=false", ""},
		{"invalid new version", "s3-object-created-baseline.json", file,
			&accountVersions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: shared, NextErr: errors.New("invalid baseline: breakGlass: only the shared file grants break-glass")}}},
			false, drift.SeverityCritical, true, drift.BaselineUnreadable, drift.OpModified, "111122223333", "111122223333@" + version + " deleted=false", ""},
		{"deleted: what it declared is drift now", "s3-object-deleted-baseline.json", file,
			&accountVersions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: escalated, Next: shared}, PreviousID: "v1"}},
			false, drift.SeverityHigh, true, "was deleted", drift.OpRemoved, "111122223333", "111122223333@ deleted=true", ""},
		{"a version deleted that leaves a grant in force", "s3-object-deleted-baseline.json", file,
			&accountVersions{around: BaselineAround{BaselineVersions: drift.BaselineVersions{Previous: shared, Next: escalated}, VersionID: "v1"}},
			false, drift.SeverityCritical, true, "system:masters", drift.OpRemoved, "111122223333", "111122223333@ deleted=true", ""},
		{"too short an account", "s3-object-created-baseline.json", "baselines/12345.yaml", &accountVersions{},
			false, drift.SeverityMedium, true, "unexpected object", drift.OpModified, "", "", ""},
		{"a backup of an account file", "s3-put-object-baseline-data-event.json", "baselines/111122223333.yaml.bak", &accountVersions{},
			false, drift.SeverityMedium, true, "unexpected object", drift.OpModified, "", "", ""},
		{"dot-dot in the folder", "s3-object-created-baseline.json", "baselines/../x", &accountVersions{},
			false, drift.SeverityMedium, true, "unexpected object", drift.OpModified, "", "", ""},
		{"a sub-folder", "s3-object-deleted-baseline.json", "baselines/111122223333/baseline.yaml", &accountVersions{},
			false, drift.SeverityMedium, true, "unexpected object", drift.OpRemoved, "", "", ""},
		{"a deployment with no account files", "s3-object-created-baseline.json", file, &accountVersions{},
			true, drift.SeverityMedium, true, "unexpected object", drift.OpModified, "", "", ""},
		{"another folder", "s3-object-created-baseline.json", "other/111122223333.yaml", &accountVersions{},
			false, "", false, "", "", "", "", ""},
		{"S3 does not answer", "s3-object-created-baseline.json", file, &accountVersions{err: errors.New("unreachable: timeout")},
			false, "", false, "", "", "", "111122223333@" + version + " deleted=false", "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &outbox{}
			d, store := newDetector(t, states{}, out)
			d.BaselineBucket, d.BaselineKey = sampleBucket, sampleKey
			d.BaselineVersions = (&versions{err: errors.New("the shared baseline's versions must not be asked")}).read
			if !tt.noFiles {
				d.AccountBaselineVersions = tt.versions.read
			}
			d.Baseline = func(context.Context) (*drift.Index, error) { return nil, errors.New("must not be asked") }
			ev := sample(t, tt.event)
			from := []byte(`"key": "baseline.yaml"`)
			if !bytes.Contains(ev, from) {
				t.Fatalf("the sample has no %s", from)
			}
			ev = bytes.Replace(ev, from, []byte(`"key": "`+tt.key+`"`), 1)
			err := d.Handle(context.Background(), ev)
			if got := strings.Join(tt.versions.asked, ","); got != tt.asked {
				t.Errorf("versions asked for: got %q, want %q", got, tt.asked)
			}
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
			if tt.want == "" {
				if len(out.sent) != 0 || d.Metrics.Get(metrics.EventsIgnored) != 1 {
					t.Errorf("got %d published, %v ignored, want none published and 1 ignored", len(out.sent), d.Metrics.Get(metrics.EventsIgnored))
				}
				return
			}
			if len(out.sent) != 1 {
				t.Fatalf("got %d published, want 1", len(out.sent))
			}
			f := out.sent[0]
			if f.Kind != drift.KindBaseline || f.Severity != tt.want || f.Drift != tt.drift || f.Change != tt.change ||
				!strings.Contains(f.SeverityReason+" "+f.Reason, tt.why) {
				t.Errorf("got %v %v drift %v %v %q (%s), want baseline %v drift %v %v %q",
					f.Kind, f.Severity, f.Drift, f.Change, f.SeverityReason, f.Reason, tt.want, tt.drift, tt.change, tt.why)
			}
			if f.Drift && f.Decision != drift.DecisionAlert {
				t.Errorf("got decision %v, want alert: a baseline write is never reverted", f.Decision)
			}
			if uri := "s3://" + sampleBucket + "/" + tt.key; f.Resource != uri || !strings.Contains(f.Reason, uri) {
				t.Errorf("got resource %q, reason %q, want both to name %s", f.Resource, f.Reason, uri)
			}
			state := f.After
			if f.Change == drift.OpRemoved {
				state = f.Before
			}
			var o drift.BaselineObject
			if err := json.Unmarshal(state, &o); err != nil {
				t.Fatal(err)
			}
			if o.Account != tt.account {
				t.Errorf("got account %q, want %q", o.Account, tt.account)
			}
			if tt.account != "" && !strings.Contains(f.Reason, "account "+tt.account) {
				t.Errorf("got reason %q, want it to name account %s", f.Reason, tt.account)
			}
			if tt.why == "system:masters" && len(o.Diff) == 0 {
				t.Errorf("got %+v, want the diff recorded", o)
			}
			if stored, found, err := store.Get(context.Background(), f.ID()); err != nil || !found || stored.NotifiedAt == nil {
				t.Errorf("got stored %v (%v), want recorded and notified", found, err)
			}
		})
	}
}
