package tvm

import (
	"sync"
	"time"

	"github.com/vend-tvm/vend/lambda/identity"
)

// maxBuckets bounds the limiter's memory. rateKey leaves the caller nothing to choose
// per request, so every key is a distinct real principal, but an organisation has many
// and a long-lived container may see a lot of them: the map must not grow without end.
const maxBuckets = 10000

// rateKey is the principal that caller c is counted against: its verified ARN without
// anything the caller may choose per request, so that rotating it does not buy a fresh
// bucket.
//
//   - Role sessions (assumed-role and identity-center): the role, as
//     arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE. The session name is whatever the
//     caller passed to sts:AssumeRole. Identity Center sets it to the person's name, but
//     the TVM cannot tell an Identity Center role from any role whose name starts with
//     AWSReservedSSO_ (the /aws-reserved/sso.amazonaws.com/ path is not in the ARN), so
//     it keys on the role there too. The cost: a noisy person shares the bucket with
//     everyone using the same permission set in that account. The shared DynamoDB
//     limiter, when it comes, is the place for finer quotas.
//   - Federated users: one bucket per account. GetFederationToken lets the IAM user
//     who calls it pick any name for every session, and nothing in the verified caller
//     (userId is ACCOUNT:NAME) names that user, so there is no finer key the caller
//     cannot rotate. Federated users are rare; sharing is the safe failure.
//   - IAM users, the root user and anything else: the ARN itself, which its owner
//     cannot vary.
func rateKey(c identity.Caller) string {
	switch c.Type {
	case identity.TypeAssumedRole, identity.TypeIdentityCenter:
		return "arn:" + c.Partition + ":sts::" + c.AccountID + ":assumed-role/" + c.RoleName
	case identity.TypeFederatedUser:
		return "arn:" + c.Partition + ":sts::" + c.AccountID + ":federated-user"
	default:
		return c.ARN
	}
}

// limiter is a per-key token bucket.
type limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{rate: perSecond, burst: float64(burst), buckets: make(map[string]*bucket)}
}

// allow takes a token for key at time now. When none is left it says how long until
// the next one.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, max(wait, time.Second)
}

// prune drops buckets that have refilled (forgetting them changes nothing), and if
// that is not enough, all of them: best effort beats unbounded memory.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}
