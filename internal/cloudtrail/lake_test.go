package cloudtrail

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// lakeRow builds one row of get-query-results output from column, text
// pairs.
func lakeRow(cols ...string) string {
	var cells []map[string]string
	for i := 0; i+1 < len(cols); i += 2 {
		cells = append(cells, map[string]string{cols[i]: cols[i+1]})
	}
	b, _ := json.Marshal(cells)
	return string(b)
}

const (
	lakeUser = "{type=IAMUser, principalid=AIDARZ7QF3D5BOBUSER3K, arn=arn:aws:iam::111122223333:user/bob, accountid=111122223333, accesskeyid=AKIARZ7QF3D5BOB7KEYA, username=bob, sessioncontext=null, invokedby=null}"
	lakeReq  = "{name=prod, principalArn=arn:aws:iam::111122223333:role/dev, policyArn=arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy, accessScope={\"type\":\"namespace\",\"namespaces\":[\"app\",\"web\"]}}"
)

func lakeAssociate(eventID, userIdentity, request string) string {
	return lakeRow("eventVersion", "1.11", "userIdentity", userIdentity, "eventTime", "2026-10-10 11:40:12.000", "eventSource", "eks.amazonaws.com",
		"eventName", "AssociateAccessPolicy", "awsRegion", "us-west-2", "requestParameters", request, "eventID", eventID, "readOnly", "false",
		"recipientAccountId", "111122223333")
}

// TestLakeQueryResults reads CloudTrail Lake results as get-query-results
// prints them: watched calls are judged, others counted as ignored without
// their nested columns being parsed, and a row whose text cannot be read is
// a RecordError naming the row and the column, the other rows still read.
func TestLakeQueryResults(t *testing.T) {
	read := lakeRow("eventName", "ListClusters", "eventSource", "eks.amazonaws.com", "readOnly", "true", "userIdentity", "{type=IAMUser, arn=")
	tests := []struct {
		name                     string
		input                    string
		records, ignored, errors int
		errHas                   []string
	}{
		{"SELECT *", `{"QueryStatus":"FINISHED","QueryResultRows":[` + lakeAssociate("e-1", lakeUser, lakeReq) + `,` + read + `]}`, 1, 1, 0, nil},
		{"rows first, no status", `{"QueryResultRows":[` + lakeAssociate("e-1", lakeUser, lakeReq) + `]}`, 1, 0, 0, nil},
		{"columns in lower case", `{"QueryResultRows":[` + strings.ReplaceAll(strings.ReplaceAll(lakeAssociate("e-1", lakeUser, lakeReq), `"eventName"`, `"eventname"`), `"userIdentity"`, `"useridentity"`) + `]}`, 1, 0, 0, nil},
		{"Trino text that does not end", `{"QueryResultRows":[` + lakeAssociate("e-1", lakeUser, lakeReq) + `,` + lakeAssociate("e-2", "{type=IAMUser, arn=arn:aws:iam::111122223333:user/bob", lakeReq) + `]}`,
			1, 0, 1, []string{"QueryResultRows[1]", `eventID "e-2"`, "column userIdentity", "character"}},
		{"a key given twice", `{"QueryResultRows":[` + lakeAssociate("e-3", lakeUser, "{name=prod, principalArn=arn:aws:iam::111122223333:role/dev, policyArn=x, principalArn=arn:aws:iam::111122223333:role/admin}") + `]}`,
			0, 0, 1, []string{"QueryResultRows[0]", "column requestParameters", "principalArn appears twice"}},
		{"JSON text that is not", `{"QueryResultRows":[` + lakeAssociate("e-4", `{"type":"IAMUser",`, lakeReq) + `]}`, 0, 0, 1, []string{"column userIdentity", "not valid JSON"}},
		{"text after the closing brace", `{"QueryResultRows":[` + lakeAssociate("e-5", lakeUser, lakeReq+"}") + `]}`, 0, 0, 1, []string{"column requestParameters", "after the closing"}},
		{"two columns for one field", `{"QueryResultRows":[` + withCells(lakeAssociate("e-6", lakeUser, lakeReq), `{"eventname":"ListClusters"}`) + `]}`, 0, 0, 1, []string{"are both eventName"}},
		{"a column that is not text", `{"QueryResultRows":[` + withCells(lakeAssociate("e-7", lakeUser, lakeReq), `{"awsRegion":{"a":1}}`) + `]}`, 0, 0, 1, []string{"column awsRegion: want text"}},
		{"an unread column that does not parse", `{"QueryResultRows":[` + withCells(lakeAssociate("e-8", lakeUser, lakeReq), `{"resources":"[{accountid=1"},{"tlsDetails":"{tls"}`) + `]}`, 1, 0, 0, nil},
		{"an unwatched call with unreadable text", `{"QueryResultRows":[` + read + `]}`, 0, 1, 0, nil},
		{"a row that is not a list", `{"QueryResultRows":[` + lakeAssociate("e-1", lakeUser, lakeReq) + `,[{"eventName":1,"x":[}]]}`, 0, 0, 0, nil},
		{"a whole record in one column", `{"QueryResultRows":[[{"record":` + jsonString(`{"eventVersion":"1.11","eventSource":"eks.amazonaws.com","eventName":"AssociateAccessPolicy","awsRegion":"us-west-2","eventID":"e-9","eventTime":"2026-10-10T11:40:12Z","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333"},"recipientAccountId":"111122223333","requestParameters":{"name":"prod","principalArn":"arn:aws:iam::111122223333:role/dev","policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy","accessScope":{"type":"cluster"}}}`) + `}]]}`, 1, 0, 0, nil},
		{"no rows", `{"QueryStatus":"FINISHED","QueryStatistics":{"ResultsCount":0},"QueryResultRows":[]}`, 0, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Decode([]byte(tt.input))
			if tt.name == "a row that is not a list" {
				// Not JSON at all: the file cannot be read on, and says where.
				if err == nil {
					t.Fatal("got a batch, want a syntax error")
				}
				return
			}
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
			for _, want := range tt.errHas {
				if !strings.Contains(b.Errors[0].Error(), want) {
					t.Errorf("got %q, want it to say %q", b.Errors[0], want)
				}
			}
			if b.Total != tt.records+tt.ignored+tt.errors {
				t.Errorf("got total %d, want every row counted", b.Total)
			}
		})
	}
}

