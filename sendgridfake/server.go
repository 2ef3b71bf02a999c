// Package sendgridfake is a local stand-in for SendGrid's v3 Mail Send API
// (POST /v3/mail/send). It checks authentication and the request body the way
// SendGrid documents them, answers 202 with an X-Message-Id, and records what
// it accepted, so the real SendGrid client can be tested without the network.
//
// It also answers the Email Activity API's search for a custom arg
// (GET /v3/messages?query=unique_args['message_id']="M-1"), which finds
// what it accepted at once, as SendGrid's feed does once it caught up.
//
// Besides the API it serves control routes for tests and local use:
//
//	GET  /_fake/messages              the accepted messages, as JSON, in order
//	POST /_fake/fail?status=500&n=2   answer the next n sends with status
//	POST /_fake/fail?status=500&every=4  answer every 4th send with status, until reset
//	POST /_fake/latency?ms=150        answer each send after this long
//	POST /_fake/reset                 forget messages, counters and failures
package sendgridfake

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SendPath is the route of SendGrid's Mail Send API.
const SendPath = "/v3/mail/send"

// MaxBodyBytes is SendGrid's limit on the size of a Mail Send request.
const MaxBodyBytes = 30 << 20

// RetryAfter is what an armed 429 puts in its Retry-After header.
const RetryAfter = time.Second

// Email is an address of the v3 body: {"email": ..., "name": ...}.
type Email struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// Content is one body part: {"type": "text/plain", "value": ...}.
type Content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Personalization is one envelope of the v3 body.
type Personalization struct {
	To                  []Email           `json:"to"`
	CC                  []Email           `json:"cc,omitempty"`
	BCC                 []Email           `json:"bcc,omitempty"`
	From                *Email            `json:"from,omitempty"`
	Subject             string            `json:"subject,omitempty"`
	Headers             map[string]string `json:"headers,omitempty"`
	Substitutions       map[string]string `json:"substitutions,omitempty"`
	CustomArgs          map[string]string `json:"custom_args,omitempty"`
	DynamicTemplateData map[string]any    `json:"dynamic_template_data,omitempty"`
	SendAt              int64             `json:"send_at,omitempty"`
}

// Mail is the part of a v3 Mail Send body the fake checks and decodes; the
// whole body is kept in Accepted.Raw.
type Mail struct {
	Personalizations []Personalization `json:"personalizations"`
	From             Email             `json:"from"`
	ReplyTo          *Email            `json:"reply_to,omitempty"`
	Subject          string            `json:"subject,omitempty"`
	Content          []Content         `json:"content,omitempty"`
	TemplateID       string            `json:"template_id,omitempty"`
	Headers          map[string]string `json:"headers,omitempty"`
	Categories       []string          `json:"categories,omitempty"`
	CustomArgs       map[string]string `json:"custom_args,omitempty"`
	SendAt           int64             `json:"send_at,omitempty"`
}

// Accepted is a request the fake answered with 202.
type Accepted struct {
	MessageID string          `json:"message_id"`
	Received  time.Time       `json:"received"`
	Mail      Mail            `json:"mail"`
	Raw       json.RawMessage `json:"raw"`
}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	apiKey string
	now    func() time.Time

	mu        sync.Mutex
	requests  int
	failLeft  int
	failWith  int
	failEvery int
	latency   time.Duration
	accepted  []Accepted
	onAccept  func(Accepted)
}

// New returns a fake that accepts requests bearing apiKey. An empty key
// authorizes nothing, as with SendGrid.
func New(apiKey string) *Server {
	return &Server{apiKey: apiKey, now: time.Now}
}

// Handler returns the fake as an http.Handler, for httptest.NewServer or an
// http.Server.
func (s *Server) Handler() http.Handler { return s }

// OnAccept sets a function called with every accepted message, after it is
// recorded, for logging. It runs on the request's goroutine.
func (s *Server) OnAccept(f func(Accepted)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onAccept = f
}

// FailNext makes the next n requests to the Mail Send API fail with status,
// before authentication, as an overloaded SendGrid would: 429 comes with
// Retry-After and X-RateLimit-* headers. It replaces any earlier arming; n <= 0
// disarms. status must be 400 to 599.
func (s *Server) FailNext(status, n int) {
	if status < 400 || status > 599 {
		panic(fmt.Sprintf("sendgridfake: FailNext status %d is not an error status", status))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWith, s.failLeft = status, max(n, 0)
}

// FailEvery makes every nth request to the Mail Send API fail with status,
// until Reset or another arming; n <= 0 disarms. status must be 400 to 599.
func (s *Server) FailEvery(status, n int) {
	if status < 400 || status > 599 {
		panic(fmt.Sprintf("sendgridfake: FailEvery status %d is not an error status", status))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWith, s.failLeft, s.failEvery = status, 0, max(n, 0)
}

// SetLatency makes every request to the Mail Send API wait d before it is
// answered (after it is decided), as a distant SendGrid would.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Personalizations returns how many personalizations the accepted requests
// held in all: the emails SendGrid would deliver.
func (s *Server) Personalizations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, a := range s.accepted {
		n += len(a.Mail.Personalizations)
	}
	return n
}

// Accepted returns the accepted requests, oldest first.
func (s *Server) Accepted() []Accepted {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Accepted, len(s.accepted))
	copy(out, s.accepted)
	return out
}

