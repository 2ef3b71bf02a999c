package strictjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk/internal/strictjson"
)

type item struct {
	Kind string `json:"kind"`
	Qty  int    `json:"qty"`
}

type base struct {
	ID string `json:"id"`
}

// level decodes itself from "low" or "high".
type level int

type levelError struct{ text string }

func (e *levelError) Error() string { return fmt.Sprintf("%s is not a level", e.text) }

func (l *level) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
	case `"low"`:
		*l = 1
	case `"high"`:
		*l = 2
	default:
		return &levelError{string(b)}
	}
	return nil
}

type doc struct {
	base
	Name   string            `json:"name"`
	Count  int8              `json:"count"`
	Ratio  float64           `json:"ratio"`
	OK     *bool             `json:"ok"`
	Items  []item            `json:"items"`
	Groups map[string][]item `json:"groups"`
	Raw    json.RawMessage   `json:"raw"`
	Extra  any               `json:"extra"`
	At     time.Time         `json:"at"`
	Fixed  [2]int            `json:"fixed"`
	Blob   []byte            `json:"blob"`
	Level  level             `json:"level"`
	Quoted int               `json:"quoted,string"`
	Secret string            `json:"-"`
	Plain  string            // no tag: its Go name
}

// twins has two fields whose names differ only in case.
type twins struct {
	Lower string `json:"a"`
	Upper string `json:"A"`
}

type left struct{ X int }
type right struct{ X int }

// ambiguous embeds two X at one depth, which encoding/json drops.
type ambiguous struct {
	left
	right
}

