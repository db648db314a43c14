package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/eksdrift/eksdrift/internal/baseline"
	"github.com/eksdrift/eksdrift/internal/cloudtrail"
	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/dynamodb"
	"github.com/eksdrift/eksdrift/internal/stacktest"
)

// A burst is what EventBridge hands the detector on a busy day: many
// distinct CloudTrail events across clusters, principals and kinds (drift,
// compliant and ignored ones), some delivered more than once (EventBridge
// and Lambda's async invocation are at-least-once: a redelivery is the same
// bytes, the same event id), in no particular order.

// burstTemplates are the samples a burst is made from, with how often each
// is drawn. EKS samples are moved to one of burstClusters; samples naming
// the contractor role get one of several contractors.
var burstTemplates = []struct {
	name   string
	weight int
}{
	// drift
	{"eks-create-access-entry-undeclared-role.json", 20},
	{"eks-associate-access-policy-cluster-admin.json", 12},
	{"eks-update-access-entry-adds-system-masters.json", 6},
	{"eks-create-pod-identity-association-undeclared.json", 6},
	{"iam-attach-role-policy-administrator-access.json", 6},
	{"iam-put-role-policy-admin-inline.json", 5},
	{"iam-update-assume-role-policy-wildcard.json", 5},
	// compliant
	{"eks-create-access-entry-declared.json", 10},
	{"iam-update-assume-role-policy-reordered-equivalent.json", 5},
	// ignored: a failed call, a read-only call, an unrelated call
	{"eks-create-access-entry-failed.json", 9},
	{"eks-describe-access-entry-read-only.json", 8},
	{"ec2-run-instances-unrelated.json", 8},
}

// burstClusters are the clusters the burst's EKS events touch; the world
// creates them all, so the live reads find them.
var burstClusters = []string{"prod", "staging", "analytics"}

const burstContractors = 8

// delivery is one invocation's event.
type delivery struct {
	eventID string
	body    []byte
}

// burst is a generated burst and what it should leave behind.
type burst struct {
	deliveries []delivery // shuffled, duplicates included
	distinct   int
	// findings are the finding IDs each distinct event should record, by
	// event id; ignored the reason each ignored event should be dropped for.
	findings map[string][]string
	ignored  map[string]string
}

// duplicateDeliveries is how many of the burst's deliveries are
// redeliveries: dupPct percent of all of them.
func duplicateDeliveries(total, dupPct int) int { return total * dupPct / 100 }

// newBurst makes total deliveries from seed, dupPct percent of them
// redeliveries of an event delivered already, shuffled. What each distinct
// event should give is worked out with the parser and the evaluator the
// detector uses, which this test does not check: it checks delivery (every
// finding recorded once, published once, nothing lost).
func newBurst(t testing.TB, seed uint64, total, dupPct int) *burst {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ix, err := baseline.Load(filepath.Join("../../events", "baseline.yaml"))
	must(t, err)
	ev := drift.NewEvaluator(ix)
	samples := make([][]byte, len(burstTemplates))
	sum := 0
	for i, tpl := range burstTemplates {
		samples[i], err = os.ReadFile(filepath.Join("../../events", tpl.name))
		must(t, err)
		sum += tpl.weight
	}
	dups := duplicateDeliveries(total, dupPct)
	b := &burst{distinct: total - dups, findings: map[string][]string{}, ignored: map[string]string{}}
	for i := range b.distinct {
		pick, k := rng.IntN(sum), 0
		for pick >= burstTemplates[k].weight {
			pick -= burstTemplates[k].weight
			k++
		}
		body := vary(t, samples[k], rng, seed, i)
		id := stacktest.EventID(t, body)
		batch, err := cloudtrail.Decode(body)
		must(t, err)
		for reason := range batch.Ignored {
			b.ignored[id] = reason
		}
		for r := range batch.Records {
			changes, reason, err := cloudtrail.Changes(&batch.Records[r])
			must(t, err)
			if reason != "" {
				b.ignored[id] = reason
			}
			for _, c := range changes {
				b.findings[id] = append(b.findings[id], ev.Evaluate(c).ID())
			}
		}
		if _, ok := b.ignored[id]; !ok && len(b.findings[id]) == 0 {
			t.Fatalf("%s: event %s neither makes a finding nor is ignored", burstTemplates[k].name, id)
		}
		b.deliveries = append(b.deliveries, delivery{eventID: id, body: body})
	}
	for range dups {
		b.deliveries = append(b.deliveries, b.deliveries[rng.IntN(b.distinct)])
	}
	rng.Shuffle(len(b.deliveries), func(i, j int) { b.deliveries[i], b.deliveries[j] = b.deliveries[j], b.deliveries[i] })
	return b
}

