package api

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"

	"github.com/casedesk/casedesk"
)

// Guards: what keeps the API answering 4xx or 503, never 500, when a
// client or a dependency misbehaves.

// ctxOutage is where the server leaves its outage classifier for writeError.
const ctxOutage = "casedesk.outage"

// outageOf marks errors that mean a dependency is down, so that they answer
// 503 with Retry-After instead of 500.
func (s *Server) outageOf() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.IsOutage != nil {
			c.Set(ctxOutage, s.IsOutage)
		}
		c.Next()
	}
}

// asOutage turns err into EUNAVAILABLE when it means a dependency is down.
func asOutage(c *gin.Context, err error) error {
	if casedesk.ErrorCode(err) != casedesk.EINTERNAL {
		return err
	}
	if is, ok := c.Value(ctxOutage).(func(error) bool); ok && is(err) {
		return casedesk.Errorf(casedesk.EUNAVAILABLE, "a service casedesk depends on is unavailable; try again shortly")
	}
	return err
}

// retryAfter is what a 503 tells the client to wait.
const retryAfter = 5 * time.Second

// tokenCache remembers who a token is for a short time, so that with the
// database down an authenticated action still reaches its case workflow,
// which keeps it durably. A revoked token stops working within the TTL.
type tokenCache struct {
	users *expirable.LRU[string, casedesk.User]
}

func newTokenCache(ttl time.Duration) *tokenCache {
	if ttl <= 0 {
		return nil
	}
	return &tokenCache{users: expirable.NewLRU[string, casedesk.User](10_000, nil, ttl)}
}

// user returns the user of tokenHash: from the cache, or from lookup, which
// is then remembered.
func (t *tokenCache) user(ctx context.Context, tokenHash []byte, lookup func(context.Context, []byte) (casedesk.User, error)) (casedesk.User, error) {
	if t == nil {
		return lookup(ctx, tokenHash)
	}
	key := string(tokenHash)
	if u, ok := t.users.Get(key); ok {
		return u, nil
	}
	u, err := lookup(ctx, tokenHash)
	if err == nil {
		t.users.Add(key, u)
	}
	return u, err
}

// forget drops every cached token of user id.
func (t *tokenCache) forget(id string) {
	if t == nil {
		return
	}
	for _, key := range t.users.Keys() {
		if u, ok := t.users.Peek(key); ok && u.ID == id {
			t.users.Remove(key)
		}
	}
}

// Limits are the request rates the API allows; zero turns a limit off.
type Limits struct {
	// PerToken is for each API token or session (generous).
	PerToken casedesk.RateLimit
	// CustomerLink is for each customer link and, separately, each client
	// address on the customer page's forms (replies and ratings).
	CustomerLink casedesk.RateLimit
	// Inbound is for the Inbound Parse webhook's path secret.
	Inbound casedesk.RateLimit
}

// limiter keeps a token bucket per key, forgetting idle keys.
type limiter struct {
	limit casedesk.RateLimit
	mu    sync.Mutex
	keys  map[string]*rateBucket
	swept time.Time
}

type rateBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(l casedesk.RateLimit) *limiter {
	if l.Rate <= 0 {
		return nil
	}
	return &limiter{limit: l, keys: map[string]*rateBucket{}}
}

// allow takes one request for key at now, or says how long to wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.keys {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.keys, k)
			}
		}
		l.swept = now
	}
	b, ok := l.keys[key]
	if !ok {
		b = &rateBucket{lim: rate.NewLimiter(rate.Limit(l.limit.Rate), l.limit.Burst)}
		l.keys[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// refuse answers 429 with Retry-After.
func refuse(c *gin.Context, wait time.Duration, what string) {
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(c, casedesk.Errorf(casedesk.ERATELIMITED, "too many %s; try again in %s", what, wait.Round(time.Second)))
}

// limitCheck is one limiter and the key a request counts against.
type limitCheck struct {
	l   *limiter
	key string
}

// limited refuses the request (429) when one of checks is over its limit.
func limited(c *gin.Context, now time.Time, what string, checks ...limitCheck) bool {
	for _, ch := range checks {
		if ok, wait := ch.l.allow(ch.key, now); !ok {
			refuse(c, wait, what)
			return true
		}
	}
	return false
}
