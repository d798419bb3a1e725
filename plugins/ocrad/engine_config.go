package ocrad

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Setting keys accepted by Configure.
const (
	SettingLayout    = "layout"
	SettingThreshold = "threshold"
)

// autoThreshold lets ocrad choose the black/white threshold per page.
const autoThreshold = -1

// latin1Languages are the languages, as tesseract-style ISO 639-2 codes
// (what uploads name), whose alphabets ISO-8859-1 covers — all ocrad can
// read. Sorted. French and Finnish lack a few rare letters (œ, š, ž), which
// come out as their nearest Latin-1 look-alike or not at all.
var latin1Languages = []string{
	"afr", "cat", "dan", "deu", "eng", "eus", "fao", "fin", "fra", "gla", "gle",
	"glg", "isl", "ita", "lat", "ltz", "nld", "nor", "por", "spa", "sqi", "swa", "swe",
}

// config is the engine's resolved settings, replaced as a whole.
type config struct {
	layout    bool
	threshold int // 0..255 or autoThreshold
}

func defaultConfig() config { return config{layout: true, threshold: autoThreshold} }

func (c config) thresholdString() string {
	if c.threshold == autoThreshold {
		return "auto"
	}
	return strconv.Itoa(c.threshold)
}

// parseConfig validates settings and fills in defaults. unknown lists keys it
// does not know, for the caller to warn about: a typo should be visible, but
// must not stop the engine from starting.
func parseConfig(settings map[string]string) (cfg config, unknown []string, err error) {
	cfg = defaultConfig()
	for key, value := range settings {
		v := strings.TrimSpace(value)
		switch key {
		case SettingLayout:
			if cfg.layout, err = strconv.ParseBool(v); err != nil {
				return config{}, nil, fmt.Errorf("setting %s: %q is not true or false", key, value)
			}
		case SettingThreshold:
			if strings.EqualFold(v, "auto") {
				cfg.threshold = autoThreshold
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 255 {
				return config{}, nil, fmt.Errorf("setting %s: %q is not auto or a whole number 0-255", key, value)
			}
			cfg.threshold = n
		default:
			unknown = append(unknown, key)
		}
	}
	slices.Sort(unknown)
	return cfg, unknown, nil
}

// checkLanguages accepts the requested languages ("eng", "eng+deu", or
// none) when ocrad can read their script; they do not change recognition.
func checkLanguages(requested []string) error {
	for _, r := range requested {
		for lang := range strings.SplitSeq(r, "+") {
			lang = strings.TrimSpace(lang)
			if !slices.Contains(latin1Languages, lang) {
				return fmt.Errorf("%w: language %q: ocrad reads only Latin-1 (ISO-8859-1) text (available: %s)",
					sdk.ErrUnsupported, lang, strings.Join(latin1Languages, ", "))
			}
		}
	}
	return nil
}
