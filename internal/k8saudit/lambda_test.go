package k8saudit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The payload types mirror aws-lambda-go's (which the command may not link):
// what its CloudwatchLogsEvent carries, Decode reads, and the sample as
// Lambda delivers it is what aws-lambda-go parses.
func TestSameShapeAsAWSLambdaGo(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(read(t, filepath.Join("testdata", "audit.jsonl")))), "\n")
	data := events.CloudwatchLogsData{Owner: "111122223333", LogGroup: "/aws/eks/staging/cluster", LogStream: "kube-apiserver-audit-1",
		SubscriptionFilters: []string{"eksdrift-aws-auth"}, MessageType: "DATA_MESSAGE"}
	for i, l := range lines {
		data.LogEvents = append(data.LogEvents, events.CloudwatchLogsLogEvent{ID: itoa(i), Timestamp: int64(i), Message: l})
	}
	plain, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	ev, err := json.Marshal(events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 5 || b.Where != (Where{Cluster: "staging", Account: "111122223333"}) {
		t.Errorf("got %d changes at %+v, want 5 at staging/111122223333", len(b.Changes), b.Where)
	}
	// The sample, as aws-lambda-go reads it.
	var sample events.CloudwatchLogsEvent
	if err := json.Unmarshal(read(t, filepath.Join("..", "..", "events", "k8s-audit-aws-auth-update-system-masters-subscription.json")), &sample); err != nil {
		t.Fatal(err)
	}
	parsed, err := sample.AWSLogs.Parse()
	if err != nil || parsed.LogGroup != "/aws/eks/staging/cluster" || len(parsed.LogEvents) != 1 {
		t.Errorf("got %+v, %v, want the sample's one event of /aws/eks/staging/cluster", parsed, err)
	}
}