// vary gives a sample a new event id (CloudTrail's and EventBridge's), and
// for EKS samples a cluster, for the contractor's a contractor.
func vary(t testing.TB, sample []byte, rng *rand.Rand, seed uint64, i int) []byte {
	t.Helper()
	var e struct {
		ID     string `json:"id"`
		Detail struct {
			EventID string `json:"eventID"`
		} `json:"detail"`
	}
	must(t, json.Unmarshal(sample, &e))
	b := bytes.Replace(sample, []byte(`"`+e.Detail.EventID+`"`), []byte(fmt.Sprintf(`"%08x-b000-4000-8000-%012x"`, uint32(seed), i)), 1)
	b = bytes.Replace(b, []byte(`"`+e.ID+`"`), []byte(fmt.Sprintf(`"%08x-e000-4000-8000-%012x"`, uint32(seed), i)), 1)
	if c := burstClusters[rng.IntN(len(burstClusters))]; c != "prod" {
		b = bytes.ReplaceAll(b, []byte(`"prod"`), []byte(`"`+c+`"`))
		b = bytes.ReplaceAll(b, []byte(`/prod/`), []byte(`/`+c+`/`))
	}
	return bytes.ReplaceAll(b, []byte("role/contractor"), []byte(fmt.Sprintf("role/contractor-%d", rng.IntN(burstContractors))))
}

// burstWorld is the detector's world with every burst cluster, a
// contractor's access entry in each (so some live reads find drift still
// there), and two subscribers to the findings topic: one for drift only
// (what people get), one for every message.
type burstWorld struct {
	*world
	allURL string
}

func newBurstWorld(t testing.TB) *burstWorld {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("../../events", "baseline.yaml"))
	must(t, err)
	w := &burstWorld{world: setupTB(t, body)}
	w.allURL = w.Subscribe(t, "")
	for _, c := range burstClusters {
		w.CreateCluster(t, c)
		_, err := w.EKS.CreateAccessEntry(context.Background(), &awseks.CreateAccessEntryInput{ClusterName: aws.String(c),
			PrincipalArn: aws.String(contractor + "-0"), KubernetesGroups: []string{"viewers"}})
		if err != nil && !strings.Contains(err.Error(), "InUse") {
			t.Fatal(err)
		}
	}
	return w
}

