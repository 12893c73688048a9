package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// The store's errors are the core's: a missing request is tvm.ErrRequestNotFound, a
// lost race tvm.ErrStateConflict, and every other failure wraps tvm.ErrStateUnavailable.
var (
	ErrNotFound    = tvm.ErrRequestNotFound
	ErrConflict    = tvm.ErrStateConflict
	ErrUnavailable = tvm.ErrStateUnavailable
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Retention is how long a closed request stays in the table for audit.
const Retention = 90 * 24 * time.Hour

// maxList bounds List: the table of a TVM holds its recent requests, not millions.
const maxList = 1000

// Store is the table.
type Store struct {
	db    API
	table string
}

// New returns the store of table through db.
func New(db API, table string) *Store { return &Store{db: db, table: table} }

// Table returns the table's name.
func (s *Store) Table() string { return s.table }

func requestKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "REQ#" + id}}
}

func grantKey(caller, profile string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "GRANT#" + caller + "#" + profile}}
}

// ttl is when DynamoDB may delete a request's item.
func ttl(r wire.AccessRequest) string {
	end := r.ExpiresAt
	if r.GrantedUntil.After(end) {
		end = r.GrantedUntil
	}
	return strconv.FormatInt(end.Add(Retention).Unix(), 10)
}

func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// Create stores a new request at version 1; another request with the ID is ErrConflict.
func (s *Store) Create(ctx context.Context, r wire.AccessRequest) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	item := requestKey(r.ID)
	item["doc"] = &types.AttributeValueMemberS{Value: string(doc)}
	item["version"] = &types.AttributeValueMemberN{Value: "1"}
	item["ttl"] = &types.AttributeValueMemberN{Value: ttl(r)}
	item[writeIDAttr] = newWriteID()
	return s.put(ctx, "create request", &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
}

// writeIDAttr holds a random ID of the write that left an item as it is. The SDK retries
// a write whose answer was lost (a reset connection, a timeout), and the retry of a
// conditional write that landed fails its own condition: finding its own write ID in the
// item, it knows the write is done. Another writer that wrote the same values (two sweeps
// expiring one request) has another ID, and stays a conflict.
const writeIDAttr = "write_id"

func newWriteID() *types.AttributeValueMemberS {
	return &types.AttributeValueMemberS{Value: rand.Text()}
}

// put is a conditional PutItem of an item with a write ID: a failed condition over an
// item with that ID is the put's own retry, and a success.
func (s *Store) put(ctx context.Context, op string, in *dynamodb.PutItemInput) error {
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err := s.db.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && written(ccf.Item, in.Item[writeIDAttr]) {
		return nil
	}
	return classify(op, err)
}

// written reports whether item carries the write ID id.
func written(item map[string]types.AttributeValue, id types.AttributeValue) bool {
	got, ok1 := item[writeIDAttr].(*types.AttributeValueMemberS)
	want, ok2 := id.(*types.AttributeValueMemberS)
	return ok1 && ok2 && got.Value == want.Value
}

// Get reads a request and its version, consistently.
func (s *Store) Get(ctx context.Context, id string) (wire.AccessRequest, int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: requestKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return wire.AccessRequest{}, 0, unavailable("get request", err)
	}
	if out.Item == nil {
		return wire.AccessRequest{}, 0, ErrNotFound
	}
	return decode(out.Item)
}

func decode(item map[string]types.AttributeValue) (wire.AccessRequest, int, error) {
	var r wire.AccessRequest
	doc, ok1 := item["doc"].(*types.AttributeValueMemberS)
	ver, ok2 := item["version"].(*types.AttributeValueMemberN)
	if !ok1 || !ok2 {
		return r, 0, fmt.Errorf("%w: a request item lacks doc or version", ErrUnavailable)
	}
	v, err := strconv.Atoi(ver.Value)
	if err != nil {
		return r, 0, fmt.Errorf("%w: a request item's version is not a number", ErrUnavailable)
	}
	if err := json.Unmarshal([]byte(doc.Value), &r); err != nil {
		return r, 0, fmt.Errorf("%w: a request item's doc is not JSON", ErrUnavailable)
	}
	return r, v, nil
}

