package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/httpapi"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// The API reference (openapi.json) is written by hand; these tests keep it
// honest against the route table and the handlers.

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPITags are the tags an operation may carry.
var openAPITags = []string{"auth", "tasks", "files", "history", "engines", "health"}

// newOpenAPIApp is the API as serve builds it with every optional route on
// (metrics on the API listener), so GetRoutes lists them all.
func newOpenAPIApp(t *testing.T) *fiber.App {
	t.Helper()
	dir := t.TempDir()
	store, files, prov := newBackend(t, dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := tasks.NewService(store, files, engines{}, idleRunner{}, tasks.NewBroker(), pages.Sniff, inspectPages, boltstore.NewID,
		tasks.Options{DefaultEngine: "tesseract", DefaultLang: "eng", DefaultOutputs: []domain.FileKind{domain.KindTxt}, MaxUploadBytes: 1 << 20})
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, "# metrics\n")
	})
	return httpapi.New(newSessions(t, store, prov, 100, log), svc, downloads.NewService(store, files, log), engines{},
		func(context.Context) error { return nil }, httpapi.Options{
			MaxUploadBytes: 1 << 20, MaxFilesPerUpload: 3, ReadTimeout: time.Minute, CookieName: "ocrbox_session",
			SessionLifetime: time.Hour, UI: fstest.MapFS{"index.html": {Data: []byte("ui")}}, MetricsHandler: metrics,
		}, log)
}

// loadOpenAPI reads the checked-in document, raw and decoded.
func loadOpenAPI(t *testing.T) ([]byte, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return raw, doc
}

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// realRoutes lists the app's routes as "METHOD /path/{param}": no HEAD
// (Fiber adds one per GET), no middleware, no catch-all.
func realRoutes(app *fiber.App) map[string]bool {
	out := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || strings.Contains(r.Path, "*") {
			continue
		}
		out[r.Method+" "+fiberParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	return out
}

// operation is one documented operation with what its checks need.
type operation struct {
	key    string // "GET /api/v1/tasks/{id}"
	method string
	path   string
	op     map[string]any
	item   map[string]any
}

func operations(doc map[string]any) []operation {
	var out []operation
	paths, _ := doc["paths"].(map[string]any)
	for path, v := range paths {
		item, _ := v.(map[string]any)
		for _, m := range openAPIMethods {
			if op, ok := item[m].(map[string]any); ok {
				out = append(out, operation{key: strings.ToUpper(m) + " " + path, method: strings.ToUpper(m), path: path, op: op, item: item})
			}
		}
	}
	slices.SortFunc(out, func(a, b operation) int { return strings.Compare(a.key, b.key) })
	return out
}

// TestOpenAPIMatchesRoutes: every route in routes.go is documented and
// every documented operation is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	_, doc := loadOpenAPI(t)
	real := realRoutes(newOpenAPIApp(t))
	documented := map[string]bool{}
	for _, o := range operations(doc) {
		documented[o.key] = true
	}
	var all []string
	for k := range real {
		all = append(all, k)
	}
	for k := range documented {
		if !real[k] {
			all = append(all, k)
		}
	}
	slices.Sort(all)
	var diff strings.Builder
	yn := map[bool]string{true: "yes", false: "NO"}
	for _, k := range all {
		if real[k] != documented[k] {
			fmt.Fprintf(&diff, "  %-45s %-14s %s\n", k, yn[real[k]], yn[documented[k]])
		}
	}
	if diff.Len() > 0 {
		t.Errorf("routes.go and openapi.json disagree:\n  %-45s %-14s %s\n%s", "route", "in routes.go", "in openapi.json", diff.String())
	}
	if len(real) < 20 {
		t.Errorf("only %d routes found; is the route table read correctly? %v", len(real), real)
	}
}

