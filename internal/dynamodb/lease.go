package dynamodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Leases and breaker counts live in the history table too, one item each,
// like checkpoints: no AttrFinding (Query and Scan never return them) and
// no index attribute (they are in no index). The reverter serialises its
// work on one cluster (or one account's IAM roles) with a lease, so that a
// guard it checks (the last cluster-admin, the circuit breaker) still holds
// when it acts: a check-then-act by two concurrent reverters could
// otherwise each see the other's admin and both remove theirs.
const (
	// LeasePrefix and BreakerPrefix start the PartitionKey of those items.
	// Finding IDs always contain "#"; these keys never do.
	LeasePrefix   = "eksdrift:lease:"
	BreakerPrefix = "eksdrift:breaker:"
	AttrOwner     = "owner"        // who holds the lease
	AttrHeldUntil = "heldUntil"    // Unix milliseconds; the lease is free after it
	AttrReverts   = "reverts"      // breaker: JSON list of Unix milliseconds
	AttrVersion   = "version"      // breaker: optimistic concurrency
	leaseKeep     = 24 * time.Hour // TTL of a lease or breaker item after its last use
)

func itemKey(prefix, name string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{PartitionKey: str(prefix + strings.ReplaceAll(name, "#", "%23"))}
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// AcquireLease takes the lease called name for owner for ttl, by the
// store's clock (one clock decides both when a lease was taken and whether
// it has expired), with a conditional write: it succeeds when nobody holds the lease, when
// the holder's time has passed (a reverter that died), or when owner holds
// it already. It reports false, with no error, when someone else holds it.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	now := s.now()
	until := now.Add(ttl)
	it := itemKey(LeasePrefix, name)
	it[AttrOwner] = str(owner)
	it[AttrHeldUntil] = num(until.UnixMilli())
	it[AttrExpiresAt] = num(until.Add(leaseKeep).Unix())
	_, err := s.client.PutItem(ctx, &ddb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      it,
		ConditionExpression:       aws.String("attribute_not_exists(#pk) OR #u < :now OR #o = :owner"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#u": AttrHeldUntil, "#o": AttrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.UnixMilli()), ":owner": str(owner)},
	})
	var held *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &held):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("dynamodb history %s: lease %s: cannot acquire: %w", s.table, name, err)
	}
	return true, nil
}

// ReleaseLease frees the lease if owner still holds it; a lease that
// expired and was taken by someone else is left to them.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	_, err := s.client.UpdateItem(ctx, &ddb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       itemKey(LeasePrefix, name),
		UpdateExpression:          aws.String("SET #u = :zero"),
		ConditionExpression:       aws.String("#o = :owner"),
		ExpressionAttributeNames:  map[string]string{"#u": AttrHeldUntil, "#o": AttrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": num(0), ":owner": str(owner)},
	})
	var gone *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("dynamodb history %s: lease %s: cannot release: %w", s.table, name, err)
	}
	return nil
}

// breaker reads the revert times kept for a scope, and the item's version.
func (s *Store) breaker(ctx context.Context, scope string) ([]int64, int64, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{TableName: aws.String(s.table), Key: itemKey(BreakerPrefix, scope), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, 0, fmt.Errorf("dynamodb history %s: breaker %s: cannot read: %w", s.table, scope, err)
	}
	var times []int64
	if v := stringAttr(out.Item, AttrReverts); v != "" {
		if err := json.Unmarshal([]byte(v), &times); err != nil {
			return nil, 0, fmt.Errorf("dynamodb history %s: breaker %s: cannot decode: %w", s.table, scope, err)
		}
	}
	var version int64
	if n, ok := out.Item[AttrVersion].(*types.AttributeValueMemberN); ok {
		version, _ = strconv.ParseInt(n.Value, 10, 64)
	}
	return times, version, nil
}

// RecentReverts counts the reverts noted for scope at or after since.
func (s *Store) RecentReverts(ctx context.Context, scope string, since time.Time) (int, error) {
	times, _, err := s.breaker(ctx, scope)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range times {
		if t >= since.UnixMilli() {
			n++
		}
	}
	return n, nil
}

// NoteRevert adds a revert at time at to scope's count, forgetting those
// before keepSince. A concurrent note makes it read again and retry.
func (s *Store) NoteRevert(ctx context.Context, scope string, at, keepSince time.Time) error {
	for attempt := 0; attempt < 5; attempt++ {
		times, version, err := s.breaker(ctx, scope)
		if err != nil {
			return err
		}
		kept := []int64{}
		for _, t := range times {
			if t >= keepSince.UnixMilli() {
				kept = append(kept, t)
			}
		}
		kept = append(kept, at.UnixMilli())
		doc, _ := json.Marshal(kept)
		it := itemKey(BreakerPrefix, scope)
		it[AttrReverts] = str(string(doc))
		it[AttrVersion] = num(version + 1)
		it[AttrExpiresAt] = num(at.Add(leaseKeep).Unix())
		cond, values := "attribute_not_exists(#v)", map[string]types.AttributeValue(nil)
		if version > 0 {
			cond, values = "#v = :v", map[string]types.AttributeValue{":v": num(version)}
		}
		_, err = s.client.PutItem(ctx, &ddb.PutItemInput{
			TableName: aws.String(s.table), Item: it, ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: map[string]string{"#v": AttrVersion}, ExpressionAttributeValues: values,
		})
		var raced *types.ConditionalCheckFailedException
		if errors.As(err, &raced) {
			continue
		}
		if err != nil {
			return fmt.Errorf("dynamodb history %s: breaker %s: cannot note a revert: %w", s.table, scope, err)
		}
		return nil
	}
	return fmt.Errorf("dynamodb history %s: breaker %s: too many concurrent notes", s.table, scope)
}
