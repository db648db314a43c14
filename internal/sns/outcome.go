package sns

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/eksdrift/eksdrift/internal/drift"
	"github.com/eksdrift/eksdrift/internal/notice"
)

// AttrResult is the outcome's result (reverted, dry-run, revert-failed ...);
// only outcome messages have it.
const AttrResult = "result"

// PublishOutcome sends what the reverter did about a finding: the outcome's
// JSON as the message, with the finding's attributes (so whoever received
// the finding receives its outcome), messageType "outcome" and the result.
// An outcome that needs a person now (a failed revert, an open circuit
// breaker, a guarded lock-out) is published as critical whatever the
// finding's severity.
func (p *Publisher) PublishOutcome(ctx context.Context, o drift.Outcome) error {
	if p.topicARN == "" {
		return fmt.Errorf("sns: cannot publish the outcome of %s: no topic ARN", o.FindingID)
	}
	body, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("sns: cannot encode the outcome of %s: %w", o.FindingID, err)
	}
	attrs := outcomeAttributes(o)
	if n := payloadSize(body, attrs); n > maxPayload {
		return fmt.Errorf("sns %s: the outcome of %s is %d bytes with its attributes, over the %d bytes SNS takes", p.topicARN, o.FindingID, n, maxPayload)
	}
	_, err = p.client.Publish(ctx, &sns.PublishInput{
		TopicArn:          aws.String(p.topicARN),
		Message:           aws.String(string(body)),
		Subject:           aws.String(outcomeSubject(o)),
		MessageAttributes: messageAttributes(attrs),
	})
	if err != nil {
		return fmt.Errorf("sns %s: publishing the outcome of %s: %w", p.topicARN, o.FindingID, err)
	}
	return nil
}

func outcomeAttributes(o drift.Outcome) map[string]string {
	attrs := findingAttributes(o.Finding)
	attrs[AttrMessageType] = MessageTypeOutcome
	attrs[AttrResult] = orNone(o.Result.Result)
	if o.Result.Critical {
		attrs[AttrSeverity] = string(drift.SeverityCritical)
	}
	return attrs
}

// outcomeSubject reads like "eksdrift reverted: prod access-entry
// contractor" or "eksdrift REVERT FAILED: ...".
func outcomeSubject(o drift.Outcome) string {
	f := o.Finding
	where := f.Cluster
	if where == "" {
		where = f.Account
	}
	what := strings.Join([]string{orNone(where), string(f.Kind), notice.ShortResource(f, " ")}, " ")
	verb := map[string]string{
		drift.ResultReverted:         "reverted",
		drift.ResultAlreadyCompliant: "nothing to revert",
		drift.ResultDryRun:           "dry run",
		drift.ResultRevertFailed:     "REVERT FAILED",
		drift.ResultSkipped:          "revert skipped",
	}[o.Result.Result]
	if verb == "" {
		verb = o.Result.Result
	}
	if o.Result.Critical && o.Result.Result == drift.ResultSkipped {
		verb = "REVERT HELD BACK"
	}
	s := plainASCII("eksdrift " + verb + ": " + what)
	if len(s) > maxSubject {
		s = strings.TrimRight(s[:maxSubject-3], " ") + "..."
	}
	return s
}
