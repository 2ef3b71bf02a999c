package inbound

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
)

// Message is a customer's email as posted by SendGrid Inbound Parse.
//
// From, To and Cc are bare addresses (no display names) from the message's
// headers, which the sender wrote and can forge. Envelope is the SMTP
// envelope SendGrid received: Envelope.To holds every address at the parse
// domain the message was delivered to, Bcc included, so it is where to look
// for a reply address. Text is the text/plain body with LF line ends, HTML
// the text/html body; either may be empty.
type Message struct {
	From, To, Cc        []string
	Subject, Text, HTML string
	Envelope            struct {
		From string   `json:"from"`
		To   []string `json:"to"`
	}
}

// maxMIMEDepth bounds the nesting of multiparts in a raw message.
const maxMIMEDepth = 8

// ParseInbound parses an Inbound Parse POST (multipart/form-data) of at most
// maxBytes, attachments included. It reads the fields from, to, cc, subject,
// text, html and envelope, converting each text field from the charset that
// the charsets field names for it. With "Send Raw" set, SendGrid posts the
// whole message in the field email instead of text and html; the bodies, and
// any header missing from the form, are then taken from it. Attachments and
// other fields are read past and dropped.
//
// A message needs a sender, in from or in the envelope; anything else may be
// missing. Errors are ErrTooLarge, ErrCharset (a charset this package cannot
// convert) or ErrMalformed.
func ParseInbound(r *http.Request, maxBytes int64) (Message, error) {
	var m Message
	if maxBytes <= 0 {
		return Message{}, errors.New("inbound: maxBytes must be positive")
	}
	if r.Body == nil {
		return Message{}, fmt.Errorf("%w: no body", ErrMalformed)
	}
	if r.ContentLength > maxBytes {
		return Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, r.ContentLength, maxBytes)
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return Message{}, fmt.Errorf("%w: want multipart/form-data", ErrMalformed)
	}

	// Stream the parts rather than r.ParseMultipartForm: attachments are of
	// no use here and need not be buffered or spooled to disk.
	body := &limitedBody{r: http.MaxBytesReader(nil, r.Body, maxBytes)}
	fields, raw, err := readParts(multipart.NewReader(body, params["boundary"]))
	if body.err != nil {
		// Whatever a parser made of a body cut short, the cause is the limit.
		return Message{}, readError(body.err)
	} else if err != nil {
		return Message{}, readError(err)
	}

	var charsets map[string]string
	if b := fields["charsets"]; len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &charsets); err != nil {
			return Message{}, fmt.Errorf("%w: charsets is not a JSON object of strings", ErrMalformed)
		}
	}
	text := make(map[string]string)
	for _, name := range []string{"from", "to", "cc", "subject", "text", "html"} {
		b, ok := fields[name]
		if !ok {
			continue
		}
		s, err := decodeCharset(b, charsets[name])
		if err != nil {
			return Message{}, fmt.Errorf("%w (field %s)", err, name)
		}
		text[name] = s
	}
	if raw != nil {
		// The form's fields are SendGrid's own parse; the raw message only
		// fills what the form leaves out.
		for name, s := range map[string]string{
			"from": raw.from, "to": raw.to, "cc": raw.cc, "subject": raw.subject,
			"text": raw.text, "html": raw.html,
		} {
			if _, ok := text[name]; !ok && s != "" {
				text[name] = s
			}
		}
	}

	if b := fields["envelope"]; len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &m.Envelope); err != nil {
			return Message{}, fmt.Errorf("%w: envelope is not the expected JSON", ErrMalformed)
		}
	}
	m.From = parseAddresses(text["from"])
	m.To = parseAddresses(text["to"])
	m.Cc = parseAddresses(text["cc"])
	m.Subject = strings.TrimSpace(text["subject"])
	m.Text = strings.ReplaceAll(text["text"], "\r\n", "\n")
	m.HTML = text["html"]
	if len(m.From) == 0 && m.Envelope.From == "" {
		return Message{}, fmt.Errorf("%w: no sender", ErrMalformed)
	}
	return m, nil
}

// readParts reads the form fields that ParseInbound uses, and parses the raw
// message if there is one.
func readParts(mr *multipart.Reader) (fields map[string][]byte, raw *rawMessage, err error) {
	fields = make(map[string][]byte)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return fields, raw, nil
		} else if err != nil {
			return nil, nil, err
		}
		name := part.FormName()
		if part.FileName() != "" {
			continue // an attachment; NextPart reads past it
		}
		switch name {
		case "from", "to", "cc", "subject", "text", "html", "envelope", "charsets":
			if _, seen := fields[name]; seen {
				continue
			}
			if fields[name], err = io.ReadAll(part); err != nil {
				return nil, nil, err
			}
		case "email":
			if raw != nil {
				continue
			}
			if raw, err = parseRawMessage(part); err != nil {
				return nil, nil, err
			}
		}
	}
}

