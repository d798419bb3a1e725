package tesseract

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Setting keys accepted by Configure.
const (
	SettingTessdataDir     = "tessdata_dir"
	SettingPSM             = "psm"
	SettingMaxCachedModels = "max_cached_models"
	SettingAutorotate      = "autorotate"
)

const (
	defaultPSM             = 3 // fully automatic page segmentation, no OSD
	defaultMaxCachedModels = 2
	defaultLanguage        = "eng" // what tesseract itself assumes
	// debianTessdataDir is the last resort when neither the settings, the
	// environment nor the library can tell where the models are.
	debianTessdataDir = "/usr/share/tesseract-ocr/5/tessdata"
	traineddataSuffix = ".traineddata"
	// pdfFont is the glyph-less font the PDF renderer embeds for the
	// invisible text layer; tesseract looks for it beside the models.
	pdfFont = "pdf.ttf"
)

// config is the engine's resolved settings. It is replaced as a whole, never
// modified, so a page always sees one consistent version.
type config struct {
	tessdataDir     string
	psm             int
	maxCachedModels int
	autorotate      bool     // turn pages upright unless a request says otherwise
	languages       []string // installed models, sorted, without "osd"
	// builtin are the languages of languages that tessdataDir lacks and the
	// binary carries (release build): loaded from memory, one at a time.
	builtin    []string
	canPDF     bool // pdfFont is present, on disk or compiled in
	fontOnDisk bool // pdfFont is in tessdataDir
}

// settings are the [plugins.tesseract] keys, decoded by sdk.DecodeSettings.
type settings struct {
	TessdataDir     string `setting:"tessdata_dir"`
	PSM             int    `setting:"psm"`
	MaxCachedModels int    `setting:"max_cached_models"`
	Autorotate      bool   `setting:"autorotate"`
}

// decodeSettings decodes and checks the settings without looking at the
// disk: an unknown key, a value of the wrong type or out of range is refused.
func decodeSettings(m map[string]string) (settings, error) {
	s := settings{PSM: defaultPSM, MaxCachedModels: defaultMaxCachedModels, Autorotate: true}
	if err := sdk.DecodeSettings(m, &s); err != nil {
		return settings{}, err
	}
	if err := checkPSM(s.PSM); err != nil {
		return settings{}, fmt.Errorf("setting %q: %w", SettingPSM, err)
	}
	if s.MaxCachedModels < 1 {
		return settings{}, fmt.Errorf("setting %q: must be at least 1, got %d", SettingMaxCachedModels, s.MaxCachedModels)
	}
	return s, nil
}

// CheckSettings validates a [plugins.tesseract] table as Configure would,
// short of looking for the models: the host checks the configuration with
// it before it starts the plugin (ocrbox config check, and every start).
func CheckSettings(m map[string]string) error {
	_, err := decodeSettings(m)
	return err
}

// parseConfig validates settings, fills in defaults and finds the models.
func parseConfig(m map[string]string) (config, error) {
	s, err := decodeSettings(m)
	if err != nil {
		return config{}, err
	}
	cfg := config{tessdataDir: s.TessdataDir, psm: s.PSM, maxCachedModels: s.MaxCachedModels, autorotate: s.Autorotate}
	if cfg.tessdataDir == "" {
		cfg.tessdataDir = findTessdataDir()
		if cfg.tessdataDir == "" && len(embeddedLanguages()) == 0 {
			return config{}, fmt.Errorf("setting %s: no tessdata directory found (tried TESSDATA_PREFIX, libtesseract's default and %s); set it",
				SettingTessdataDir, debianTessdataDir)
		}
	}
	if cfg.tessdataDir != "" {
		if cfg.languages, err = listLanguages(cfg.tessdataDir); err != nil {
			return config{}, fmt.Errorf("setting %s: %w", SettingTessdataDir, err)
		}
		_, err = os.Stat(filepath.Join(cfg.tessdataDir, pdfFont))
		cfg.fontOnDisk = err == nil
	}
	for _, lang := range embeddedLanguages() {
		if !slices.Contains(cfg.languages, lang) {
			cfg.languages = append(cfg.languages, lang)
			cfg.builtin = append(cfg.builtin, lang)
		}
	}
	slices.Sort(cfg.languages)
	cfg.canPDF = cfg.fontOnDisk || embeddedPDFFont() != ""
	return cfg, nil
}