// Update writes r over the version read, as one transaction with what the change means
// for the requester's grant: an approved r puts its grant, a revoked one deletes the
// grant it gave (and only that one). A version that moved on is ErrConflict.
func (s *Store) Update(ctx context.Context, r wire.AccessRequest, version int) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	write := newWriteID()
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:           aws.String(s.table),
		Key:                 requestKey(r.ID),
		UpdateExpression:    aws.String("SET #doc = :doc, #version = :next, #ttl = :ttl, #write = :write"),
		ConditionExpression: aws.String("#version = :version"),
		// Seen by ownUpdate when the condition fails.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ExpressionAttributeNames: map[string]string{
			"#doc": "doc", "#version": "version", "#ttl": "ttl", "#write": writeIDAttr,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":doc":     &types.AttributeValueMemberS{Value: string(doc)},
			":next":    &types.AttributeValueMemberN{Value: strconv.Itoa(version + 1)},
			":version": &types.AttributeValueMemberN{Value: strconv.Itoa(version)},
			":ttl":     &types.AttributeValueMemberN{Value: ttl(r)},
			":write":   write,
		},
	}}}
	switch r.Status {
	case wire.StatusApproved:
		item := grantKey(r.Requester.ARN, r.Profile)
		item["request_id"] = &types.AttributeValueMemberS{Value: r.ID}
		item["until"] = &types.AttributeValueMemberS{Value: r.GrantedUntil.UTC().Format(time.RFC3339Nano)}
		item["ttl"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(r.GrantedUntil.Unix(), 10)}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: item}})
	case wire.StatusRevoked:
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName:                 aws.String(s.table),
			Key:                       grantKey(r.Requester.ARN, r.Profile),
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR request_id = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: r.ID}},
		}})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if r.Status == wire.StatusRevoked && grantReplaced(err) {
		// A later request of the same caller holds the grant now: it is not this
		// request's to delete. Revoke this request alone.
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items[:1]})
	}
	if ownUpdate(err, write) {
		return nil
	}
	return classify("update request", err)
}

// ownUpdate reports whether a transaction failed because the request already carries
// its write ID: the SDK's retry of the same transaction, which landed but whose answer
// was lost. (DynamoDB itself makes such a retry succeed through the client request token
// the SDK adds; the local AWS does not.)
func ownUpdate(err error, write types.AttributeValue) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) == 0 {
		return false
	}
	r := tce.CancellationReasons[0]
	return aws.ToString(r.Code) == "ConditionalCheckFailed" && written(r.Item, write)
}

// grantReplaced reports whether a revocation failed only because the grant item belongs
// to another request.
func grantReplaced(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 {
		return false
	}
	return aws.ToString(tce.CancellationReasons[0].Code) != "ConditionalCheckFailed" &&
		aws.ToString(tce.CancellationReasons[1].Code) == "ConditionalCheckFailed"
}

// List returns every request in the table, at most maxList.
func (s *Store) List(ctx context.Context) ([]wire.AccessRequest, error) {
	var out []wire.AccessRequest
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("begins_with(pk, :req)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":req": &types.AttributeValueMemberS{Value: "REQ#"}},
		ConsistentRead:            aws.Bool(true),
	}
	for {
		page, err := s.db.Scan(ctx, in)
		if err != nil {
			return nil, unavailable("list requests", err)
		}
		for _, item := range page.Items {
			r, _, err := decode(item)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
			if len(out) >= maxList {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// GrantFor returns caller's grant for profile, if there is one that has not ended at now.
func (s *Store) GrantFor(ctx context.Context, caller, profile string, now time.Time) (tvm.Grant, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: grantKey(caller, profile), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return tvm.Grant{}, false, unavailable("get grant", err)
	}
	if out.Item == nil {
		return tvm.Grant{}, false, nil
	}
	id, ok1 := out.Item["request_id"].(*types.AttributeValueMemberS)
	until, ok2 := out.Item["until"].(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return tvm.Grant{}, false, fmt.Errorf("%w: a grant item lacks request_id or until", ErrUnavailable)
	}
	t, err := time.Parse(time.RFC3339Nano, until.Value)
	if err != nil {
		return tvm.Grant{}, false, fmt.Errorf("%w: a grant item's until is not a time", ErrUnavailable)
	}
	// DynamoDB deletes expired items within days, not at once: the end is checked here.
	if !now.Before(t) {
		return tvm.Grant{}, false, nil
	}
	return tvm.Grant{RequestID: id.Value, Until: t}, true, nil
}

func revocationKey(roleARN string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "REVOKE#" + roleARN}}
}

// Revocations returns the revocations of a role and their version, consistently; a role
// never revoked has none, at version 0.
func (s *Store) Revocations(ctx context.Context, roleARN string) ([]revocation.Entry, int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: revocationKey(roleARN), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, 0, unavailable("get revocations", err)
	}
	if out.Item == nil {
		return nil, 0, nil
	}
	doc, ok1 := out.Item["entries"].(*types.AttributeValueMemberS)
	ver, ok2 := out.Item["version"].(*types.AttributeValueMemberN)
	if !ok1 || !ok2 {
		return nil, 0, fmt.Errorf("%w: a revocations item lacks entries or version", ErrUnavailable)
	}
	v, err := strconv.Atoi(ver.Value)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: a revocations item's version is not a number", ErrUnavailable)
	}
	var es []revocation.Entry
	if err := json.Unmarshal([]byte(doc.Value), &es); err != nil {
		return nil, 0, fmt.Errorf("%w: a revocations item's entries are not JSON", ErrUnavailable)
	}
	return es, v, nil
}