// Requests returns how many requests reached the Mail Send route, whatever
// their outcome (armed failures, 401, 400 and 202 alike).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Reset forgets the accepted messages, the request count and any armed
// failures.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.failLeft, s.failWith, s.failEvery, s.latency, s.accepted = 0, 0, 0, 0, 0, nil
}

// ServeHTTP serves the Mail Send API and the /_fake/ control routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case SendPath:
		s.serveSend(w, r)
	case "/_fake/messages":
		s.serveMessages(w, r)
	case "/_fake/fail":
		s.serveFail(w, r)
	case "/_fake/reset":
		s.serveReset(w, r)
	case "/_fake/latency":
		s.serveLatency(w, r)
	case ActivityPath:
		s.serveActivity(w, r)
	default:
		writeErrors(w, http.StatusNotFound, apiError{Message: "not found"})
	}
}

func (s *Server) serveSend(w http.ResponseWriter, r *http.Request) {
	status, fail, latency := s.countRequest()
	if latency > 0 {
		// The answer is decided; the client sees it late (or never, if it
		// gives up or dies meanwhile: the message is accepted all the same).
		defer time.Sleep(latency)
	}
	if fail {
		s.writeArmedFailure(w, status)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrors(w, http.StatusMethodNotAllowed, apiError{Message: "method not allowed"})
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		writeErrors(w, http.StatusUnauthorized, apiError{Message: "The provided authorization grant is invalid, expired, or revoked"})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeErrors(w, http.StatusUnsupportedMediaType, apiError{Message: "Content-Type should be application/json."})
		return
	}
	body, status, msg := readBody(r)
	if status != 0 {
		writeErrors(w, status, apiError{Message: msg})
		return
	}
	doc, ok := decodeObject(body)
	if !ok {
		writeErrors(w, http.StatusBadRequest, apiError{Message: "Bad Request"})
		return
	}
	if errs := validate(doc); len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	var m Mail
	if err := json.Unmarshal(body, &m); err != nil {
		// validate checks the type of every field Mail decodes; this is a
		// fake's bug, not the client's, but the client still gets an answer.
		writeErrors(w, http.StatusBadRequest, apiError{Message: "Bad Request"})
		return
	}
	a := Accepted{MessageID: newMessageID(), Received: s.now(), Mail: m, Raw: json.RawMessage(body)}
	s.mu.Lock()
	s.accepted = append(s.accepted, a)
	onAccept := s.onAccept
	s.mu.Unlock()
	if onAccept != nil {
		onAccept(a)
	}
	w.Header().Set("X-Message-Id", a.MessageID)
	w.WriteHeader(http.StatusAccepted)
}

// countRequest counts a request to the send route and reports whether an
// armed failure takes it, with which status, and the latency to answer with.
func (s *Server) countRequest() (status int, fail bool, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.failEvery > 0 && s.requests%s.failEvery == 0 {
		return s.failWith, true, s.latency
	}
	if s.failLeft == 0 {
		return 0, false, s.latency
	}
	s.failLeft--
	return s.failWith, true, s.latency
}

func (s *Server) writeArmedFailure(w http.ResponseWriter, status int) {
	msg := strings.ToLower(http.StatusText(status))
	switch status {
	case http.StatusTooManyRequests:
		secs := int(RetryAfter / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.Header().Set("X-RateLimit-Limit", "600")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(s.now().Add(RetryAfter).Unix(), 10))
		msg = "too many requests"
	case http.StatusInternalServerError:
		msg = "internal error"
	}
	if msg == "" {
		msg = "error"
	}
	writeErrors(w, status, apiError{Message: msg})
}

func (s *Server) authorized(header string) bool {
	if s.apiKey == "" {
		return false
	}
	want := "Bearer " + s.apiKey
	return subtle.ConstantTimeCompare([]byte(header), []byte(want)) == 1
}

// readBody reads the request body, gunzipping it when the client compressed
// it (SendGrid accepts Content-Encoding: gzip), within MaxBodyBytes. On
// failure it returns the status and message to answer with.
func readBody(r *http.Request) (body []byte, status int, msg string) {
	var src io.Reader = http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, http.StatusBadRequest, "Bad Request"
		}
		defer zr.Close()
		src = io.LimitReader(zr, MaxBodyBytes+1)
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q is not supported.", enc)
	}
	body, err := io.ReadAll(src)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge) || len(body) > MaxBodyBytes:
		return nil, http.StatusRequestEntityTooLarge, "The JSON payload you have included in your request is too large. Please limit your request to 30 MB."
	case err != nil:
		return nil, http.StatusBadRequest, "Bad Request"
	}
	return body, 0, ""
}