// checkPSM accepts tesseract's page segmentation modes except the two that
// only analyse layout or orientation and never produce text.
func checkPSM(psm int) error {
	switch {
	case psm < 0 || psm > 13:
		return fmt.Errorf("%d is not a page segmentation mode (0-13)", psm)
	case psm == 0 || psm == 2:
		return fmt.Errorf("mode %d only analyses the page and produces no text; use 1 or 3-13", psm)
	}
	return nil
}

// findTessdataDir resolves the default models directory the way tesseract
// does, cheapest source first: TESSDATA_PREFIX (tesseract 5 wants the tessdata
// directory itself; tesseract 3 wanted its parent), then the library's
// compiled-in default, which costs loading "eng" to learn.
func findTessdataDir() string {
	var candidates []string
	if prefix := os.Getenv("TESSDATA_PREFIX"); prefix != "" {
		candidates = append(candidates, prefix, filepath.Join(prefix, "tessdata"))
	}
	for _, dir := range candidates {
		if langs, err := listLanguages(dir); err == nil && len(langs) > 0 {
			return dir
		}
	}
	libraryDefault := ""
	if probeLibraryDatapath {
		libraryDefault = defaultDatapath()
	}
	for _, dir := range []string{libraryDefault, debianTessdataDir} {
		if dir == "" {
			continue
		}
		if langs, err := listLanguages(dir); err == nil && len(langs) > 0 {
			return filepath.Clean(dir)
		}
	}
	return ""
}

// listLanguages returns the models in dir. "osd" is left out: it detects
// orientation and script and cannot recognise text.
func listLanguages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var langs []string
	for _, e := range entries {
		lang, ok := strings.CutSuffix(e.Name(), traineddataSuffix)
		if !ok || lang == "" || lang == "osd" || strings.HasPrefix(lang, ".") || e.IsDir() {
			continue
		}
		langs = append(langs, lang)
	}
	if len(langs) == 0 {
		return nil, fmt.Errorf("no *%s files in %s", traineddataSuffix, dir)
	}
	slices.Sort(langs)
	return langs, nil
}

// languageKey turns the requested languages into tesseract's "eng+deu" form,
// which is also the model cache key. Order is kept because tesseract treats
// the first language as the primary one; duplicates are dropped. Checking
// against the installed list also keeps names like "../x" away from the
// library, which would build a file path from them.
func (c *config) languageKey(requested []string) (string, error) {
	if len(requested) == 0 {
		requested = []string{defaultLanguage}
	}
	var key []string
	for _, r := range requested {
		for lang := range strings.SplitSeq(r, "+") {
			lang = strings.TrimSpace(lang)
			if !slices.Contains(c.languages, lang) {
				return "", fmt.Errorf("%w: language %q is not installed (available: %s)",
					sdk.ErrUnsupported, lang, strings.Join(c.languages, ", "))
			}
			if !slices.Contains(key, lang) {
				key = append(key, lang)
			}
		}
	}
	if len(key) > 1 {
		// A model loaded from memory cannot be combined: tesseract reads
		// the other languages through the same in-memory data manager.
		for _, lang := range key {
			if slices.Contains(c.builtin, lang) {
				return "", fmt.Errorf("%w: language %q is built into this binary and can only be used alone; install %s%s in %s to combine it",
					sdk.ErrUnsupported, lang, lang, traineddataSuffix, c.tessdataDirOrDefault())
			}
		}
	}
	return strings.Join(key, "+"), nil
}

// builtinModel returns the compiled-in traineddata for lang when lang is
// served from memory rather than from tessdataDir.
func (c *config) builtinModel(lang string) (string, bool, error) {
	if !slices.Contains(c.builtin, lang) {
		return "", false, nil
	}
	return embeddedModel(lang)
}

// tessdataDirOrDefault names the models directory in messages: the one in
// use, else Debian's, where the packages install models.
func (c *config) tessdataDirOrDefault() string {
	if c.tessdataDir != "" {
		return c.tessdataDir
	}
	return debianTessdataDir
}

// OptionAutorotate is the RecognizeRequest option that turns autorotation
// on or off for one page ("true"/"false"), overriding the setting.
const OptionAutorotate = "autorotate"

// autorotateFor says whether req's page is turned upright first.
func (c *config) autorotateFor(req *sdk.RecognizeRequest) (bool, error) {
	v, ok := req.GetOptions()[OptionAutorotate]
	if !ok || v == "" {
		return c.autorotate, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%w: option %s=%q (want true or false)", sdk.ErrUnsupported, OptionAutorotate, v)
	}
	return b, nil
}