// RevokedRoles lists the roles that have revocations, at most maxList.
func (s *Store) RevokedRoles(ctx context.Context) ([]string, error) {
	var out []string
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("begins_with(pk, :rev)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":rev": &types.AttributeValueMemberS{Value: "REVOKE#"}},
		ProjectionExpression:      aws.String("pk"),
		ConsistentRead:            aws.Bool(true),
	}
	for {
		page, err := s.db.Scan(ctx, in)
		if err != nil {
			return nil, unavailable("list revoked roles", err)
		}
		for _, item := range page.Items {
			if pk, ok := item["pk"].(*types.AttributeValueMemberS); ok {
				out = append(out, strings.TrimPrefix(pk.Value, "REVOKE#"))
			}
			if len(out) >= maxList {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// PutRevocations writes a role's revocations over the version read (0: none yet) as
// version+1. A version that moved on is ErrConflict. The item has no TTL: it is the
// record of what the role's policy must deny, pruned by the TVM as entries lapse.
func (s *Store) PutRevocations(ctx context.Context, roleARN string, entries []revocation.Entry, version int) error {
	if entries == nil {
		entries = []revocation.Entry{}
	}
	doc, err := json.Marshal(entries)
	if err != nil {
		return err
	}
	item := revocationKey(roleARN)
	item["entries"] = &types.AttributeValueMemberS{Value: string(doc)}
	item["version"] = &types.AttributeValueMemberN{Value: strconv.Itoa(version + 1)}
	item[writeIDAttr] = newWriteID()
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}
	if version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("#version = :version")
		in.ExpressionAttributeNames = map[string]string{"#version": "version"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":version": &types.AttributeValueMemberN{Value: strconv.Itoa(version)}}
	}
	return s.put(ctx, "put revocations", in)
}

// classify turns a failed conditional write into ErrConflict and anything else into
// ErrUnavailable.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrConflict
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "ConditionalCheckFailed" {
				return ErrConflict
			}
		}
	}
	return unavailable(op, err)
}

// TableAPI is the part of the DynamoDB client CreateTable uses.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}

// CreateTable makes a table of the shape the store needs, on demand, as the tvm module
// does, for tests and local stand-ins; the module also turns on TTL, point-in-time
// recovery and encryption.
func CreateTable(ctx context.Context, db TableAPI, name string) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	return err
}

// Take counts one request for key in the one-second window starting at window and
// reports whether the window had fewer than limit: one conditional update, atomic
// across every container. A window's item goes a minute after it ends.
func (s *Store) Take(ctx context.Context, key string, window time.Time, limit int) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.table),
		Key:                      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "RATE#" + key + "#" + strconv.FormatInt(window.Unix(), 10)}},
		UpdateExpression:         aws.String("ADD #n :one SET #ttl = :ttl"),
		ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{"#n": "n", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
			":ttl":   &types.AttributeValueMemberN{Value: strconv.FormatInt(window.Add(time.Minute).Unix(), 10)},
		},
	})
	switch err := classify("count request", err); {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrConflict):
		return false, nil
	default:
		return false, err
	}
}