// limitedBody remembers the error of the size limit, which parsers reading
// through it may report as something else (a header line cut short).
type limitedBody struct {
	r   io.Reader
	err error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.err = err
	}
	return n, err
}

// rawMessage is what ParseInbound takes from the field email: header values
// (encoded words decoded) and the first text/plain and text/html bodies that
// are not attachments.
type rawMessage struct {
	from, to, cc, subject string
	text, html            string
	hasText, hasHTML      bool
}

func parseRawMessage(r io.Reader) (*rawMessage, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return nil, readError(err)
	}
	rm := &rawMessage{
		from:    decodeHeader(msg.Header.Get("From")),
		to:      decodeHeader(msg.Header.Get("To")),
		cc:      decodeHeader(msg.Header.Get("Cc")),
		subject: decodeHeader(msg.Header.Get("Subject")),
	}
	if err := rm.walk(textproto.MIMEHeader(msg.Header), msg.Body, 0); err != nil {
		return nil, err
	}
	return rm, nil
}

// walk looks for the bodies in one MIME entity, descending into multiparts.
func (rm *rawMessage) walk(header textproto.MIMEHeader, body io.Reader, depth int) error {
	ct := header.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii" // RFC 2045's default
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil && mediaType == "" {
		return nil // an entity we cannot type is not a body we can read
	}
	if disp, _, _ := mime.ParseMediaType(header.Get("Content-Disposition")); disp == "attachment" {
		return nil
	}
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		if depth >= maxMIMEDepth {
			return fmt.Errorf("%w: MIME nested too deep", ErrMalformed)
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil
			} else if err != nil {
				return readError(err)
			}
			if err := rm.walk(part.Header, part, depth+1); err != nil {
				return err
			}
		}
	case mediaType == "text/plain" && !rm.hasText:
		s, err := readEntity(header, body, params["charset"])
		if err != nil {
			return err
		}
		rm.text, rm.hasText = s, true
	case mediaType == "text/html" && !rm.hasHTML:
		s, err := readEntity(header, body, params["charset"])
		if err != nil {
			return err
		}
		rm.html, rm.hasHTML = s, true
	}
	return nil
}

// readEntity undoes an entity's transfer encoding and charset. The multipart
// reader has already undone quoted-printable in parts (and dropped the
// header); a top-level body still carries it.
func readEntity(header textproto.MIMEHeader, body io.Reader, charset string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(header.Get("Content-Transfer-Encoding"))) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", readError(err)
	}
	return decodeCharset(b, charset)
}

// decodeCharset converts b from the named charset to UTF-8. No name means
// UTF-8, SendGrid's default. Names are resolved as browsers do (WHATWG
// Encoding), so us-ascii and iso-8859-1 read as windows-1252, their superset.
// Bytes invalid in the charset become U+FFFD.
func decodeCharset(b []byte, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "utf-8") || strings.EqualFold(name, "utf8") {
		if utf8.Valid(b) {
			return string(b), nil
		}
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	enc, err := htmlindex.Get(name)
	if err != nil || enc == encoding.Replacement {
		return "", fmt.Errorf("%w: %q", ErrCharset, name)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrCharset, name, err)
	}
	return string(out), nil
}

// charsetReader lets the mime package decode encoded words in any charset
// that decodeCharset knows.
func charsetReader(name string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(name)
	if err != nil || enc == encoding.Replacement {
		return nil, fmt.Errorf("%w: %q", ErrCharset, name)
	}
	return enc.NewDecoder().Reader(input), nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// decodeHeader decodes RFC 2047 encoded words, keeping the raw value when
// they cannot be decoded.
func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// parseAddresses returns the bare addresses of an address-list header. Real
// mail has malformed headers ("Doe, Jane <jane@example.com>"); when the
// strict parse fails, every word with an '@' inside is taken instead.
func parseAddresses(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out []string
	if list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(s); err == nil {
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(" \t\r\n,;<>\"'()[]", r)
	}) {
		if at := strings.IndexByte(w, '@'); at > 0 && at < len(w)-1 {
			out = append(out, w)
		}
	}
	return out
}