// withCells adds cells to the end of a row.
func withCells(row, cells string) string { return row[:len(row)-1] + "," + cells + "]" }

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestLakeRowIsTheRecord: a row read from Trino's text, and the same row
// selected as JSON, give the record the log file has, field for field, and
// so the same changes.
func TestLakeRowIsTheRecord(t *testing.T) {
	want := Record{}
	if err := json.Unmarshal([]byte(`{"eventVersion":"1.11","eventTime":"2026-10-10T11:40:12Z","eventSource":"eks.amazonaws.com","eventName":"AssociateAccessPolicy",`+
		`"awsRegion":"us-west-2","eventID":"e-1","readOnly":false,"recipientAccountId":"111122223333",`+
		`"userIdentity":{"type":"IAMUser","principalId":"AIDARZ7QF3D5BOBUSER3K","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","accessKeyId":"AKIARZ7QF3D5BOB7KEYA","userName":"bob"},`+
		`"requestParameters":{"name":"prod","principalArn":"arn:aws:iam::111122223333:role/dev","policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy","accessScope":{"type":"namespace","namespaces":["app","web"]}}}`), &want); err != nil {
		t.Fatal(err)
	}
	jsonUser := `{"type":"IAMUser","principalid":"AIDARZ7QF3D5BOBUSER3K","arn":"arn:aws:iam::111122223333:user/bob","accountid":"111122223333","accesskeyid":"AKIARZ7QF3D5BOB7KEYA","username":"bob","sessioncontext":null,"invokedby":null}`
	jsonReq := `{"name":"prod","principalArn":"arn:aws:iam::111122223333:role/dev","policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy","accessScope":"{\"type\":\"namespace\",\"namespaces\":[\"app\",\"web\"]}"}`
	for name, row := range map[string]string{
		"Trino text":  lakeAssociate("e-1", lakeUser, lakeReq),
		"json_format": lakeAssociate("e-1", jsonUser, jsonReq),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := Decode([]byte(`{"QueryResultRows":[` + row + `]}`))
			if err != nil || len(b.Records) != 1 {
				t.Fatalf("got %v, %+v, want one record", err, b)
			}
			got := b.Records[0]
			gotChanges, _, err := Changes(&got)
			if err != nil {
				t.Fatal(err)
			}
			wantChanges, _, _ := Changes(&want)
			g, _ := json.Marshal(gotChanges)
			w, _ := json.Marshal(wantChanges)
			if string(g) != string(w) {
				t.Errorf("got changes %s, want %s", g, w)
			}
			if got.UserIdentity != want.UserIdentity || got.EventTime != want.EventTime || got.EventID != want.EventID || got.RecipientAccountID != want.RecipientAccountID {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestTrinoText reads the shapes of Trino's rendering that CloudTrail
// records take, and refuses what cannot be read exactly.
func TestTrinoText(t *testing.T) {
	tests := []struct {
		name, in, want string
		inMap          bool
	}{
		{"nested rows and null", "{type=AssumedRole, sessioncontext={attributes={creationdate=2026-10-10 10:40:31.000, mfaauthenticated=false}, sessionissuer={arn=arn:aws:iam::1:role/ci/x}}, username=null}", `{"type":"AssumedRole","sessioncontext":{"attributes":{"creationdate":"2026-10-10 10:40:31.000","mfaauthenticated":"false"},"sessionissuer":{"arn":"arn:aws:iam::1:role/ci/x"}},"username":null}`, false},
		{"empty", "{}", `{}`, true},
		{"a username template's braces", "{username=admin:{{SessionName}}, type=STANDARD}", `{"username":"admin:{{SessionName}}","type":"STANDARD"}`, true},
		{"JSON values of a map", `{kubernetesGroups=["system:masters", "a, b=c"], accessScope={"type":"cluster"}, tags={}}`, `{"kubernetesGroups":["system:masters", "a, b=c"],"accessScope":{"type":"cluster"},"tags":{}}`, true},
		{"a policy stays a string", `{policy={"Version":"2012-10-17"}, disableSessionTags=true}`, `{"policy":"{\"Version\":\"2012-10-17\"}","disableSessionTags":true}`, true},
		{"a bool of a row stays text", "{mfaauthenticated=true}", `{"mfaauthenticated":"true"}`, false},
		{"a value with = and commas", "{principalArn=arn:aws:iam::1:role/a=b,c, x=1}", `{"principalArn":"arn:aws:iam::1:role/a=b,c","x":"1"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			kind := lakeStruct
			if tt.inMap {
				kind = lakeMap
			}
			if err := lakeValue(&buf, kind, tt.in); err != nil {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
			if buf.String() != tt.want {
				t.Errorf("got %s, want %s", buf.String(), tt.want)
			}
		})
	}
	for name, in := range map[string]string{
		"unclosed":        "{type=IAMUser",
		"no key":          "{=x}",
		"no value ends":   "{a=b, c=d",
		"nested too deep": strings.Repeat("{a=", 40) + "x" + strings.Repeat("}", 40),
		"a key twice":     "{a=1, a=2}",
		"two objects":     "{a=1}{b=2}",
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			var b bytes.Buffer
			if err := lakeValue(&b, lakeStruct, in); err == nil {
				t.Errorf("got %s, want an error", b.Bytes())
			}
		})
	}
}

// TestLakeQueryNotFinished: the rows of a query that has not finished are
// not all the rows; judging them would miss the rest silently.
func TestLakeQueryNotFinished(t *testing.T) {
	for _, status := range []string{"RUNNING", "FAILED", "TIMED_OUT", "CANCELLED", "QUEUED"} {
		t.Run(status, func(t *testing.T) {
			_, err := Decode([]byte(`{"QueryStatus":"` + status + `","ErrorMessage":"boom","QueryResultRows":[` + lakeAssociate("e-1", lakeUser, lakeReq) + `]}`))
			if err == nil || !strings.Contains(err.Error(), status+", not FINISHED") {
				t.Errorf("got %v, want an error saying the query is %s", err, status)
			}
		})
	}
}

// TestLakeSamples reads the Lake samples under events/ with no error.
func TestLakeSamples(t *testing.T) {
	for name, want := range map[string]int{"lake-query-results-select-star.json": 2, "lake-query-results-json-format.json": 2} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile("../../events/" + name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Decode(data)
			if err != nil || len(b.Errors) != 0 || len(b.Records) != want {
				t.Fatalf("got %v, %d records, errors %v, want %d records", err, len(b.Records), b.Errors, want)
			}
		})
	}
}
