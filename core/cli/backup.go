package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/ocrbox/ocrbox/core/app"
	"github.com/ocrbox/ocrbox/core/backup"
)

func backupCmd(args []string, stdout, stderr io.Writer) error {
	var f commonFlags
	fs := newFlagSet("backup", stderr, &f, false)
	out := fs.String("out", "", "the backup file to write (a .tar.gz)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: ocrbox backup --out FILE [--config FILE] [--data-dir DIR]")
		return flag.ErrHelp
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m, viaServer, err := app.Backup(ctx, cfg, Version, *out)
	if err != nil {
		return err
	}
	via := "the database directly (no server running)"
	if viaServer {
		via = "the running server"
	}
	fmt.Fprintf(stdout, "wrote %s through %s, verified:\n", *out, via)
	printManifest(stdout, m)
	if len(m.Missing) > 0 {
		fmt.Fprintf(stdout, "  note: %d file(s) of tasks deleted during the backup are not in it\n", len(m.Missing))
	}
	return nil
}

func restoreCmd(args []string, stdout, stderr io.Writer) error {
	var f commonFlags
	fs := newFlagSet("restore", stderr, &f, false)
	// Accept the file before or after the flags.
	file := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	if file == "" {
		fmt.Fprintln(stderr, "usage: ocrbox restore FILE [--config FILE] [--data-dir DIR]")
		return flag.ErrHelp
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	m, err := app.Restore(context.Background(), cfg, file)
	if errors.Is(err, backup.ErrNotEmpty) {
		return fmt.Errorf("%w (a restore never overwrites: choose an empty --data-dir)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s:\n", file, cfg.Storage.DataDir)
	printManifest(stdout, m)
	fmt.Fprintln(stdout, "the search index is rebuilt in the background at the next `ocrbox serve`")
	return nil
}

func printManifest(w io.Writer, m *backup.Manifest) {
	fmt.Fprintf(w, "  made:    %s by ocrbox %s (schema %d)\n", m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.Version, m.SchemaVersion)
	fmt.Fprintf(w, "  tasks:   %d\n", m.Tasks)
	fmt.Fprintf(w, "  files:   %d (%s with the database, before compression)\n", m.Files, formatBytes(m.Bytes))
}
