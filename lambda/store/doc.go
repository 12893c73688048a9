// Package store keeps the access workflows' state in one DynamoDB table: access requests
// and the grants approved requests give. Every change is a conditional write on the
// item's version, so that two approvers at once, or an approval racing a revocation,
// leave one consistent result; the loser sees ErrConflict and decides again on what
// the winner wrote.
//
// Items (partition key "pk", string):
//
//	REQ#<id>                    a request: its JSON (doc), version, ttl
//	GRANT#<caller ARN>#<profile> the grant of an approved request: request_id, until, ttl
//	RATE#<rate key>#<unix second> the shared rate limit's count for one second: n, ttl
//
// A grant item is written in the same transaction as the approval that completes its
// request, and deleted in the same transaction as the request's revocation. The table's
// TTL attribute is "ttl": grants go when they end, requests 90 days after they closed.
package store
