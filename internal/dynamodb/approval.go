package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Approvals of accepting a finding's drift into the baseline live in the
// history table too, one item per finding, like leases (no AttrFinding, in
// no index). A grant of cluster-admin accepted into the baseline needs two
// different people: the first approval is recorded here, pending until it
// expires; a second, different approver completes it. Both steps are
// conditional writes, so two approvers pressing at once give exactly one
// completion.
const (
	// AcceptApprovalPrefix starts the PartitionKey of an acceptance's approval
	// item (apart from the revert approvals of interact.go)
	AcceptApprovalPrefix = "eksdrift:accept-approval:"
	AttrFirstApprover    = "firstApprover"
	AttrSecondApprover   = "secondApprover"
	AttrPendingUntil     = "pendingUntil" // Unix milliseconds; the first approval lapses after it
)

// Approval is where the approvals of one finding stand after a call.
type Approval struct {
	// First is who approved first; Second who completed it ("" while
	// pending).
	First, Second string
	// Until is when a pending approval lapses.
	Until time.Time
	// Complete is true when this call made (or, for the same second
	// approver retrying, had made) the second approval.
	Complete bool
	// Repeated is true when the approver had already given the first
	// approval: the same person twice is not two approvers.
	Repeated bool
}

// Approve records approver's approval of accepting finding id at at. With
// no approval pending it records the first, pending for pendingFor. With one
// pending from someone else it completes it. It never completes with the
// first approver, and a completed approval is not completed again by a
// third person (Complete false, First and Second say who).
func (s *Store) Approve(ctx context.Context, id, approver string, at time.Time, pendingFor time.Duration) (Approval, error) {
	if approver == "" {
		return Approval{}, fmt.Errorf("dynamodb history %s: approval of %s: no approver", s.table, id)
	}
	for range 3 {
		a, done, err := s.approveOnce(ctx, id, approver, at, pendingFor)
		if err != nil || done {
			return a, err
		}
	}
	return Approval{}, fmt.Errorf("dynamodb history %s: approval of %s: the approval kept changing", s.table, id)
}

func (s *Store) approveOnce(ctx context.Context, id, approver string, at time.Time, pendingFor time.Duration) (Approval, bool, error) {
	until := at.Add(pendingFor)
	it := itemKey(AcceptApprovalPrefix, id)
	it[AttrFirstApprover] = str(approver)
	it[AttrPendingUntil] = num(until.UnixMilli())
	it[AttrExpiresAt] = num(until.Add(leaseKeep).Unix())
	_, err := s.client.PutItem(ctx, &ddb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      it,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR (#u < :now AND attribute_not_exists(#s))"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#u": AttrPendingUntil, "#s": AttrSecondApprover},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(at.UnixMilli())},
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return Approval{First: approver, Until: until}, true, nil
	case !errors.As(err, &failed):
		return Approval{}, false, fmt.Errorf("dynamodb history %s: approval of %s: cannot record: %w", s.table, id, err)
	}
	out, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 itemKey(AcceptApprovalPrefix, id),
		UpdateExpression:    aws.String("SET #s = :me"),
		ConditionExpression: aws.String("#f <> :me AND #u >= :now AND (attribute_not_exists(#s) OR #s = :me)"),
		ExpressionAttributeNames: map[string]string{
			"#f": AttrFirstApprover, "#s": AttrSecondApprover, "#u": AttrPendingUntil,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": str(approver), ":now": num(at.UnixMilli())},
		ReturnValues:              types.ReturnValueAllNew,
	})
	switch {
	case err == nil:
		a := approvalOf(out.Attributes)
		a.Complete = true
		return a, true, nil
	case !errors.As(err, &failed):
		return Approval{}, false, fmt.Errorf("dynamodb history %s: approval of %s: cannot complete: %w", s.table, id, err)
	}
	got, err := s.client.GetItem(ctx, &ddb.GetItemInput{TableName: aws.String(s.table), Key: itemKey(AcceptApprovalPrefix, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Approval{}, false, fmt.Errorf("dynamodb history %s: approval of %s: cannot read: %w", s.table, id, err)
	}
	if got.Item == nil {
		return Approval{}, false, nil // deleted meanwhile: try again
	}
	a := approvalOf(got.Item)
	switch {
	case a.Second != "":
		return a, true, nil // completed by others
	case a.First == approver && !a.Until.Before(at):
		a.Repeated = true
		return a, true, nil
	}
	return Approval{}, false, nil // lapsed or changed meanwhile: try again
}

func approvalOf(it map[string]types.AttributeValue) Approval {
	a := Approval{First: stringAttr(it, AttrFirstApprover), Second: stringAttr(it, AttrSecondApprover)}
	if n, ok := it[AttrPendingUntil].(*types.AttributeValueMemberN); ok {
		if ms, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			a.Until = time.UnixMilli(ms).UTC()
		}
	}
	return a
}
