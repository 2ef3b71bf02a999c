package sendgridfake

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// Limits of the v3 Mail Send API.
const (
	MaxPersonalizations = 1000
	MaxRecipients       = 1000 // to, cc and bcc over all personalizations
	MaxCategories       = 10
	MaxCategoryLen      = 255
	MaxCustomArgsBytes  = 10000 // custom_args of the message and of a personalization, together
)

// The messages SendGrid answers with, as its documentation and API give them.
const (
	msgPersonalizationsRequired = "The personalizations field is required and must have at least one personalization."
	msgTooManyPersonalizations  = "The personalizations field must have at most 1000 personalizations."
	msgToRequired               = "The to array is required for all personalization objects, and must have at least one email object with a valid email address."
	msgInvalidAddress           = "Does not contain a valid address."
	msgTooManyRecipients        = "The total number of recipients must be less than 1000. This includes all recipients defined within the to, cc, and bcc parameters, across each object that you include in the personalizations array."
	msgFromRequired             = "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {\"email\" : \"example@example.com\"}  or {\"email\" : \"example@example.com\", \"name\" : \"Example Recipient\"}."
	msgFromInvalid              = "The from email does not contain a valid address."
	msgReplyToInvalid           = "The reply_to email does not contain a valid address."
	msgSubjectRequired          = "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined."
	msgContentRequired          = "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required."
	msgContentType              = "The content type must be a string at least one character in length."
	msgContentValue             = "The content value must be a string at least one character in length."
	msgContentOrder             = "If present, text/plain and text/html content must come first, in that order, followed by any other content."
	msgContentTwice             = "If present, text/plain and text/html may only be provided once."
	msgTemplateID               = "The template_id must be a string at least one character in length."
	msgTooManyCategories        = "Too many categories. This email has more than 10 categories."
	msgCategory                 = "A category must be a string of 1 to 255 characters."
	msgCategoryDuplicate        = "Categories must be unique. This category appears more than once."
	msgCustomArgsTooLarge       = "The custom_args of a message and of each personalization may not exceed 10,000 bytes together."
	msgSendAt                   = "The send_at parameter must be a UNIX timestamp, a whole number."
)

const helpBase = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message."

// validation collects every problem of a body, as SendGrid lists them all.
type validation struct{ errs []apiError }

// add records a problem with field; help points at the anchor of the field's
// top-level parameter with array indexes left out, as SendGrid's links do.
func (v *validation) add(field, message string) {
	e := apiError{Message: message}
	if field != "" {
		var parts []string
		for _, p := range strings.Split(field, ".") {
			if p != "" && strings.Trim(p, "0123456789") != "" {
				parts = append(parts, p)
			}
		}
		e.Field, e.Help = ptr(field), ptr(helpBase+strings.Join(parts, "."))
	}
	v.errs = append(v.errs, e)
}

// wrongType records that field holds a value of the wrong JSON type.
func (v *validation) wrongType(field, want string, got any) {
	v.add(field, fmt.Sprintf("Invalid type. Expected: %s, given: %s.", want, jsonType(got)))
}

// validate checks a decoded Mail Send body and returns every problem, none
// when SendGrid would accept it.
func validate(doc map[string]any) []apiError {
	var v validation

	hasTemplate := false
	if raw, ok := doc["template_id"]; ok && raw != nil {
		if s, isString := raw.(string); !isString || s == "" {
			v.add("template_id", msgTemplateID)
		} else {
			hasTemplate = true
		}
	}

	topArgs := v.stringMap("custom_args", doc["custom_args"])
	v.stringMap("headers", doc["headers"])
	v.stringMap("sections", doc["sections"])
	v.sendAt("send_at", doc["send_at"])

	everySubject := v.personalizations(doc["personalizations"], topArgs)

	if from, ok := doc["from"]; !ok || from == nil {
		v.add("from.email", msgFromRequired)
	} else {
		v.address("from", from, msgFromInvalid)
	}
	if replyTo, ok := doc["reply_to"]; ok && replyTo != nil {
		v.address("reply_to", replyTo, msgReplyToInvalid)
	}

	subject, hasSubject := doc["subject"]
	if hasSubject && subject != nil {
		if _, ok := subject.(string); !ok {
			v.wrongType("subject", "string", subject)
		}
	}
	if s, _ := subject.(string); s == "" && !everySubject && !hasTemplate {
		v.add("subject", msgSubjectRequired)
	}

	v.content(doc["content"], hasTemplate)
	v.categories(doc["categories"])
	return v.errs
}

