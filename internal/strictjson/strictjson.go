// Package strictjson decodes one JSON value strictly: an object field that the
// destination does not have, at any depth, is an error, and so is anything
// after the value. Its errors are typed, so callers classify them with
// errors.As and errors.Is rather than by their text.
//
// Decoding itself is encoding/json's: the values stored, the field names and
// their case-insensitive matching, json.Unmarshaler and
// encoding.TextUnmarshaler are all as encoding/json has them.
package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// SyntaxError reports input that is not JSON, including input that ends
// before its value does (then errors.Is(err, io.ErrUnexpectedEOF) holds).
type SyntaxError struct {
	Offset int64  // bytes read when the error was found, as json.SyntaxError has it
	Line   int    // 1-based line of the offending byte (of the end, when truncated)
	Column int    // 1-based column of it, counted in characters
	Msg    string // what is wrong, e.g. "invalid character '}' looking for beginning of value"

	truncated bool
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("strictjson: line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Unwrap returns io.ErrUnexpectedEOF when the input ends too early.
func (e *SyntaxError) Unwrap() error {
	if e.truncated {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// UnknownFieldError reports an object field the destination does not have.
type UnknownFieldError struct {
	Path string // e.g. "policies[2].first_reply"
}

func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("strictjson: unknown field %q", e.Path)
}

// TypeError reports a JSON value that the destination cannot hold.
type TypeError struct {
	// Path is the value's place, e.g. "policies[2].first_response"; "" is the
	// top-level value.
	Path string
	// Want is the kind of JSON value the destination takes: "string",
	// "number", "boolean", "object" or "list".
	Want string
	// Got is the kind of JSON value found, in the same words; for a number
	// the destination cannot hold (a fraction for an integer, or out of
	// range) it is "number" and the number, e.g. "number 1.5".
	Got string
}

func (e *TypeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("strictjson: the value must be a JSON %s, not a JSON %s", e.Want, e.Got)
	}
	return fmt.Sprintf("strictjson: %s must be a JSON %s, not a JSON %s", e.Path, e.Want, e.Got)
}

// ErrTrailingData reports more than white space after the first JSON value.
var ErrTrailingData = errors.New("strictjson: more data after the JSON value")

// Decode decodes the one JSON value in data into dst, a non-nil pointer.
//
// Its error is a *SyntaxError, ErrTrailingData, an *UnknownFieldError or a
// *TypeError, checked in that order; otherwise it is the error a type's own
// UnmarshalJSON or UnmarshalText returned (a *time.ParseError, say), or one
// of encoding/json's for what it refuses beyond these (a malformed base64
// string, a misused ",string" option). Of several unknown fields and wrong
// types, the one reported is the first in the input.
func Decode(data []byte, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &json.InvalidUnmarshalError{Type: reflect.TypeOf(dst)}
	}

	// Syntax and trailing data first, with encoding/json's own scanner.
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return syntaxError(data, err)
	}
	if rest := data[dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) > 0 {
		return ErrTrailingData
	}
	// Then a generic tree of the value, walked alongside dst's type to find
	// unknown fields and wrong types with their paths.
	tree, err := parse(raw)
	if err != nil {
		return err // not expected: raw is valid JSON
	}
	w := walker{}
	if err := w.value(tree, rv.Type(), rv); err != nil {
		return err
	}

	// Then the real decoding, by encoding/json. Unknown fields stay refused
	// in case it and the walk ever disagree.
	dec = json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	// encoding/json returns its own type errors bare; one wrapped in another
	// error came from a type's UnmarshalJSON and is passed on with it. So is
	// any *json.SyntaxError: the input is valid, so it is about what a
	// type's UnmarshalJSON parsed itself.
	if typ, ok := err.(*json.UnmarshalTypeError); ok {
		return &TypeError{Path: typ.Field, Want: want(typ.Type), Got: got(typ.Value)}
	}
	return err
}

func syntaxError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		at := min(max(syn.Offset-1, 0), int64(len(data)))
		line, col := position(data, at)
		return &SyntaxError{Offset: syn.Offset, Line: line, Column: col, Msg: syn.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := position(data, int64(len(data)))
		return &SyntaxError{Offset: int64(len(data)), Line: line, Column: col, Msg: "unexpected end of JSON input", truncated: true}
	}
	return err // not expected from a bytes.Reader
}

// position is the 1-based line and column (in characters) of data[at].
func position(data []byte, at int64) (line, col int) {
	before := data[:at]
	nl := bytes.LastIndexByte(before, '\n')
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[nl+1:]) + 1
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// object is a JSON object of the tree: its members in order, repeated keys
// included, since encoding/json decodes each of them.
type object []member