// TestOpenAPIDocument checks the document's own consistency: version,
// operation ids, summaries and tags, references, path parameters and
// security schemes.
func TestOpenAPIDocument(t *testing.T) {
	_, doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" {
		t.Errorf("info needs title and version: %v", info)
	}

	declaredTags := map[string]bool{}
	for _, tg := range asSlice(doc["tags"]) {
		name, _ := tg.(map[string]any)["name"].(string)
		declaredTags[name] = true
	}
	schemes, _ := dig(doc, "components", "securitySchemes").(map[string]any)
	ids := map[string]string{}
	ops := operations(doc)
	for _, o := range ops {
		id, _ := o.op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s: no operationId", o.key)
		case ids[id] != "":
			t.Errorf("%s: operationId %q is also used by %s", o.key, id, ids[id])
		default:
			ids[id] = o.key
		}
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s: no summary", o.key)
		}
		tags := asSlice(o.op["tags"])
		if len(tags) == 0 {
			t.Errorf("%s: no tags", o.key)
		}
		for _, tg := range tags {
			name, _ := tg.(string)
			if !slices.Contains(openAPITags, name) || !declaredTags[name] {
				t.Errorf("%s: tag %q is not one of the declared tags %v", o.key, name, openAPITags)
			}
		}
		if len(asMap(o.op["responses"])) == 0 {
			t.Errorf("%s: no responses", o.key)
		}
		sec, ok := o.op["security"]
		if !ok {
			sec = doc["security"]
		}
		for _, req := range asSlice(sec) {
			for name := range asMap(req) {
				if _, ok := schemes[name]; !ok {
					t.Errorf("%s: security scheme %q is not declared", o.key, name)
				}
			}
		}
		checkPathParams(t, doc, o)
	}
	for name := range declaredTags {
		if !slices.Contains(openAPITags, name) {
			t.Errorf("declared tag %q is not one of %v", name, openAPITags)
		}
	}
	for _, name := range []string{"bearer", "cookie"} {
		if _, ok := schemes[name]; !ok {
			t.Errorf("security scheme %q missing", name)
		}
	}
	for _, name := range []string{"Task", "TaskFile", "User", "Engine", "TaskPage", "Stats", "AuditEvent", "Error", "Tokens"} {
		if dig(doc, "components", "schemas", name) == nil {
			t.Errorf("components.schemas.%s missing", name)
		}
	}

	var refs int
	walkRefs(doc, "#", func(at, ref string) {
		refs++
		if !strings.HasPrefix(ref, "#/") {
			t.Errorf("%s: $ref %q is not local", at, ref)
			return
		}
		if _, ok := resolvePointer(doc, ref); !ok {
			t.Errorf("%s: $ref %q does not resolve", at, ref)
		}
	})
	if refs == 0 {
		t.Error("no $ref found; the walk is broken")
	}
}

var templateParam = regexp.MustCompile(`\{([^}]+)\}`)

// checkPathParams: the parameters in the path template and the declared
// path parameters (of the path item and the operation) are the same set,
// each required.
func checkPathParams(t *testing.T, doc map[string]any, o operation) {
	t.Helper()
	declared := map[string]bool{}
	for _, p := range append(asSlice(o.item["parameters"]), asSlice(o.op["parameters"])...) {
		pm := asMap(p)
		if ref, ok := pm["$ref"].(string); ok {
			v, _ := resolvePointer(doc, ref)
			pm = asMap(v)
		}
		if pm["in"] != "path" {
			continue
		}
		name, _ := pm["name"].(string)
		declared[name] = true
		if pm["required"] != true {
			t.Errorf("%s: path parameter %q must be required", o.key, name)
		}
	}
	inTemplate := map[string]bool{}
	for _, m := range templateParam.FindAllStringSubmatch(o.path, -1) {
		inTemplate[m[1]] = true
		if !declared[m[1]] {
			t.Errorf("%s: path parameter %q is not declared", o.key, m[1])
		}
	}
	for name := range declared {
		if !inTemplate[name] {
			t.Errorf("%s: declares path parameter %q that is not in the path", o.key, name)
		}
	}
}

