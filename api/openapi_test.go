package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
)

// oasMethods are the operation keys of an OpenAPI path item.
var oasMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oasLoad parses the embedded document the server serves.
func oasLoad(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openAPI))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("openapi.json holds more than one JSON value")
	}
	return doc
}

// oasOperation is one method on one path of the document.
type oasOperation struct {
	route string // "POST /v1/cases/{id}/assign"
	path  string
	op    map[string]any
	item  map[string]any
}

func oasOperations(t *testing.T, doc map[string]any) []oasOperation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	var ops []oasOperation
	for path, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("path %s is not an object", path)
			continue
		}
		for _, m := range oasMethods {
			if o, ok := item[m]; ok {
				op, ok := o.(map[string]any)
				if !ok {
					t.Errorf("%s %s is not an object", strings.ToUpper(m), path)
					continue
				}
				ops = append(ops, oasOperation{route: strings.ToUpper(m) + " " + path, path: path, op: op, item: item})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].route < ops[j].route })
	return ops
}

// oasGinParam matches a gin path parameter, :name or *name.
var oasGinParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// oasStatusCode matches a response key that is a status code or range.
var oasStatusCode = regexp.MustCompile(`^[1-5]([0-9]{2}|XX)$`)

// oasTemplateParam matches a parameter of an OpenAPI path template.
var oasTemplateParam = regexp.MustCompile(`\{([^}]+)\}`)

// oasPath turns /v1/cases/:id/assign into /v1/cases/{id}/assign.
func oasPath(ginPath string) string { return oasGinParam.ReplaceAllString(ginPath, "{$1}") }

func oasRouterRoutes(t *testing.T) []string {
	t.Helper()
	h := (&Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	engine, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("Handler returned a %T, not a *gin.Engine", h)
	}
	var routes []string
	for _, r := range engine.Routes() {
		routes = append(routes, r.Method+" "+oasPath(r.Path))
	}
	sort.Strings(routes)
	return routes
}

// oasMissing returns the elements of want that are not in have.
func oasMissing(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}

func TestOpenAPIMatchesRouter(t *testing.T) {
	doc := oasLoad(t)
	var documented []string
	for _, o := range oasOperations(t, doc) {
		documented = append(documented, o.route)
	}
	served := oasRouterRoutes(t)
	if len(served) == 0 {
		t.Fatal("the router has no routes")
	}
	undocumented := oasMissing(served, documented)
	unserved := oasMissing(documented, served)
	if len(undocumented) > 0 || len(unserved) > 0 {
		var b strings.Builder
		b.WriteString("openapi.json and the router disagree:\n")
		for _, r := range undocumented {
			fmt.Fprintf(&b, "  + %s  (served, not in openapi.json: document it)\n", r)
		}
		for _, r := range unserved {
			fmt.Fprintf(&b, "  - %s  (in openapi.json, not served: remove it or add the route)\n", r)
		}
		t.Error(b.String())
	}
	if dup := oasDuplicates(served); len(dup) > 0 {
		t.Errorf("the router registers these routes more than once: %v", dup)
	}
}

func oasDuplicates(xs []string) []string {
	seen := map[string]int{}
	var out []string
	for _, x := range xs {
		seen[x]++
		if seen[x] == 2 {
			out = append(out, x)
		}
	}
	return out
}

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := oasLoad(t)
	if v := doc["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v; want 3.1.0", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info == nil || info["title"] == nil || info["version"] == nil {
		t.Error("info needs a title and a version")
	}

	t.Run("every operation has a unique operationId and responses", func(t *testing.T) {
		ids := map[string]string{}
		for _, o := range oasOperations(t, doc) {
			id, _ := o.op["operationId"].(string)
			if id == "" {
				t.Errorf("%s has no operationId", o.route)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q is used by both %s and %s", id, prev, o.route)
			} else {
				ids[id] = o.route
			}
			responses, _ := o.op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s has no responses", o.route)
			}
			for code := range responses {
				if code != "default" && !oasStatusCode.MatchString(code) {
					t.Errorf("%s has a response keyed %q, which is not a status code", o.route, code)
				}
			}
		}
	})

	t.Run("every path parameter is declared", func(t *testing.T) {
		for _, o := range oasOperations(t, doc) {
			declared := map[string]bool{}
			for _, params := range []any{o.item["parameters"], o.op["parameters"]} {
				list, _ := params.([]any)
				for _, p := range list {
					p = oasResolve(doc, p)
					pm, _ := p.(map[string]any)
					if pm["in"] == "path" {
						declared[fmt.Sprint(pm["name"])] = true
						if pm["required"] != true {
							t.Errorf("%s: path parameter %v must be required", o.route, pm["name"])
						}
					}
				}
			}
			for _, m := range oasTemplateParam.FindAllStringSubmatch(o.path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s does not declare its path parameter %q", o.route, m[1])
				}
				delete(declared, m[1])
			}
			for name := range declared {
				t.Errorf("%s declares path parameter %q, which is not in its path", o.route, name)
			}
		}
	})

	t.Run("every $ref resolves within the document", func(t *testing.T) {
		var walk func(at string, v any)
		walk = func(at string, v any) {
			switch v := v.(type) {
			case map[string]any:
				if r, ok := v["$ref"]; ok {
					s, _ := r.(string)
					if _, err := oasLookup(doc, s); err != nil {
						t.Errorf("%s: $ref %q: %v", at, s, err)
					}
				}
				for k, child := range v {
					walk(at+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), child)
				}
			case []any:
				for i, child := range v {
					walk(fmt.Sprintf("%s/%d", at, i), child)
				}
			}
		}
		walk("#", doc)
	})

	t.Run("every security requirement names a declared scheme", func(t *testing.T) {
		schemes, _ := oasLookup(doc, "#/components/securitySchemes")
		declared, _ := schemes.(map[string]any)
		check := func(at string, v any) {
			list, _ := v.([]any)
			for _, req := range list {
				m, _ := req.(map[string]any)
				for name := range m {
					if _, ok := declared[name]; !ok {
						t.Errorf("%s: security scheme %q is not declared", at, name)
					}
				}
			}
		}
		check("#/security", doc["security"])
		for _, o := range oasOperations(t, doc) {
			check(o.route, o.op["security"])
		}
	})
}

