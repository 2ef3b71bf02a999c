package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		writeError(c, decodeError(err))
		return false
	}
	if dec.More() {
		writeError(c, malformed("the request body must hold a single JSON object"))
		return false
	}
	return true
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed("the request body is not valid JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return malformed("the request body must be a JSON object")
		}
		return casedesk.Invalid(typ.Field, "must be a %s", jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return casedesk.Invalid(field, "is not a field of this request")
	}
	var tErr interface{ Error() string }
	if errors.As(err, &tErr) && strings.Contains(err.Error(), "parsing time") {
		return malformed("a time in the request body is not in RFC 3339 format")
	}
	return malformed("the request body could not be decoded")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "list"
	}
	return "number"
}
