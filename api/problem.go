package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// statusOf maps each error code to its HTTP status, in one place.
var statusOf = map[string]int{
	casedesk.EINVALID:  http.StatusUnprocessableEntity,
	casedesk.ECONFLICT: http.StatusConflict,
	casedesk.EDISPUTED: http.StatusConflict,
	casedesk.EIDENTITY: http.StatusConflict,
	casedesk.ESTALE:    http.StatusConflict,

	casedesk.EDUPLICATECHARGEBACK: http.StatusConflict,
	casedesk.ENOTFOUND:            http.StatusNotFound,
	casedesk.EFORBIDDEN:           http.StatusForbidden,
	casedesk.EUNAUTHORIZED:        http.StatusUnauthorized,
	casedesk.EUNAVAILABLE:         http.StatusServiceUnavailable,
	casedesk.ERATELIMITED:         http.StatusTooManyRequests,
	casedesk.EINTERNAL:            http.StatusInternalServerError,
	codeMalformed:                 http.StatusBadRequest,
}

// codeMalformed is for bodies that are not JSON of the expected shape; it
// exists only at the transport.
const codeMalformed = "malformed"

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail"`
	Instance  string                `json:"instance"`
	Code      string                `json:"code"`
	RequestID string                `json:"request_id,omitempty"`
	Errors    []casedesk.FieldError `json:"errors,omitempty"`
}

// writeError renders err as problem+json and aborts the request. Internal
// errors are logged with the request ID and never echoed.
func writeError(c *gin.Context, err error) {
	err = asOutage(c, err)
	code := casedesk.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    casedesk.ErrorMessage(err),
		Instance:  c.Request.URL.Path,
		Code:      code,
		RequestID: c.GetString(ctxRequestID),
	}
	var e *casedesk.Error
	if errors.As(err, &e) {
		p.Errors = e.Fields
	}
	if status >= 500 {
		logger(c).Error("request failed", "error", err, "status", status)
	}
	if status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", strconv.Itoa(int(retryAfter.Seconds())))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="casedesk"`)
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(status, p)
}

func malformed(format string, args ...any) error {
	return casedesk.Errorf(codeMalformed, format, args...)
}

func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