type member struct {
	key   string
	value any
}

// parse reads valid JSON into a tree of object, []any, string, bool,
// json.Number and nil. encoding/json has bounded its nesting.
func parse(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return parseValue(dec)
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		obj := object{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			value, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{key.(string), value})
		}
		_, err = dec.Token() // }
		return obj, err
	case json.Delim('['):
		list := []any{}
		for dec.More() {
			value, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, value)
		}
		_, err = dec.Token() // ]
		return list, err
	}
	return tok, nil
}

// segment is one step of a path: an object key, or a list index when key is "".
type segment struct {
	key   string
	index int
}

// walker walks the generic tree alongside the destination's type the way
// encoding/json will decode it, keeping the path to report.
type walker struct {
	path []segment
}

func (w *walker) pathString() string {
	var b strings.Builder
	for _, s := range w.path {
		if s.key == "" {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

func (w *walker) typeError(t reflect.Type, got string) error {
	return &TypeError{Path: w.pathString(), Want: want(t), Got: got}
}

// value checks node against t. v is the destination's existing value of
// type t when known (encoding/json decodes into what an interface points
// to), else invalid.
func (w *walker) value(node any, t reflect.Type, v reflect.Value) error {
	if node == nil {
		return nil // null fits everything; encoding/json leaves or clears
	}
	// Follow pointers and interfaces holding pointers, as encoding/json's
	// indirect does, stopping at a type that decodes itself.
	for {
		if decodesItself(t, unmarshalerType) {
			return nil
		}
		if decodesItself(t, textUnmarshalerType) {
			if _, ok := node.(string); !ok {
				return w.typeError(t, kindOf(node))
			}
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			if v.IsValid() && !v.IsNil() {
				v = v.Elem()
			} else {
				v = reflect.Value{}
			}
			t = t.Elem()
			continue
		case reflect.Interface:
			if v.IsValid() && !v.IsNil() {
				if e := v.Elem(); e.Kind() == reflect.Pointer && !e.IsNil() {
					t, v = e.Type(), e
					continue
				}
			}
			if t.NumMethod() == 0 {
				return w.generic(node)
			}
			return nil // encoding/json refuses it; left to it
		}
		break
	}

	switch n := node.(type) {
	case object:
		switch t.Kind() {
		case reflect.Struct:
			return w.structure(n, t, v)
		case reflect.Map:
			return w.mapping(n, t)
		}
		return w.typeError(t, "object")
	case []any:
		switch t.Kind() {
		case reflect.Slice:
			for i, e := range n {
				if err := w.elem(i, e, t.Elem()); err != nil {
					return err
				}
			}
			return nil
		case reflect.Array:
			// encoding/json skips what does not fit, unchecked.
			for i, e := range n[:min(len(n), t.Len())] {
				if err := w.elem(i, e, t.Elem()); err != nil {
					return err
				}
			}
			return nil
		}
		return w.typeError(t, "list")
	case string:
		switch {
		case t.Kind() == reflect.String,
			t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8: // base64
			return nil
		}
		return w.typeError(t, "string")
	case bool:
		if t.Kind() == reflect.Bool {
			return nil
		}
		return w.typeError(t, "boolean")
	case json.Number:
		return w.number(string(n), t)
	}
	return nil
}

func (w *walker) elem(i int, node any, t reflect.Type) error {
	w.path = append(w.path, segment{index: i})
	err := w.value(node, t, reflect.Value{})
	w.path = w.path[:len(w.path)-1]
	return err
}

func (w *walker) number(s string, t reflect.Type) error {
	var err error
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err = strconv.ParseInt(s, 10, t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		_, err = strconv.ParseUint(s, 10, t.Bits())
	case reflect.Float32, reflect.Float64:
		_, err = strconv.ParseFloat(s, t.Bits())
	case reflect.String:
		if t == numberType {
			return nil
		}
		return w.typeError(t, "number")
	default:
		return w.typeError(t, "number")
	}
	if err != nil {
		return w.typeError(t, "number "+s)
	}
	return nil
}

// generic checks a value bound for an empty interface, where encoding/json
// makes every number a float64.
func (w *walker) generic(node any) error {
	switch n := node.(type) {
	case object:
		for _, m := range n {
			w.path = append(w.path, segment{key: m.key})
			err := w.generic(m.value)
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
	case []any:
		for i, e := range n {
			w.path = append(w.path, segment{index: i})
			err := w.generic(e)
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
	case json.Number:
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return &TypeError{Path: w.pathString(), Want: "number", Got: "number " + string(n)}
		}
	}
	return nil
}

func (w *walker) mapping(n object, t reflect.Type) error {
	switch t.Key().Kind() {
	case reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		if !reflect.PointerTo(t.Key()).Implements(textUnmarshalerType) {
			return nil // encoding/json refuses the map type; left to it
		}
	}
	// Keys that do not parse as the key type are left to encoding/json.
	for _, m := range n {
		w.path = append(w.path, segment{key: m.key})
		err := w.value(m.value, t.Elem(), reflect.Value{})
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) structure(n object, t reflect.Type, v reflect.Value) error {
	info := cachedFields(t)
	for _, m := range n {
		f := info.lookup(m.key)
		if f == nil {
			w.path = append(w.path, segment{key: m.key})
			err := &UnknownFieldError{Path: w.pathString()}
			w.path = w.path[:len(w.path)-1]
			return err
		}
		if f.quoted {
			continue // ",string": encoding/json checks the string's content
		}
		w.path = append(w.path, segment{key: f.name})
		err := w.value(m.value, f.typ, fieldValue(v, f.index))
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// fieldValue is v's field at index, through embedded pointers; invalid when
// v is, or when an embedded pointer on the way is nil.
func fieldValue(v reflect.Value, index []int) reflect.Value {
	if !v.IsValid() {
		return v
	}
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// decodesItself reports whether encoding/json hands a value of type t to
// its method of iface: t's own if t is a pointer, else *t's.
func decodesItself(t, iface reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		return t.Implements(iface)
	}
	return reflect.PointerTo(t).Implements(iface)
}

// want names the JSON kind a destination of type t takes.
func want(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for {
		if decodesItself(t, textUnmarshalerType) && !decodesItself(t, unmarshalerType) {
			return "string"
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string"
		}
		return "list"
	case reflect.Array:
		return "list"
	}
	return "object"
}

// got puts encoding/json's description of a value in TypeError's words.
func got(value string) string {
	switch value {
	case "bool":
		return "boolean"
	case "array":
		return "list"
	}
	return value
}

func kindOf(node any) string {
	switch node.(type) {
	case object:
		return "object"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	}
	return "null"
}

// field is a struct field as encoding/json sees it.
type field struct {
	name   string
	index  []int
	typ    reflect.Type
	tag    bool
	quoted bool
}

type structInfo struct {
	fields []field // in index order
	exact  map[string]*field
}

// lookup finds the field for an object key as encoding/json does: the
// exact name, else the first field whose name matches ignoring case.
func (s *structInfo) lookup(key string) *field {
	if f := s.exact[key]; f != nil {
		return f
	}
	for i := range s.fields {
		if strings.EqualFold(s.fields[i].name, key) {
			return &s.fields[i]
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → *structInfo

func cachedFields(t reflect.Type) *structInfo {
	if s, ok := fieldCache.Load(t); ok {
		return s.(*structInfo)
	}
	s, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return s.(*structInfo)
}

// typeFields lists the fields encoding/json decodes into for struct type t,
// following its rules (encoding/json's typeFields): exported fields by tag
// name or Go name, "-" skipped, untagged embedded structs promoted, and of
// fields with one name the shallowest, then tagged, one kept, or none if
// that is ambiguous.
func typeFields(t reflect.Type) *structInfo {
	current := []field{}
	next := []field{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []field

	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := 0; i < f.typ.NumField(); i++ {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !isValidTag(name) {
					name = ""
				}
				index := append(slices.Clone(f.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					fields = append(fields, field{
						name:   name,
						index:  index,
						typ:    sf.Type,
						tag:    tagged,
						quoted: hasOption(opts, "string") && quotable(ft),
					})
					if count[f.typ] > 1 {
						// Two copies of the same embedded struct at one
						// depth annihilate each other's fields.
						fields = append(fields, fields[len(fields)-1])
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, field{name: ft.Name(), index: index, typ: ft})
				}
			}
		}
	}

	slices.SortFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := len(a.index) - len(b.index); c != 0 {
			return c
		}
		if a.tag != b.tag {
			if a.tag {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for advance, i := 0, 0; i < len(fields); i += advance {
		name := fields[i].name
		for advance = 1; i+advance < len(fields) && fields[i+advance].name == name; advance++ {
		}
		group := fields[i : i+advance]
		if len(group) > 1 && len(group[0].index) == len(group[1].index) && group[0].tag == group[1].tag {
			continue // ambiguous: encoding/json drops them all
		}
		out = append(out, group[0])
	}
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })

	s := &structInfo{fields: out, exact: make(map[string]*field, len(out))}
	for i := range s.fields {
		s.exact[s.fields[i].name] = &s.fields[i]
	}
	return s
}

func quotable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.String:
		return true
	}
	return false
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// isValidTag is encoding/json's test of a tag name.
func isValidTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
