package dynamodb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/eksdrift/eksdrift/internal/drift"
)

// What Slack's buttons leave in the history table, one item each, like
// leases: no AttrFinding (Query and Scan of findings never return them),
// no index attribute, and AttrExpiresAt for DynamoDB's TTL.
//
//   - a seen request (RequestPrefix + the SHA-256 of its signature): a
//     replay of a signed request inside Slack's five minutes is refused;
//   - an approval (ApprovalPrefix + its ID): the reverter acts only on a
//     request whose approval exists, and consumes it once (AttrConsumedAt);
//   - a snooze (SnoozePrefix + the drift key): the notifier stays quiet
//     about that drift until AttrSnoozedUntil;
//   - an interaction (InteractionPrefix + time + random): the audit record
//     of a button press, allowed or refused, kept a year.
const (
	RequestPrefix     = "eksdrift:slack-request:"
	ApprovalPrefix    = "eksdrift:approval:"
	SnoozePrefix      = "eksdrift:snooze:"
	InteractionPrefix = "eksdrift:interaction:"
	AttrRecord        = "record"       // the approval or interaction, JSON
	AttrConsumedAt    = "consumedAt"   // approval: Unix milliseconds, once consumed
	AttrSnoozedUntil  = "snoozedUntil" // snooze: Unix milliseconds
	AttrSnoozedBy     = "snoozedBy"
	interactionKeep   = 366 * 24 * time.Hour
)

// NoteRequest records a signed request's signature until expires, with a
// conditional put: it reports false when the signature was seen before,
// which is a replay.
func (s *Store) NoteRequest(ctx context.Context, signature string, expires time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(signature))
	it := itemKey(RequestPrefix, hex.EncodeToString(sum[:]))
	it[AttrExpiresAt] = num(expires.Unix())
	_, err := s.client.PutItem(ctx, &ddb.PutItemInput{
		TableName: aws.String(s.table), Item: it,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": PartitionKey},
	})
	var seen *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &seen):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("dynamodb history %s: cannot note a Slack request: %w", s.table, err)
	}
	return true, nil
}

// PutApproval writes an approval; an ID written before is an error.
func (s *Store) PutApproval(ctx context.Context, a drift.Approval) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("dynamodb history %s: approval %s: %w", s.table, a.ID, err)
	}
	it := itemKey(ApprovalPrefix, a.ID)
	it[AttrRecord] = str(string(doc))
	it[AttrExpiresAt] = num(a.Expires.Add(interactionKeep).Unix())
	_, err = s.client.PutItem(ctx, &ddb.PutItemInput{
		TableName: aws.String(s.table), Item: it,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": PartitionKey},
	})
	if err != nil {
		return fmt.Errorf("dynamodb history %s: cannot write approval %s: %w", s.table, a.ID, err)
	}
	return nil
}

// ConsumeApproval marks the approval consumed at at and returns it, once:
// a second call for the same ID, or a call for an ID never written,
// reports false. One conditional update decides, so two reverters given the
// same request cannot both have it.
func (s *Store) ConsumeApproval(ctx context.Context, id string, at time.Time) (drift.Approval, bool, error) {
	out, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       itemKey(ApprovalPrefix, id),
		UpdateExpression:          aws.String("SET #c = :at"),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND attribute_not_exists(#c)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#c": AttrConsumedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": num(at.UnixMilli())},
		ReturnValues:              types.ReturnValueAllOld,
	})
	var gone *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &gone):
		return drift.Approval{}, false, nil
	case err != nil:
		return drift.Approval{}, false, fmt.Errorf("dynamodb history %s: cannot consume approval %s: %w", s.table, id, err)
	}
	var a drift.Approval
	if err := json.Unmarshal([]byte(stringAttr(out.Attributes, AttrRecord)), &a); err != nil {
		return drift.Approval{}, false, fmt.Errorf("dynamodb history %s: approval %s cannot be read: %w", s.table, id, err)
	}
	return a, true, nil
}

// Snooze keeps the notifier quiet about a drift key until until; a later
// snooze replaces an earlier one.
func (s *Store) Snooze(ctx context.Context, driftKey string, until time.Time, by string) error {
	it := itemKey(SnoozePrefix, driftKey)
	it[AttrSnoozedUntil] = num(until.UnixMilli())
	it[AttrSnoozedBy] = str(by)
	it[AttrExpiresAt] = num(until.Add(leaseKeep).Unix())
	if _, err := s.client.PutItem(ctx, &ddb.PutItemInput{TableName: aws.String(s.table), Item: it}); err != nil {
		return fmt.Errorf("dynamodb history %s: cannot snooze %s: %w", s.table, driftKey, err)
	}
	return nil
}

// SnoozedUntil gives when a drift key's snooze ends; the zero time when it
// has none.
func (s *Store) SnoozedUntil(ctx context.Context, driftKey string) (time.Time, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{TableName: aws.String(s.table), Key: itemKey(SnoozePrefix, driftKey), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return time.Time{}, fmt.Errorf("dynamodb history %s: cannot read the snooze of %s: %w", s.table, driftKey, err)
	}
	n, ok := out.Item[AttrSnoozedUntil].(*types.AttributeValueMemberN)
	if !ok {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("dynamodb history %s: snooze of %s: %w", s.table, driftKey, err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// RecordInteraction writes the audit record of a button press.
func (s *Store) RecordInteraction(ctx context.Context, in drift.Interaction) error {
	doc, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("dynamodb history %s: interaction: %w", s.table, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	it := itemKey(InteractionPrefix, in.At.UTC().Format(time.RFC3339Nano)+"/"+hex.EncodeToString(b))
	it[AttrRecord] = str(string(doc))
	it[AttrExpiresAt] = num(in.At.Add(interactionKeep).Unix())
	if _, err := s.client.PutItem(ctx, &ddb.PutItemInput{TableName: aws.String(s.table), Item: it}); err != nil {
		return fmt.Errorf("dynamodb history %s: cannot record the interaction of %s on %s: %w", s.table, in.User, in.FindingID, err)
	}
	return nil
}

// Interactions reads every interaction recorded, oldest first. It scans
// the table: an auditor's question, not a hot path.
func (s *Store) Interactions(ctx context.Context) ([]drift.Interaction, error) {
	in := &ddb.ScanInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("begins_with(#pk, :p)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(InteractionPrefix)},
	}
	var list []drift.Interaction
	for {
		out, err := s.client.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamodb history %s: cannot scan interactions: %w", s.table, err)
		}
		for _, it := range out.Items {
			var x drift.Interaction
			if err := json.Unmarshal([]byte(stringAttr(it, AttrRecord)), &x); err != nil {
				return nil, fmt.Errorf("dynamodb history %s: interaction %s cannot be read: %w", s.table, stringAttr(it, PartitionKey), err)
			}
			list = append(list, x)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	sortInteractions(list)
	return list, nil
}

func sortInteractions(list []drift.Interaction) {
	slices.SortStableFunc(list, func(a, b drift.Interaction) int { return a.At.Compare(b.At) })
}
