package sdk

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/go-viper/mapstructure/v2"
)

// SettingTag is the struct tag that names a field's setting key.
const SettingTag = "setting"

// DecodeSettings fills dst, a pointer to a struct, from the settings the host
// passes to Configure (the plugin's [plugins.NAME] table, or an external
// engine's [plugins.engine.settings]). Every plugin should decode its
// settings with it, so that all of them refuse a typo the same way.
//
// Each field names its key with a `setting:"key"` tag. A key that no field
// names is refused: a typo fails Configure — and so the server's start —
// instead of silently leaving a default in place. Values are converted to the
// field's type:
//
//   - string: trimmed; `setting:"key,verbatim"` keeps spaces (secrets)
//   - bool: true, false, 1, 0 (strconv.ParseBool)
//   - int and uint kinds, float kinds: decimal numbers
//   - time.Duration: a Go duration such as "10s" or "1m30s"
//   - []string: comma-separated; items trimmed, empty ones dropped
//
// An empty value leaves a field that is not a string as dst had it, so fill
// dst with the defaults first; a string field is set to "" (a plugin may take
// that to mean "off" or "the default"). Range and consistency checks are the
// plugin's own, after DecodeSettings returns.
//
// The error lists every refused key, sorted, each as a *SettingError:
//
//	type settings struct {
//		URL      string        `setting:"url"`
//		Secret   string        `setting:"client_secret,verbatim"`
//		Timeout  time.Duration `setting:"timeout"`
//		Retries  int           `setting:"retries"`
//		Scopes   []string      `setting:"scopes"`
//		Insecure bool          `setting:"insecure_skip_verify"`
//	}
//
//	func (p *myPlugin) Configure(ctx context.Context, m map[string]string) error {
//		s := settings{Timeout: 10 * time.Second, Retries: 2}
//		if err := sdk.DecodeSettings(m, &s); err != nil {
//			return err // e.g. unknown setting "timout" (did you mean "timeout"?)
//		}
//		if s.URL == "" {
//			return errors.New(`setting "url" is required`)
//		}
//		…
//	}
func DecodeSettings(settings map[string]string, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode settings: destination must be a non-nil pointer to a struct, got %T", dst)
	}
	fields := settingFields(rv.Elem().Type())
	known := make([]string, 0, len(fields))
	for key := range fields {
		known = append(known, key)
	}
	slices.Sort(known)

	keys := make([]string, 0, len(settings))
	for key := range settings {
		keys = append(keys, key)
	}
	slices.Sort(keys)

	var errs []error
	for _, key := range keys {
		f, ok := fields[key]
		if !ok {
			errs = append(errs, &SettingError{Key: key, Unknown: true, Suggestion: closestName(key, known), Known: known})
			continue
		}
		value := settings[key]
		if !f.verbatim {
			value = strings.TrimSpace(value)
		}
		if value == "" && f.typ.Kind() != reflect.String {
			continue
		}
		if err := decodeOne(key, value, dst); err != nil {
			errs = append(errs, &SettingError{Key: key, Reason: conversionReason(f.typ, value, err)})
		}
	}
	return errors.Join(errs...)
}

// SettingError is one setting DecodeSettings refused.
type SettingError struct {
	// Key is the setting's name as the host sent it.
	Key string
	// Unknown is true when no field has this key; Suggestion is then the
	// closest known key ("" when none is close) and Known lists them all.
	Unknown    bool
	Suggestion string
	Known      []string
	// Reason says what is wrong with a known key's value.
	Reason string
}

func (e *SettingError) Error() string {
	switch {
	case !e.Unknown:
		return fmt.Sprintf("setting %q: %s", e.Key, e.Reason)
	case e.Suggestion != "":
		return fmt.Sprintf("unknown setting %q (did you mean %q?)", e.Key, e.Suggestion)
	case len(e.Known) == 0:
		return fmt.Sprintf("unknown setting %q (this plugin takes no settings)", e.Key)
	default:
		return fmt.Sprintf("unknown setting %q (known: %s)", e.Key, strings.Join(e.Known, ", "))
	}
}

type settingField struct {
	typ      reflect.Type
	verbatim bool
}

// settingFields maps each tagged field's key to its type.
func settingFields(t reflect.Type) map[string]settingField {
	out := map[string]settingField{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get(SettingTag), ",")
		if name == "" || name == "-" || !sf.IsExported() {
			continue
		}
		out[name] = settingField{typ: sf.Type, verbatim: slices.Contains(strings.Split(opts, ","), "verbatim")}
	}
	return out
}

// decodeOne converts one value into its field with mapstructure, leaving
// every other field as it is.
func decodeOne(key, value string, dst any) error {
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			commaListHook,
		),
		WeaklyTypedInput: true,
		ErrorUnused:      true,
		TagName:          SettingTag,
		MatchName:        func(mapKey, fieldName string) bool { return mapKey == fieldName },
		Result:           dst,
	})
	if err != nil {
		return err
	}
	return dec.Decode(map[string]any{key: value})
}

// commaListHook splits "a, b,,c" into [a b c] for []string fields.
func commaListHook(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice || to.Elem().Kind() != reflect.String {
		return data, nil
	}
	var out []string
	for item := range strings.SplitSeq(data.(string), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out, nil
}

// conversionReason says in words what value should have been.
func conversionReason(t reflect.Type, value string, err error) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return fmt.Sprintf("%q is not a duration such as \"10s\" or \"1m30s\"", value)
	case t.Kind() == reflect.Bool:
		return fmt.Sprintf("%q is not true or false", value)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return fmt.Sprintf("%q is not a whole number", value)
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return fmt.Sprintf("%q is not a whole number ≥ 0", value)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return fmt.Sprintf("%q is not a number", value)
	}
	return err.Error()
}

// closestName returns the name in known nearest to name by edit distance,
// when it is close enough to be a typo of it; else a known name that is
// name with a word more or less ("issuer_url" → "issuer"); otherwise "".
func closestName(name string, known []string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", max(2, len(name)/4)+1
	for _, k := range known {
		if d := levenshtein.ComputeDistance(lower, strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return best
	}
	for _, k := range known {
		if strings.HasPrefix(lower, k+"_") || strings.HasPrefix(k, lower+"_") {
			return k
		}
	}
	return ""
}
