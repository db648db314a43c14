package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Checkpoints live in the history table, one item each, like the day
// bounds: the reconcile function keeps there how far its CloudTrail
// catch-up got, so the next run, in a new process, starts from it. A
// checkpoint item has no AttrFinding, so Query and Scan never return it,
// and no index attribute, so it is in no index.
const (
	// CheckpointPrefix starts the PartitionKey of a checkpoint item.
	// Finding IDs always contain "#"; checkpoint keys do not.
	CheckpointPrefix = "eksdrift:checkpoint:"
	AttrCheckpointAt = "checkpointAt" // as eventTime
	AttrUpdatedAt    = "updatedAt"    // when it was last moved, as eventTime
)

// ErrCheckpointBehind is what SetCheckpoint wraps when the stored
// checkpoint is already later: another run got further.
var ErrCheckpointBehind = errors.New("the stored checkpoint is later")

// Checkpoint returns the time stored under name, and false when there is
// none yet.
func (s *Store) Checkpoint(ctx context.Context, name string) (time.Time, bool, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]types.AttributeValue{PartitionKey: str(CheckpointPrefix + name)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("dynamodb history %s: checkpoint %s: cannot read: %w", s.table, name, err)
	}
	v := stringAttr(out.Item, AttrCheckpointAt)
	if v == "" {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(timeLayout, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("dynamodb history %s: checkpoint %s is damaged (%q): %w", s.table, name, v, err)
	}
	return t, true, nil
}

// SetCheckpoint stores t under name. A checkpoint only moves forward: when
// the stored one is later (a concurrent or newer run got further), nothing
// changes and the error wraps ErrCheckpointBehind.
func (s *Store) SetCheckpoint(ctx context.Context, name string, t time.Time) error {
	t = t.UTC()
	if t.Before(minEventTime) || t.After(maxEventTime) {
		return fmt.Errorf("dynamodb history %s: checkpoint %s: time %v is outside the years 0000 to 9999", s.table, name, t)
	}
	_, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{PartitionKey: str(CheckpointPrefix + name)},
		UpdateExpression:          aws.String("SET #c = :t, #u = :now"),
		ConditionExpression:       aws.String("attribute_not_exists(#c) OR #c <= :t"),
		ExpressionAttributeNames:  map[string]string{"#c": AttrCheckpointAt, "#u": AttrUpdatedAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(t.Format(timeLayout)), ":now": str(s.now().UTC().Format(timeLayout))},
	})
	var behind *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &behind):
		return fmt.Errorf("dynamodb history %s: checkpoint %s: not moved back to %s: %w", s.table, name, t.Format(time.RFC3339), ErrCheckpointBehind)
	case err != nil:
		return fmt.Errorf("dynamodb history %s: checkpoint %s: cannot store: %w", s.table, name, err)
	}
	return nil
}
