// Package cli parses ocrbox's subcommands and hands over to the code that
// does the work: serve, plugin NAME, pagehelper (hidden: one page decoded
// for the server), users …, migrate, worker, workers, version.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ocrbox/ocrbox/core/app"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/logging"
	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/plugins/builtin"
)

// Version is set at build time with -ldflags "-X .../core/cli.Version=…".
var Version = "dev"

const usage = `ocrbox — self-hosted multi-user OCR service

Usage:
  ocrbox serve   [--config FILE] [--listen ADDR] [--data-dir DIR]
  ocrbox users   add EMAIL [--name NAME] --password-stdin | passwd EMAIL --password-stdin
                 | delete EMAIL [--data-only] | list   [--config FILE]
                 | link EMAIL --provider NAME --subject SUBJECT   bind a provider's account to EMAIL
  ocrbox migrate [--config FILE]   update the database schema (saves a backup first)
  ocrbox reindex [--config FILE]   rebuild the search index from the database (server stopped)
  ocrbox backup  --out FILE [--config FILE]   hot backup, also while the server runs
  ocrbox restore FILE [--config FILE] [--data-dir DIR]   into an empty data directory
  ocrbox plugin check NAME|PATH [--sha256 HEX] [--page FILE --truth FILE]
                 run the engine plugin conformance suite and print a pass/fail table
  ocrbox config  check [--config FILE]   validate the configuration and print every
                 key with its value and where it came from (secrets masked)
  ocrbox worker  --join nats://HOST:4222 [--token T] [--workers N] [--name NAME]
                 [--metrics-listen ADDR] [--config FILE]
                 an OCR node of a cluster: takes pages from serve's [cluster]
  ocrbox workers [--url nats://HOST:4222] [--token T] [--json] [--config FILE]
                 list the cluster's worker nodes
  ocrbox version

The configuration is read from --config (default: ./config.toml if present),
then OCRBOX_<SECTION>_<KEY> environment variables, then flags.
`

// Run executes one command line and returns the process exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stderr)
	case pagehelper.Subcommand: // hidden: started by serve to decode one page
		return pagehelper.Main(args[1:], stdin, stdout, stderr)
	case "plugin":
		if len(args) > 1 && args[1] == "check" {
			err = pluginCheck(args[2:], stdout, stderr)
		} else {
			err = runPlugin(args[1:])
		}
	case "users":
		err = users(args[1:], stdin, stdout, stderr)
	case "migrate":
		err = migrate(args[1:], stdout, stderr)
	case "reindex":
		err = reindex(args[1:], stdout, stderr)
	case "backup":
		err = backupCmd(args[1:], stdout, stderr)
	case "restore":
		err = restoreCmd(args[1:], stdout, stderr)
	case "config":
		err = configCmd(args[1:], stdout, stderr)
	case "worker":
		err = worker(args[1:], stderr)
	case "workers":
		err = workers(args[1:], stdout, stderr)
	case "version", "--version":
		err = version(stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "ocrbox: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(stderr, "ocrbox %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// commonFlags are the flags every config-reading command accepts.
type commonFlags struct {
	config  string
	listen  string
	dataDir string
}

// newFlagSet returns a flag set with the config-reading flags bound to f.
func newFlagSet(name string, stderr io.Writer, f *commonFlags, withServer bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "configuration file (default ./config.toml if it exists)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (storage.data_dir)")
	if withServer {
		fs.StringVar(&f.listen, "listen", "", "listen address (server.listen)")
	}
	return fs
}

// loadConfig reads and checks the configuration every command uses.
func loadConfig(f commonFlags) (*config.Config, error) {
	cfg, _, err := loadCheckedConfig(f)
	return cfg, err
}

// loadCheckedConfig loads the configuration (config.Load) and checks the
// plugin tables against the built-in plugins (app.CheckConfig); it also
// returns the built-in plugins the server would start.
func loadCheckedConfig(f commonFlags) (*config.Config, []string, error) {
	over := map[string]any{}
	if f.listen != "" {
		over["server.listen"] = f.listen
	}
	if f.dataDir != "" {
		over["storage.data_dir"] = f.dataDir
	}
	cfg, err := config.Load(configPath(f), os.Environ(), over)
	if err != nil {
		return nil, nil, err
	}
	started, err := app.CheckConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, started, nil
}

// configPath is --config, else ./config.toml when it exists, else "".
func configPath(f commonFlags) string {
	if f.config != "" {
		return f.config
	}
	if _, err := os.Stat("config.toml"); err == nil {
		return "config.toml"
	}
	return ""
}

func serve(args []string, stderr io.Writer) error {
	var f commonFlags
	if err := newFlagSet("serve", stderr, &f, true).Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	log := logging.New(stderr, cfg.Log.Level, cfg.Log.Format)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return app.Serve(ctx, cfg, Version, log)
}

func runPlugin(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: ocrbox plugin NAME (started by ocrbox serve, not by hand)")
	}
	p, ok := builtin.Lookup(args[0])
	if !ok {
		return fmt.Errorf("no built-in plugin %q", args[0])
	}
	p.Serve() // exits the process itself when the cookie is missing
	return nil
}

func migrate(args []string, stdout, stderr io.Writer) error {
	var f commonFlags
	if err := newFlagSet("migrate", stderr, &f, false).Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	log := logging.New(stderr, "warn", "text")
	from, to, saved, err := app.Migrate(context.Background(), cfg, Version, log)
	if saved != "" {
		fmt.Fprintf(stdout, "saved a backup of the data directory first: %s\n", saved)
	}
	if err != nil {
		return err
	}
	if from == to {
		fmt.Fprintf(stdout, "schema is up to date (version %d)\n", to)
	} else {
		fmt.Fprintf(stdout, "migrated schema from version %d to %d\n", from, to)
	}
	return nil
}

func reindex(args []string, stdout, stderr io.Writer) error {
	var f commonFlags
	if err := newFlagSet("reindex", stderr, &f, false).Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return app.Reindex(ctx, cfg, stdout, logging.New(stderr, cfg.Log.Level, cfg.Log.Format))
}
