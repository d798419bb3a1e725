package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ocrbox/ocrbox/core/accounts"
	"github.com/ocrbox/ocrbox/core/admin"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/search"
)

// AdminSocketPath is the running server's admin socket (core/admin).
func AdminSocketPath(cfg *config.Config) string {
	return filepath.Join(cfg.Storage.DataDir, admin.SocketName)
}

// listenAdmin binds the admin socket. A data directory whose path is too
// long for a unix socket costs the admin channel, not the server: the
// commands that need it say so.
func listenAdmin(cfg *config.Config, deps admin.Deps, log *slog.Logger) (*admin.Server, error) {
	srv := admin.NewServer(deps, log)
	path := AdminSocketPath(cfg)
	err := srv.Listen(path)
	if errors.Is(err, admin.ErrPathTooLong) {
		log.Warn("admin socket disabled: use a shorter storage.data_dir for `ocrbox users delete` while the server runs",
			"path", path, "error", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return srv, nil
}

func shutdownAdmin(srv *admin.Server, timeout time.Duration) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// PurgeUser deletes everything ocrbox stores for the user with this email
// (tasks, files, search entries, sessions, the user record). A running
// server holds the database lock, so it is asked through its admin socket;
// otherwise the database is opened here. viaServer tells which way it went.
func PurgeUser(ctx context.Context, cfg *config.Config, email string, log *slog.Logger) (res accounts.Purged, viaServer bool, err error) {
	sock := AdminSocketPath(cfg)
	c, err := admin.Dial(ctx, sock)
	if err == nil {
		res, err := c.DeleteUser(ctx, email)
		return res, true, err
	}
	if !errors.Is(err, admin.ErrNoServer) {
		return accounts.Purged{}, false, err
	}
	if _, err := os.Stat(DBPath(cfg)); errors.Is(err, fs.ErrNotExist) {
		return accounts.Purged{Email: email}, false, nil // no database, no data
	}
	store, err := openStore(ctx, cfg)
	if errors.Is(err, boltstore.ErrLocked) {
		return accounts.Purged{}, false, fmt.Errorf("a running server holds the database but its admin socket %s does not answer: stop the server and run this again: %w", sock, err)
	}
	if err != nil {
		return accounts.Purged{}, false, err
	}
	defer store.Close()
	files, err := filestore.New(filepath.Join(cfg.Storage.DataDir, "files"))
	if err != nil {
		return accounts.Purged{}, false, err
	}
	defer files.Close()
	// The index is derived: if it cannot be opened, the next start rebuilds
	// it from the database, which no longer has the user's tasks.
	var deindex accounts.Deindexer = noIndex{}
	if index, _, err := search.Open(ctx, IndexPath(cfg)); err == nil {
		defer index.Close()
		deindex = index
	} else {
		log.Warn("search index not opened; it is rebuilt at the next start", "error", err)
	}
	res, err = accounts.NewService(store, files, deindex, noRunner{}, log).Purge(ctx, email, "cli")
	return res, false, err
}

// LinkIdentity binds a provider identity to the account with this email:
// through the running server's admin socket, or in the database when no
// server runs.
func LinkIdentity(ctx context.Context, cfg *config.Config, email string, id domain.Identity) (u domain.User, viaServer bool, err error) {
	sock := AdminSocketPath(cfg)
	c, err := admin.Dial(ctx, sock)
	if err == nil {
		u, err := c.LinkIdentity(ctx, email, id)
		return u, true, err
	}
	if !errors.Is(err, admin.ErrNoServer) {
		return domain.User{}, false, err
	}
	if _, err := os.Stat(DBPath(cfg)); errors.Is(err, fs.ErrNotExist) {
		return domain.User{}, false, fmt.Errorf("no account %s: nobody has signed in yet (%w)", email, domain.ErrNotFound)
	}
	store, err := openStore(ctx, cfg)
	if errors.Is(err, boltstore.ErrLocked) {
		return domain.User{}, false, fmt.Errorf("a running server holds the database but its admin socket %s does not answer: stop the server and run this again: %w", sock, err)
	}
	if err != nil {
		return domain.User{}, false, err
	}
	defer store.Close()
	u, err = store.LinkIdentity(ctx, email, id)
	return u, false, err
}

// ListUsers returns every account in the database with the identities
// bound to it: through the running server's admin socket, or from the
// database when no server runs (none when nobody has signed in yet).
func ListUsers(ctx context.Context, cfg *config.Config) (users []admin.UserEntry, viaServer bool, err error) {
	sock := AdminSocketPath(cfg)
	c, err := admin.Dial(ctx, sock)
	if err == nil {
		users, err := c.ListUsers(ctx)
		return users, true, err
	}
	if !errors.Is(err, admin.ErrNoServer) {
		return nil, false, err
	}
	if _, err := os.Stat(DBPath(cfg)); errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	store, err := openStore(ctx, cfg)
	if errors.Is(err, boltstore.ErrLocked) {
		return nil, false, fmt.Errorf("a running server holds the database but its admin socket %s does not answer: stop the server and run this again: %w", sock, err)
	}
	if err != nil {
		return nil, false, err
	}
	defer store.Close()
	users, err = userEntries(ctx, store)
	return users, false, err
}

// userEntries lists the store's users with their identities, as the admin
// API answers them.
func userEntries(ctx context.Context, store *boltstore.Store) ([]admin.UserEntry, error) {
	users, ids, err := store.ListUsersWithIdentities(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]admin.UserEntry, 0, len(users))
	for _, u := range users {
		out = append(out, admin.UserEntry{User: u, Identities: append([]domain.Identity{}, ids[u.ID]...)})
	}
	return out, nil
}

// noRunner stands in for the worker when the server is not running:
// nothing can be in progress.
type noRunner struct{}

func (noRunner) Cancel(string) {}

// noIndex stands in for a search index that could not be opened: removing
// a task from it does nothing.
type noIndex struct{}

func (noIndex) Delete(context.Context, string) error { return nil }
