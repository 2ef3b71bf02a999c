package casedesk

import "time"

// The customer satisfaction (CSAT) rating: a customer rates a case once,
// from 1 (poor) to 5 (great), once it is resolved, with an optional comment.
const (
	MinRating         = 1
	MaxRating         = 5
	MaxCSATCommentLen = 2000
)

// CSAT is a customer's rating of a case.
type CSAT struct {
	CaseID  string    `json:"case_id"`
	Rating  int       `json:"rating"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// RatingChoices lists the scale, lowest first.
func RatingChoices() []int {
	out := make([]int, 0, MaxRating-MinRating+1)
	for i := MinRating; i <= MaxRating; i++ {
		out = append(out, i)
	}
	return out
}

// CanRate reports whether c takes a rating: once it is resolved (or closed
// since). Whether it was rated already is the store's to say.
func CanRate(c Case) bool { return c.Status == StatusResolved || c.Status == StatusClosed }

// Rate checks a customer's rating of c and returns what to keep, the
// comment trimmed and its card numbers masked.
func Rate(c Case, rating int, comment string, now time.Time) (CSAT, error) {
	if !CanRate(c) {
		return CSAT{}, Errorf(ECONFLICT, "case %s can be rated once it is resolved", c.ID)
	}
	var v Validation
	if rating < MinRating || rating > MaxRating {
		v.Add("rating", "must be a whole number from %d to %d", MinRating, MaxRating)
	}
	comment = MaskCardNumbers(CleanText(comment))
	if n := len([]rune(comment)); n > MaxCSATCommentLen {
		v.Add("comment", "is %d characters long; the limit is %d", n, MaxCSATCommentLen)
	}
	if err := v.Err(); err != nil {
		return CSAT{}, err
	}
	return CSAT{CaseID: c.ID, Rating: rating, Comment: comment, At: now.UTC().Truncate(time.Microsecond)}, nil
}
