package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/casedesk/casedesk"
)

// SessionStore keeps console sessions and what signing in needs of users.
type SessionStore interface {
	Credentials(ctx context.Context, email string) (casedesk.User, string, error)
	PasswordHash(ctx context.Context, id string) (string, error)
	SetPassword(ctx context.Context, id, passwordHash string) error
	DeactivateUser(ctx context.Context, id string, at time.Time) (casedesk.User, error)
	ListUsers(ctx context.Context) ([]casedesk.User, error)
	CreateSession(ctx context.Context, tokenHash []byte, s casedesk.Session) error
	SessionByToken(ctx context.Context, tokenHash []byte) (casedesk.Session, casedesk.User, error)
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash []byte) error
}

// CSRFHeader must carry the session's CSRF token on every cookie-authenticated
// request that is not a GET or HEAD. A cross-site form or image cannot set a
// header, and a cross-site script cannot read the token.
const CSRFHeader = "X-Casedesk-CSRF"

// ctxSession holds the cookie session of the request, if it came with one.
const ctxSession = "session"

// sessionCookie names the cookie; with Secure it takes the __Host- prefix, so
// that the browser only accepts it from this origin over HTTPS, for path /.
func (s *Server) sessionCookie() string {
	if s.SecureCookies {
		return "__Host-casedesk_session"
	}
	return "casedesk_session"
}

// sessionPolicy returns the configured lifetimes, defaulted.
func (s *Server) sessionPolicy() casedesk.SessionPolicy {
	p := s.SessionPolicy
	if p.Idle <= 0 {
		p.Idle = casedesk.DefaultSessionIdle
	}
	if p.Absolute <= 0 {
		p.Absolute = casedesk.DefaultSessionAbsolute
	}
	return p
}

// sessionView is the signed-in session on the wire.
type sessionView struct {
	User casedesk.User `json:"user"`
	casedesk.Session
}

// codeRateLimited answers too many attempts; it exists only at the transport.
const codeRateLimited = "rate_limited"

// writeRateLimited answers 429 with Retry-After and aborts the request.
func writeRateLimited(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(http.StatusTooManyRequests, Problem{Type: "about:blank", Title: http.StatusText(http.StatusTooManyRequests),
		Status: http.StatusTooManyRequests, Detail: fmt.Sprintf("too many sign-in attempts; try again in %s", wait.Round(time.Second)),
		Instance: c.Request.URL.Path, Code: codeRateLimited, RequestID: c.GetString(ctxRequestID)})
}

func (s *Server) signIn(c *gin.Context) {
	var req casedesk.SignInRequest
	if !bind(c, &req, false) {
		return
	}
	if err := req.Validate(); err != nil {
		writeError(c, err)
		return
	}
	now := s.Now()
	if wait, ok := s.signIns.allow(c.RemoteIP(), strings.ToLower(req.Email), now); !ok {
		writeRateLimited(c, wait)
		return
	}
	ctx := c.Request.Context()
	u, hash, err := s.Sessions.Credentials(ctx, req.Email)
	if err != nil && casedesk.ErrorCode(err) != casedesk.ENOTFOUND {
		writeError(c, err)
		return
	}
	// One answer for every failure, after the same work, so that the
	// response tells nothing about which addresses exist.
	ok := false
	if hash == "" {
		casedesk.VerifyNoPassword(req.Password)
	} else {
		ok = casedesk.VerifyPassword(hash, req.Password)
	}
	if !ok || u.DeactivatedAt != nil || !u.Role.IsStaff() {
		logger(c).Info("sign-in refused", "user_id", u.ID)
		writeError(c, casedesk.Errorf(casedesk.EUNAUTHORIZED, "the email or password is not right"))
		return
	}
	view, err := s.startSession(c, u, now)
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("signed in", "user_id", u.ID)
	c.JSON(http.StatusCreated, view)
}

