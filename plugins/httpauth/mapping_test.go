package httpauth

import (
	"errors"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	doc, ok := decodeJSON([]byte(s))
	if !ok {
		t.Fatalf("not JSON: %s", s)
	}
	return doc
}

func TestJSONPath(t *testing.T) {
	doc := mustDecode(t, `{"a":{"b":[{"c":"deep"},{"c":7}],"n":null,"t":true,"f":1.5,"empty":""}}`)
	tests := []struct {
		path   string
		want   string
		wantOK bool
	}{
		{"a.b.0.c", "deep", true},
		{"a.b.1.c", "7", true},
		{"a.t", "true", true},
		{"a.f", "1.5", true},
		{"a.b.2.c", "", false}, // out of range
		{"a.b.x", "", false},   // not an index
		{"a.b.-1", "", false},
		{"a.n", "", false},     // null
		{"a.empty", "", false}, // empty counts as missing
		{"a.b", "", false},     // an array is not a scalar
		{"a.missing", "", false},
		{"a.t.x", "", false}, // through a scalar
		{"", "", false},      // switched off
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parsePath("k", tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.str(doc)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("str = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestExpiresIn(t *testing.T) {
	m := mapping{expiresIn: jsonPath{"e"}}
	tests := []struct {
		doc     string
		want    int64
		wantErr bool
	}{
		{`{"e":3600}`, 3600, false},
		{`{"e":"3600"}`, 3600, false},
		{`{"e":59.9}`, 59, false},
		{`{"e":-5}`, 0, false},
		{`{}`, 0, false},
		{`{"e":null}`, 0, false},
		{`{"e":1e300}`, 1<<31 - 1, false},
		{`{"e":"soon"}`, 0, true},
		{`{"e":{"s":1}}`, 0, true},
		{`{"e":true}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			got, err := m.expiresInSeconds(mustDecode(t, tt.doc))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("expiresIn = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, sdk.ErrUnsupported) {
				t.Errorf("err = %v, want ErrUnsupported (this account's answer, not an outage)", err)
			}
		})
	}
}

func TestExtraValue(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`"R&D"`, "R&D"},
		{`42`, "42"},
		{`false`, "false"},
		{`["a","b",3]`, "a,b,3"},
		{`[]`, ""},
		{`[{"x":1},"a"]`, `[{"x":1},"a"]`},
		{`{"k":"v"}`, `{"k":"v"}`},
	}
	for _, tt := range tests {
		if got := extraValue(mustDecode(t, tt.doc)); got != tt.want {
			t.Errorf("extraValue(%s) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

func TestUserSubjectDefaultsToEmail(t *testing.T) {
	m := mapping{email: jsonPath{"mail"}, subject: jsonPath{"uid"}}
	u, err := m.user(mustDecode(t, `{"mail":" ada@example.org "}`))
	if err != nil {
		t.Fatal(err)
	}
	if u.GetSubject() != "ada@example.org" || u.GetEmail() != "ada@example.org" || u.GetExtra() != nil {
		t.Errorf("user = %v", u)
	}
}
