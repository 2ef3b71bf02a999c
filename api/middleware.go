package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// Context keys.
const (
	ctxRequestID = "request_id"
	ctxLogger    = "logger"
	ctxUser      = "user"
)

// requestID gives every request an ID (the caller's X-Request-Id if sane),
// echoes it and logs the request when it ends.
func (s *Server) requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			buf := make([]byte, 8)
			_, _ = rand.Read(buf)
			id = hex.EncodeToString(buf)
		}
		c.Set(ctxRequestID, id)
		c.Header("X-Request-Id", id)
		l := s.Logger.With(requestLogAttrs(c, id)...)
		c.Set(ctxLogger, l)
		start := time.Now()
		c.Next()
		l.Info("request", "method", c.Request.Method, "path", c.FullPath(), "status", c.Writer.Status(),
			"duration_ms", time.Since(start).Milliseconds())
	}
}

// recovery turns a panic into a 500 problem; the panic is logged, not shown.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err := fmt.Errorf("panic: %v", r)
				if c.Writer.Written() {
					logger(c).Error("panic after response started", "error", err)
					c.Abort()
					return
				}
				writeError(c, err)
			}
		}()
		c.Next()
	}
}

// authenticate resolves the bearer token, or else the console's session
// cookie, to a user.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		if cookie, err := c.Cookie(s.sessionCookie()); h == "" && err == nil && cookie != "" {
			u, ok := s.sessionAuth(c, cookie)
			if !ok {
				return
			}
			c.Set(ctxUser, u)
			c.Set(ctxLogger, logger(c).With("user_id", u.ID))
			c.Next()
			return
		}
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			writeError(c, casedesk.Errorf(casedesk.EUNAUTHORIZED, "sign in, or send a token as Authorization: Bearer <token>"))
			return
		}
		hash := casedesk.HashToken(strings.TrimSpace(token))
		if limited(c, s.Now(), "requests for this token", limitCheck{s.limits.token, string(hash)}) {
			return
		}
		u, err := s.tokens.user(c.Request.Context(), hash, s.Users.UserByToken)
		if casedesk.ErrorCode(err) == casedesk.ENOTFOUND {
			writeError(c, casedesk.Errorf(casedesk.EUNAUTHORIZED, "the token is not valid"))
			return
		} else if err != nil {
			writeError(c, err)
			return
		}
		c.Set(ctxUser, u)
		c.Set(ctxLogger, logger(c).With("user_id", u.ID))
		c.Next()
	}
}

// require lets through only users with one of roles.
func require(roles ...casedesk.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		if !slices.Contains(roles, u.Role) {
			writeError(c, casedesk.Errorf(casedesk.EFORBIDDEN, "this needs the role %s", joinRoles(roles)))
			return
		}
		c.Next()
	}
}

func joinRoles(roles []casedesk.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

func currentUser(c *gin.Context) casedesk.User {
	u, _ := c.Get(ctxUser)
	return u.(casedesk.User)
}
