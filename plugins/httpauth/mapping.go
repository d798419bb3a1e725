package httpauth

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// jsonPath is a dotted path into a decoded JSON answer: "user.email", or
// "accounts.0.mail" where a number indexes an array. A nil path reads
// nothing: the field was switched off with an empty setting.
type jsonPath []string

// parsePath splits a dotted path; "" gives nil.
func parsePath(key, v string) (jsonPath, error) {
	if v == "" {
		return nil, nil
	}
	p := jsonPath(strings.Split(v, "."))
	for _, seg := range p {
		if strings.TrimSpace(seg) != seg || seg == "" {
			return nil, settingError(key, "%q is not a dotted path such as user.email", v)
		}
	}
	return p, nil
}

func (p jsonPath) String() string { return strings.Join(p, ".") }

// find walks doc along p.
func (p jsonPath) find(doc any) (any, bool) {
	if p == nil {
		return nil, false
	}
	cur := doc
	for _, seg := range p {
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			cur = node[i]
		default:
			return nil, false
		}
	}
	return cur, cur != nil
}

// str reads a scalar at p as a string: strings as they are, numbers as
// written (an id of 42 gives "42"), booleans as true/false. Missing, null,
// empty, objects and arrays give ok false.
func (p jsonPath) str(doc any) (string, bool) {
	v, _ := p.find(doc)
	s, ok := scalar(v)
	return s, ok && s != ""
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// extraField copies one value of the answer into UserInfo.Extra[key].
type extraField struct {
	key  string
	path jsonPath
}

// mapping says where the fields ocrbox needs sit in the API's answers. The
// same paths read every answer: login, validate, refresh, userinfo, lookup.
type mapping struct {
	accessToken, idToken, refreshToken, expiresIn jsonPath
	email, name, subject                          jsonPath
	extra                                         []extraField
}

func parseMapping(s settings) (mapping, error) {
	var m mapping
	for _, f := range []struct {
		key   string
		value string
		dst   *jsonPath
	}{
		{keyMapAccess, s.MapAccess, &m.accessToken},
		{keyMapID, s.MapID, &m.idToken},
		{keyMapRefresh, s.MapRefresh, &m.refreshToken},
		{keyMapExpiresIn, s.MapExpiresIn, &m.expiresIn},
		{keyMapEmail, s.MapEmail, &m.email},
		{keyMapName, s.MapName, &m.name},
		{keyMapSubject, s.MapSubject, &m.subject},
	} {
		p, err := parsePath(f.key, f.value)
		if err != nil {
			return mapping{}, err
		}
		*f.dst = p
	}
	extra, err := parseExtra(s.MapExtra)
	if err != nil {
		return mapping{}, err
	}
	m.extra = extra
	return m, nil
}

// parseExtra reads "user.department, dept=org.unit.name": each entry is a
// path, stored under its last segment, or key=path.
func parseExtra(v string) ([]extraField, error) {
	if v == "" {
		return nil, nil
	}
	var out []extraField
	seen := map[string]bool{}
	for entry := range strings.SplitSeq(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, raw, renamed := strings.Cut(entry, "=")
		key, raw = strings.TrimSpace(key), strings.TrimSpace(raw)
		if !renamed {
			raw = key
		}
		p, err := parsePath(keyMapExtra, raw)
		if err != nil || p == nil {
			return nil, settingError(keyMapExtra, "%q is not a dotted path or key=path", entry)
		}
		if !renamed {
			key = p[len(p)-1]
		}
		if key == "" {
			return nil, settingError(keyMapExtra, "%q has an empty key", entry)
		}
		if seen[key] {
			return nil, settingError(keyMapExtra, "two entries are stored as %q; name one with key=path", key)
		}
		seen[key] = true
		out = append(out, extraField{key: key, path: p})
	}
	return out, nil
}

// malformed is the error for a well-formed answer without a field ocrbox
// needs (no email for this person, an unusable expiry). It concerns this
// account, not the API's health: sdk.ErrUnsupported, never retried and never
// counted against the provider, so one account's bad record cannot open the
// breaker for everyone. Answers that are not JSON at all stay outages.
func malformed(format string, args ...any) error {
	return fmt.Errorf("auth API answer %s: %w", fmt.Sprintf(format, args...), sdk.ErrUnsupported)
}

// tokens reads the tokens of a login, refresh or validate answer. The
// access token is required when requireAccess is set.
func (m *mapping) tokens(doc any, requireAccess bool) (*sdk.AuthenticateResponse, error) {
	resp := &sdk.AuthenticateResponse{}
	var ok bool
	if resp.AccessToken, ok = m.accessToken.str(doc); !ok && requireAccess {
		return nil, malformed("has no access token at %q", m.accessToken)
	}
	resp.IdToken, _ = m.idToken.str(doc)
	resp.RefreshToken, _ = m.refreshToken.str(doc)
	exp, err := m.expiresInSeconds(doc)
	if err != nil {
		return nil, err
	}
	resp.ExpiresIn = exp
	return resp, nil
}

// expiresInSeconds reads expires_in: a number or a numeric string of
// seconds. Absent gives 0 (no expiry known); negative counts as 0.
func (m *mapping) expiresInSeconds(doc any) (int64, error) {
	v, ok := m.expiresIn.find(doc)
	if !ok {
		return 0, nil
	}
	s, ok := scalar(v)
	if !ok {
		return 0, malformed("has a non-numeric %q", m.expiresIn)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, malformed("has a non-numeric %q", m.expiresIn)
	}
	if f <= 0 {
		return 0, nil
	}
	if f > math.MaxInt32 {
		f = math.MaxInt32 // ~68 years: "does not expire" in practice
	}
	return int64(f), nil
}

// hasUser says whether the answer carries the user's email.
func (m *mapping) hasUser(doc any) bool {
	_, ok := m.email.str(doc)
	return ok
}

// user reads the user of an answer. The email is required: ocrbox
// identifies users by it. The subject defaults to the email.
func (m *mapping) user(doc any) (*sdk.UserInfo, error) {
	email, ok := m.email.str(doc)
	email = strings.TrimSpace(email)
	if !ok || email == "" {
		return nil, malformed("has no email at %q", m.email)
	}
	u := &sdk.UserInfo{Email: email}
	u.Name, _ = m.name.str(doc)
	if u.Subject, ok = m.subject.str(doc); !ok {
		u.Subject = email
	}
	for _, f := range m.extra {
		v, ok := f.path.find(doc)
		if !ok {
			continue
		}
		if u.Extra == nil {
			u.Extra = map[string]string{}
		}
		u.Extra[f.key] = extraValue(v)
	}
	return u, nil
}

// extraValue renders a value for UserInfo.Extra: scalars as text, a list of
// scalars comma-separated (roles: ["a","b"] gives "a,b"), anything else as
// compact JSON.
func extraValue(v any) string {
	if s, ok := scalar(v); ok {
		return s
	}
	if list, ok := v.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, item := range list {
			s, ok := scalar(item)
			if !ok {
				parts = nil
				break
			}
			parts = append(parts, s)
		}
		if parts != nil {
			return strings.Join(parts, ",")
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
