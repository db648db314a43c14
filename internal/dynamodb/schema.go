// Package dynamodb keeps the finding history of the deployed detector in a
// DynamoDB table, for the auditors' questions: what happened on this
// cluster, to this principal, by this actor, or anywhere between two dates.
// The CDK stack builds the table from TableSchema, so the stack and the
// store cannot disagree on names.
//
// # Key design
//
// One item per finding. The base table's key is the finding ID alone
// (PartitionKey), so a put conditioned on attribute_not_exists makes a
// redelivered event record nothing twice, and the first record of an ID wins.
//
// Every index sorts on SortKey, the event time as fixed-width UTC RFC 3339
// with nanoseconds ("2026-03-14T09:26:53.589793238Z"), then "#", then the
// finding ID: as text it sorts by the instant, then by ID, the order Query
// promises, and Since/Until become key conditions. Event times must lie in
// the years 0000 to 9999 for the width to hold.
//
//	index        partition key                          sort key
//	(table)      pk        finding ID                   -
//	byCluster    cluster   cluster name                 sk
//	byPrincipal  principal principal ARN                sk
//	byActor      actor     actor ARN                    sk
//	byDay        day       UTC date of the event time   sk
//
// byCluster is keyed by the bare cluster name, as HistoryQuery.Cluster is: a
// name is matched across accounts and regions, like the SQLite store does.
// Findings of IAM kinds have no cluster, and some findings no principal or
// actor; those attributes are then left out, so the item is absent from that
// index (DynamoDB rejects empty key strings, and sparse indexes cost less).
//
// byDay answers time ranges across clusters, one partition per UTC day. A
// query with an open end, or with no time at all, needs the first and last
// days that hold findings: they are kept in one more item (BoundsID), widened
// before any finding of a new day is written, so no finding is ever outside
// them. A range of more than MaxDays days is refused rather than read day by
// day, unless the query has no filter at all, which is a Scan.
//
// All indexes project every attribute, so a query reads each finding once.
// Besides the keys, an item holds the whole finding in its public JSON form
// (AttrFinding), which is what Query returns, so every field reads back
// exactly; and the fields auditors filter on in the console, as plain
// attributes (eventTime, kind, drift, severity, decision, ...). AttrExpiresAt,
// when the store has a retention, lets DynamoDB's TTL delete old findings;
// AttrNotifiedAt, set when the detector has published the finding, is kept
// apart from the JSON so that marking it rewrites nothing else.
//
// Writes go to the partitions of the day and of the cluster being changed;
// at the rate access changes happen, far below a partition's 1,000 writes a
// second.
package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Key attributes.
const (
	PartitionKey  = "pk"        // the table's key: the finding ID
	SortKey       = "sk"        // every index's sort key: eventTime#ID
	AttrCluster   = "cluster"   // byCluster's partition key
	AttrPrincipal = "principal" // byPrincipal's partition key
	AttrActor     = "actor"     // byActor's partition key
	AttrDay       = "day"       // byDay's partition key: 2006-01-02, UTC
)

// Other attributes of a finding's item.
const (
	AttrFinding     = "finding"   // the whole finding, JSON
	AttrEventTime   = "eventTime" // as in the sort key
	AttrEventID     = "eventId"
	AttrEventName   = "eventName"
	AttrAccount     = "account"
	AttrRegion      = "region"
	AttrKind        = "kind"
	AttrResource    = "resource"
	AttrDrift       = "drift" // a boolean
	AttrSeverity    = "severity"
	AttrDecision    = "decision"
	AttrDetectedBy  = "detectedBy"
	AttrExpiresAt   = "expiresAt"        // Unix seconds, the TTL attribute; only with a retention
	AttrNotifiedAt  = "notifiedAt"       // as eventTime; set by MarkNotified
	AttrOutcome     = "outcome"          // the reverter's outcome as JSON; set by SetOutcome
	AttrClaim       = "publishClaim"     // who may publish the finding; set by ClaimPublication
	AttrClaimedAt   = "publishClaimedAt" // as eventTime; when AttrClaim was taken
	AttrResult      = "result"           // the outcome's result, for the console
	AttrBoundsFirst = "firstDay"         // on the bounds item
	AttrBoundsLast  = "lastDay"          // on the bounds item
)

// Index names.
const (
	IndexByCluster   = "byCluster"
	IndexByPrincipal = "byPrincipal"
	IndexByActor     = "byActor"
	IndexByDay       = "byDay"
)

// BoundsID is the PartitionKey of the item that holds the first and last
// days with findings. Finding IDs always contain "#"; it does not.
const BoundsID = "eksdrift:day-bounds"

// MaxDays is the longest time range, in UTC days, that a query reads from
// byDay.
const MaxDays = 400

