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

// settings are the [plugins.ocrad] keys, decoded by sdk.DecodeSettings.
type settings struct {
	Layout    bool   `setting:"layout"`
	Threshold string `setting:"threshold"` // "auto" or 0-255
}

// parseConfig validates settings and fills in defaults; an unknown key or a
// bad value is refused.
func parseConfig(m map[string]string) (config, error) {
	s := settings{Layout: true, Threshold: "auto"}
	if err := sdk.DecodeSettings(m, &s); err != nil {
		return config{}, err
	}
	cfg := config{layout: s.Layout, threshold: autoThreshold}
	if s.Threshold != "" && !strings.EqualFold(s.Threshold, "auto") {
		n, err := strconv.Atoi(s.Threshold)
		if err != nil || n < 0 || n > 255 {
			return config{}, fmt.Errorf("setting %q: %q is not auto or a whole number 0-255", SettingThreshold, s.Threshold)
		}
		cfg.threshold = n
	}
	return cfg, nil
}

// CheckSettings validates a [plugins.ocrad] table as Configure would; the
// host checks the configuration with it before it starts the plugin.
func CheckSettings(m map[string]string) error {
	_, err := parseConfig(m)
	return err
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