// personalizations checks the personalizations and reports whether every one
// has a subject of its own.
func (v *validation) personalizations(raw any, topArgs map[string]string) (everySubject bool) {
	list, ok := raw.([]any)
	switch {
	case raw != nil && !ok:
		v.wrongType("personalizations", "array", raw)
		return false
	case len(list) == 0:
		v.add("personalizations", msgPersonalizationsRequired)
		return false
	case len(list) > MaxPersonalizations:
		v.add("personalizations", msgTooManyPersonalizations)
		return false
	}
	everySubject = true
	recipients := 0
	for i, item := range list {
		field := fmt.Sprintf("personalizations.%d", i)
		p, ok := item.(map[string]any)
		if !ok {
			v.wrongType(field, "object", item)
			everySubject = false
			continue
		}
		recipients += v.recipients(field, p)
		switch s := p["subject"].(type) {
		case string:
			if s == "" {
				everySubject = false
			}
		case nil:
			everySubject = false
		default:
			v.wrongType(field+".subject", "string", s)
			everySubject = false
		}
		if from, ok := p["from"]; ok && from != nil {
			v.address(field+".from", from, msgFromInvalid)
		}
		args := v.stringMap(field+".custom_args", p["custom_args"])
		v.stringMap(field+".headers", p["headers"])
		v.stringMap(field+".substitutions", p["substitutions"])
		if d, ok := p["dynamic_template_data"]; ok && d != nil {
			if _, isObject := d.(map[string]any); !isObject {
				v.wrongType(field+".dynamic_template_data", "object", d)
			}
		}
		v.sendAt(field+".send_at", p["send_at"])
		if customArgsSize(topArgs, args) > MaxCustomArgsBytes {
			v.add(field+".custom_args", msgCustomArgsTooLarge)
		}
	}
	if recipients > MaxRecipients {
		v.add("personalizations", msgTooManyRecipients)
	}
	return everySubject
}

// recipients checks to, cc and bcc of one personalization and returns how
// many valid addresses they hold.
func (v *validation) recipients(field string, p map[string]any) int {
	n := 0
	seen := map[string]bool{}
	for _, kind := range []string{"to", "cc", "bcc"} {
		raw, present := p[kind]
		list, ok := raw.([]any)
		if kind == "to" && (!ok || len(list) == 0) {
			v.add(field+".to", msgToRequired)
			continue
		}
		if !present || raw == nil {
			continue
		}
		if !ok {
			v.wrongType(field+"."+kind, "array", raw)
			continue
		}
		for j, item := range list {
			addr, ok := v.address(fmt.Sprintf("%s.%s.%d", field, kind, j), item, msgInvalidAddress)
			if !ok {
				continue
			}
			n++
			key := strings.ToLower(addr)
			if seen[key] {
				v.add(field, fmt.Sprintf("Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [%s] in the %s.%s field.", addr, field, kind))
			}
			seen[key] = true
		}
	}
	return n
}

// address checks an email object at field and returns its address.
func (v *validation) address(field string, raw any, invalid string) (string, bool) {
	obj, ok := raw.(map[string]any)
	if !ok {
		v.wrongType(field, "object", raw)
		return "", false
	}
	if name, ok := obj["name"]; ok && name != nil {
		if _, isString := name.(string); !isString {
			v.wrongType(field+".name", "string", name)
		}
	}
	addr, _ := obj["email"].(string)
	if !validEmail(addr) {
		v.add(field+".email", invalid)
		return "", false
	}
	return addr, true
}

