package k8saudit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// summary is what a batch says, in a form a table can hold.
func summary(b *Batch) []string {
	var out []string
	for _, c := range b.Changes {
		r := c.Resource.(*drift.AwsAuth)
		s := string(c.Op) + " " + c.Event.Name + " by " + c.Event.Actor.ARN
		switch {
		case r.Unresolved:
			s += " unresolved"
		default:
			s += " roles=" + itoa(len(r.MapRoles)) + " users=" + itoa(len(r.MapUsers)) + " accounts=" + itoa(len(r.MapAccounts))
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestDecodeEveryShape(t *testing.T) {
	lines := read(t, filepath.Join("testdata", "audit.jsonl"))
	export := read(t, filepath.Join("testdata", "export.log"))
	events := strings.Split(strings.TrimSpace(string(lines)), "\n")
	payload := func(group string) []byte {
		var les []map[string]any
		for i, m := range events {
			les = append(les, map[string]any{"id": itoa(i), "timestamp": 1792055523411 + i, "message": m})
		}
		b, _ := json.Marshal(map[string]any{"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": group,
			"logStream": "kube-apiserver-audit-1", "subscriptionFilters": []string{"f"}, "logEvents": les})
		return b
	}
	lambdaEvent, _ := json.Marshal(map[string]any{"awslogs": map[string]string{"data": base64.StdEncoding.EncodeToString(gz(t, payload("/aws/eks/staging/cluster")))}})
	want := []string{
		"added aws-auth create by arn:aws:iam::111122223333:role/platform-admin roles=2 users=0 accounts=0",
		"modified aws-auth update by arn:aws:iam::111122223333:role/ops-engineer roles=3 users=0 accounts=0",
		"modified aws-auth patch by arn:aws:iam::111122223333:role/ops-engineer roles=2 users=1 accounts=0",
		"modified aws-auth patch by arn:aws:iam::111122223333:role/ops-engineer unresolved",
		"removed aws-auth delete by arn:aws:iam::111122223333:role/ops-engineer roles=0 users=0 accounts=0",
	}
	tests := []struct {
		name  string
		in    []byte
		where Where
	}{
		{"one audit event per line", lines, Where{}},
		{"one audit event per line, gzipped", gz(t, lines), Where{}},
		{"CloudWatch Logs export to S3", export, Where{}},
		{"CloudWatch Logs export to S3, gzipped", gz(t, export), Where{}},
		{"subscription payload, decoded", payload("/aws/eks/staging/cluster"), Where{Cluster: "staging", Account: "111122223333"}},
		{"subscription payload as Lambda receives it", lambdaEvent, Where{Cluster: "staging", Account: "111122223333"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !Sniff(tt.in) && !bytes.HasPrefix(tt.in, []byte{0x1f, 0x8b}) {
				t.Errorf("got Sniff false, want true")
			}
			b, err := Decode(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Errors) > 0 {
				t.Fatalf("got errors %v, want none", b.Errors)
			}
			if got := summary(b); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if b.Where != tt.where {
				t.Errorf("got where %+v, want %+v", b.Where, tt.where)
			}
			if b.Events != 6 || b.Ignored[IgnoredNotAwsAuth] != 1 {
				t.Errorf("got %d events, ignored %v, want 6 and one not an aws-auth write", b.Events, b.Ignored)
			}
			b.At(Where{Cluster: "fallback", Account: "999999999999", Region: "eu-west-1"})
			c := b.Changes[1]
			wantCluster, wantAccount := "fallback", "999999999999"
			if tt.where.Cluster != "" {
				wantCluster, wantAccount = tt.where.Cluster, tt.where.Account
			}
			if c.Cluster != wantCluster || c.Event.Account != wantAccount || c.Event.Region != "eu-west-1" {
				t.Errorf("got %s/%s/%s, want %s/%s/eu-west-1", c.Cluster, c.Event.Account, c.Event.Region, wantCluster, wantAccount)
			}
			if a := c.Event.Actor; a.SessionName != "jdoe" || a.SourceIP != "198.51.100.23" || c.Event.ID != "a1f0c6de-0b4e-4a59-9d31-7c9a4f2e1b01" {
				t.Errorf("got actor %+v id %s, want session jdoe from 198.51.100.23", a, c.Event.ID)
			}
		})
	}
}

func TestNotSniffedAsAudit(t *testing.T) {
	for name, in := range map[string]string{
		"CloudTrail log file": `{"Records":[{"eventName":"CreateAccessEntry"}]}`,
		"EventBridge event":   "{\n  \"detail-type\": \"AWS API Call via CloudTrail\",\n  \"detail\": {}\n}",
		// An attacker's tags cannot make a watched call pass for an audit
		// event and be read by the wrong decoder.
		"bare CloudTrail record with audit keys in its tags": `{"eventVersion":"1.09","eventName":"CreateAccessEntry","requestParameters":{"tags":{"kind":"Event","apiVersion":"audit.k8s.io/v1","logGroup":"x","logEvents":"y"}}}` + "\n",
		"bare CloudTrail record mentioning audit.k8s.io":     `{"eventVersion":"1.09","eventName":"CreateAccessEntry","requestParameters":{"note":"\"apiVersion\":\"audit.k8s.io/v1\""}}`,
		"text that starts with a word":                       "hello {\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\"}",
	} {
		t.Run(name, func(t *testing.T) {
			if Sniff([]byte(in)) {
				t.Errorf("got Sniff true for %s, want false", name)
			}
		})
	}
}

func TestHostileInput(t *testing.T) {
	ev := func(mut func(m map[string]any)) string {
		m := map[string]any{}
		if err := json.Unmarshal([]byte(strings.Split(string(read(t, filepath.Join("testdata", "audit.jsonl"))), "\n")[2]), &m); err != nil {
			t.Fatal(err)
		}
		mut(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name    string
		in      string
		changes int
		ignored string
		errHas  string
	}{
		{"another namespace's aws-auth is not the one EKS reads", ev(func(m map[string]any) { m["objectRef"].(map[string]any)["namespace"] = "default" }), 0, IgnoredNotAwsAuth, ""},
		{"a get is not a write", ev(func(m map[string]any) { m["verb"] = "get" }), 0, IgnoredNotAwsAuth, ""},
		{"deleting every ConfigMap of kube-system deletes aws-auth", ev(func(m map[string]any) {
			m["verb"] = "deletecollection"
			delete(m["objectRef"].(map[string]any), "name")
		}), 1, "", ""},
		{"deleting another namespace's ConfigMaps does not", ev(func(m map[string]any) {
			m["verb"] = "deletecollection"
			m["objectRef"] = map[string]any{"resource": "configmaps", "namespace": "default"}
		}), 0, IgnoredNotAwsAuth, ""},
		{"a ConfigMap in kube-system of another name", ev(func(m map[string]any) { m["objectRef"].(map[string]any)["name"] = "aws-auth-backup" }), 0, IgnoredNotAwsAuth, ""},
		{"an aws-auth Secret is not the ConfigMap", ev(func(m map[string]any) { m["objectRef"].(map[string]any)["resource"] = "secrets" }), 0, IgnoredNotAwsAuth, ""},
		{"a refused write changed nothing", ev(func(m map[string]any) { m["responseStatus"] = map[string]any{"code": 403} }), 0, IgnoredFailed, ""},
		{"the request stage is not the result", ev(func(m map[string]any) { m["stage"] = "RequestReceived" }), 0, IgnoredStage, ""},
		{"an update with no object is an error, not a silent pass", ev(func(m map[string]any) { delete(m, "requestObject"); delete(m, "responseObject") }), 0, "", "neither requestObject nor responseObject"},
		{"mapRoles that is not YAML is an error", ev(func(m map[string]any) {
			m["responseObject"].(map[string]any)["data"] = map[string]any{"mapRoles": "- rolearn: [unclosed"}
		}), 0, "", "data.mapRoles"},
		{"not an audit event", `{"kind":"Pod","apiVersion":"v1","note":"aws-auth"}`, 0, "", "not a Kubernetes audit event"},
		// Nothing here says aws-auth or deletecollection in plain bytes: the
		// fast path must not pass over them.
		{"the name spelt with escapes is still read", `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":"ResponseComplete","verb":"delete",` +
			`"objectRef":{"resource":"configmaps","namespace":"kube-system","name":"\u0061ws-auth"},"responseStatus":{"code":200}}`, 1, "", ""},
		{"the verb spelt with escapes is still read", `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"y","stage":"ResponseComplete","verb":"\u0064eletecollection",` +
			`"objectRef":{"resource":"configmaps","namespace":"kube-system"},"responseStatus":{"code":200}}`, 1, "", ""},
		{"broken JSON", `{"kind":"Event","name":"aws-auth",`, 0, "", "line 1"},
		{"a payload from a log group that is not a cluster's", `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/aws/lambda/x","logEvents":[]}`, 0, "", "is not a cluster's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Changes) != tt.changes {
				t.Errorf("got %d changes, want %d", len(b.Changes), tt.changes)
			}
			if tt.ignored != "" && b.Ignored[tt.ignored] != 1 {
				t.Errorf("got ignored %v, want one %q", b.Ignored, tt.ignored)
			}
			got := errors.Join(b.Errors...)
			if (tt.errHas == "") != (got == nil) || (got != nil && !strings.Contains(got.Error(), tt.errHas)) {
				t.Errorf("got error %v, want one containing %q", got, tt.errHas)
			}
		})
	}
}

func TestLambdaPayloadErrors(t *testing.T) {
	tests := []struct{ name, in, errHas string }{
		{"not base64", `{"awslogs":{"data":"%%%"}}`, "illegal base64"},
		{"not gzip", `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString([]byte("{}")) + `"}}`, "not gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("got %v, want an error containing %q", err, tt.errHas)
			}
		})
	}
}

func TestClusterOfLogGroup(t *testing.T) {
	tests := []struct {
		group, want string
		ok          bool
	}{
		{"/aws/eks/prod/cluster", "prod", true},
		{LogGroup("staging"), "staging", true},
		{"/aws/eks//cluster", "", false},
		{"/aws/eks/a/b/cluster", "", false},
		{"/aws/lambda/prod", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			got, ok := ClusterOfLogGroup(tt.group)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSubscriptionBombs(t *testing.T) {
	wrap := func(b []byte) []byte {
		out, _ := json.Marshal(map[string]any{"awslogs": map[string]string{"data": base64.StdEncoding.EncodeToString(gz(t, b))}})
		return out
	}
	tests := []struct {
		name, errHas string
		in           []byte
	}{
		{"a payload inside a payload", "holds no logGroup", wrap(wrap([]byte(`{"owner":"1","logGroup":"/aws/eks/a/cluster","logEvents":[]}`)))},
		{"a gzip bomb", "over 16777216 bytes", wrap(bytes.Repeat([]byte(" "), MaxSubscription+10))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("got %v, want an error containing %q", err, tt.errHas)
			}
		})
	}
}