// decodeObject decodes body as exactly one JSON object, numbers kept exact.
func decodeObject(body []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

func (s *Server) serveMessages(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeErrors(w, http.StatusMethodNotAllowed, apiError{Message: "method not allowed"})
		return
	}
	writeJSON(w, http.StatusOK, s.Accepted())
}

func (s *Server) serveFail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrors(w, http.StatusMethodNotAllowed, apiError{Message: "method not allowed"})
		return
	}
	q := r.URL.Query()
	status, err := strconv.Atoi(q.Get("status"))
	if err != nil || status < 400 || status > 599 {
		writeErrors(w, http.StatusBadRequest, apiError{Message: "status must be an HTTP error status, 400 to 599", Field: ptr("status")})
		return
	}
	if v := q.Get("every"); v != "" {
		every, err := strconv.Atoi(v)
		if err != nil || every < 0 {
			writeErrors(w, http.StatusBadRequest, apiError{Message: "every must be a whole number, 0 or more", Field: ptr("every")})
			return
		}
		s.FailEvery(status, every)
		writeJSON(w, http.StatusOK, map[string]int{"status": status, "every": every})
		return
	}
	n := 1
	if v := q.Get("n"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			writeErrors(w, http.StatusBadRequest, apiError{Message: "n must be a whole number, 0 or more", Field: ptr("n")})
			return
		}
	}
	s.FailNext(status, n)
	writeJSON(w, http.StatusOK, map[string]int{"status": status, "n": n})
}

func (s *Server) serveReset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrors(w, http.StatusMethodNotAllowed, apiError{Message: "method not allowed"})
		return
	}
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveLatency(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeErrors(w, http.StatusMethodNotAllowed, apiError{Message: "method not allowed"})
		return
	}
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 {
		writeErrors(w, http.StatusBadRequest, apiError{Message: "ms must be a whole number of milliseconds", Field: ptr("ms")})
		return
	}
	s.SetLatency(time.Duration(ms) * time.Millisecond)
	writeJSON(w, http.StatusOK, map[string]int{"ms": ms})
}

// ActivityPath is the route of SendGrid's Email Activity API.
const ActivityPath = "/v3/messages"

// activityQuery is the one Email Activity query the fake answers: a custom
// arg (SendGrid's unique_args) equal to a value.
var activityQuery = regexp.MustCompile(`^unique_args\['([A-Za-z0-9_]+)'\]="([^"]*)"$`)

// serveActivity answers GET /v3/messages?query=unique_args['k']="v" with the
// accepted messages whose custom args (the message's, or a
// personalization's) have k = v, as SendGrid's activity feed lists them.
func (s *Server) serveActivity(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeErrors(w, http.StatusMethodNotAllowed, apiError{Message: "method not allowed"})
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		writeErrors(w, http.StatusUnauthorized, apiError{Message: "authorization required"})
		return
	}
	m := activityQuery.FindStringSubmatch(r.URL.Query().Get("query"))
	if m == nil {
		writeErrors(w, http.StatusBadRequest, apiError{Message: "invalid query; this stand-in answers unique_args['name']=\"value\" only", Field: ptr("query")})
		return
	}
	key, value := m[1], m[2]
	type found struct {
		MsgID     string `json:"msg_id"`
		FromEmail string `json:"from_email"`
		Subject   string `json:"subject"`
		ToEmail   string `json:"to_email"`
		Status    string `json:"status"`
	}
	out := []found{}
	for _, a := range s.Accepted() {
		for i, p := range a.Mail.Personalizations {
			v, ok := p.CustomArgs[key]
			if !ok {
				v, ok = a.Mail.CustomArgs[key]
			}
			if !ok || v != value || len(p.To) == 0 {
				continue
			}
			out = append(out, found{MsgID: fmt.Sprintf("%s.filterdrecv-fake-%d", a.MessageID, i), FromEmail: a.Mail.From.Email,
				Subject: a.Mail.Subject, ToEmail: p.To[0].Email, Status: "processed"})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

// apiError is one entry of SendGrid's error body; field and help are null
// when they do not apply.
type apiError struct {
	Message string  `json:"message"`
	Field   *string `json:"field"`
	Help    *string `json:"help"`
}

func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	writeJSON(w, status, struct {
		Errors []apiError `json:"errors"`
	}{errs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing to do
}

// newMessageID returns 22 URL-safe characters, the shape of SendGrid's
// X-Message-Id (16 random bytes, unpadded base64).
func newMessageID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func ptr(s string) *string { return &s }
