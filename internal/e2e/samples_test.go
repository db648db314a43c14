package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// golden is a file of internal/replay/testdata/golden: the findings replay
// gives for one sample against events/baseline.yaml.
type golden struct {
	Findings []drift.Finding `json:"findings"`
}

// has reports whether a golden holds a finding of kind k.
func (g golden) has(k drift.Kind) bool {
	for _, f := range g.Findings {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// TestSamplesThroughEventBridge is scenario 1: every sample of events/ is
// put on the bus; the deployed rules, detector, table and topic give the
// findings of internal/replay's golden files. The deployed detector
// confirms drift on the live state, which starts as the baseline declares
// it: a sample whose change is not live (the account already matches the
// baseline) is, by drift.Confirm's rule, no longer to be reverted, so a
// golden revert or dry-run may arrive as alert, and then only with that
// reason and a live state that does not drift.
func samplesScenario(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(p.root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]drift.Finding{}
	var ids []string
	sent := map[string]time.Time{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		var g golden
		b, err := os.ReadFile(filepath.Join(p.root, "internal", "replay", "testdata", "golden", name+".json"))
		if err != nil {
			t.Fatalf("sample %s has no golden file: %v", name, err)
		}
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("golden %s: %v", name, err)
		}
		ev, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Source     string `json:"source"`
			DetailType string `json:"detail-type"`
		}
		json.Unmarshal(ev, &head)
		if head.DetailType == "" {
			continue // not an EventBridge event (LookupEvents output): replay's input only
		}
		if bytes.Contains(ev, []byte(`"eventName": "CreateServiceSpecificCredential"`)) {
			// MiniStack 1.5.33 serves no ListServiceSpecificCredentials:
			// the deployed detector's live read fails and the event goes,
			// rightly, to the dead-letter queue. functions/detect's
			// TestUserDriftEndToEnd covers the user calls MiniStack serves.
			continue
		}
		if g.has(drift.KindTamper) {
			// A tamper sample names the sample deployment of
			// events/deployment.outputs, not the deployed stack's
			// resources; tampering with the deployed stack is scenario 7
			// (tamper_test.go).
			continue
		}
		if head.Source == "aws.s3" {
			// A write to the baseline object is judged from that object's
			// versions, which only the sample's own bucket would have; the
			// deployed bucket's writes are judged by the detector's own
			// end-to-end test (functions/detect TestBaselineWriteEndToEnd).
			continue
		}
		if !slices.Contains(sources, head.Source) {
			// No rule matches the source: EventBridge drops the event
			// and the detector never sees it.
			if len(g.Findings) > 0 {
				t.Errorf("sample %s: no rule matches source %s, yet replay finds %d changes in it", name, head.Source, len(g.Findings))
			}
			continue
		}
		at, err := s.putEvent(ctx, ev)
		if err != nil {
			t.Fatalf("sample %s: %v", name, err)
		}
		for _, gf := range g.Findings {
			want[gf.ID()] = gf
			ids = append(ids, gf.ID())
			sent[gf.ID()] = at
		}
	}
	got := s.awaitFindings(t, ids, "finding", 90*time.Second)
	sort.Strings(ids)
	for _, id := range ids {
		w := want[id]
		t.Run(id, func(t *testing.T) {
			m, ok := got[id]
			if !ok {
				t.Fatalf("no finding %s on the findings topic", id)
			}
			f := m.Finding
			if f.Kind != w.Kind || f.Resource != w.Resource || f.Change != w.Change || f.Drift != w.Drift || f.Severity != w.Severity {
				t.Errorf("got kind %s resource %s change %s drift %v severity %s, want %s %s %s %v %s",
					f.Kind, f.Resource, f.Change, f.Drift, f.Severity, w.Kind, w.Resource, w.Change, w.Drift, w.Severity)
			}
			if f.Decision != w.Decision && !(downgraded(w, f)) {
				t.Errorf("got decision %s (reason %q, live %+v), want %s", f.Decision, f.Reason, f.Live, w.Decision)
			}
			if m.Attrs["severity"] != string(f.Severity) || m.Attrs["decision"] != string(f.Decision) || m.Attrs["messageType"] != "finding" {
				t.Errorf("got attributes %v, want severity %s decision %s messageType finding", m.Attrs, f.Severity, f.Decision)
			}
			if f.BaselineVersion == "" || !strings.HasPrefix(f.BaselineSource, "s3://"+s.bucket+"/") {
				t.Errorf("got baseline %s %s, want s3://%s/...", f.BaselineSource, f.BaselineVersion, s.bucket)
			}
			stored, found, err := s.history.Get(context.Background(), id)
			if err != nil || !found {
				t.Fatalf("history item %s: found %v, error %v", id, found, err)
			}
			if stored.Decision != f.Decision || stored.Severity != f.Severity || stored.NotifiedAt == nil {
				t.Errorf("got history decision %s severity %s notified %v, want %s %s notified", stored.Decision, stored.Severity, stored.NotifiedAt, f.Decision, f.Severity)
			}
			latencies.add("burst: PutEvents to SNS", m.Received.Sub(sent[id]))
		})
	}

	// What reaches people: the notifier's subscription filter, as deployed,
	// decides. Slack (the stand-in behind the secret) names each event with
	// a finding that passes it, and no other; the Chatbot topic carries
	// each such finding once, alone or counted in a digest.
	notify := filterPolicy(t, "Notifier/")
	notified := map[string]bool{} // finding IDs
	byEvent := map[string]bool{}  // event IDs with a finding that passes
	events := map[string]time.Time{}
	for id, m := range got {
		events[m.Finding.EventID] = sent[id]
		if passes(notify, m.Attrs) {
			notified[id], byEvent[m.Finding.EventID] = true, true
		}
	}
	deadline := time.Now().Add(90 * time.Second)
	for ev, at := range events {
		if !byEvent[ev] {
			continue
		}
		if post, ok := s.slack.await(time.Until(deadline), ev); !ok {
			t.Errorf("no Slack post names event %s", ev)
		} else {
			latencies.add("burst: PutEvents to Slack", post.Received.Sub(at))
		}
	}
	for ev := range events {
		if _, ok := s.slack.await(0, ev); ok && !byEvent[ev] {
			t.Errorf("a Slack post names event %s, whose findings the notifier's filter %v lets none through", ev, notify)
		}
	}
	// Other notifications may share the topic (the stack's own, about the
	// baseline upload): a single one counts when it is one of these
	// findings, a digest by its count.
	var counted int
	singles := map[string]bool{}
	for counted < len(notified) && time.Now().Before(deadline) {
		for _, m := range s.drain(t, s.chatbotQ, 2*time.Second) {
			var n struct {
				Metadata struct {
					EventType         string            `json:"eventType"`
					AdditionalContext map[string]string `json:"additionalContext"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				t.Fatalf("a Chatbot message is not a custom notification: %v", err)
			}
			ctx := n.Metadata.AdditionalContext
			id := ctx["findingId"]
			switch {
			case n.Metadata.EventType == "eksdrift-digest":
				c, _ := strconv.Atoi(ctx["count"])
				counted += c
			case notified[id]:
				singles[id] = true
				counted++
			case want[id].EventID != "":
				t.Errorf("got a Chatbot notification for %s, which the notifier's filter does not let through", id)
			}
		}
	}
	if counted < len(notified) {
		t.Errorf("got %d findings on the Chatbot topic (%d alone), want %d", counted, len(singles), len(notified))
	}
}

// downgraded says got is want confirmed on a live state that already
// matches the baseline (drift.Confirm): revert and dry-run become alert.
func downgraded(want, got drift.Finding) bool {
	return (want.Decision == drift.DecisionRevert || want.Decision == drift.DecisionDryRun) &&
		got.Decision == drift.DecisionAlert && got.Live != nil && !got.Live.Drift &&
		strings.Contains(got.Reason, "already matches the baseline: nothing to revert")
}