// run delivers the burst from workers goroutines, each its own handler
// (Lambda runs concurrent invocations in separate execution environments),
// and returns the time it took and the errors the invocations returned.
func (b *burst) run(workers int, invoke func(worker int, event []byte) error) (time.Duration, []error) {
	next := make(chan delivery)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for d := range next {
				if err := invoke(w, d.body); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("event %s: %w", d.eventID, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, d := range b.deliveries {
		next <- d
	}
	close(next)
	wg.Wait()
	return time.Since(start), errs
}

// counts is what a burst left behind.
type counts struct {
	recorded  map[string]int  // items in the table, by finding id
	drift     map[string]bool // whether each recorded finding drifts
	published map[string]int  // messages on the every-message queue, by finding id
	people    map[string]int  // messages on the drift-only queue, by finding id
}

// settle reads the table and drains both queues; wantMessages is how many
// messages should come on the every-message queue.
func (w *burstWorld) settle(t testing.TB, wantMessages int) counts {
	t.Helper()
	c := counts{recorded: map[string]int{}, drift: map[string]bool{}}
	ddb := awsdynamodb.NewFromConfig(w.Config)
	var start map[string]ddbtypes.AttributeValue
	for {
		out, err := ddb.Scan(context.Background(), &awsdynamodb.ScanInput{TableName: aws.String(w.Table), ExclusiveStartKey: start,
			ProjectionExpression: aws.String("#pk, #d"), ExpressionAttributeNames: map[string]string{"#pk": dynamodb.PartitionKey, "#d": dynamodb.AttrDrift}})
		must(t, err)
		for _, it := range out.Items {
			pk := it[dynamodb.PartitionKey].(*ddbtypes.AttributeValueMemberS).Value
			if pk == dynamodb.BoundsID {
				continue
			}
			c.recorded[pk]++
			if d, ok := it[dynamodb.AttrDrift].(*ddbtypes.AttributeValueMemberBOOL); ok && d.Value {
				c.drift[pk] = true
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	c.published = w.drain(t, w.allURL, wantMessages)
	c.people = w.drain(t, w.queueURL, len(c.drift))
	return c
}

// drain receives every message on a queue, by finding id: until want have
// come, then until no new one has come for a few receives, so that a
// message published twice shows. Messages are not deleted (there are
// thousands); each is counted once by its SQS message id, and the
// visibility timeout is short, so that a receive whose answer the emulator
// lost does not hide its messages from the count.
func (w *burstWorld) drain(t testing.TB, url string, want int) map[string]int {
	t.Helper()
	got := map[string]int{}
	seen := map[string]bool{}
	empty := 0
	deadline := time.Now().Add(30*time.Second + time.Duration(want)*5*time.Millisecond)
	for time.Now().Before(deadline) && empty < 3 {
		out, err := w.SQS.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 20})
		must(t, err)
		fresh := 0
		for _, m := range out.Messages {
			if seen[aws.ToString(m.MessageId)] {
				continue
			}
			seen[aws.ToString(m.MessageId)] = true
			fresh++
			var f drift.Finding
			must(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &f))
			got[f.ID()]++
		}
		if fresh == 0 && len(seen) >= want {
			empty++
		} else {
			empty = 0
		}
	}
	if len(seen) < want {
		t.Logf("queue %s: %d messages came, want %d", url, len(seen), want)
	}
	return got
}

// check compares what the burst left behind with what it should have.
func (b *burst) check(t testing.TB, c counts) {
	t.Helper()
	want := map[string]bool{}
	for _, ids := range b.findings {
		for _, id := range ids {
			want[id] = true
		}
	}
	var missing, twice, extra, unpublished, republished, driftLost, driftTwice, compliantToPeople int
	for id := range want {
		switch n := c.recorded[id]; {
		case n == 0:
			missing++
			if missing <= 3 {
				t.Errorf("finding %s: not recorded", id)
			}
		case n > 1:
			twice++
		}
		switch n := c.published[id]; {
		case n == 0:
			unpublished++
			if unpublished <= 3 {
				t.Errorf("finding %s: not published", id)
			}
		case n > 1:
			republished++
			if republished <= 3 {
				t.Errorf("finding %s: published %d times, want once", id, n)
			}
		}
		switch n := c.people[id]; {
		case c.drift[id] && n == 0:
			driftLost++
		case c.drift[id] && n > 1:
			driftTwice++
		case !c.drift[id] && n > 0:
			compliantToPeople++
		}
	}
	for id := range c.recorded {
		if !want[id] {
			extra++
		}
	}
	for id, n := range c.published {
		if !want[id] {
			t.Errorf("finding %s: published %d times, but no event should make it", id, n)
		}
	}
	for _, tt := range []struct {
		what string
		got  int
	}{
		{"findings not recorded", missing}, {"findings recorded twice", twice}, {"records no event should make", extra},
		{"findings not published", unpublished}, {"findings published more than once", republished},
		{"drift findings people did not get", driftLost}, {"drift findings people got twice", driftTwice},
		{"compliant findings sent to people", compliantToPeople},
	} {
		if tt.got != 0 {
			t.Errorf("%s: got %d, want 0", tt.what, tt.got)
		}
	}
}

// counting is a slog handler that keeps, by event id, the reasons the
// detector gave for ignoring events, so that every ignored event is
// accounted for.
type counting struct {
	mu      *sync.Mutex
	ignored map[string]string
}

func newCounting() *counting { return &counting{mu: &sync.Mutex{}, ignored: map[string]string{}} }

func (h *counting) Enabled(context.Context, slog.Level) bool { return true }
func (h *counting) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *counting) WithGroup(string) slog.Handler            { return h }
func (h *counting) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "event ignored" {
		return nil
	}
	var id, reason string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "eventId":
			id = a.Value.String()
		case "reason":
			reason = a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ignored[id] = reason
	return nil
}

// burstStats are the figures a burst should produce.
type burstStats struct {
	findings          int // distinct findings
	duplicateFindings int // findings of redeliveries (the Duplicates metric)
	ignoredDeliveries int // deliveries of ignored events (EventsIgnored)
}

func (b *burst) stats() burstStats {
	var s burstStats
	seen := map[string]bool{}
	for _, d := range b.deliveries {
		n := len(b.findings[d.eventID])
		if _, ok := b.ignored[d.eventID]; ok {
			s.ignoredDeliveries++
		}
		if seen[d.eventID] {
			s.duplicateFindings += n
			continue
		}
		seen[d.eventID] = true
		s.findings += n
	}
	return s
}
