package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/eksdrift/eksdrift/internal/drift"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// detailOf pulls the bare CloudTrail record out of an EventBridge sample.
func detailOf(t testing.TB, envelope []byte) []byte {
	t.Helper()
	i := bytes.Index(envelope, []byte(`"detail":`))
	if i < 0 {
		t.Fatal("no detail")
	}
	rest := bytes.TrimSpace(envelope[i+len(`"detail":`):])
	s := scanner{data: rest}
	if !s.skipValue() {
		t.Fatal("bad detail")
	}
	return rest[:s.pos]
}

func TestDecodeThreeShapes(t *testing.T) {
	env := readSample(t, "eks-associate-access-policy-cluster-admin.json")
	rec := detailOf(t, env)
	unrelated := detailOf(t, readSample(t, "ec2-run-instances-unrelated.json"))
	failed := detailOf(t, readSample(t, "eks-create-access-entry-failed.json"))
	readOnly := detailOf(t, readSample(t, "eks-describe-access-entry-read-only.json"))
	log := []byte(`{"Records":[` + string(unrelated) + `,` + string(rec) + `,` + string(failed) + `,` + string(readOnly) + `]}`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(log)
	zw.Close()

	tests := []struct {
		name    string
		input   []byte
		total   int
		parsed  int
		ignored map[string]int
	}{
		{"eventbridge envelope", env, 1, 1, map[string]int{}},
		{"bare record", rec, 1, 1, map[string]int{}},
		// The failed CreateAccessEntry is a watched call: it is parsed, and
		// Changes says it failed.
		{"log file", log, 4, 2, map[string]int{IgnoredUnwatched: 1, IgnoredReadOnly: 1}},
		{"gzipped log file", gz.Bytes(), 4, 2, map[string]int{IgnoredUnwatched: 1, IgnoredReadOnly: 1}},
		{"pretty log file", []byte("{\n  \"Records\" : [\n " + string(rec) + "\n ]\n}\n"), 1, 1, map[string]int{}},
		{"empty log file", []byte(`{"Records":[]}`), 0, 0, map[string]int{}},
		{"other EventBridge event", []byte(`{"version":"0","detail-type":"AWS Console Sign In via CloudTrail","source":"aws.signin","detail":{}}`), 1, 0, map[string]int{IgnoredNotAPICall: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Read(bytes.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if b.Total != tt.total || len(b.Records) != tt.parsed {
				t.Errorf("got total %d parsed %d, want %d and %d", b.Total, len(b.Records), tt.total, tt.parsed)
			}
			for k, v := range tt.ignored {
				if b.Ignored[k] != v {
					t.Errorf("ignored[%s]: got %d, want %d", k, b.Ignored[k], v)
				}
			}
			for _, r := range b.Records {
				if !IsWatched(r.EventSource, r.EventName) {
					t.Errorf("got record %s %s parsed, want only watched calls", r.EventSource, r.EventName)
				}
			}
		})
	}
}

func TestDecodeErrorsSayWhere(t *testing.T) {
	tests := []struct {
		name, input string
		line        int
		says        string
	}{
		{"truncated log", "{\"Records\":[\n{\"eventName\":\"CreateAccessEntry\",\n\"eventSource\":", 3, "a record must be an object"},
		{"unterminated string in log", "{\"Records\":[\n{\"eventName\":\"CreateAccessEntry\", \"eventSource\": \"eks}\n]}", 3, "a record must be an object"},
		{"data after the log", "{\"Records\":[]}\n\n x", 3, "data after the end"},
		{"bad bare record", "\n{\"eventName\":\"CreateAccessEntry\", \"eventSource\": tru}", 2, "invalid character"},
		{"wrong type in bare record", "{\"eventName\":\"CreateAccessEntry\",\n \"userIdentity\": {\"arn\": {}}}", 1, "userIdentity.arn"},
		{"not json", "hello", 1, "want a JSON object"},
		{"array", "[1,2]", 1, "want a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.input))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a SyntaxError", err)
			}
			if se.Line != tt.line || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %q (line %d), want line %d saying %q", err, se.Line, tt.line, tt.says)
			}
		})
	}
	for _, in := range []string{"", "{}", `{"foo":1}`, `{"detail-type":"AWS API Call via CloudTrail","detail":null}`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q): got no error", in)
		}
	}
}

func TestRecordActor(t *testing.T) {
	tests := []struct {
		sample, arn, session, typ string
		console                   bool
	}{
		{"eks-associate-access-policy-cluster-admin.json", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/us-east-2/AWSReservedSSO_AdministratorAccess_0123456789abcdef", "alice@example.com", "AssumedRole", true},
		{"eks-delete-access-entry-declared.json", "arn:aws:iam::111122223333:user/bob", "", "IAMUser", false},
		{"eks-create-access-entry-fargate-by-eks-service.json", "eks.amazonaws.com", "", "AWSService", false},
		{"eks-create-access-entry-declared.json", "arn:aws:iam::111122223333:role/ci/ci-deployer", "github-actions-1234", "AssumedRole", false},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			b, err := Decode(readSample(t, tt.sample))
			if err != nil {
				t.Fatal(err)
			}
			a := b.Records[0].Actor()
			if a.ARN != tt.arn || a.SessionName != tt.session || a.Type != tt.typ || a.Console != tt.console {
				t.Errorf("got %+v, want arn %s session %s type %s console %v", a, tt.arn, tt.session, tt.typ, tt.console)
			}
		})
	}
}