// TestOpenAPIEnumsMatchTheDomain keeps the document's enums in step with the
// case rules, which are what the server validates against.
func TestOpenAPIEnumsMatchTheDomain(t *testing.T) {
	doc := oasLoad(t)
	// The union of every openable type's outcomes, each once: several types
	// share an outcome (no_response), and an enum lists a value only once.
	var outcomes []string
	for _, ty := range casedesk.Types {
		for _, o := range casedesk.Outcomes(ty) {
			if !slices.Contains(outcomes, o) {
				outcomes = append(outcomes, o)
			}
		}
	}
	tests := []struct {
		pointer string
		want    []string
	}{
		{"#/components/schemas/CaseType/enum", oasStrs(casedesk.Types)},
		{"#/components/schemas/CaseStatus/enum", oasStrs(casedesk.Statuses)},
		{"#/components/schemas/Priority/enum", oasStrs(casedesk.Priorities)},
		{"#/components/schemas/Channel/enum", oasStrs(casedesk.Channels)},
		{"#/components/schemas/Role/enum", oasStrs(casedesk.Roles)},
		{"#/components/schemas/PaymentMethod/enum", casedesk.PaymentMethods},
		{"#/components/schemas/OpenCaseRequest/properties/type/enum", oasStrs(casedesk.Types)},
		{"#/components/schemas/ResolveRequest/properties/outcome/enum", outcomes},
	}
	for _, tt := range tests {
		v, err := oasLookup(doc, tt.pointer)
		if err != nil {
			t.Errorf("%s: %v", tt.pointer, err)
			continue
		}
		got := oasStrs(oasStrings(v))
		if !slices.Equal(oasSorted(got), oasSorted(tt.want)) {
			t.Errorf("%s = %v; the server uses %v", tt.pointer, got, tt.want)
		}
	}
	v, err := oasLookup(doc, "#/components/schemas/Currency/enum")
	if err != nil {
		t.Fatal(err)
	}
	for _, cur := range oasStrings(v) {
		if _, ok := casedesk.CurrencyExponent(cur); !ok {
			t.Errorf("Currency enum lists %s, which the server refuses", cur)
		}
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	h := (&Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json = %d; want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), openAPI) {
		t.Error("GET /openapi.json does not serve the embedded document")
	}
}

// oasLookup resolves a local JSON pointer reference such as #/components/schemas/Case.
func oasLookup(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#") {
		return nil, fmt.Errorf("not a reference within the document")
	}
	var cur any = doc
	pointer := strings.TrimPrefix(ref, "#")
	if pointer == "" {
		return cur, nil
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, fmt.Errorf("not a JSON pointer")
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			cur = next
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(c) || fmt.Sprint(i) != tok {
				return nil, fmt.Errorf("no index %q", tok)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("cannot descend into %q", tok)
		}
	}
	return cur, nil
}

// oasResolve follows v's $ref, if it has one.
func oasResolve(doc map[string]any, v any) any {
	if m, ok := v.(map[string]any); ok {
		if r, ok := m["$ref"].(string); ok {
			if target, err := oasLookup(doc, r); err == nil {
				return target
			}
		}
	}
	return v
}

func oasStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = fmt.Sprint(x)
	}
	return out
}

func oasStrs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func oasSorted(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}
