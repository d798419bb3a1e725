package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ocrbox/ocrbox/core/config"
)

// configCmd runs `ocrbox config check`: it loads and checks the
// configuration exactly as serve does (loadConfig) and prints every key
// with its effective value and where it came from, secrets masked. An
// invalid configuration is the command's error (exit 1), the same message
// serve would stop with.
func configCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("usage: ocrbox config check [--config FILE] [--listen ADDR] [--data-dir DIR]")
	}
	var f commonFlags
	if err := newFlagSet("config check", stderr, &f, true).Parse(args[1:]); err != nil {
		return err
	}
	cfg, started, err := loadCheckedConfig(f)
	if err != nil {
		return err
	}
	printEffective(stdout, configPath(f), cfg, started)
	return nil
}

// printEffective writes one line per key: key = value  # source.
func printEffective(w io.Writer, path string, cfg *config.Config, started []string) {
	from := "defaults, environment and flags (no config file)"
	if path != "" {
		from = path + ", environment and flags"
	}
	fmt.Fprintf(w, "# ocrbox effective configuration: %s; secrets masked\n", from)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range cfg.Effective() {
		fmt.Fprintf(tw, "%s = %s\t# %s\n", s.Key, s.Value, s.Source)
	}
	tw.Flush()
	fmt.Fprintf(w, "# valid; plugins checked in-process (files and network are checked when they start): %s\n",
		strings.Join(started, ", "))
}
