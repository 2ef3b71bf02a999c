package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// UserStore keeps staff and their tokens.
type UserStore interface {
	UserByToken(ctx context.Context, tokenHash []byte) (casedesk.User, error)
	User(ctx context.Context, id string) (casedesk.User, error)
	CreateUserWithPassword(ctx context.Context, u casedesk.User, tokenHash []byte, passwordHash string) (casedesk.User, error)
}

type userCreated struct {
	casedesk.User
	// Token is shown once, at creation; only its hash is stored.
	Token string `json:"token"`
}

func (s *Server) createUser(c *gin.Context) {
	var req casedesk.NewUserRequest
	if !bind(c, &req, false) {
		return
	}
	if err := req.Validate(); err != nil {
		writeError(c, err)
		return
	}
	token := casedesk.NewToken()
	var passwordHash string
	if req.Password != "" {
		passwordHash = casedesk.HashPassword(req.Password)
	}
	u, err := s.Users.CreateUserWithPassword(c.Request.Context(), casedesk.User{
		ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: req.Name, Email: req.Email, Role: req.Role,
	}, casedesk.HashToken(token), passwordHash)
	if err != nil {
		writeError(c, err)
		return
	}
	logger(c).Info("user created", "new_user_id", u.ID, "role", u.Role)
	c.JSON(http.StatusCreated, userCreated{User: u, Token: token})
}

func (s *Server) me(c *gin.Context) { c.JSON(http.StatusOK, currentUser(c)) }
