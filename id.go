package casedesk

import (
	"crypto/rand"
	"strings"
)

// idAlphabet is Crockford's base 32: no I, L, O or U, so an ID read aloud
// over the phone is not misheard.
const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Prefixes of the IDs of each kind of object.
const (
	PrefixCase     = "C"
	PrefixCustomer = "CU"
	PrefixUser     = "U"
	PrefixPayment  = "PAY"
	PrefixInvoice  = "INV"
)

// NewID returns prefix-XXXXXX with n random characters, e.g. C-7Q4K2M.
func NewID(prefix string, n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	sb.WriteByte('-')
	for _, c := range buf {
		sb.WriteByte(idAlphabet[int(c)%len(idAlphabet)])
	}
	return sb.String()
}

// NewCaseID returns a short, human-quotable case ID.
func NewCaseID() string { return NewID(PrefixCase, 6) }
