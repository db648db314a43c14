package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/metrics"
	"github.com/eksdrift/eksdrift/internal/securityhub"
)

type (
	sqsEvent    = events.SQSEvent
	sqsResponse = events.SQSEventResponse
	handler     func(context.Context, sqsEvent) (sqsResponse, error)
)

// importer is the adapter's one call.
type importer interface {
	Import(ctx context.Context, findings []types.AwsSecurityFinding) error
}

type forwarder struct {
	product  securityhub.Product
	importer importer
	log      *slog.Logger
	metrics  *metrics.Set
}

// pending is one message's finding, converted, waiting to be imported.
type pending struct {
	messageID string
	finding   types.AwsSecurityFinding
	outcome   bool
}

// handle converts each message and imports them all in one go. A message
// that is not a finding or an outcome, or whose finding Security Hub
// refused, is reported as a batch item failure: retried, then kept in the
// dead-letter queue. When the import fails as a whole, every message is.
func (fw *forwarder) handle(ctx context.Context, ev sqsEvent) sqsResponse {
	var resp sqsResponse
	fail := func(id string, err error) {
		fw.metrics.Add(metrics.Errors, 1)
		fw.log.ErrorContext(ctx, "message not imported: it will be retried, then kept in the dead-letter queue", "messageId", id, "error", err)
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	var all []pending
	for _, m := range ev.Records {
		p, skip, err := fw.convert(m.Body)
		switch {
		case err != nil:
			fail(m.MessageId, err)
		case skip:
			fw.metrics.Add(metrics.SecurityHubSkipped, 1)
		default:
			p.messageID = m.MessageId
			all = append(all, p)
		}
	}
	batch, by := latest(all)
	if len(batch) == 0 {
		return resp
	}
	err := fw.importer.Import(ctx, batch)
	var refused *securityhub.FailedError
	switch {
	case errors.As(err, &refused):
		for _, p := range all {
			if why, ok := refused.Failed[aws.ToString(p.finding.Id)]; ok {
				fail(p.messageID, fmt.Errorf("security hub refused finding %s: %s", aws.ToString(p.finding.Id), why))
			}
		}
		fw.metrics.Add(metrics.SecurityHubImported, float64(len(batch)-len(refused.Failed)))
	case err != nil:
		for _, p := range all {
			fail(p.messageID, err)
		}
	default:
		fw.metrics.Add(metrics.SecurityHubImported, float64(len(batch)))
		for _, f := range batch {
			fw.log.InfoContext(ctx, "imported", "id", aws.ToString(f.Id), "messages", by[aws.ToString(f.Id)],
				"compliance", f.Compliance.Status, "recordState", f.RecordState)
		}
	}
	return resp
}

// latest keeps one finding per Id, the latest (an outcome over the finding
// it follows when both came in one batch), in the order they came: two
// versions of one finding in one request would leave Security Hub to
// choose.
func latest(all []pending) ([]types.AwsSecurityFinding, map[string][]string) {
	keep := map[string]int{}
	by := map[string][]string{}
	for i, p := range all {
		id := aws.ToString(p.finding.Id)
		by[id] = append(by[id], p.messageID)
		j, ok := keep[id]
		if !ok || newer(p, all[j]) {
			keep[id] = i
		}
	}
	var out []types.AwsSecurityFinding
	for i, p := range all {
		if keep[aws.ToString(p.finding.Id)] == i {
			out = append(out, p.finding)
		}
	}
	return out, by
}

func newer(a, b pending) bool {
	ua, ub := aws.ToString(a.finding.UpdatedAt), aws.ToString(b.finding.UpdatedAt)
	if ua != ub {
		return ua > ub // one format, in UTC: the strings sort as the times
	}
	return a.outcome && !b.outcome
}

// convert reads a queued message (the raw SNS message, or its envelope)
// as an outcome or a finding and converts it. Each is imported as of its
// own time (the outcome's, the finding's last event), not the forwarder's
// clock, so that a redelivered or late message cannot look newer than
// what followed it. eksdrift's own remediations are skipped: the outcome
// that follows them says what they did.
func (fw *forwarder) convert(body string) (p pending, skip bool, err error) {
	var env struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}
	if json.Unmarshal([]byte(body), &env) == nil && env.Type == "Notification" {
		body = env.Message
	}
	var probe struct {
		FindingID string          `json:"findingId"`
		Result    json.RawMessage `json:"result"`
	}
	if json.Unmarshal([]byte(body), &probe) == nil && probe.FindingID != "" && probe.Result != nil {
		var o drift.Outcome
		if err := json.Unmarshal([]byte(body), &o); err != nil {
			return p, false, fmt.Errorf("not an outcome: %w", err)
		}
		if err := valid(o.Finding); err != nil {
			return p, false, fmt.Errorf("outcome of finding %q: %w", o.FindingID, err)
		}
		if o.At.IsZero() {
			o.At = o.Result.At
		}
		return pending{finding: securityhub.Outcome(fw.product, o), outcome: true}, false, nil
	}
	var f drift.Finding
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return p, false, fmt.Errorf("not a finding: %w", err)
	}
	if err := valid(f); err != nil {
		return p, false, err
	}
	if f.Decision == drift.DecisionRemediation {
		return p, true, nil
	}
	at := f.EventTime
	if o := f.Outcome; o != nil && o.At.After(at) {
		at = o.At
	}
	return pending{finding: securityhub.Finding(fw.product, f, at)}, false, nil
}

func valid(f drift.Finding) error {
	if f.EventID == "" || f.Kind == "" || f.EventTime.IsZero() {
		return errors.New("not a finding: no eventId, kind or eventTime")
	}
	return nil
}