func TestChangesFromSamples(t *testing.T) {
	tests := []struct {
		sample string
		check  func(t *testing.T, c []drift.Change)
	}{
		{"eks-disassociate-access-policy-url-encoded.json", func(t *testing.T, c []drift.Change) {
			p := c[0].Resource.(*drift.AccessPolicy)
			if p.PrincipalARN != "arn:aws:iam::111122223333:role/platform/platform-admin" || p.PolicyARN != drift.PolicyClusterAdmin || c[0].Op != drift.OpRemoved {
				t.Errorf("got %+v %s", p, c[0].Op)
			}
		}},
		{"eks-delete-pod-identity-association.json", func(t *testing.T, c []drift.Change) {
			p := c[0].Resource.(*drift.PodIdentityAssociation)
			if p.Key() != "app/api" || p.RoleARN != "arn:aws:iam::111122223333:role/app-api" || c[0].Cluster != "prod" {
				t.Errorf("got %+v on %s", p, c[0].Cluster)
			}
		}},
		{"eks-create-cluster-bootstrap-admin.json", func(t *testing.T, c []drift.Change) {
			if len(c) != 4 {
				t.Fatalf("got %d changes, want cluster, mode, creator entry and creator policy", len(c))
			}
			p := c[3].Resource.(*drift.AccessPolicy)
			if p.PrincipalARN != "arn:aws:iam::111122223333:role/ci/ci-deployer" || p.PolicyARN != drift.PolicyClusterAdmin {
				t.Errorf("got %+v", p)
			}
		}},
		{"iam-create-role-out-of-scope.json", func(t *testing.T, c []drift.Change) {
			r := c[0].Resource.(*drift.Role)
			if r.TrustPolicy == nil || r.Name != "contractor" {
				t.Errorf("got %+v", r)
			}
		}},
		{"iam-update-assume-role-policy-reordered-equivalent.json", func(t *testing.T, c []drift.Change) {
			if c[0].Resource.(*drift.TrustPolicy).Document == nil {
				t.Error("no document")
			}
		}},
		{"eks-update-access-entry-adds-group.json", func(t *testing.T, c []drift.Change) {
			e := c[0].Resource.(*drift.AccessEntry)
			if !drift.SameSet(e.KubernetesGroups, []string{"dev", "cluster-admins"}) || c[0].Op != drift.OpModified {
				t.Errorf("got %+v", e)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			b, err := Decode(readSample(t, tt.sample))
			if err != nil {
				t.Fatal(err)
			}
			c, ignored, err := Changes(&b.Records[0])
			if err != nil || ignored != "" || len(c) == 0 {
				t.Fatalf("got %d changes, ignored %q, err %v", len(c), ignored, err)
			}
			tt.check(t, c)
		})
	}
}

func TestChangesRejectsUnreadableWatchedRecords(t *testing.T) {
	tests := []struct{ name, rec string }{
		{"no cluster", `{"eventID":"e","eventTime":"2026-10-14T09:00:00Z","eventSource":"eks.amazonaws.com","eventName":"CreateAccessEntry","requestParameters":{"principalArn":"arn:aws:iam::1:role/x"}}`},
		{"bad time", `{"eventID":"e","eventTime":"yesterday","eventSource":"eks.amazonaws.com","eventName":"CreateAccessEntry","requestParameters":{"name":"prod","principalArn":"arn:aws:iam::1:role/x"}}`},
		{"no event id", `{"eventTime":"2026-10-14T09:00:00Z","eventSource":"eks.amazonaws.com","eventName":"CreateAccessEntry","requestParameters":{"name":"prod","principalArn":"arn:aws:iam::1:role/x"}}`},
		{"bad policy document", `{"eventID":"e","eventTime":"2026-10-14T09:00:00Z","eventSource":"iam.amazonaws.com","eventName":"PutRolePolicy","requestParameters":{"roleName":"r","policyName":"p","policyDocument":"{not json"}}`},
		{"pod identity without service account", `{"eventID":"e","eventTime":"2026-10-14T09:00:00Z","eventSource":"eks.amazonaws.com","eventName":"DeletePodIdentityAssociation","requestParameters":{"name":"prod","associationId":"a-1"},"responseElements":null}`},
		{"request parameters of the wrong shape", `{"eventID":"e","eventTime":"2026-10-14T09:00:00Z","eventSource":"eks.amazonaws.com","eventName":"CreateAccessEntry","requestParameters":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.rec))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = Changes(&b.Records[0])
			if err == nil {
				t.Fatal("got no error, want one: a watched call must never be dropped silently")
			}
		})
	}
}

func TestWatchedEventNames(t *testing.T) {
	eks, iam := WatchedEventNames(SourceEKS), WatchedEventNames(SourceIAM)
	if len(eks) != 12 || len(iam) != 25 {
		t.Errorf("got %d EKS and %d IAM calls, want 12 and 25", len(eks), len(iam))
	}
	if sso := WatchedEventNames(SourceSSO); len(sso) != 7 {
		t.Errorf("got %d Identity Center calls %v, want 7", len(sso), sso)
	}
	if IsWatched(SourceIAM, "CreateAccessEntry") || !IsWatched(SourceEKS, "CreateAccessEntry") {
		t.Error("IsWatched must pin the event source")
	}
}

// TestLookupEventsOutput reads `aws cloudtrail lookup-events` output, whose
// records are JSON strings (CloudTrailEvent) inside each event: watched calls
// are judged, others counted as ignored, and an event without a usable record
// is a RecordError with its place and event ID, the others still read.
func TestLookupEventsOutput(t *testing.T) {
	rec := `{"eventVersion":"1.11","eventSource":"eks.amazonaws.com","eventName":"AssociateAccessPolicy","awsRegion":"us-west-2","eventID":"e-1","readOnly":false,` +
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"recipientAccountId":"111122223333",` +
		`"requestParameters":{"name":"prod","principalArn":"arn:aws:iam::111122223333:role/dev","policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy","accessScope":{"type":"cluster"}}}`
	str := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	tests := []struct {
		name                     string
		input                    string
		records, ignored, errors int
		errHas                   string
	}{
		{"one watched call", `{"Events":[{"EventId":"e-1","EventName":"AssociateAccessPolicy","CloudTrailEvent":` + str(rec) + `}]}`, 1, 0, 0, ""},
		{"NextToken first, and a read", `{"NextToken":"x","Events":[{"EventId":"e-2","CloudTrailEvent":` + str(`{"eventName":"ListClusters","readOnly":true}`) + `},{"CloudTrailEvent":` + str(rec) + `}]}`, 1, 1, 0, ""},
		{"no CloudTrailEvent", `{"Events":[{"EventId":"e-3","EventName":"AssociateAccessPolicy"},{"CloudTrailEvent":` + str(rec) + `}]}`, 1, 0, 1, "e-3"},
		{"a record that is not JSON", `{"Events":[{"EventId":"e-4","CloudTrailEvent":"{\"eventName\":\"AssociateAccessPolicy\","}]}`, 0, 0, 1, "CloudTrailEvent"},
		{"CloudTrailEvent of another type", `{"Events":[{"EventId":"e-5","CloudTrailEvent":{"eventName":"AssociateAccessPolicy"}}]}`, 0, 0, 1, "Events"},
		{"no events", `{"Events":[]}`, 0, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.input))
			if err != nil {
				t.Fatalf("got %v, want a batch", err)
			}
			ignored := 0
			for _, n := range b.Ignored {
				ignored += n
			}
			if len(b.Records) != tt.records || ignored != tt.ignored || len(b.Errors) != tt.errors {
				t.Fatalf("got %d records, %d ignored, %d errors (%v), want %d, %d, %d", len(b.Records), ignored, len(b.Errors), b.Errors, tt.records, tt.ignored, tt.errors)
			}
			if tt.errHas != "" && !strings.Contains(b.Errors[0].Error(), tt.errHas) {
				t.Errorf("got %q, want it to say %q", b.Errors[0], tt.errHas)
			}
			if b.Total != tt.records+tt.ignored+tt.errors {
				t.Errorf("got total %d, want every event counted", b.Total)
			}
		})
	}
}

// TestWrappedListsRefuseBadShapes: LookupEvents' Events and Lake's
// QueryResultRows share one walker; a list of the wrong type, an item of
// the wrong type, or an item not followed by , or ] is refused with the
// list named and the place, never read as an empty batch.
func TestWrappedListsRefuseBadShapes(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"Events not a list", `{"Events":{"EventId":"e"}}`, "Events must be a list"},
		{"an event a string", `{"Events":["e-1"]}`, "an event must be an object"},
		{"an event a row", `{"Events":[[{"eventName":"x"}]]}`, "an event must be an object"},
		{"events run together", `{"Events":[{"EventId":"a"} {"EventId":"b"}]}`, "want , or ] after an event"},
		{"rows not a list", `{"QueryStatus":"FINISHED","QueryResultRows":{"a":1}}`, "QueryResultRows must be a list"},
		{"a row an object", `{"QueryStatus":"FINISHED","QueryResultRows":[{"eventid":"e"}]}`, "a row of QueryResultRows must be a list"},
		{"rows run together", `{"QueryStatus":"FINISHED","QueryResultRows":[[{"eventid":"a"}] [{"eventid":"b"}]]}`, "want , or ] after a row"},
		{"an unterminated row", `{"QueryStatus":"FINISHED","QueryResultRows":[[{"eventid":"a"}`, "a row of QueryResultRows must be a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.input))
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v (batch %+v), want a syntax error saying %q", err, b, tt.want)
			}
		})
	}
}