// AttributeTypeString is DynamoDB's type for string attributes, the only
// type the keys use.
const AttributeTypeString = "S"

// KeyAttribute is a key attribute and its DynamoDB type.
type KeyAttribute struct {
	Name string
	Type string // "S"
}

// IndexSchema is a global secondary index.
type IndexSchema struct {
	Name         string
	PartitionKey KeyAttribute
	SortKey      KeyAttribute
	Projection   string // "ALL"
}

// Schema is the table as the store needs it. Billing is on demand: writes
// come in bursts when someone changes access, and are few otherwise.
type Schema struct {
	PartitionKey KeyAttribute
	Indexes      []IndexSchema
	TTLAttribute string
	BillingMode  string // "PAY_PER_REQUEST"
}

// TableSchema describes the table: CreateTable makes it for tests and local
// use, and the CDK stack makes the deployed one from it.
func TableSchema() Schema {
	str := func(name string) KeyAttribute { return KeyAttribute{Name: name, Type: AttributeTypeString} }
	index := func(name, pk string) IndexSchema {
		return IndexSchema{Name: name, PartitionKey: str(pk), SortKey: str(SortKey), Projection: string(types.ProjectionTypeAll)}
	}
	return Schema{
		PartitionKey: str(PartitionKey),
		Indexes: []IndexSchema{
			index(IndexByCluster, AttrCluster),
			index(IndexByPrincipal, AttrPrincipal),
			index(IndexByActor, AttrActor),
			index(IndexByDay, AttrDay),
		},
		TTLAttribute: AttrExpiresAt,
		BillingMode:  string(types.BillingModePayPerRequest),
	}
}

// tableMaker is what CreateTable calls; *dynamodb.Client has it.
type tableMaker interface {
	CreateTable(ctx context.Context, in *ddb.CreateTableInput, optFns ...func(*ddb.Options)) (*ddb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *ddb.DescribeTableInput, optFns ...func(*ddb.Options)) (*ddb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *ddb.UpdateTimeToLiveInput, optFns ...func(*ddb.Options)) (*ddb.UpdateTimeToLiveOutput, error)
}

// tableWait bounds how long CreateTable waits for the table to be active.
const tableWait = 5 * time.Minute

// CreateTable creates a history table as TableSchema describes it, waits
// until it is active and turns TTL on. It is for tests and local use; the
// deployed table comes from the CDK stack.
func CreateTable(ctx context.Context, client tableMaker, name string) error {
	s := TableSchema()
	defs := map[string]types.ScalarAttributeType{s.PartitionKey.Name: types.ScalarAttributeType(s.PartitionKey.Type)}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range s.Indexes {
		defs[ix.PartitionKey.Name] = types.ScalarAttributeType(ix.PartitionKey.Type)
		defs[ix.SortKey.Name] = types.ScalarAttributeType(ix.SortKey.Type)
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PartitionKey.Name), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SortKey.Name), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionType(ix.Projection)},
		})
	}
	var attrs []types.AttributeDefinition
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		attrs = append(attrs, types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: defs[name]})
	}
	in := &ddb.CreateTableInput{
		TableName:              aws.String(name),
		BillingMode:            types.BillingMode(s.BillingMode),
		AttributeDefinitions:   attrs,
		KeySchema:              []types.KeySchemaElement{{AttributeName: aws.String(s.PartitionKey.Name), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: gsis,
	}
	// CreateTable is not idempotent: when a response is lost after the table
	// was made, the SDK's retry meets "already exists". So the call is made
	// without the SDK's retries, and a failed attempt asks DescribeTable
	// whether it went through before trying again.
	noRetry := func(o *ddb.Options) { o.RetryMaxAttempts = 1 }
	for attempt := 1; ; attempt++ {
		_, err := client.CreateTable(ctx, in, noRetry)
		if err == nil {
			break
		}
		var inUse *types.ResourceInUseException
		if errors.As(err, &inUse) {
			return fmt.Errorf("dynamodb history %s: the table already exists: %w", name, err)
		}
		if _, derr := client.DescribeTable(ctx, &ddb.DescribeTableInput{TableName: aws.String(name)}); derr == nil {
			break // this attempt made it; only its answer was lost
		}
		if attempt == 3 || ctx.Err() != nil {
			return fmt.Errorf("dynamodb history %s: cannot create the table: %w", name, err)
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	err := ddb.NewTableExistsWaiter(client).Wait(ctx, &ddb.DescribeTableInput{TableName: aws.String(name)}, tableWait)
	if err != nil {
		return fmt.Errorf("dynamodb history %s: the table did not become active: %w", name, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &ddb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(s.TTLAttribute), Enabled: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("dynamodb history %s: cannot turn on TTL on %s: %w", name, s.TTLAttribute, err)
	}
	return nil
}
