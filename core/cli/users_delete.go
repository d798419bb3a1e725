package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ocrbox/ocrbox/core/app"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/logging"
	"github.com/ocrbox/ocrbox/plugins/localauth"
)

// deleteUser removes a local account from the users file, so it can no
// longer sign in, then purges everything ocrbox stores for it: tasks
// (running ones are stopped), files, search entries and sessions. The
// purge goes through the running server's admin socket, or straight to the
// database when no server runs. With dataOnly the users file is left alone:
// for people who sign in through another provider (LDAP, OIDC, http).
func deleteUser(ctx context.Context, cfg *config.Config, uf *localauth.UserFile, email string, dataOnly bool, stdout, stderr io.Writer) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if !dataOnly {
		err := uf.Delete(ctx, email)
		if errors.Is(err, localauth.ErrUserNotFound) {
			return fmt.Errorf("%s is not in the local users file %s; to delete the data of someone who signs in through another provider, use: ocrbox users delete %s --data-only",
				email, UsersFile(cfg), email)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s from the local users file\n", email)
	}
	log := logging.New(stderr, "warn", "text")
	res, viaServer, err := app.PurgeUser(ctx, cfg, email, log)
	if err != nil {
		if !dataOnly {
			return fmt.Errorf("the account is removed but its data is not: %w (run again with --data-only)", err)
		}
		return err
	}
	via := "the database directly (no server running)"
	if viaServer {
		via = "the running server"
	}
	if !res.Found {
		fmt.Fprintf(stdout, "no data stored for %s (never signed in, or already deleted)\n", email)
		return nil
	}
	fmt.Fprintf(stdout, "deleted the data of %s through %s:\n", email, via)
	fmt.Fprintf(stdout, "  tasks:          %d (%d stopped while pending or processing)\n", res.Tasks, res.Cancelled)
	fmt.Fprintf(stdout, "  files:          %s\n", formatBytes(res.Bytes))
	fmt.Fprintf(stdout, "  sessions:       %d\n", res.Sessions)
	fmt.Fprintf(stdout, "  search entries: %d\n", res.IndexEntries)
	return nil
}

// formatBytes renders a byte count for people.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
