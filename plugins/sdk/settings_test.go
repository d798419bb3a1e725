package sdk

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

type testSettings struct {
	URL      string        `setting:"url"`
	Secret   string        `setting:"client_secret,verbatim"`
	Timeout  time.Duration `setting:"timeout"`
	Retries  int           `setting:"retries"`
	Workers  uint          `setting:"workers"`
	Ratio    float64       `setting:"ratio"`
	Scopes   []string      `setting:"scopes"`
	Insecure bool          `setting:"insecure_skip_verify"`
	internal string        //nolint:unused // not a setting
}

func defaults() testSettings {
	return testSettings{Timeout: 10 * time.Second, Retries: 2, Scopes: []string{"openid"}}
}

func TestDecodeSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   map[string]string
		want func(*testSettings)
	}{
		{"nothing keeps the defaults", nil, func(*testSettings) {}},
		{"every type", map[string]string{
			"url": " https://idp.example.org ", "client_secret": " s3 cr3t ", "timeout": "1m30s", "retries": "5",
			"workers": "3", "ratio": "0.5", "scopes": "openid, email,,profile", "insecure_skip_verify": "true",
		}, func(s *testSettings) {
			s.URL, s.Secret, s.Timeout, s.Retries = "https://idp.example.org", " s3 cr3t ", 90*time.Second, 5
			s.Workers, s.Ratio, s.Scopes, s.Insecure = 3, 0.5, []string{"openid", "email", "profile"}, true
		}},
		{"empty keeps non-string defaults", map[string]string{"timeout": "", "retries": " ", "scopes": ""},
			func(*testSettings) {}},
		{"empty string is set", map[string]string{"url": ""}, func(s *testSettings) { s.URL = "" }},
		{"bool spellings", map[string]string{"insecure_skip_verify": "1"}, func(s *testSettings) { s.Insecure = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, want := defaults(), defaults()
			tc.want(&want)
			if err := DecodeSettings(tc.in, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeSettingsRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   map[string]string
		want []string // one message per refused key, in order
	}{
		{"typo with a suggestion", map[string]string{"timout": "5s"}, []string{`unknown setting "timout" (did you mean "timeout"?)`}},
		{"unknown without a suggestion", map[string]string{"colour": "red"}, []string{`unknown setting "colour" (known: client_secret, insecure_skip_verify, ratio, retries, scopes, timeout, url, workers)`}},
		{"a word too many", map[string]string{"url_base": "x"}, []string{`unknown setting "url_base" (did you mean "url"?)`}},
		{"case matters", map[string]string{"URL": "x"}, []string{`unknown setting "URL" (did you mean "url"?)`}},
		{"unexported field is no setting", map[string]string{"internal": "x"}, []string{`unknown setting "internal"`}},
		{"not a number", map[string]string{"retries": "three"}, []string{`setting "retries": "three" is not a whole number`}},
		{"negative uint", map[string]string{"workers": "-1"}, []string{`setting "workers": "-1" is not a whole number ≥ 0`}},
		{"not a float", map[string]string{"ratio": "half"}, []string{`setting "ratio": "half" is not a number`}},
		{"not a bool", map[string]string{"insecure_skip_verify": "yes please"}, []string{`setting "insecure_skip_verify": "yes please" is not true or false`}},
		{"not a duration", map[string]string{"timeout": "10"}, []string{`setting "timeout": "10" is not a duration such as "10s" or "1m30s"`}},
		{"all problems, sorted", map[string]string{"zzz": "1", "retries": "x", "aaa": "2"}, []string{
			`unknown setting "aaa"`, `setting "retries"`, `unknown setting "zzz"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaults()
			err := DecodeSettings(tc.in, &s)
			if err == nil {
				t.Fatal("expected an error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("error %q: %d problems, want %d", err, len(lines), len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d = %q, want it to start with %q", i, lines[i], w)
				}
			}
			var se *SettingError
			if !errors.As(err, &se) {
				t.Fatalf("%v is no *SettingError", err)
			}
		})
	}
}

func TestDecodeSettingsDestination(t *testing.T) {
	t.Parallel()
	var s testSettings
	for _, dst := range []any{s, (*testSettings)(nil), new(int), nil} {
		if err := DecodeSettings(map[string]string{"url": "x"}, dst); err == nil {
			t.Errorf("%T: want an error", dst)
		}
	}
	var none struct{}
	if err := DecodeSettings(map[string]string{"x": "1"}, &none); err == nil || !strings.Contains(err.Error(), "takes no settings") {
		t.Errorf("empty struct: %v", err)
	}
}