func TestDecode(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		json string
		dst  func() any
		want any // the decoded value, when the decoding succeeds
		err  error
	}{
		{"a full document", `{
				"id": "d-1", "name": "n", "count": -7, "ratio": 0.5, "ok": true,
				"items": [{"kind": "a", "qty": 2}],
				"groups": {"g": [{"kind": "b", "qty": 3}]},
				"raw": {"anything": [1, {"x": 2}], "name": 5},
				"extra": {"k": [1, "two"]},
				"at": "2026-06-01T09:00:00Z", "fixed": [4, 5], "blob": "aGk=", "level": "high",
				"quoted": "12", "Plain": "p"
			}`, func() any { return &doc{} },
			&doc{base: base{ID: "d-1"}, Name: "n", Count: -7, Ratio: 0.5, OK: &yes,
				Items:  []item{{"a", 2}},
				Groups: map[string][]item{"g": {{"b", 3}}},
				Raw:    json.RawMessage(`{"anything": [1, {"x": 2}], "name": 5}`),
				Extra:  map[string]any{"k": []any{1.0, "two"}},
				At:     time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), Fixed: [2]int{4, 5}, Blob: []byte("hi"), Level: 2,
				Quoted: 12, Plain: "p"},
			nil},
		{"names match ignoring case", `{"NAME": "n", "Items": [{"KIND": "k"}], "plain": "p", "ID": "i"}`, func() any { return &doc{} },
			&doc{base: base{ID: "i"}, Name: "n", Items: []item{{Kind: "k"}}, Plain: "p"}, nil},
		{"an exact name wins over one matching ignoring case", `{"A": "upper", "a": "lower"}`, func() any { return &twins{} },
			&twins{Lower: "lower", Upper: "upper"}, nil},
		{"null at the top leaves the value", `null`, func() any { return &doc{Name: "kept"} }, &doc{Name: "kept"}, nil},
		{"null fields are accepted", `{"ok": null, "items": null, "name": null, "at": null, "level": null, "groups": {"g": null}}`, func() any { return &doc{} },
			&doc{Groups: map[string][]item{"g": nil}}, nil},
		{"white space around the value is accepted", " \n\t{\"name\": \"n\"}\r\n ", func() any { return &doc{} }, &doc{Name: "n"}, nil},
		{"a list beyond an array's length is dropped unchecked", `{"fixed": [1, 2, {"x": 1}]}`, func() any { return &doc{} },
			&doc{Fixed: [2]int{1, 2}}, nil},
		{"a map with integer keys", `{"1": "a", "-2": "b"}`, func() any { return &map[int]string{} }, &map[int]string{1: "a", -2: "b"}, nil},

		{"an unknown field at the top", `{"name": "n", "nmae": "x"}`, func() any { return &doc{} }, nil,
			&strictjson.UnknownFieldError{Path: "nmae"}},
		{"an unknown field in a struct in a list in a map", `{"groups": {"a": [{"kind": "x"}], "b": [{"kind": "y"}, {"knd": "z"}]}}`,
			func() any { return &doc{} }, nil, &strictjson.UnknownFieldError{Path: "groups.b[1].knd"}},
		{"the first unknown field of the input is reported", `{"zz": 1, "aa": 2}`, func() any { return &doc{} }, nil,
			&strictjson.UnknownFieldError{Path: "zz"}},
		{"a field tagged - is unknown", `{"Secret": "s"}`, func() any { return &doc{} }, nil, &strictjson.UnknownFieldError{Path: "Secret"}},
		{"an ambiguous embedded field is unknown", `{"X": 1}`, func() any { return &ambiguous{} }, nil, &strictjson.UnknownFieldError{Path: "X"}},
		{"an unknown field in a repeated key's first value", `{"items": [{"kind": "a", "bad": 1}], "items": []}`, func() any { return &doc{} }, nil,
			&strictjson.UnknownFieldError{Path: "items[0].bad"}},
		{"an unknown field of what an interface points to", `{"kid": "x"}`, func() any { var v any = &item{}; return &v }, nil,
			&strictjson.UnknownFieldError{Path: "kid"}},
		{"a top-level list's unknown field", `[{"kind": "a"}, {"qty": 1, "color": "red"}]`, func() any { return &[]item{} }, nil,
			&strictjson.UnknownFieldError{Path: "[1].color"}},

		{"a number for a string", `{"name": 5}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "name", Want: "string", Got: "number"}},
		{"a string for a number, nested", `{"items": [{"qty": 1}, {"qty": "3"}]}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "items[1].qty", Want: "number", Got: "string"}},
		{"a number out of range", `{"count": 300}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "count", Want: "number", Got: "number 300"}},
		{"a fraction for an integer", `{"groups": {"g": [{"qty": 1.5}]}}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "groups.g[0].qty", Want: "number", Got: "number 1.5"}},
		{"a string for a boolean pointer", `{"ok": "yes"}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "ok", Want: "boolean", Got: "string"}},
		{"an object for a list", `{"items": {}}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "items", Want: "list", Got: "object"}},
		{"a list for a map", `{"groups": []}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "groups", Want: "object", Got: "list"}},
		{"a boolean deep down", `{"groups": {"b": [{"kind": true}]}}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "groups.b[0].kind", Want: "string", Got: "boolean"}},
		{"a wrong array element", `{"fixed": [1, "a"]}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "fixed[1]", Want: "number", Got: "string"}},
		{"a number for bytes", `{"blob": 5}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "blob", Want: "string", Got: "number"}},
		{"a number too large for an interface", `{"extra": {"a": [1e999]}}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "extra.a[0]", Want: "number", Got: "number 1e999"}},
		{"a list at the top", `[]`, func() any { return &doc{} }, nil, &strictjson.TypeError{Path: "", Want: "object", Got: "list"}},
		{"a string at the top", `"x"`, func() any { return &doc{} }, nil, &strictjson.TypeError{Path: "", Want: "object", Got: "string"}},
		{"a wrong type in a repeated key's first value", `{"name": 1, "name": "n"}`, func() any { return &doc{} }, nil,
			&strictjson.TypeError{Path: "name", Want: "string", Got: "number"}},

		{"a trailing comma", `{"name": "x",}`, func() any { return &doc{} }, nil,
			&strictjson.SyntaxError{Offset: 14, Line: 1, Column: 14, Msg: "invalid character '}' looking for beginning of object key string"}},
		{"a syntax error on a later line", "{\n  \"items\": [\n  }", func() any { return &doc{} }, nil,
			&strictjson.SyntaxError{Offset: 18, Line: 3, Column: 3, Msg: "invalid character '}' looking for beginning of value"}},
		{"columns count characters", "{\"näme\": x}", func() any { return &doc{} }, nil,
			&strictjson.SyntaxError{Offset: 11, Line: 1, Column: 10, Msg: "invalid character 'x' looking for beginning of value"}},
		{"not JSON at all", "\n  <html>", func() any { return &doc{} }, nil,
			&strictjson.SyntaxError{Offset: 4, Line: 2, Column: 3, Msg: "invalid character '<' looking for beginning of value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := tt.dst()
			err := strictjson.Decode([]byte(tt.json), dst)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !reflect.DeepEqual(dst, tt.want) {
					t.Errorf("decoded\n %#v\nwant\n %#v", dst, tt.want)
				}
				return
			}
			if !reflect.DeepEqual(err, tt.err) {
				t.Errorf("error = %#v (%v)\nwant %#v (%v)", err, err, tt.err, tt.err)
			}
		})
	}
}

func TestDecodeTruncated(t *testing.T) {
	for _, tt := range []struct {
		json      string
		line, col int
	}{
		{``, 1, 1},
		{" \n ", 2, 2},
		{`{"items": [`, 1, 12},
		{"{\n\"name\": \"n", 2, 11},
		{`{"ok": tru`, 1, 11},
	} {
		err := strictjson.Decode([]byte(tt.json), &doc{})
		var syn *strictjson.SyntaxError
		if !errors.As(err, &syn) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: error = %v, want a *SyntaxError for input that ends too early", tt.json, err)
			continue
		}
		if syn.Offset != int64(len(tt.json)) || syn.Line != tt.line || syn.Column != tt.col {
			t.Errorf("%q: error at offset %d, line %d, column %d; want %d, %d, %d", tt.json, syn.Offset, syn.Line, syn.Column, len(tt.json), tt.line, tt.col)
		}
	}
	if err := strictjson.Decode([]byte(`{"name": "x",}`), &doc{}); errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a syntax error in the middle counts as truncated input")
	}
}

func TestDecodeTrailingData(t *testing.T) {
	for _, in := range []string{`{} {}`, `{}x`, `{}]`, `{"name": "n"}  ,`, "{}\n{}\n"} {
		if err := strictjson.Decode([]byte(in), &doc{}); !errors.Is(err, strictjson.ErrTrailingData) {
			t.Errorf("%q: error = %v, want ErrTrailingData", in, err)
		}
	}
	var n int
	if err := strictjson.Decode([]byte(`1 2`), &n); !errors.Is(err, strictjson.ErrTrailingData) {
		t.Errorf("1 2: error = %v, want ErrTrailingData", err)
	}
}

func TestDecodeOwnErrors(t *testing.T) {
	err := strictjson.Decode([]byte(`{"items": [], "level": "extreme"}`), &doc{})
	var le *levelError
	if !errors.As(err, &le) || le.text != `"extreme"` {
		t.Errorf("error = %#v, want the *levelError of UnmarshalJSON", err)
	}
	err = strictjson.Decode([]byte(`{"at": "yesterday"}`), &doc{})
	var pe *time.ParseError
	if !errors.As(err, &pe) {
		t.Errorf("error = %#v, want a *time.ParseError", err)
	}
	// The content of a ",string" field is encoding/json's to judge.
	err = strictjson.Decode([]byte(`{"quoted": 5}`), &doc{})
	if err == nil || errors.As(err, new(*strictjson.TypeError)) || errors.As(err, new(*strictjson.UnknownFieldError)) {
		t.Errorf("quoted 5: error = %v, want encoding/json's", err)
	}
}

func TestDecodeInvalidDestination(t *testing.T) {
	var d doc
	for _, dst := range []any{nil, d, (*doc)(nil)} {
		var inv *json.InvalidUnmarshalError
		if err := strictjson.Decode([]byte(`{}`), dst); !errors.As(err, &inv) {
			t.Errorf("Decode into %T: error = %v, want *json.InvalidUnmarshalError", dst, err)
		}
	}
}

func TestErrorText(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&strictjson.UnknownFieldError{Path: "a.b"}, `strictjson: unknown field "a.b"`},
		{&strictjson.TypeError{Path: "a[0]", Want: "string", Got: "number"}, "strictjson: a[0] must be a JSON string, not a JSON number"},
		{&strictjson.TypeError{Want: "object", Got: "list"}, "strictjson: the value must be a JSON object, not a JSON list"},
		{&strictjson.SyntaxError{Line: 2, Column: 3, Msg: "invalid character"}, "strictjson: line 2, column 3: invalid character"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// strictStd is encoding/json's own strict decoding, to compare with.
func strictStd(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return errors.New("trailing data")
	}
	return nil
}

// FuzzDecode checks that Decode never panics, accepts exactly what
// encoding/json's strict decoding accepts, decodes the same values, and
// fails only with its typed errors or a type's own.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"id": "d", "name": "n", "count": 1, "items": [{"kind": "a", "qty": 2}], "groups": {"g": [{"kind": "b"}]}}`,
		`{"raw": {"x": [1, 2]}, "extra": [1, "a", null, {"b": true}], "at": "2026-06-01T09:00:00Z", "blob": "aGk="}`,
		`{"fixed": [1, 2, 3], "level": "low", "quoted": "7", "Plain": "p", "NAME": "case"}`,
		`{"groups": {"b": [{"knd": "z"}]}}`,
		`{"count": 300, "ratio": "x"}`,
		`{"name": "x",}`,
		`{"items": [`,
		`{} {}`,
		`null`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want doc
		err := strictjson.Decode(data, &got)
		stdErr := strictStd(data, &want)
		if (err == nil) != (stdErr == nil) {
			t.Fatalf("Decode(%q) = %v, but encoding/json strictly gives %v", data, err, stdErr)
		}
		if err == nil {
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Decode(%q) gave %#v, encoding/json %#v", data, got, want)
			}
			return
		}
		var (
			syn     *strictjson.SyntaxError
			unknown *strictjson.UnknownFieldError
			typ     *strictjson.TypeError
			le      *levelError
			pe      *time.ParseError
		)
		switch {
		case errors.As(err, &syn), errors.Is(err, strictjson.ErrTrailingData), errors.As(err, &unknown), errors.As(err, &typ),
			errors.As(err, &le), errors.As(err, &pe):
		case strings.Contains(err.Error(), "base64"), strings.Contains(err.Error(), ",string"),
			strings.Contains(err.Error(), "Time.UnmarshalJSON"), strings.Contains(err.Error(), "parsing time"):
			// encoding/json's and time's own, from the blob, quoted and at fields.
		default:
			t.Fatalf("Decode(%q) failed with an unexpected error %T: %v", data, err, err)
		}
	})
}
