// Package store keeps the access workflows' state in one DynamoDB table: access requests
// and the grants approved requests give. Every change is a conditional write on the
// item's version, so that two approvers at once, or an approval racing a revocation,
// leave one consistent result; the loser sees ErrConflict and decides again on what
// the winner wrote. Each write stamps the item with a random write ID: a write whose
// condition fails over an item bearing its own ID is the SDK's retry of that write, which
// landed but whose answer was lost, and succeeds; another writer's item, even with the
// same values, is a conflict.
//
// Items (partition key "pk", string):
//
//	REQ#<id>                    a request: its JSON (doc), version, ttl, write_id
//	GRANT#<caller ARN>#<profile> the grant of an approved request: request_id, until, ttl
//	RATE#<rate key>#<unix second> the shared rate limit's count for one second: n, ttl
//	REVOKE#<role ARN>            a role's revocations: entries (JSON), version, write_id
//
// A grant item is written in the same transaction as the approval that completes its
// request, and deleted in the same transaction as the request's revocation. The table's
// TTL attribute is "ttl": grants go when they end, requests 90 days after they closed.
package store
