package casedesk

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/mail"
	"slices"
	"time"
)

// User is a member of staff.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// DeactivatedAt is set when an admin deactivated the user: their token
	// and sessions no longer work.
	DeactivatedAt *time.Time `json:"deactivated_at"`
	// HasPassword tells whether the user can sign in to the console.
	HasPassword bool `json:"has_password"`
}

// Actor returns the user as the actor of an action.
func (u User) Actor() Actor { return Actor{ID: u.ID, Role: u.Role} }

// NewUserRequest is what an admin gives to create a user.
type NewUserRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  Role   `json:"role"`
	// Password, optional, lets staff sign in to the console.
	Password string `json:"password,omitempty"`
}

// Validate trims and checks the request.
func (r *NewUserRequest) Validate() error {
	var v Validation
	checkPerson(&v, &r.Name, &r.Email)
	if r.Role == "" {
		v.Add("role", "is required")
	} else if !slices.Contains(Roles, r.Role) {
		v.Add("role", "must be one of %s", joinStrings(Roles))
	}
	if r.Password != "" {
		if r.Role.IsStaff() {
			CheckPassword(&v, "password", r.Password)
		} else if r.Role != "" {
			v.Add("password", "only staff sign in; a %s user uses its API key", r.Role)
		}
	}
	return v.Err()
}

// Customer is a person or business we bill. Customers never sign in.
type Customer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
	// EmailBouncedAt is set when SendGrid reported the address bouncing.
	EmailBouncedAt    *time.Time `json:"email_bounced_at"`
	EmailBounceReason string     `json:"email_bounce_reason,omitempty"`
	// The profile staff keep current (customer.go); each change is in the
	// customer's history.
	Phone             string `json:"phone"`
	PreferredLanguage string `json:"preferred_language"`
	Notes             string `json:"notes"`
	// MergedInto is the customer this duplicate was merged into.
	MergedInto string `json:"merged_into,omitempty"`
}

// NewCustomerRequest is what staff give to record a customer.
type NewCustomerRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Validate trims and checks the request.
func (r *NewCustomerRequest) Validate() error {
	var v Validation
	checkPerson(&v, &r.Name, &r.Email)
	return v.Err()
}

// checkPerson cleans and checks the name and email address of a user or a customer.
func checkPerson(v *Validation, name, email *string) {
	*name = MaskCardNumbers(requiredText(v, "name", *name, 200))
	*email = CleanText(*email)
	checkEmail(v, "email", *email)
}

func checkEmail(v *Validation, field, email string) {
	if email == "" {
		v.Add(field, "is required")
		return
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		v.Add(field, "must be a plain email address such as name@example.com")
	}
}

// NewToken returns a new random API token. Only its hash is stored.
func NewToken() string {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return "cdk_" + base64.RawURLEncoding.EncodeToString(buf)
}

// HashToken returns the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
