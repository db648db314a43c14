package lookup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/eksdrift/eksdrift/internal/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// recording turns on MiniStack's CloudTrail recording (CLOUDTRAIL_RECORDING
// at start, or this switch on a running emulator).
func recording(t *testing.T) {
	t.Helper()
	resp, err := http.Post(awstest.Endpoint(t)+"/_ministack/config", "application/json",
		bytes.NewReader([]byte(`{"cloudtrail._recording_enabled": "true"}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("turning on CloudTrail recording: HTTP %d", resp.StatusCode)
	}
}

// On MiniStack, LookupEvents finds the calls it recorded, by event name and
// time. MiniStack 1.5.33 records only approximations: it names a call by its
// X-Amz-Target or Action query parameter, so the Go SDK's EKS and IAM calls
// (REST and form-encoded bodies) are recorded as "POST.eks" and "POST.iam",
// with the parameters of the HTTP request rather than CloudTrail's. None of
// them is a watched event: the catch-up's end-to-end tests serve
// real-shaped records from a fake CloudTrail endpoint instead
// (functions/reconcile), and this test checks the call itself on calls
// MiniStack does name, DynamoDB's.
func TestEventsOnMiniStack(t *testing.T) {
	recording(t)
	ctx := context.Background()
	cfg := awstest.Config(t)
	db := dynamodb.NewFromConfig(cfg)
	name := awstest.Name(t, "table")
	from := time.Now().Add(-time.Minute)
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	c := New(cfg)
	c.Interval = 0
	got, err := c.Events(ctx, awstest.Region, "DescribeTable", from, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var mine []Event
	for _, e := range got {
		if strings.Contains(string(e.Record), name) {
			mine = append(mine, e)
		}
	}
	if len(mine) != 2 {
		t.Fatalf("got %d DescribeTable events for %s, want 2", len(mine), name)
	}
	var rec struct {
		EventName string `json:"eventName"`
		EventID   string `json:"eventID"`
	}
	if err := json.Unmarshal(mine[0].Record, &rec); err != nil || rec.EventName != "DescribeTable" || rec.EventID != mine[0].ID {
		t.Errorf("record: got %+v, %v, want the CloudTrail record of the event", rec, err)
	}
	if mine[0].Time.After(mine[1].Time) {
		t.Error("events must come oldest first")
	}
	none, err := c.Events(ctx, awstest.Region, "DescribeTable", time.Now().Add(time.Hour), time.Now().Add(2*time.Hour))
	if err != nil || len(none) != 0 {
		t.Errorf("a window with no events: got %d, %v", len(none), err)
	}
}

// pagedTrail answers LookupEvents two events at a time, newest first, as
// CloudTrail does. MiniStack 1.5.33 cannot page (it cuts at 50 and returns
// no NextToken), so paging is tested here.
type pagedTrail struct {
	events []types.Event // newest first
	calls  []time.Time
	inputs []*cloudtrail.LookupEventsInput
	fail   error
}

func (p *pagedTrail) LookupEvents(_ context.Context, in *cloudtrail.LookupEventsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	p.calls = append(p.calls, time.Now())
	p.inputs = append(p.inputs, in)
	if p.fail != nil {
		return nil, p.fail
	}
	start := 0
	if in.NextToken != nil {
		start, _ = strconv.Atoi(*in.NextToken)
	}
	end := min(start+2, len(p.events))
	out := &cloudtrail.LookupEventsOutput{Events: p.events[start:end]}
	if end < len(p.events) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func TestEventsPagesOnAFake(t *testing.T) {
	base := time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	f := &pagedTrail{}
	for i := 4; i >= 0; i-- {
		id := "e" + strconv.Itoa(i)
		f.events = append(f.events, types.Event{EventId: aws.String(id), EventName: aws.String("CreateAccessEntry"), EventTime: aws.Time(base.Add(time.Duration(i) * time.Minute)),
			CloudTrailEvent: aws.String(`{"eventID":"` + id + `"}`)})
	}
	c := newClient(func(string) api { return f })
	c.Interval = 20 * time.Millisecond
	got, err := c.Events(context.Background(), "eu-west-1", "CreateAccessEntry", base, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if strings.Join(ids, ",") != "e0,e1,e2,e3,e4" {
		t.Errorf("got %v, want all five, oldest first", ids)
	}
	if len(f.calls) != 3 {
		t.Fatalf("got %d calls, want 3 pages", len(f.calls))
	}
	for i := 1; i < len(f.calls); i++ {
		if gap := f.calls[i].Sub(f.calls[i-1]); gap < 15*time.Millisecond {
			t.Errorf("calls %d and %d were %v apart, want at least the interval", i-1, i, gap)
		}
	}
	in := f.inputs[0]
	if len(in.LookupAttributes) != 1 || aws.ToString(in.LookupAttributes[0].AttributeValue) != "CreateAccessEntry" || !aws.ToTime(in.StartTime).Equal(base) || aws.ToInt32(in.MaxResults) != 50 {
		t.Errorf("request: got %+v", in)
	}

	f.fail = &smithy.GenericAPIError{Code: "ThrottlingException"}
	if _, err := c.Events(context.Background(), "eu-west-1", "CreateAccessEntry", base, base.Add(time.Hour)); !errors.Is(err, f.fail) || !strings.Contains(err.Error(), "cloudtrail eu-west-1: LookupEvents CreateAccessEntry") {
		t.Errorf("got %v, want the error with its call", err)
	}
}
