package dynamodb

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The sweep record is one item in the history table, as the checkpoints
// are: the reconcile function's fan-out keeps there which targets of its
// current round it has read and what it could not read, so the next
// invocation resumes the round. The document is the reconciler's (JSON);
// the store only keeps it. Like a checkpoint, the item has no AttrFinding
// and no index attribute: queries, scans and indexes never see it.
const (
	// SweepRecordPrefix starts the PartitionKey of a sweep record item.
	SweepRecordPrefix = "eksdrift:sweep:"
	AttrSweepRecord   = "record"
	// maxSweepRecord keeps the item well under DynamoDB's 400 KB.
	maxSweepRecord = 350 << 10
)

// SweepRecord returns the document stored under name, and false when there
// is none.
func (s *Store) SweepRecord(ctx context.Context, name string) ([]byte, bool, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]types.AttributeValue{PartitionKey: str(SweepRecordPrefix + name)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, false, fmt.Errorf("dynamodb history %s: sweep record %s: cannot read: %w", s.table, name, err)
	}
	v := stringAttr(out.Item, AttrSweepRecord)
	if v == "" {
		return nil, false, nil
	}
	return []byte(v), true, nil
}

// SaveSweepRecord stores doc under name, replacing the one there.
func (s *Store) SaveSweepRecord(ctx context.Context, name string, doc []byte) error {
	if len(doc) > maxSweepRecord {
		return fmt.Errorf("dynamodb history %s: sweep record %s: %d bytes is more than the %d an item may hold", s.table, name, len(doc), maxSweepRecord)
	}
	_, err := s.client.PutItem(ctx, &ddb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			PartitionKey:    str(SweepRecordPrefix + name),
			AttrSweepRecord: str(string(doc)),
			AttrUpdatedAt:   str(s.now().UTC().Format(timeLayout)),
		},
	})
	if err != nil {
		return fmt.Errorf("dynamodb history %s: sweep record %s: cannot store: %w", s.table, name, err)
	}
	return nil
}