// walkRefs calls fn for every "$ref" string in v; at is a JSON pointer.
func walkRefs(v any, at string, fn func(at, ref string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && k == "$ref" {
				fn(at, s)
				continue
			}
			walkRefs(c, at+"/"+escapePointer(k), fn)
		}
	case []any:
		for i, c := range x {
			walkRefs(c, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// resolvePointer follows a local JSON pointer ("#/components/schemas/Task").
func resolvePointer(doc any, ref string) (any, bool) {
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		v = asMap(v)[k]
	}
	return v
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestOpenAPISecurityMatchesRoutes calls every documented operation without
// credentials: one that requires a session must answer 401 unauthenticated,
// a public one must not, and either way the status must be documented.
func TestOpenAPISecurityMatchesRoutes(t *testing.T) {
	_, doc := loadOpenAPI(t)
	app := newOpenAPIApp(t)
	const someID = "0190f0e2-7a4c-7d0e-9c1b-3f5a6b7c8d9e"
	for _, o := range operations(doc) {
		sec, ok := o.op["security"]
		if !ok {
			sec = doc["security"]
		}
		public := len(asSlice(sec)) == 0
		for _, req := range asSlice(sec) {
			if len(asMap(req)) == 0 {
				public = true // {}: credentials optional
			}
		}
		path := templateParam.ReplaceAllString(o.path, someID)
		req := httptest.NewRequest(o.method, path, nil)
		res, err := app.Test(req, 10_000)
		if err != nil {
			t.Fatalf("%s: %v", o.key, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		unauth := res.StatusCode == http.StatusUnauthorized && e.Error.Code == "unauthenticated"
		switch {
		case public && unauth:
			t.Errorf("%s is documented as public but answers 401 unauthenticated without credentials", o.key)
		case !public && !unauth:
			t.Errorf("%s is documented as needing a session but answers %d %s without credentials", o.key, res.StatusCode, body)
		}
		if _, ok := asMap(o.op["responses"])[strconv.Itoa(res.StatusCode)]; !ok {
			t.Errorf("%s answers %d without credentials, which it does not document", o.key, res.StatusCode)
		}
	}
}

// TestOpenAPIServed: GET /api/v1/openapi.json is public and serves the
// checked-in document byte for byte.
func TestOpenAPIServed(t *testing.T) {
	raw, _ := loadOpenAPI(t)
	res, err := newOpenAPIApp(t).Test(httptest.NewRequest("GET", "/api/v1/openapi.json", nil), 10_000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !bytes.Equal(body, raw) {
		t.Fatalf("GET /api/v1/openapi.json: %d, %d bytes, want 200 and the %d bytes of openapi.json", res.StatusCode, len(body), len(raw))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
}

// TestOpenAPIValidates checks the document against the OpenAPI 3.1
// specification (kin-openapi): object shapes, schemas as JSON Schema
// 2020-12, defaults and examples against their schemas.
func TestOpenAPIValidates(t *testing.T) {
	raw, _ := loadOpenAPI(t)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json is read as OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3.1 document: %v", err)
	}
}

// TestOpenAPIResponsesMatchSchemas drives a session through the API and
// checks each answer against the document: the status is documented, a
// JSON body validates against its schema, and carries no field the schema
// does not name (so a field added to a Go type must be documented too).
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	raw, _ := loadOpenAPI(t)
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	e := newHistoryEnv(t, true)
	check := func(method, tmpl string, r resp) {
		t.Helper()
		checkResponse(t, doc, method, tmpl, r)
	}

	check("GET", "/healthz", e.do(t, "GET", "/healthz", "", nil, ""))
	check("GET", "/api/v1/readyz", e.do(t, "GET", "/api/v1/readyz", "", nil, ""))
	check("GET", "/api/v1/auth/providers", e.do(t, "GET", "/api/v1/auth/providers", "", nil, ""))
	check("POST", "/api/v1/auth/login", e.do(t, "POST", "/api/v1/auth/login", "",
		strings.NewReader(`{"username":"alice@example.org","password":"wrong"}`), "application/json"))
	r := e.do(t, "POST", "/api/v1/auth/login", "",
		strings.NewReader(`{"email":"alice@example.org","password":"password-alice"}`), "application/json")
	check("POST", "/api/v1/auth/login", r)
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	r.json(t, &tok)
	r = e.do(t, "POST", "/api/v1/auth/refresh", "", strings.NewReader(`{"refresh_token":"`+tok.RefreshToken+`"}`), "application/json")
	check("POST", "/api/v1/auth/refresh", r)
	r.json(t, &tok)
	token := tok.AccessToken

	check("GET", "/api/v1/auth/me", e.do(t, "GET", "/api/v1/auth/me", token, nil, ""))
	check("GET", "/api/v1/engines", e.do(t, "GET", "/api/v1/engines", token, nil, ""))
	check("POST", "/api/v1/tasks", e.upload(t, token, map[string]string{"lang": "xx"}, map[string][]byte{"a.png": pngBytes(t)}))
	check("POST", "/api/v1/tasks", e.upload(t, token, nil, map[string][]byte{"a.txt": []byte("not an image")}))
	r = e.upload(t, token, map[string]string{"lang": "eng+deu"}, map[string][]byte{"scan.png": pngBytes(t)})
	check("POST", "/api/v1/tasks", r)
	var up struct{ Tasks []*domain.Task }
	r.json(t, &up)
	task := up.Tasks[0]
	id := task.ID

	check("GET", "/api/v1/tasks", e.do(t, "GET", "/api/v1/tasks?page=1&page_size=5&sort=created_at&order=asc", token, nil, ""))
	check("GET", "/api/v1/tasks", e.do(t, "GET", "/api/v1/tasks?page_size=0", token, nil, ""))
	check("GET", "/api/v1/tasks/{id}", e.do(t, "GET", "/api/v1/tasks/"+id, token, nil, ""))
	check("GET", "/api/v1/tasks/{id}", e.do(t, "GET", "/api/v1/tasks/not-an-id", token, nil, ""))
	check("GET", "/api/v1/tasks/{id}", e.do(t, "GET", "/api/v1/tasks/"+id, e.login(t, "bob"), nil, ""))
	r = e.do(t, "GET", "/api/v1/tasks/"+id+"/files/"+task.Files[0].ID, token, nil, "")
	check("GET", "/api/v1/tasks/{id}/files/{file_id}", r)
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("download Content-Disposition = %q", cd)
	}
	check("GET", "/api/v1/audit", e.do(t, "GET", "/api/v1/audit?limit=10", token, nil, ""))
	check("GET", "/api/v1/audit", e.do(t, "GET", "/api/v1/audit?limit=0", token, nil, ""))
	check("POST", "/api/v1/tasks/{id}/retry", e.do(t, "POST", "/api/v1/tasks/"+id+"/retry", token, nil, ""))
	check("POST", "/api/v1/tasks/{id}/cancel", e.do(t, "POST", "/api/v1/tasks/"+id+"/cancel", token, nil, ""))
	check("POST", "/api/v1/tasks/{id}/retry", e.do(t, "POST", "/api/v1/tasks/"+id+"/retry", token, nil, ""))

	e.flush(t)
	check("GET", "/api/v1/history", e.do(t, "GET", "/api/v1/history?from=2020-01-01&to=2099-12-31&q=scan&sort=filename", token, nil, ""))
	check("GET", "/api/v1/history", e.do(t, "GET", "/api/v1/history?from=yesterday", token, nil, ""))
	check("GET", "/api/v1/history/stats", e.do(t, "GET", "/api/v1/history/stats", token, nil, ""))
	r = e.do(t, "POST", "/api/v1/history/export", token, strings.NewReader(`{"format":"json","status":"pending"}`), "application/json")
	check("POST", "/api/v1/history/export", r)
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("export Content-Disposition = %q", cd)
	}
	check("POST", "/api/v1/history/export", e.do(t, "POST", "/api/v1/history/export", token, strings.NewReader(`{"format":"xml"}`), "application/json"))

	check("DELETE", "/api/v1/tasks/{id}", e.do(t, "DELETE", "/api/v1/tasks/"+id, token, nil, ""))
	check("POST", "/api/v1/auth/logout", e.do(t, "POST", "/api/v1/auth/logout", token, nil, ""))
	check("GET", "/api/v1/auth/me", e.do(t, "GET", "/api/v1/auth/me", token, nil, ""))
}

// checkResponse checks one answer of method tmpl against the document.
func checkResponse(t *testing.T, doc *openapi3.T, method, tmpl string, r resp) {
	t.Helper()
	key := method + " " + tmpl
	item := doc.Paths.Find(tmpl)
	if item == nil || item.GetOperation(method) == nil {
		t.Errorf("%s is not documented", key)
		return
	}
	ref := item.GetOperation(method).Responses.Status(r.status)
	if ref == nil || ref.Value == nil {
		t.Errorf("%s answered %d, which it does not document: %s", key, r.status, r.body)
		return
	}
	ct := r.header.Get("Content-Type")
	if len(r.body) == 0 {
		if len(ref.Value.Content) > 0 {
			t.Errorf("%s %d: empty body, but the document describes content", key, r.status)
		}
		return
	}
	mt := ref.Value.Content.Get(ct)
	if mt == nil {
		t.Errorf("%s %d: Content-Type %q is not documented", key, r.status, ct)
		return
	}
	if !strings.HasPrefix(ct, "application/json") || mt.Schema == nil || mt.Schema.Value == nil {
		return
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Errorf("%s %d: body is not JSON: %v", key, r.status, err)
		return
	}
	if err := mt.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
		t.Errorf("%s %d: body does not match the documented schema: %v\n%s", key, r.status, err, r.body)
	}
	var extra []string
	undocumentedFields(mt.Schema.Value, v, "$", &extra)
	if len(extra) > 0 {
		t.Errorf("%s %d: fields not in the documented schema: %v\n%s", key, r.status, extra, r.body)
	}
}

// undocumentedFields collects the object keys in v that schema s does not
// name. Free-form objects (no properties) and combinators are not entered.
func undocumentedFields(s *openapi3.Schema, v any, at string, out *[]string) {
	if s == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		ap := s.AdditionalProperties.Schema
		if len(s.Properties) == 0 {
			if ap != nil {
				for k, c := range x {
					undocumentedFields(ap.Value, c, at+"."+k, out)
				}
			}
			return
		}
		for k, c := range x {
			switch p := s.Properties[k]; {
			case p != nil:
				undocumentedFields(p.Value, c, at+"."+k, out)
			case ap != nil:
				undocumentedFields(ap.Value, c, at+"."+k, out)
			default:
				*out = append(*out, at+"."+k)
			}
		}
	case []any:
		if s.Items != nil {
			for i, c := range x {
				undocumentedFields(s.Items.Value, c, at+"["+strconv.Itoa(i)+"]", out)
			}
		}
	}
}

// TestOpenAPIErrorCodes: the Error schema's code enum is exactly
// domain.ErrorCodes, so a client generated from the document knows every
// code the server can send, and none it cannot.
func TestOpenAPIErrorCodes(t *testing.T) {
	_, doc := loadOpenAPI(t)
	var enum []any
	if code, ok := dig(doc, "components", "schemas", "Error", "properties", "error", "properties", "code").(map[string]any); ok {
		enum, _ = code["enum"].([]any)
	}
	var got []string
	for _, c := range enum {
		s, _ := c.(string)
		got = append(got, s)
	}
	if !slices.Equal(got, domain.ErrorCodes) {
		t.Errorf("openapi.json Error code enum:\n%v\nwant domain.ErrorCodes:\n%v", got, domain.ErrorCodes)
	}
}
