package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
)

// legacyFileKeys are keys the file may still use under an older name.
var legacyFileKeys = []string{"auth.enable_task_history"}

// checkFileKeys refuses keys of the configuration file that name no
// configuration key — a typo would otherwise be ignored and the default
// apply — each error naming the file, the key and the closest known key.
// Plugin tables are free-form here: their names and settings are checked
// against the plugins (CheckSettings).
func checkFileKeys(path string, keys []string) error {
	known := slices.Concat(slices.Collect(maps.Keys(Defaults())), legacyFileKeys)
	slices.Sort(known)
	var sections []string
	for _, k := range known {
		sec, _, _ := strings.Cut(k, ".")
		if !slices.Contains(sections, sec) {
			sections = append(sections, sec)
		}
	}
	sections = append(sections, "plugins")

	slices.Sort(keys)
	var errs []error
	reported := map[string]bool{}
	for _, key := range keys {
		if slices.Contains(known, key) || strings.HasPrefix(key, "plugins.") {
			continue
		}
		sec, _, dotted := strings.Cut(key, ".")
		switch {
		case !dotted && slices.Contains(sections, key):
			errs = append(errs, fmt.Errorf("%s: %q must be a table: [%s]", path, key, key))
		case dotted && !slices.Contains(sections, sec):
			if reported[sec] {
				continue
			}
			reported[sec] = true
			msg := fmt.Sprintf("%s: unknown section [%s]", path, sec)
			if near := closestName(sec, sections); near != "" {
				msg += fmt.Sprintf(" (did you mean [%s]?)", near)
			} else {
				msg += fmt.Sprintf(" (known: %s)", strings.Join(sections, ", "))
			}
			errs = append(errs, errors.New(msg))
		default:
			msg := fmt.Sprintf("%s: unknown key %q", path, key)
			if near := closestKey(key, known); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			errs = append(errs, errors.New(msg))
		}
	}
	return errors.Join(errs...)
}

// closestKey suggests a known key for an unknown one: the nearest by edit
// distance, else one with a near-identical last part in another section
// (max_upload_mb under [limits] is server.max_upload_mb).
func closestKey(key string, known []string) string {
	if near := closestName(key, known); near != "" {
		return near
	}
	last := key[strings.LastIndex(key, ".")+1:]
	best, bestDist := "", max(2, len(last)/4)+1
	for _, k := range known {
		if d := levenshtein.ComputeDistance(last, k[strings.LastIndex(k, ".")+1:]); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// closestName returns the name in known nearest to name by edit distance,
// when it is close enough to be a typo of it; otherwise "".
func closestName(name string, known []string) string {
	best, bestDist := "", max(2, len(name)/4)+1
	for _, k := range known {
		if d := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}
