package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ocrbox/ocrbox/core/logging"
	"github.com/ocrbox/ocrbox/plugins/builtin"
	"github.com/ocrbox/ocrbox/plugins/conformance"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// errChecksFailed makes the exit status 1 after the table was printed.
var errChecksFailed = errors.New("some conformance checks failed")

// settingsFlag collects repeated --setting KEY=VALUE.
type settingsFlag map[string]string

func (s settingsFlag) String() string { return fmt.Sprint(map[string]string(s)) }
func (s settingsFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", v)
	}
	s[k] = val
	return nil
}

// pluginCheck runs the conformance suite against a built-in engine (NAME)
// or an engine plugin executable (a path).
func pluginCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plugin check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sum := fs.String("sha256", "", "expected SHA-256 of the executable (as in [[plugins.engine]]); default: computed and printed")
	page := fs.String("page", "", "page image to recognise instead of the built-in test page")
	truth := fs.String("truth", "", "text file with what --page says (its character error rate must be ≤ --max-cer)")
	maxCER := fs.Float64("max-cer", 10, "highest character error rate that passes, in percent")
	lang := fs.String("lang", "", "language to ask for (default eng, or the engine's first)")
	largeMB := fs.Int("large-mb", 200, "size of the large-message check in MiB (the limit is 256)")
	settings := settingsFlag{}
	fs.Var(settings, "setting", "KEY=VALUE sent to the plugin's Configure (repeatable)")
	target, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, rest = args[0], args[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if target == "" && fs.NArg() == 1 {
		target = fs.Arg(0)
	}
	if target == "" {
		fmt.Fprintln(stderr, "usage: ocrbox plugin check NAME|PATH [--sha256 HEX] [--page FILE --truth FILE] [--max-cer PERCENT] [--lang L] [--setting K=V]")
		return flag.ErrHelp
	}
	spec := host.Spec{Name: target, Kind: sdk.KindEngine, Settings: settings}
	if strings.ContainsRune(target, '/') {
		abs, err := filepath.Abs(target)
		if err != nil {
			return err
		}
		spec.Name, spec.Path = filepath.Base(abs), abs
		want := *sum
		if want == "" {
			got, err := host.FileSHA256(abs)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "sha256 of %s: %s (pin it with sha256 = %q)\n", abs, got, got)
			want = got
		}
		b, err := hex.DecodeString(want)
		if err != nil || len(b) != 32 {
			return fmt.Errorf("--sha256 must be 64 hex characters")
		}
		spec.SHA256 = b
	} else if p, ok := builtin.Lookup(target); !ok || p.Kind != sdk.KindEngine {
		return fmt.Errorf("no built-in engine %q (built in: %v); give a path for an external plugin", target, builtin.Names(sdk.KindEngine))
	}
	opts := conformance.Options{Lang: *lang, LargeBytes: *largeMB << 20, MaxCER: *maxCER / 100}
	if *page != "" {
		if *truth == "" {
			return errors.New("--page needs --truth FILE with the page's text")
		}
		data, err := os.ReadFile(*page)
		if err != nil {
			return err
		}
		text, err := os.ReadFile(*truth)
		if err != nil {
			return err
		}
		opts.Page, opts.Truth = data, string(text)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := logging.New(stderr, "warn", "text")
	results := conformance.Run(ctx, func(ctx context.Context) (*host.Process, error) {
		return host.Start(ctx, spec, log)
	}, opts)
	if !conformance.Print(stdout, target, results) {
		return errChecksFailed
	}
	return nil
}