// startSession creates a session for u and sets its cookie.
func (s *Server) startSession(c *gin.Context, u casedesk.User, now time.Time) (sessionView, error) {
	token := casedesk.NewToken()
	sess := s.sessionPolicy().NewSession(u.ID, now)
	if err := s.Sessions.CreateSession(c.Request.Context(), casedesk.HashToken(token), sess); err != nil {
		return sessionView{}, err
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.sessionCookie(), Value: token, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(sess.ExpiresAt.Sub(now).Seconds()), HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return sessionView{User: u, Session: sess}, nil
}

func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: s.sessionCookie(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// currentSession returns the cookie session of the request, if any.
func currentSession(c *gin.Context) (casedesk.Session, []byte, bool) {
	v, ok := c.Get(ctxSession)
	if !ok {
		return casedesk.Session{}, nil, false
	}
	cs := v.(cookieSession)
	return cs.session, cs.tokenHash, true
}

type cookieSession struct {
	session   casedesk.Session
	tokenHash []byte
}

func (s *Server) getSession(c *gin.Context) {
	sess, _, ok := currentSession(c)
	if !ok {
		writeError(c, casedesk.Errorf(casedesk.ENOTFOUND, "this request is authenticated with a token, not a session"))
		return
	}
	c.JSON(http.StatusOK, sessionView{User: currentUser(c), Session: sess})
}

func (s *Server) signOut(c *gin.Context) {
	if _, hash, ok := currentSession(c); ok {
		if err := s.Sessions.DeleteSession(c.Request.Context(), hash); err != nil {
			writeError(c, err)
			return
		}
		logger(c).Info("signed out")
	}
	s.clearSessionCookie(c)
	c.Status(http.StatusNoContent)
}

// sessionAuth authenticates the request by its session cookie; it reports
// false when it wrote an error.
func (s *Server) sessionAuth(c *gin.Context, token string) (casedesk.User, bool) {
	ctx := c.Request.Context()
	hash := casedesk.HashToken(token)
	sess, u, err := s.Sessions.SessionByToken(ctx, hash)
	now := s.Now()
	policy := s.sessionPolicy()
	if casedesk.ErrorCode(err) == casedesk.ENOTFOUND || (err == nil && !policy.Live(sess, now)) {
		s.clearSessionCookie(c)
		writeError(c, casedesk.Errorf(casedesk.EUNAUTHORIZED, "the session has ended; sign in again"))
		return u, false
	} else if err != nil {
		writeError(c, err)
		return u, false
	}
	if m := c.Request.Method; m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions {
		got := c.GetHeader(CSRFHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			writeError(c, casedesk.Errorf(casedesk.EFORBIDDEN, "a signed-in write needs the session's CSRF token in %s", CSRFHeader))
			return u, false
		}
	}
	sess, store := policy.Touch(sess, now)
	if store {
		if err := s.Sessions.TouchSession(ctx, hash, sess.LastSeenAt); err != nil {
			writeError(c, err)
			return u, false
		}
	}
	c.Set(ctxSession, cookieSession{session: sess, tokenHash: hash})
	return u, true
}

func (s *Server) listUsers(c *gin.Context) {
	users, err := s.Sessions.ListUsers(c.Request.Context())
	if err != nil {
		writeError(c, err)
		return
	}
	if users == nil {
		users = []casedesk.User{}
	}
	c.JSON(http.StatusOK, gin.H{"items": users})
}

func (s *Server) setPassword(c *gin.Context) {
	var req casedesk.SetPasswordRequest
	if !bind(c, &req, false) {
		return
	}
	if err := req.Validate(); err != nil {
		writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	me := currentUser(c)
	id := strings.TrimSpace(c.Param("id"))
	self := id == me.ID
	if !self && me.Role != casedesk.RoleAdmin {
		// Refused before looking the user up: nobody learns who exists.
		writeError(c, casedesk.CanSetPassword(me, casedesk.User{ID: id}))
		return
	}
	target, err := s.Users.User(ctx, id)
	if err == nil {
		err = casedesk.CanSetPassword(me, target)
	}
	if err != nil {
		writeError(c, err)
		return
	}
	if self {
		// Changing one's own password needs the current one, so a session
		// left open on a shared screen cannot take the account over.
		if wait, ok := s.signIns.allow(c.RemoteIP(), strings.ToLower(me.Email), s.Now()); !ok {
			writeRateLimited(c, wait)
			return
		}
		hash, err := s.Sessions.PasswordHash(ctx, id)
		if err != nil && casedesk.ErrorCode(err) != casedesk.ENOTFOUND {
			writeError(c, err)
			return
		}
		if hash != "" && !casedesk.VerifyPassword(hash, req.CurrentPassword) {
			writeError(c, casedesk.Invalid("current_password", "is not your current password"))
			return
		}
	}
	if err := s.Sessions.SetPassword(ctx, id, casedesk.HashPassword(req.Password)); err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("password set", "target_user_id", id)
	// Every session of the user ended; one changing their own password in
	// the console stays signed in with a new session.
	if _, _, ok := currentSession(c); ok && self {
		if _, err := s.startSession(c, me, s.Now()); err != nil {
			writeError(c, err)
			return
		}
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) deactivateUser(c *gin.Context) {
	me := currentUser(c)
	id := strings.TrimSpace(c.Param("id"))
	if id == me.ID {
		writeError(c, casedesk.Errorf(casedesk.ECONFLICT, "you cannot deactivate yourself"))
		return
	}
	u, err := s.Sessions.DeactivateUser(c.Request.Context(), id, s.Now())
	if err != nil {
		writeError(c, err)
		return
	}
	// This process stops trusting the user's tokens at once; other API
	// processes within the token cache's TTL.
	s.tokens.forget(id)
	logger(c).Info("user deactivated", "target_user_id", id)
	c.JSON(http.StatusOK, u)
}

// signInLimiter bounds sign-in attempts per client address and per email
// address, with token buckets.
type signInLimiter struct {
	mu        sync.Mutex
	perIP     map[string]*bucket
	perEmail  map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// Sign-in limits: an address may try 10 times in a row, then once every 15
// seconds; one client 30 times, then once every 2 seconds.
var (
	emailRate, emailBurst = rate.Every(15 * time.Second), 10
	ipRate, ipBurst       = rate.Every(2 * time.Second), 30
)

func newSignInLimiter() *signInLimiter {
	return &signInLimiter{perIP: map[string]*bucket{}, perEmail: map[string]*bucket{}}
}

// allow takes one attempt from both buckets, or reports how long to wait.
func (l *signInLimiter) allow(ip, email string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		// A bucket untouched for 10 minutes is full again: forget it.
		for _, m := range []map[string]*bucket{l.perIP, l.perEmail} {
			for k, b := range m {
				if now.Sub(b.seen) > 10*time.Minute {
					delete(m, k)
				}
			}
		}
		l.lastSweep = now
	}
	take := func(m map[string]*bucket, key string, r rate.Limit, burst int) *rate.Reservation {
		b := m[key]
		if b == nil {
			b = &bucket{lim: rate.NewLimiter(r, burst)}
			m[key] = b
		}
		b.seen = now
		return b.lim.ReserveN(now, 1)
	}
	ipRes := take(l.perIP, ip, ipRate, ipBurst)
	emailRes := take(l.perEmail, email, emailRate, emailBurst)
	wait := max(ipRes.DelayFrom(now), emailRes.DelayFrom(now))
	if wait > 0 {
		ipRes.CancelAt(now)
		emailRes.CancelAt(now)
		return wait, false
	}
	return 0, true
}
