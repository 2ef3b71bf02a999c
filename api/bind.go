package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/strictjson"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

// bind decodes the JSON object body into dst, refusing unknown fields and
// values of the wrong type with the field named. An empty body counts as {}
// only when emptyOK. It writes the error and returns false on failure.
func bind(c *gin.Context, dst any, emptyOK bool) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(c, malformed("the request body is larger than %d bytes", maxBody))
		} else {
			writeError(c, malformed("the request body could not be read"))
		}
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if emptyOK {
			return true
		}
		writeError(c, malformed("the request body must be a JSON object"))
		return false
	}
	if err := strictjson.Decode(raw, dst); err != nil {
		writeError(c, decodeError(err))
		return false
	}
	// null decodes into anything without a word; every body is an object.
	if bytes.TrimSpace(raw)[0] != '{' {
		writeError(c, malformed("the request body must be a JSON object"))
		return false
	}
	return true
}

// decodeError turns a decoding error into the problem to answer: malformed
// when the body is not one JSON object (or a time in it not RFC 3339), else
// invalid with the field, by its full path, named.
func decodeError(err error) error {
	var syntax *strictjson.SyntaxError
	var typ *strictjson.TypeError
	var unknown *strictjson.UnknownFieldError
	var badTime *time.ParseError
	switch {
	case errors.As(err, &syntax):
		return malformed("the request body is not valid JSON")
	case errors.Is(err, strictjson.ErrTrailingData):
		return malformed("the request body must hold a single JSON object")
	case errors.As(err, &typ):
		if typ.Path == "" {
			return malformed("the request body must be a JSON object")
		}
		return casedesk.Invalid(typ.Path, "must be a %s", typ.Want)
	case errors.As(err, &unknown):
		return casedesk.Invalid(unknown.Path, "is not a field of this request")
	case errors.As(err, &badTime):
		return malformed("a time in the request body is not in RFC 3339 format")
	}
	return malformed("the request body could not be decoded")
}
