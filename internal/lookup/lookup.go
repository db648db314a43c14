// Package lookup is eksdrift's adapter to CloudTrail's LookupEvents API:
// the last 90 days of management events of one region, searchable by event
// name. The reconcile function uses it to catch up on events EventBridge
// did not deliver. It hands back each event's CloudTrail record as CloudTrail
// wrote it (the CloudTrailEvent JSON), which internal/cloudtrail reads like
// any other record.
package lookup

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
)

// api is the one CloudTrail call the catch-up makes.
type api interface {
	LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

var _ api = (*cloudtrail.Client)(nil)

// Actions are the IAM actions the client calls. LookupEvents has no
// resource-level permissions: a policy must grant it on "*".
var Actions = []string{"cloudtrail:LookupEvents"}

// DefaultInterval spaces LookupEvents calls in one region: CloudTrail
// allows two a second per account and region, and throttles beyond.
const DefaultInterval = 500 * time.Millisecond

// maxResults is the largest page LookupEvents returns.
const maxResults = 50

// Client looks up events, region by region. It is safe for concurrent use.
type Client struct {
	newClient func(region string) api
	// Interval is the least time between two calls in one region (zero: no
	// pacing). The SDK's retries handle throttling that happens anyway.
	Interval time.Duration

	mu      sync.Mutex
	regions map[string]*region
}

type region struct {
	api  api
	mu   sync.Mutex
	last time.Time
}

// New gives a client that calls CloudTrail with cfg's credentials, in the
// region asked for, DefaultInterval apart.
func New(cfg aws.Config, optFns ...func(*cloudtrail.Options)) *Client {
	return newClient(func(r string) api {
		opts := append([]func(*cloudtrail.Options){func(o *cloudtrail.Options) { o.Region = r }}, optFns...)
		return cloudtrail.NewFromConfig(cfg, opts...)
	})
}

func newClient(f func(region string) api) *Client {
	return &Client{newClient: f, Interval: DefaultInterval, regions: map[string]*region{}}
}

func (c *Client) region(name string) *region {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.regions[name]
	if !ok {
		r = &region{api: c.newClient(name)}
		c.regions[name] = r
	}
	return r
}

// wait holds back a call until Interval has passed since the last one in
// the region.
func (c *Client) wait(ctx context.Context, r *region) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := time.Until(r.last.Add(c.Interval)); c.Interval > 0 && d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.last = time.Now()
	return nil
}

// Event is one event LookupEvents found.
type Event struct {
	ID   string
	Name string
	Time time.Time
	// Record is the CloudTrail record, as CloudTrail wrote it.
	Record json.RawMessage
}

// Events returns the events named eventName in region between from and to,
// oldest first, paging through every answer.
func (c *Client) Events(ctx context.Context, regionName, eventName string, from, to time.Time) ([]Event, error) {
	r := c.region(regionName)
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String(eventName)}},
		StartTime:        aws.Time(from.UTC()),
		EndTime:          aws.Time(to.UTC()),
		MaxResults:       aws.Int32(maxResults),
	}
	var out []Event
	seen := map[string]bool{}
	for page := 1; ; page++ {
		if err := c.wait(ctx, r); err != nil {
			return nil, err
		}
		resp, err := r.api.LookupEvents(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("cloudtrail %s: LookupEvents %s from %s to %s (page %d): %w",
				regionName, eventName, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), page, err)
		}
		for _, e := range resp.Events {
			id := aws.ToString(e.EventId)
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, Event{ID: id, Name: aws.ToString(e.EventName), Time: aws.ToTime(e.EventTime).UTC(), Record: json.RawMessage(aws.ToString(e.CloudTrailEvent))})
		}
		next := aws.ToString(resp.NextToken)
		if next == "" || (in.NextToken != nil && next == *in.NextToken) {
			break
		}
		in.NextToken = aws.String(next)
	}
	// LookupEvents answers newest first.
	slices.SortStableFunc(out, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return out, nil
}