// content checks the body parts.
func (v *validation) content(raw any, hasTemplate bool) {
	list, ok := raw.([]any)
	if raw != nil && !ok {
		v.wrongType("content", "array", raw)
		return
	}
	if len(list) == 0 {
		if !hasTemplate {
			v.add("content", msgContentRequired)
		}
		return
	}
	var types []string
	for i, item := range list {
		field := fmt.Sprintf("content.%d", i)
		c, ok := item.(map[string]any)
		if !ok {
			v.wrongType(field, "object", item)
			types = append(types, "")
			continue
		}
		typ, _ := c["type"].(string)
		if strings.TrimSpace(typ) == "" {
			v.add(field+".type", msgContentType)
		}
		if value, _ := c["value"].(string); value == "" {
			v.add(field+".value", msgContentValue)
		}
		types = append(types, strings.ToLower(strings.TrimSpace(typ)))
	}
	plain, html := countOf(types, "text/plain"), countOf(types, "text/html")
	if plain > 1 || html > 1 {
		v.add("content", msgContentTwice)
		return
	}
	// text/plain first, text/html right after it (or first without it).
	want := 0
	for _, t := range []string{"text/plain", "text/html"} {
		if i := slices.Index(types, t); i >= 0 {
			if i != want {
				v.add("content", msgContentOrder)
				return
			}
			want++
		}
	}
}

// categories checks the categories: at most 10 unique non-empty strings.
func (v *validation) categories(raw any) {
	if raw == nil {
		return
	}
	list, ok := raw.([]any)
	if !ok {
		v.wrongType("categories", "array", raw)
		return
	}
	if len(list) > MaxCategories {
		v.add("categories", msgTooManyCategories)
	}
	seen := map[string]bool{}
	for i, item := range list {
		field := fmt.Sprintf("categories.%d", i)
		s, ok := item.(string)
		switch {
		case !ok || s == "" || len(s) > MaxCategoryLen:
			v.add(field, msgCategory)
		case seen[s]:
			v.add(field, msgCategoryDuplicate)
		}
		seen[s] = true
	}
}

// stringMap checks that raw, if present, is an object of string values, and
// returns it.
func (v *validation) stringMap(field string, raw any) map[string]string {
	if raw == nil {
		return nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		v.wrongType(field, "object", raw)
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // every problem, in a stable order
	out := make(map[string]string, len(obj))
	for _, k := range keys {
		s, ok := obj[k].(string)
		if !ok {
			v.wrongType(field+"."+k, "string", obj[k])
			continue
		}
		out[k] = s
	}
	return out
}

func (v *validation) sendAt(field string, raw any) {
	if raw == nil {
		return
	}
	n, ok := raw.(json.Number)
	if !ok {
		v.wrongType(field, "integer", raw)
		return
	}
	if i, err := n.Int64(); err != nil || i < 0 {
		v.add(field, msgSendAt)
	}
}

// customArgsSize is the size of the custom_args a personalization's messages
// carry: the message's, overridden by the personalization's.
func customArgsSize(top, own map[string]string) int {
	merged := make(map[string]string, len(top)+len(own))
	for k, val := range top {
		merged[k] = val
	}
	for k, val := range own {
		merged[k] = val
	}
	if len(merged) == 0 {
		return 0
	}
	b, _ := json.Marshal(merged) // a map of strings always marshals
	return len(b)
}

// validEmail reports whether s is a bare address SendGrid accepts as an
// "email" value: local@domain, no display name or angle brackets, a domain
// with a dot, at most 254 characters.
func validEmail(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>,;") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// jsonType names the JSON type of a decoded value, as SendGrid's type errors do.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}
