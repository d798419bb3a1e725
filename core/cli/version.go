package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/ocrbox/ocrbox/core/app"
	"github.com/ocrbox/ocrbox/core/logging"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// version prints the build (version, commit, Go) and the built-in engines'
// own versions, which it asks by starting each engine plugin once.
func version(stdout, stderr io.Writer) error {
	commit, modified := "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += " (modified)"
	}
	fmt.Fprintf(stdout, "ocrbox %s\n", Version)
	fmt.Fprintf(stdout, "  commit:  %s\n", commit)
	fmt.Fprintf(stdout, "  go:      %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(stdout, "  schema:  %d\n", boltstore.LatestSchema())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	infos, err := app.EngineInfos(ctx, logging.New(stderr, "error", "text"))
	if err != nil {
		fmt.Fprintf(stdout, "  engines: unavailable (%v)\n", err)
		return nil
	}
	for _, e := range infos {
		fmt.Fprintf(stdout, "  engine:  %s %s (languages: %d)\n", e.GetName(), e.GetVersion(), len(e.GetLanguages()))
	}
	return nil
}
